//! The error the UI shows: a sentence a person understands, plus the API's `errorType` and
//! `errorCode` when the service gave them.

use std::fmt;

/// A failure ready to be shown where the user acted, or as a toast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiError {
    /// What went wrong, in words a person understands.
    pub message: String,
    /// The HTTP status, when the failure came from the API.
    pub status: Option<u16>,
    /// The API's `errorType` (e.g. `PoorQuality`), when it gave one.
    pub error_type: Option<String>,
    /// The API's `errorCode`, when it gave one.
    pub error_code: Option<String>,
    /// Whether trying the same thing again could help (network, timeouts, 5xx).
    pub retryable: bool,
}

impl UiError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: None,
            error_type: None,
            error_code: None,
            retryable: false,
        }
    }

    /// The same error, marked as worth retrying.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// A background task that ended without an answer (it panicked or was cancelled).
    pub fn task_lost(what: &str) -> Self {
        Self::new(format!("{what} stopped unexpectedly before it finished")).retryable()
    }

    /// `errorType / errorCode / HTTP status` for the detail line, if any is known.
    pub fn codes(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(error_type) = &self.error_type {
            parts.push(format!("errorType {error_type}"));
        }
        if let Some(error_code) = &self.error_code {
            parts.push(format!("errorCode {error_code}"));
        }
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(codes) = self.codes() {
            write!(f, " ({codes})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UiError {}
