//! The words of an [`Error`], for its two readers: [`Error::human`] (the cause in plain words,
//! also `Display`), [`Error::detail`] (the technical account, one fact a line) and
//! [`Error::advice`] (what a person can do about it).
//!
//! All the phrasing is here, so a change of wording touches one file and the error type stays
//! a list of facts.

use super::{Error, ErrorKind, ForbiddenReason, TimeoutPhase, TransportFailure};
use necid_wire::ErrorBody;
use std::time::Duration;

fn describe_api(status: u16, body: &ErrorBody) -> String {
    match (&body.error_type, body.error_code) {
        (Some(kind), Some(code)) => format!("{kind} ({}): {}", code.code(), body.message),
        (Some(kind), None) => format!("{kind}: {}", body.message),
        _ if status >= 500 && body.message.is_empty() => {
            format!("the server had an internal error (HTTP {status})")
        }
        _ if status >= 500 => format!(
            "the server had an internal error (HTTP {status}): {}",
            body.message
        ),
        _ if body.message.is_empty() => format!("HTTP {status}"),
        _ => format!("HTTP {status}: {}", body.message),
    }
}

fn describe_forbidden(reason: ForbiddenReason, message: &str) -> String {
    let what = match reason {
        ForbiddenReason::SignatureExpired => {
            "the request's time differs from the server's by more than 5 minutes; check this \
             computer's clock"
        }
        ForbiddenReason::ApiKey => "the API key was refused; check the application's key",
        ForbiddenReason::Signature => {
            "the request signature was refused; check the access key, secret key and region"
        }
    };
    if message.is_empty() {
        what.to_owned()
    } else {
        format!("{what} ({message})")
    }
}

/// A duration as a person says it: `30 s`, `2 min`, `1 min 30 s`.
fn spoken(duration: Duration) -> String {
    let secs = duration.as_secs_f64().ceil() as u64;
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// A byte count as a person says it: `16 MiB`, `512 KiB`, `300 bytes`.
fn spoken_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const KIB: u64 = 1 << 10;
    if bytes >= MIB {
        let mib = bytes as f64 / MIB as f64;
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("{mib:.1} MiB")
        }
    } else if bytes >= KIB {
        format!("{} KiB", bytes.div_ceil(KIB))
    } else {
        format!("{bytes} bytes")
    }
}

impl Error {
    /// The cause in plain words, for a person; the caller names the action in front of it.
    /// Names the host at most once; never holds an HTML page, an HTTP library's chain or
    /// serde's wording. Also what `Display` writes.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) {
    /// if let Err(error) = client.galleries().list().await {
    ///     eprintln!("Loading galleries failed: {}", error.human());
    ///     eprintln!("{}", error.detail());
    /// }
    /// # }
    /// ```
    pub fn human(&self) -> String {
        match self {
            Self::Api { status, body, .. } => describe_api(*status, body),
            Self::Forbidden {
                reason, message, ..
            } => describe_forbidden(*reason, message),
            Self::Unavailable {
                status,
                retry_after,
                ..
            } => {
                let what = if *status == 429 {
                    "the server is receiving too many requests"
                } else {
                    "the server is unavailable for now"
                };
                match retry_after {
                    Some(wait) => {
                        format!("{what} and asks to wait {} (HTTP {status})", spoken(*wait))
                    }
                    None => format!("{what} (HTTP {status})"),
                }
            }
            Self::Status { status, text, .. } => {
                let what = match status {
                    500..=599 => format!("the server had an internal error (HTTP {status})"),
                    404 => "the server does not know this address (HTTP 404)".to_owned(),
                    _ => format!("the server refused the request (HTTP {status})"),
                };
                match text {
                    Some(text) => format!("{what}: {text}"),
                    None => what,
                }
            }
            Self::Timeout {
                phase: TimeoutPhase::Connect,
                after,
                request,
            } => format!(
                "no answer: {} did not accept a connection within {}",
                request.host(),
                spoken(*after)
            ),
            Self::Timeout {
                phase: TimeoutPhase::Answer,
                after,
                request,
            } => format!(
                "no answer from {} within {}",
                request.host(),
                spoken(*after)
            ),
            Self::Transport {
                failure, request, ..
            } => {
                let host = request.host();
                match failure {
                    TransportFailure::Refused => {
                        format!("could not reach {host}: the connection was refused")
                    }
                    TransportFailure::NameNotFound => {
                        format!("could not reach {host}: the name was not found")
                    }
                    TransportFailure::Tls => {
                        format!("could not reach {host}: a secure connection could not be set up")
                    }
                    TransportFailure::ConnectFailed => {
                        format!("could not reach {host}: the connection failed")
                    }
                    TransportFailure::ClosedWithoutAnswer => {
                        format!("{host} closed the connection without answering")
                    }
                    TransportFailure::CutOff => {
                        format!("the connection to {host} was cut off in the middle of the answer")
                    }
                }
            }
            Self::ResponseTooLarge {
                limit, declared, ..
            } => match declared {
                Some(size) => format!(
                    "the answer is {}, larger than the {} this client accepts",
                    spoken_bytes(*size),
                    spoken_bytes(*limit as u64)
                ),
                None => format!(
                    "the answer is larger than the {} this client accepts",
                    spoken_bytes(*limit as u64)
                ),
            },
            Self::InvalidResponse {
                field,
                problem,
                request,
                ..
            } => match field {
                Some(field) => format!(
                    "the answer to {} was not understood: field `{field}` {problem}",
                    request.route()
                ),
                None => format!(
                    "the answer to {} was not understood: {problem}",
                    request.route()
                ),
            },
            Self::Image(error) => error.to_string(),
            Self::InvalidInput(message) => format!("invalid request: {message}"),
            Self::Config(message) => format!("configuration: {message}"),
        }
    }

