//! The one error type of the client, and the one mapping from a failure to words.
//!
//! Every failure of a request becomes an [`Error`]: non-2xx answers in
//! [`Error::from_response`], answers that do not parse in [`Error::unreadable`] (both in
//! `error/mapping.rs`), transport failures where the client sends (`client/send.rs`). Callers
//! then ask simple questions (`is_not_found()`, `is_rate_limited()`, `retry_after()`) instead of
//! matching on status codes or library errors.
//!
//! Two texts come out of an error, for two readers:
//! - [`Error::human`] (also its `Display`) is the *cause* in plain words, for a person: "no answer
//!   from 127.0.0.1:8080 within 60 s", "the server had an internal error (HTTP 502)". The caller
//!   puts the action in front of it ("Loading galleries failed: ..."). It names the host at most
//!   once and never shows an HTML page, an HTTP library's chain or serde's wording.
//! - [`Error::detail`] is the technical account (request line, status, content type, sizes, the
//!   library's error chain, serde's message) for a "Details" disclosure and the activity log.
//!
//! [`Error::advice`] adds what a person can do about it, when there is something to say.
//!
//! The module is split by concern: this file holds the types and the questions a caller asks of
//! an error; `mapping` turns what a server sent into an [`Error`]; `wording` writes the three
//! texts.

mod mapping;
mod wording;

use crate::image::ImageError;
use necid_wire::{ErrorBody, ErrorCode};
use std::fmt;
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

/// Which request an error belongs to. Holds no secret: keys travel in headers, not in URLs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestLine {
    pub method: &'static str,
    /// The full URL, with its query.
    pub url: String,
}

impl RequestLine {
    pub(crate) fn new(method: &'static str, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
        }
    }

    /// The method and the path without host or query: `GET /api/galleries`.
    pub fn route(&self) -> String {
        let path = self.path_and_query();
        let path = path.split('?').next().unwrap_or(path);
        format!("{} {path}", self.method)
    }

    /// The host and port the request went to: `127.0.0.1:8080`, `api.id.nec.com.au`.
    pub fn host(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(&*self.url, |(_, rest)| rest);
        rest.split(['/', '?']).next().unwrap_or(rest)
    }

    fn path_and_query(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(&*self.url, |(_, rest)| rest);
        rest.find('/').map_or("/", |slash| &rest[slash..])
    }
}

impl fmt::Display for RequestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

/// How a request failed below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportFailure {
    /// Nothing listens on the port: the connection was refused.
    Refused,
    /// The host name does not resolve.
    NameNotFound,
    /// The secure (TLS) connection could not be set up: a certificate or protocol problem.
    Tls,
    /// The connection failed for another reason (network unreachable, reset while connecting).
    ConnectFailed,
    /// The connection was made, then closed by the server before any answer.
    ClosedWithoutAnswer,
    /// The server started answering, then the connection ended before the whole answer came.
    CutOff,
}

impl TransportFailure {
    /// Whether the request never reached the server, so sending it again cannot do anything
    /// twice.
    pub fn before_sending(self) -> bool {
        matches!(
            self,
            Self::Refused | Self::NameNotFound | Self::Tls | Self::ConnectFailed
        )
    }
}

/// Which wait ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// The connection was not accepted within the connect timeout.
    Connect,
    /// The whole answer did not arrive within the request timeout.
    Answer,
}

/// What kind of failure an [`Error`] is, for a caller that picks an icon, a button or advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API refused the request with its own error body (4xx, or a 5xx with an API body).
    Api,
    /// 403: a key, a signature or the clock.
    Forbidden,
    /// 429: too many requests.
    RateLimited,
    /// 503: the service is unavailable for now.
    Unavailable,
    /// A 5xx without the API's error body (a gateway's or proxy's answer).
    ServerError,
    /// Another status without the API's error body (a wrong URL, most often).
    UnexpectedStatus,
    /// No answer in time.
    Timeout,
    /// The server could not be reached.
    Unreachable,
    /// The connection ended before the answer did.
    CutOff,
    /// The answer was larger than the client accepts.
    TooLarge,
    /// The answer could not be read as the API's.
    InvalidResponse,
    /// An image could not be used.
    Image,
    /// A value given to the client is out of range.
    InvalidInput,
    /// The client is configured wrongly.
    Config,
}

