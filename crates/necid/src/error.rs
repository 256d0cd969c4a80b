//! The one error type of the client, and the one mapping from a failure to words.
//!
//! Every failure of a request becomes an [`Error`] here: non-2xx answers in
//! [`Error::from_response`], transport failures in [`Error::from_transport`], answers that do not
//! parse in [`Error::unreadable`]. Callers then ask simple questions (`is_not_found()`,
//! `is_rate_limited()`, `retry_after()`) instead of matching on status codes or library errors.
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
    /// Maps a non-2xx response. The body is read leniently: the API's JSON error body, a JSON
    /// body with only `message`, or anything else (kept as a short excerpt when it is plain
    /// text, dropped when it is an HTML page).
    pub(crate) fn from_response(
        request: RequestLine,
        status: u16,
        content_type: Option<&str>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let request = Box::new(request);
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        if status == 403 {
            let message = parsed
                .map(|b| b.message)
                .or_else(|| plain_excerpt(content_type, body))
                .unwrap_or_default();
            let reason = if message.starts_with("Signature expired") {
                ForbiddenReason::SignatureExpired
            } else if message == "Forbidden" {
                ForbiddenReason::ApiKey
            } else {
                ForbiddenReason::Signature
            };
            return Self::Forbidden {
                reason,
                message,
                request,
            };
        }
        if status == 429 || status == 503 {
            return Self::Unavailable {
                status,
                retry_after,
                message: parsed
                    .map(|b| b.message)
                    .or_else(|| plain_excerpt(content_type, body))
                    .filter(|m| !m.is_empty()),
                request,
            };
        }
        match parsed {
            Some(body) => Self::Api {
                status,
                body,
                request,
            },
            None => Self::Status {
                status,
                text: plain_excerpt(content_type, body),
                content_type: content_type.map(str::to_owned),
                body_bytes: body.len(),
                request,
            },
        }
    }

    /// A 2xx answer whose body is not the API's: which field, and why, in plain words.
    pub(crate) fn unreadable(
        request: RequestLine,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        path: &str,
        inner: &serde_json::Error,
    ) -> Self {
        let parser_message = inner.to_string();
        let (field, problem) = if looks_like_html(content_type, body) {
            (
                None,
                "the server sent a web page instead of data".to_owned(),
            )
        } else if body.iter().all(u8::is_ascii_whitespace) {
            (None, "it is empty".to_owned())
        } else {
            match inner.classify() {
                serde_json::error::Category::Eof => {
                    (None, "it ended before it was complete".to_owned())
                }
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => (
                    None,
                    format!(
                        "it is not valid JSON (line {}, column {})",
                        inner.line(),
                        inner.column()
                    ),
                ),
                serde_json::error::Category::Data => {
                    let raw = without_position(&parser_message);
                    plain_data_problem(path, raw)
                }
            }
        };
        Self::InvalidResponse {
            status,
            field,
            problem,
            parser_message,
            request: Box::new(request),
        }
    }

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

/// Whether a body is an HTML page, by its content type or its first characters.
fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype") || start.starts_with(b"<html") || start.starts_with(b"<?xml")
}

/// A short single-line excerpt of a plain-text body; `None` for an empty body or an HTML page.
fn plain_excerpt(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    if looks_like_html(content_type, body) {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

/// serde_json's message without its " at line L column C" suffix.
fn without_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |cut| &message[..cut])
}

/// A serde data error at `path` (`.` for the root) as a field and a problem in plain words.
fn plain_data_problem(path: &str, message: &str) -> (Option<String>, String) {
    let at = |p: &str| (p != "." && !p.is_empty()).then(|| p.to_owned());
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let field = match at(path) {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_owned(),
        };
        return (Some(field), "is missing".to_owned());
    }
    let mismatch = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    if let Some(rest) = mismatch
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return (
            at(path),
            format!(
                "should be {}, not {}",
                plain_expected(expected),
                plain_found(found)
            ),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or(rest);
        return (at(path), format!("has an unknown value \"{value}\""));
    }
    if message.starts_with("invalid length") {
        return (at(path), "has the wrong number of items".to_owned());
    }
    if message.starts_with("duplicate field") {
        return (at(path), "appears twice".to_owned());
    }
    (at(path), "has a value that cannot be read".to_owned())
}

/// serde's `Unexpected` in plain words.
fn plain_found(found: &str) -> String {
    let found = found.trim();
    let word = found.split([' ', '`']).next().unwrap_or(found);
    match word {
        "integer" | "floating" => "a number".to_owned(),
        "string" => match found.split_once(' ') {
            Some((_, value)) if value.len() <= 40 => format!("the text {value}"),
            _ => "text".to_owned(),
        },
        "boolean" => "true or false".to_owned(),
        "null" | "unit" => "empty (null)".to_owned(),
        "sequence" => "a list".to_owned(),
        "map" => "an object".to_owned(),
        _ => "something else".to_owned(),
    }
}

/// serde's "expected ..." in plain words.
fn plain_expected(expected: &str) -> &'static str {
    let expected = expected.to_ascii_lowercase();
    let has = |word: &str| expected.contains(word);
    if has("number")
        || has("integer")
        || has("float")
        || has("u64")
        || has("u32")
        || has("u16")
        || has("u8")
        || has("i64")
        || has("i32")
        || has("f64")
        || has("f32")
    {
        "a number"
    } else if has("string") || has("char") {
        "text"
    } else if has("sequence") || has("list") || has("array") || has("tuple") {
        "a list"
    } else if has("bool") {
        "true or false"
    } else if has("struct") || has("map") || has("object") {
        "an object"
    } else {
        "something else"
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

    #[test]
    fn serde_wording_becomes_plain_words() {
        assert_eq!(
            plain_data_problem(
                "galleries[3].id",
                "invalid type: integer `5`, expected a string"
            ),
            (
                Some("galleries[3].id".to_owned()),
                "should be text, not a number".to_owned()
            )
        );
        assert_eq!(
            plain_data_problem(
                "galleries[0].size",
                "invalid value: string \"lots\", expected a number, or a string holding a number"
            )
            .1,
            "should be a number, not the text \"lots\""
        );
        assert_eq!(
            plain_data_problem("galleries[2]", "missing field `name`"),
            (
                Some("galleries[2].name".to_owned()),
                "is missing".to_owned()
            )
        );
        assert_eq!(
            plain_data_problem(".", "missing field `galleries`").0,
            Some("galleries".to_owned())
        );
    }

    #[test]
    fn durations_and_sizes_are_spoken() {
        assert_eq!(spoken(Duration::from_secs(30)), "30 s");
        assert_eq!(spoken(Duration::from_secs(120)), "2 min");
        assert_eq!(spoken(Duration::from_millis(1500)), "2 s");
        assert_eq!(spoken_bytes(16 << 20), "16 MiB");
        assert_eq!(spoken_bytes(52_428_800 + 1000), "50.0 MiB");
    }
}