    /// The technical account, one fact a line: the request, the status and what came with it,
    /// the HTTP library's error chain or the parser's message. For a "Details" disclosure and
    /// the activity log; holds no secret, but may hold what the server sent.
    pub fn detail(&self) -> String {
        let mut lines = Vec::new();
        if let Some(request) = self.request() {
            lines.push(request.to_string());
        }
        match self {
            Self::Api { status, body, .. } => {
                lines.push(format!("HTTP {status}"));
                if let Some(kind) = &body.error_type {
                    lines.push(format!("errorType: {kind}"));
                }
                if let Some(code) = body.error_code {
                    lines.push(format!("errorCode: {}", code.code()));
                }
                lines.push(format!("message: {}", body.message));
            }
            Self::Forbidden {
                reason, message, ..
            } => {
                lines.push("HTTP 403".to_owned());
                lines.push(format!("reason: {reason:?}"));
                lines.push(format!("message: {message}"));
            }
            Self::Unavailable {
                status,
                retry_after,
                message,
                ..
            } => {
                lines.push(format!("HTTP {status}"));
                match retry_after {
                    Some(wait) => lines.push(format!("Retry-After: {} s", wait.as_secs())),
                    None => lines.push("no Retry-After".to_owned()),
                }
                if let Some(message) = message {
                    lines.push(format!("message: {message}"));
                }
            }
            Self::Status {
                status,
                text,
                content_type,
                body_bytes,
                ..
            } => {
                lines.push(format!("HTTP {status}"));
                lines.push(format!(
                    "content-type: {}",
                    content_type.as_deref().unwrap_or("none")
                ));
                match text {
                    Some(text) => lines.push(format!("body: {text}")),
                    None if *body_bytes > 0 => {
                        lines.push(format!("body: {body_bytes} bytes, not shown"));
                    }
                    None => lines.push("body: empty".to_owned()),
                }
            }
            Self::Timeout { phase, after, .. } => lines.push(match phase {
                TimeoutPhase::Connect => format!("connect timeout: {} ms", after.as_millis()),
                TimeoutPhase::Answer => format!("request timeout: {} ms", after.as_millis()),
            }),
            Self::Transport { failure, chain, .. } => {
                lines.push(format!("failure: {failure:?}"));
                lines.push(format!("cause: {chain}"));
            }
            Self::ResponseTooLarge {
                limit, declared, ..
            } => {
                lines.push(format!("limit: {limit} bytes"));
                match declared {
                    Some(size) => lines.push(format!("content-length: {size} (not read)")),
                    None => lines.push(format!("reading stopped after {limit} bytes")),
                }
            }
            Self::InvalidResponse {
                status,
                field,
                parser_message,
                ..
            } => {
                lines.push(format!("HTTP {status}"));
                if let Some(field) = field {
                    lines.push(format!("field: {field}"));
                }
                lines.push(format!("parser: {parser_message}"));
            }
            Self::Image(error) => lines.push(format!("image: {error}")),
            Self::InvalidInput(message) => lines.push(format!("invalid input: {message}")),
            Self::Config(message) => lines.push(format!("configuration: {message}")),
        }
        lines.join("\n")
    }

    /// What a person can do about it, when there is something useful to say.
    pub fn advice(&self) -> Option<String> {
        match self.kind() {
            ErrorKind::RateLimited | ErrorKind::Unavailable => Some(match self.retry_after() {
                Some(wait) => format!("Try again in {}.", spoken(wait)),
                None => "Try again in a moment.".to_owned(),
            }),
            ErrorKind::ServerError | ErrorKind::CutOff => {
                Some("Try again; if it keeps failing, the service has a problem.".to_owned())
            }
            ErrorKind::Timeout => Some(
                "Try again; if it keeps happening, check the network or raise the profile's \
                 timeout."
                    .to_owned(),
            ),
            ErrorKind::Unreachable => Some(
                "Check that the service is running and that the profile's URL is right.".to_owned(),
            ),
            ErrorKind::UnexpectedStatus if self.status() == Some(404) => {
                Some("Check the profile's URL.".to_owned())
            }
            ErrorKind::TooLarge => Some(
                "The server sent far more than expected; check the profile's URL, or raise the \
                 profile's answer size limit."
                    .to_owned(),
            ),
            ErrorKind::InvalidResponse => Some(
                "The server may not be a NEC ID service, or a version this console does not \
                 know; check the profile's URL."
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_are_spoken() {
        assert_eq!(spoken(Duration::from_secs(30)), "30 s");
        assert_eq!(spoken(Duration::from_secs(120)), "2 min");
        assert_eq!(spoken(Duration::from_millis(1500)), "2 s");
        assert_eq!(spoken_bytes(16 << 20), "16 MiB");
        assert_eq!(spoken_bytes(52_428_800 + 1000), "50.0 MiB");
    }
}