/// Everything that can go wrong with a request. `Display` is [`Error::human`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered 4xx (not 403 or 429) or 5xx (not 503) with its JSON error body.
    Api {
        status: u16,
        body: ErrorBody,
        request: Box<RequestLine>,
    },

    /// The API refused the request's credentials (403).
    Forbidden {
        reason: ForbiddenReason,
        message: String,
        request: Box<RequestLine>,
    },

    /// 429 Too Many Requests or 503 Service Unavailable, with the server's `Retry-After` when it
    /// sent one. The client waits and retries idempotent requests itself; this error means the
    /// tries or the wait allowed ran out, or the request may not be repeated.
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
        /// The API's message, when its body had one.
        message: Option<String>,
        request: Box<RequestLine>,
    },

    /// An error status without the API's JSON error body: a gateway's or proxy's page, plain
    /// text, or nothing.
    Status {
        status: u16,
        /// A short excerpt of a plain-text body; never an HTML page.
        text: Option<String>,
        content_type: Option<String>,
        body_bytes: usize,
        request: Box<RequestLine>,
    },

    /// No answer arrived in time.
    Timeout {
        phase: TimeoutPhase,
        after: Duration,
        request: Box<RequestLine>,
    },

    /// The request failed below HTTP: see [`TransportFailure`].
    Transport {
        failure: TransportFailure,
        /// The HTTP library's error chain, for [`Error::detail`] only.
        chain: String,
        request: Box<RequestLine>,
    },

    /// The answer was larger than [`crate::ClientBuilder::max_response_bytes`]; it was not
    /// read past the limit.
    ResponseTooLarge {
        limit: usize,
        /// The size the server announced in `content-length`, when it did.
        declared: Option<u64>,
        request: Box<RequestLine>,
    },

    /// The server answered something this client cannot read as the API's answer.
    InvalidResponse {
        status: u16,
        /// Where in the answer: `galleries[3].size`; `None` for the whole answer.
        field: Option<String>,
        /// What is wrong there, in plain words: "should be a number, not text".
        problem: String,
        /// serde's own message, for [`Error::detail`] only.
        parser_message: String,
        request: Box<RequestLine>,
    },

    /// An image could not be used as a face or probe.
    Image(ImageError),

    /// The request was not sent because a value is out of range or malformed.
    InvalidInput(String),

    /// The client is configured wrongly (a base URL, the credentials).
    Config(String),
}

impl From<ImageError> for Error {
    fn from(error: ImageError) -> Self {
        Self::Image(error)
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.human())
    }
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Api { .. } => ErrorKind::Api,
            Self::Forbidden { .. } => ErrorKind::Forbidden,
            Self::Unavailable { status: 429, .. } => ErrorKind::RateLimited,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Status { status, .. } if *status >= 500 => ErrorKind::ServerError,
            Self::Status { .. } => ErrorKind::UnexpectedStatus,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Transport {
                failure: TransportFailure::CutOff | TransportFailure::ClosedWithoutAnswer,
                ..
            } => ErrorKind::CutOff,
            Self::Transport { .. } => ErrorKind::Unreachable,
            Self::ResponseTooLarge { .. } => ErrorKind::TooLarge,
            Self::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Self::Image(_) => ErrorKind::Image,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
            Self::Config(_) => ErrorKind::Config,
        }
    }

    /// The request that failed, when one was sent.
    pub fn request(&self) -> Option<&RequestLine> {
        match self {
            Self::Api { request, .. }
            | Self::Forbidden { request, .. }
            | Self::Unavailable { request, .. }
            | Self::Status { request, .. }
            | Self::Timeout { request, .. }
            | Self::Transport { request, .. }
            | Self::ResponseTooLarge { request, .. }
            | Self::InvalidResponse { request, .. } => Some(request),
            Self::Image(_) | Self::InvalidInput(_) | Self::Config(_) => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::Unavailable { status, .. }
            | Self::Status { status, .. }
            | Self::InvalidResponse { status, .. } => Some(*status),
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

    /// The server's message, when it sent one (never an HTML page).
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.message),
            Self::Forbidden { message, .. } => Some(message),
            Self::Unavailable { message, .. } | Self::Status { text: message, .. } => {
                message.as_deref()
            }
            _ => None,
        }
    }

    /// How long the server asked to wait before trying again (`Retry-After` on a 429 or 503).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// 429: the server is receiving too many requests.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::Unavailable { status: 429, .. })
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

    /// No answer in time (to connect, or for the whole answer).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// The request failed below HTTP: the server could not be reached, or the connection ended
    /// before the answer did.
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// The answer was refused for its size.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::ResponseTooLarge { .. })
    }

    /// Worth trying again unchanged: time-outs, transport failures, 5xx, 429 and the API's
    /// Timeout.
    pub fn is_retryable(&self) -> bool {
        self.is_timeout()
            || self.is_transport()
            || self.is_rate_limited()
            || self.status().is_some_and(|s| s >= 500)
            || self.error_code() == Some(ErrorCode::Timeout)
    }
}

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_names_its_route_and_host() {
        let line = RequestLine::new("GET", "http://127.0.0.1:8080/api/galleries?start=0");
        assert_eq!(line.route(), "GET /api/galleries");
        assert_eq!(line.host(), "127.0.0.1:8080");
        assert_eq!(
            RequestLine::new("GET", "https://h.example").route(),
            "GET /"
        );
    }
}
