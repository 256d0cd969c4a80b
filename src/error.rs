//! The error the UI shows, and the one mapping from a failed request to it.
//!
//! A person reads three things: what failed (the action: "Listing the galleries", "Opening
//! gallery “Staff”"), why in plain words (the client's [`necid::Error::human`]: no answer,
//! refused, name not found, cut off, server error, answer not understood and which field), and
//! what to do ([`necid::Error::advice`]). The technical account ([`necid::Error::detail`]: the
//! request line, status, content type, the HTTP library's chain, the parser's message) is kept
//! apart, for a "Details" disclosure and Activity; it never becomes the message. HTML bodies
//! never reach either: the client drops them.
//!
//! [`UiError::from_request`] is that mapping; the backend names the action of every command
//! that failed ([`UiError::or_during`]) and a pane may name it more precisely
//! ([`UiError::during`]).

use std::fmt;
use std::time::{Duration, Instant};

/// A failure ready to be shown where the user acted, or as a toast. Small (the rest of a
/// request's failure is boxed), as it travels in every command's `Result`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiError {
    /// What went wrong, in words a person understands: "Listing the galleries failed: no
    /// answer from 127.0.0.1:8080 within 60 s."
    pub message: String,
    /// Whether trying the same thing again could help (network, timeouts, 5xx, a server that
    /// sent something unreadable and may be fixed).
    pub retryable: bool,
    /// What else is known when the failure came from a request, or an action was named.
    more: Option<Box<Failure>>,
}

/// The parts of a [`UiError`] beyond its message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Failure {
    advice: Option<String>,
    detail: Option<String>,
    status: Option<u16>,
    error_type: Option<String>,
    error_code: Option<String>,
    rate_limited: bool,
    retry_after: Option<Duration>,
    failed_at: Option<Instant>,
    /// The cause alone, so that an action can be put in front of it.
    cause: Option<String>,
    /// The action already named in the message.
    action: Option<String>,
}

impl UiError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            more: None,
        }
    }

    /// A failed request as a person reads it: the cause in plain words, what to do, and the
    /// technical detail apart. The message names no action yet (see [`UiError::during`]).
    pub fn from_request(error: &necid::Error) -> Self {
        use necid::ErrorKind;
        let cause = error.human();
        let retryable = error.is_retryable()
            || matches!(
                error.kind(),
                ErrorKind::ServerError
                    | ErrorKind::UnexpectedStatus
                    | ErrorKind::TooLarge
                    | ErrorKind::InvalidResponse
                    | ErrorKind::CutOff
                    | ErrorKind::Unreachable
            );
        let advice = match error.kind() {
            // The client's advice names an answer size setting that profiles do not have.
            ErrorKind::TooLarge => Some(
                "The server sent far more than this console accepts in one answer; check the \
                 profile's URL."
                    .to_owned(),
            ),
            _ => error.advice(),
        };
        Self {
            message: sentence(&cause),
            retryable,
            more: Some(Box::new(Failure {
                advice,
                detail: Some(error.detail()),
                status: error.status(),
                error_type: error.error_type().map(str::to_owned),
                error_code: error.error_code().map(|code| code.code().to_string()),
                rate_limited: error.is_rate_limited(),
                retry_after: error.retry_after(),
                failed_at: Some(Instant::now()),
                cause: Some(cause),
                action: None,
            })),
        }
    }

    fn more(&self) -> Option<&Failure> {
        self.more.as_deref()
    }

    /// The same error, marked as worth retrying.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// Names what was being done: "Opening gallery “Staff”" makes the message "Opening
    /// gallery “Staff” failed: <cause>." Replaces an action named before.
    pub fn during(mut self, action: impl Into<String>) -> Self {
        let action = action.into();
        let message = self.message.trim_end_matches('.').to_owned();
        let more = self.more.get_or_insert_with(Box::default);
        let cause = more.cause.get_or_insert(message);
        self.message = format!("{action} failed: {}", sentence_end(cause));
        more.action = Some(action);
        self
    }

    /// Names the action unless one is named already; only a failed request gets one (other
    /// messages already say what went wrong in their own words).
    pub fn or_during(self, action: &str) -> Self {
        match self.more() {
            Some(more) if more.action.is_none() && more.cause.is_some() => self.during(action),
            _ => self,
        }
    }

    /// The action named in the message, if any.
    pub fn action(&self) -> Option<&str> {
        self.more()?.action.as_deref()
    }

    /// What the person can do about it, when there is something useful to say.
    pub fn advice(&self) -> Option<&str> {
        self.more()?.advice.as_deref()
    }

    /// The technical account, for "Details" and Activity; never the message.
    pub fn detail(&self) -> Option<&str> {
        self.more()?.detail.as_deref()
    }

    /// The HTTP status, when the failure came from the API.
    pub fn status(&self) -> Option<u16> {
        self.more()?.status
    }

    /// The server asked for fewer requests (429).
    pub fn is_rate_limited(&self) -> bool {
        self.more().is_some_and(|more| more.rate_limited)
    }

    /// How long the server asked to wait (`Retry-After` of a 429 or 503).
    pub fn retry_after(&self) -> Option<Duration> {
        self.more()?.retry_after
    }

    /// A background task that ended without an answer (it panicked or was cancelled).
    pub fn task_lost(what: &str) -> Self {
        Self::new(format!("{what} stopped unexpectedly before it finished")).retryable()
    }

    /// How much of the server's requested wait is left, when it asked for one.
    pub fn wait_left(&self) -> Option<Duration> {
        let more = self.more()?;
        let wait = more.retry_after?;
        let elapsed = more.failed_at.map_or(Duration::ZERO, |at| at.elapsed());
        wait.checked_sub(elapsed).filter(|left| !left.is_zero())
    }

    /// The wait hint of a rate-limited or unavailable server: "The server asks to wait 30 s
    /// (about 12 s left)."
    pub fn wait_hint(&self) -> Option<String> {
        let wait = self.retry_after()?;
        let asked = spoken_secs(wait);
        Some(match self.wait_left() {
            Some(left) => format!(
                "The server asks to wait {asked} (about {} left).",
                spoken_secs(left)
            ),
            None => format!("The server asked to wait {asked}: you can retry now."),
        })
    }

    /// `errorType / errorCode / HTTP status` for the details, if any is known.
    pub fn codes(&self) -> Option<String> {
        let more = self.more()?;
        let mut parts = Vec::new();
        if let Some(error_type) = &more.error_type {
            parts.push(format!("errorType {error_type}"));
        }
        if let Some(error_code) = &more.error_code {
            parts.push(format!("errorCode {error_code}"));
        }
        if let Some(status) = more.status {
            parts.push(format!("HTTP {status}"));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// The message followed by the advice, as one text for a toast or a log.
    pub fn with_advice(&self) -> String {
        match self.advice() {
            Some(advice) => format!("{} {advice}", self.message),
            None => self.message.clone(),
        }
    }
}

/// The message alone: the status and codes are in the cause already, or in the details.
impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UiError {}

/// Every API call's failure reaches the UI through this one mapping (see
/// [`UiError::from_request`]), so a call written with `?` needs no `map_err`.
impl From<necid::Error> for UiError {
    fn from(error: necid::Error) -> Self {
        Self::from_request(&error)
    }
}

/// `text` with a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let capital: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    sentence_end(&capital)
}

