//! The one error type of the client.
//!
//! Every non-2xx response is mapped in [`Error::from_response`], so the console and the tests
//! see the API's own words (`errorType`, `errorCode`, `message`) and can ask simple questions
//! (`is_not_found()`, `is_signature_expired()`) instead of matching on status codes.

use crate::image::ImageError;
use crate::model::{ErrorBody, ErrorCode};
use std::time::Duration;

/// Why a 403 was returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForbiddenReason {
    /// `x-amz-date` is more than 5 minutes away from the server's clock.
    SignatureExpired,
    /// The `x-api-key` is missing or unknown (`{"message": "Forbidden"}`).
    ApiKey,
    /// The signature, access key or `Authorization` header was refused.
    Signature,
}

/// Everything that can go wrong with a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered 400, 404, 409 or 5xx with its error body.
    #[error("{}", describe_api(*.status, .body))]
    Api { status: u16, body: ErrorBody },

    /// The API refused the request's credentials (403).
    #[error("{}", describe_forbidden(*.reason, .message))]
    Forbidden {
        reason: ForbiddenReason,
        message: String,
    },

    /// No answer arrived in time.
    #[error("no answer from {url} within {} s", .after.as_secs())]
    Timeout { url: String, after: Duration },

    /// The server could not be reached (refused connection, DNS, TLS).
    #[error("could not reach {url}: {message}")]
    Transport { url: String, message: String },

    /// The server answered something this client cannot read.
    #[error("unexpected answer from the server (HTTP {status}): {message}")]
    InvalidResponse { status: u16, message: String },

    /// An image could not be used as a face or probe.
    #[error(transparent)]
    Image(#[from] ImageError),

    /// The request was not sent because a value is out of range or malformed.
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// The client is configured wrongly (a base URL, the credentials).
    #[error("configuration: {0}")]
    Config(String),
}

fn describe_api(status: u16, body: &ErrorBody) -> String {
    match (&body.error_type, body.error_code) {
        (Some(kind), Some(code)) => format!("{kind} ({}): {}", code.code(), body.message),
        (Some(kind), None) => format!("{kind}: {}", body.message),
        _ if body.message.is_empty() => format!("HTTP {status}"),
        _ => format!("HTTP {status}: {}", body.message),
    }
}

fn describe_forbidden(reason: ForbiddenReason, message: &str) -> String {
    match reason {
        ForbiddenReason::SignatureExpired => format!(
            "the request's time differs from the server's by more than 5 minutes; check this \
             computer's clock ({message})"
        ),
        ForbiddenReason::ApiKey => {
            format!("the API key was refused; check the application's key ({message})")
        }
        ForbiddenReason::Signature => format!(
            "the request signature was refused; check the access key, secret key and region \
             ({message})"
        ),
    }
}

impl Error {
    /// Maps a non-2xx response. The body is read leniently: a JSON error body, a JSON body with
    /// only `message`, or anything else (kept as text, shortened).
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        if status == 403 {
            let message = parsed.map(|b| b.message).unwrap_or_else(|| excerpt(body));
            let reason = if message.starts_with("Signature expired") {
                ForbiddenReason::SignatureExpired
            } else if message == "Forbidden" {
                ForbiddenReason::ApiKey
            } else {
                ForbiddenReason::Signature
            };
            return Self::Forbidden { reason, message };
        }
        match parsed {
            Some(body) => Self::Api { status, body },
            None => Self::Api {
                status,
                body: ErrorBody::message(excerpt(body)),
            },
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::InvalidResponse { status, .. } => Some(*status),
            Self::Forbidden { .. } => Some(403),
            _ => None,
        }
    }

    /// The API's `errorCode`, when it sent one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { body, .. } => body.error_code,
            _ => None,
        }
    }

    /// The API's `errorType`, when it sent one.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => body.error_type.as_deref(),
            _ => None,
        }
    }

    /// The server's message, when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.message),
            Self::Forbidden { message, .. } => Some(message),
            _ => None,
        }
    }

    /// 404: the subject, event, gallery or candidate does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 403 for any reason.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden { .. })
    }

    /// 403 because the request's clock and the server's differ by more than 5 minutes.
    pub fn is_signature_expired(&self) -> bool {
        matches!(
            self,
            Self::Forbidden {
                reason: ForbiddenReason::SignatureExpired,
                ..
            }
        )
    }

    /// No answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The server could not be reached.
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// Worth trying again unchanged: time-outs, unreachable servers, 5xx and the API's Timeout.
    pub fn is_retryable(&self) -> bool {
        self.is_timeout()
            || self.is_transport()
            || self.status().is_some_and(|s| s >= 500)
            || self.error_code() == Some(ErrorCode::Timeout)
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