/// `text` ending with a full stop (or the punctuation it has).
fn sentence_end(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// Whole seconds as a person says them: `30 s`, `2 min`, `1 min 30 s`.
fn spoken_secs(duration: Duration) -> String {
    let secs = duration.as_secs_f64().ceil() as u64;
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_request(cause: &str) -> UiError {
        UiError {
            message: sentence(cause),
            retryable: true,
            more: Some(Box::new(Failure {
                cause: Some(cause.to_owned()),
                ..Failure::default()
            })),
        }
    }

    #[test]
    fn the_action_goes_in_front_of_the_cause_once() {
        let named = failed_request("no answer from 127.0.0.1:1 within 2 s")
            .or_during("Listing the galleries")
            .or_during("Something else");
        assert_eq!(
            named.message,
            "Listing the galleries failed: no answer from 127.0.0.1:1 within 2 s."
        );
        let renamed = named.during("Opening gallery “Staff”");
        assert_eq!(
            renamed.message,
            "Opening gallery “Staff” failed: no answer from 127.0.0.1:1 within 2 s."
        );
    }

    #[test]
    fn a_message_that_is_not_a_request_failure_keeps_its_own_words() {
        let error = UiError::new("No AccessKey and SecretKey are stored.").or_during("Connecting");
        assert_eq!(error.message, "No AccessKey and SecretKey are stored.");
    }

    #[test]
    fn the_wait_hint_counts_down_to_retry_now() {
        let mut error = failed_request("the server is receiving too many requests");
        let more = error.more.as_mut().expect("a request failure");
        more.retry_after = Some(Duration::from_secs(30));
        more.failed_at = Some(Instant::now());
        let hint = error.wait_hint().expect("a hint");
        assert!(
            hint.starts_with("The server asks to wait 30 s (about "),
            "{hint}"
        );
        let more = error.more.as_mut().expect("a request failure");
        more.failed_at = Instant::now().checked_sub(Duration::from_secs(31));
        assert_eq!(
            error.wait_hint().as_deref(),
            Some("The server asked to wait 30 s: you can retry now.")
        );
    }

    #[test]
    fn an_error_stays_small_enough_to_travel_in_every_result() {
        assert!(std::mem::size_of::<UiError>() <= 48);
    }
}
