//! The client: configuration, signing and sending, and the mapping of every response.
//!
//! `Client` is cheap to clone (one `Arc`); the resource handles it hands out
//! ([`Client::galleries`], [`Client::gallery`], ...) own a clone, so a request can be built on one
//! thread and moved into a spawned task.
//!
//! Every request is bounded, because a back end can misbehave in every way:
//! - **time**: a connect timeout ([`ClientBuilder::connect_timeout`], 10 s) and a timeout for the
//!   whole request, answer included ([`ClientBuilder::request_timeout`], 60 s);
//! - **size**: the answer is read chunk by chunk and refused with
//!   [`Error::ResponseTooLarge`] once it passes [`ClientBuilder::max_response_bytes`]
//!   (16 MiB), so a 50 MB answer never sits in memory;
//! - **retries**: idempotent requests (GET, PUT, DELETE, HEAD) that meet a 429, a 503 or a refused
//!   connection are tried again after a back-off that honours `Retry-After`, within
//!   [`RetryPolicy`]; POST and PATCH are never repeated;
//! - **cancellation**: a request is a future and nothing of it runs elsewhere: dropping the
//!   future aborts the request and closes its connection. To cancel from another place, run the
//!   request in a task and abort that (`tokio::task::JoinHandle::abort`, or
//!   `tokio::task::AbortHandle` from `JoinHandle::abort_handle`), or race it with a signal in
//!   `tokio::select!`;
//! - **visibility**: an observer hears when each request starts, retries and finishes
//!   ([`RequestEvent`]), so an activity log can list requests in flight.

use crate::error::{Error, RequestLine, Result, TimeoutPhase, TransportFailure};
use crate::image::{FaceImage, bytes_for_base64};
use crate::signing::{Credentials, SigningScope, sign_request};
use necid_wire::ApiKey;
use necid_wire::Health;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The real NEC ID biometric API.
pub const NEC_API_BASE_URL: &str = "https://api.id.nec.com.au";
/// The real NEC ID tenant-management portal.
pub const NEC_PORTAL_BASE_URL: &str = "https://portal.id.nec.com.au";
/// The largest request body the NEC cloud's gateway accepts, and the client's default.
pub const NEC_MAX_REQUEST_BYTES: usize = 10_000_000;
/// The largest answer the client reads by default: a list of 10,000 galleries or a full page of
/// 1000 subjects is a few hundred KiB, so this is far more than any real answer.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 << 20;
/// How long a connection may take to be accepted, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request, answer included, may take by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// What [`Client::fit_images`] leaves for the JSON around the images (tags, ids, field names):
/// more than any real request needs, a fraction of a percent of a limit.
const JSON_ALLOWANCE_BYTES: usize = 64 * 1024;

/// Characters kept as they are in a path segment or query value: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Which of the API's two surfaces a route belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Surface {
    /// `/v1.1/...` on the biometric API host.
    Biometric,
    /// `/api/...` on the portal host.
    Portal,
}

/// Identifies one request (all its tries) across its [`RequestEvent`]s; unique in the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number, for display and logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A request that has just started, for an activity log's "in flight" list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestStart {
    pub id: RequestId,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub surface: Surface,
    pub sent_api_key: bool,
    pub body_bytes: usize,
}

/// What the client did for one request (all its tries), for an activity log. Never holds a
/// secret: the API key is reduced to whether one was sent, and the body is kept only when small.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The same id as the request's [`RequestEvent::Started`].
    pub id: RequestId,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub surface: Surface,
    pub sent_api_key: bool,
    /// The JSON body, images included (shared, not copied again per observer); an observer
    /// that keeps many records should drop the large ones.
    pub body: Option<Arc<str>>,
    pub body_bytes: usize,
    /// The last answer's status, when one came.
    pub status: Option<u16>,
    /// The size of the last answer's body as read (at most the size limit).
    pub response_bytes: usize,
    /// From the start to the end of the last try, back-off waits included.
    pub latency: Duration,
    /// How many times the request was sent: 1 unless it was retried.
    pub attempts: u32,
    /// The error as a person reads it ([`Error::human`]), when the request failed. A 2xx whose
    /// body could not be read is a failure too.
    pub error: Option<String>,
    /// The technical account of the error ([`Error::detail`]).
    pub error_detail: Option<String>,
    /// The caller dropped the request before it finished; `error` says so too.
    pub cancelled: bool,
}

/// What an event observer hears about each request, in this order: `Started`, any number of
/// `Retrying`, then exactly one `Finished` (also when the request is cancelled).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RequestEvent {
    /// The request is about to be sent for the first time.
    Started(RequestStart),
    /// A try failed in a way worth repeating; the next try starts after `wait`.
    Retrying {
        id: RequestId,
        /// The number of the try about to start: 2 for the first retry.
        attempt: u32,
        wait: Duration,
        /// Why the last try failed ([`Error::human`]).
        reason: String,
    },
    /// The request ended: answered, failed, or cancelled by its caller.
    Finished(RequestRecord),
}

impl RequestEvent {
    /// The request this event is about.
    pub fn id(&self) -> RequestId {
        match self {
            Self::Started(start) => start.id,
            Self::Retrying { id, .. } => *id,
            Self::Finished(record) => record.id,
        }
    }
}

/// Receives a [`RequestRecord`] after every request.
pub type RequestObserver = Arc<dyn Fn(RequestRecord) + Send + Sync>;

/// Receives every [`RequestEvent`]. It is called on the task making the request: keep it quick
/// (send the event down a channel).
pub type RequestEventObserver = Arc<dyn Fn(RequestEvent) + Send + Sync>;

/// When and how often idempotent requests are tried again (see [`ClientBuilder::retry_policy`]).
///
/// A try is repeated after a 429 or a 503 (waiting what `Retry-After` asks, else the back-off)
/// and after a connection that was refused or failed before anything was sent (waiting the
/// back-off). The back-off starts at `initial_backoff` and doubles with each retry. A wait that
/// would take the waits together past `max_total_wait` is not made: the error is returned, with
/// its [`Error::retry_after`] hint. POST and PATCH are never repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included: 1 never retries. Default 3.
    pub max_attempts: u32,
    /// The wait before the first retry when the server gives no `Retry-After`. Default 500 ms.
    pub initial_backoff: Duration,
    /// The most all waits of one request may add up to. Default 30 s.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_total_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once.
    pub const NEVER: Self = Self {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_total_wait: Duration::ZERO,
    };

    /// The back-off before try number `attempt + 1`.
    fn backoff(&self, attempt: u32) -> Duration {
        self.initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
    }
}

/// Settings for a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    api_base_url: String,
    portal_base_url: String,
    scope: SigningScope,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_request_bytes: usize,
    max_response_bytes: usize,
    retry: RetryPolicy,
    observer: Option<RequestObserver>,
    event_observer: Option<RequestEventObserver>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_base_url", &self.api_base_url)
            .field("portal_base_url", &self.portal_base_url)
            .field("scope", &self.scope)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_base_url: NEC_API_BASE_URL.to_owned(),
            portal_base_url: NEC_PORTAL_BASE_URL.to_owned(),
            scope: SigningScope::default(),
            credentials: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_request_bytes: NEC_MAX_REQUEST_BYTES,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            observer: None,
            event_observer: None,
        }
    }
}

impl ClientBuilder {
    /// The biometric API's base URL (default: the real NEC host).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = url.into();
        self
    }

    /// The portal's base URL (default: the real NEC host). A local service serves both on one
    /// listener, so the two may be equal.
    pub fn portal_base_url(mut self, url: impl Into<String>) -> Self {
        self.portal_base_url = url.into();
        self
    }

    /// Both base URLs at once.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.api_base_url(url.clone()).portal_base_url(url)
    }

    /// The SigV4 region (default `ap-southeast-2`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.scope.region = region.into();
        self
    }

    /// The SigV4 service name (default `execute-api`).
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.scope.service = service.into();
        self
    }

    /// The access key pair.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// How long one try of a request may take, from connecting to the last byte of the answer
    /// (default [`DEFAULT_REQUEST_TIMEOUT`], 60 s). Past it the request fails with
    /// [`Error::Timeout`] ([`crate::TimeoutPhase::Answer`]).
    ///
    /// ```no_run
    /// let client = necid::Client::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(5))
    ///     .request_timeout(std::time::Duration::from_secs(30))
    ///     .credentials(necid::Credentials::new("AKIA...", "secret"))
    ///     .build()?;
    /// # Ok::<(), necid::Error>(())
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The same as [`ClientBuilder::request_timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.request_timeout(timeout)
    }

    /// How long a connection may take to be accepted (default [`DEFAULT_CONNECT_TIMEOUT`],
    /// 10 s). Past it the request fails with [`Error::Timeout`]
    /// ([`crate::TimeoutPhase::Connect`]); it is not retried, as the server is not there.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest answer body read (default [`DEFAULT_MAX_RESPONSE_BYTES`], 16 MiB). A larger
    /// answer is refused with [`Error::ResponseTooLarge`]: at once when its `content-length` says
    /// so, else as soon as the bytes read pass the limit, so no more than the limit is held.
    ///
    /// ```no_run
    /// let client = necid::Client::builder()
    ///     .max_response_bytes(4 << 20)
    ///     .credentials(necid::Credentials::new("AKIA...", "secret"))
    ///     .build()?;
    /// # Ok::<(), necid::Error>(())
    /// ```
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// When idempotent requests are tried again (default [`RetryPolicy::default`]: 3 tries,
    /// waits of at most 30 s in all). [`RetryPolicy::NEVER`] sends every request once.
    ///
    /// ```no_run
    /// let client = necid::Client::builder()
    ///     .retry_policy(necid::RetryPolicy { max_attempts: 5, ..Default::default() })
    ///     .credentials(necid::Credentials::new("AKIA...", "secret"))
    ///     .build()?;
    /// # Ok::<(), necid::Error>(())
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest request body the back end accepts (default [`NEC_MAX_REQUEST_BYTES`], the NEC
    /// cloud's; the local service's is 24 MiB). An image that would make a body larger is sent
    /// as a smaller copy ([`FaceImage::fit_within`]) and the coordinates in the answer are mapped
    /// back onto the original.
    ///
    /// ```no_run
    /// let client = necid::Client::builder()
    ///     .base_url("http://127.0.0.1:8080")
    ///     .max_request_bytes(24 << 20)
    ///     .credentials(necid::Credentials::new("AKIA...", "secret"))
    ///     .build()?;
    /// # Ok::<(), necid::Error>(())
    /// ```
    pub fn max_request_bytes(mut self, bytes: usize) -> Self {
        self.max_request_bytes = bytes;
        self
    }

    /// Called once after every request (all its tries) with its record, for an activity log.
    /// Can be set together with [`ClientBuilder::event_observer`]; both are called.
    pub fn observer(mut self, observer: RequestObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Called when each request starts, before each retry, and when it finishes or is
    /// cancelled ([`RequestEvent`]), so an activity log can show requests in flight.
    ///
    /// ```no_run
    /// let (sender, events) = std::sync::mpsc::channel();
    /// let client = necid::Client::builder()
    ///     .event_observer(std::sync::Arc::new(move |event: necid::RequestEvent| {
    ///         let _ = sender.send(event);
    ///     }))
    ///     .credentials(necid::Credentials::new("AKIA...", "secret"))
    ///     .build()?;
    /// # drop(events);
    /// # Ok::<(), necid::Error>(())
    /// ```
    pub fn event_observer(mut self, observer: RequestEventObserver) -> Self {
        self.event_observer = Some(observer);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let credentials = self
            .credentials
            .ok_or_else(|| Error::Config("no access key and secret key were given".to_owned()))?;
        if credentials.access_key_id().is_empty() || credentials.expose_secret().is_empty() {
            return Err(Error::Config(
                "the access key and the secret key must not be empty".to_owned(),
            ));
        }
        let api_base_url = check_base_url(&self.api_base_url)?;
        let portal_base_url = check_base_url(&self.portal_base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot start the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api_base_url,
                portal_base_url,
                scope: self.scope,
                credentials,
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                max_request_bytes: self.max_request_bytes,
                max_response_bytes: self.max_response_bytes,
                retry: self.retry,
                observer: self.observer,
                event_observer: self.event_observer,
            }),
        })
    }
}

fn check_base_url(url: &str) -> Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed: http::Uri = trimmed
        .parse()
        .map_err(|e| Error::Config(format!("base URL {trimmed:?} is not a URL: {e}")))?;
    match parsed.scheme_str() {
        Some("http" | "https") if parsed.host().is_some() => Ok(trimmed.to_owned()),
        _ => Err(Error::Config(format!(
            "base URL {trimmed:?} must start with http:// or https:// and name a host"
        ))),
    }
}

/// A NEC ID client.
///
/// ```no_run
/// # async fn run() -> necid::Result<()> {
/// let client = necid::Client::builder()
///     .credentials(necid::Credentials::new("AKIA...", "secret"))
///     .build()?;
/// for gallery in client.galleries().list().await? {
///     println!("{} {}/{}", gallery.name, gallery.count, gallery.size);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    api_base_url: String,
    portal_base_url: String,
    scope: SigningScope,
    credentials: Credentials,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_request_bytes: usize,
    max_response_bytes: usize,
    retry: RetryPolicy,
    observer: Option<RequestObserver>,
    event_observer: Option<RequestEventObserver>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_base_url", &self.inner.api_base_url)
            .field("portal_base_url", &self.inner.portal_base_url)
            .field("scope", &self.inner.scope)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

/// One request, before it is signed.
#[derive(Debug)]
pub(crate) struct Call {
    pub surface: Surface,
    pub method: http::Method,
    /// Already encoded, starting with `/`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub api_key: Option<ApiKey>,
    pub body: Option<Vec<u8>>,
}

impl Call {
    pub fn new(surface: Surface, method: http::Method, path: impl Into<String>) -> Self {
        Self {
            surface,
            method,
            path: path.into(),
            query: Vec::new(),
            api_key: None,
            body: None,
        }
    }

    pub fn api_key(mut self, api_key: &ApiKey) -> Self {
        self.api_key = Some(api_key.clone());
        self
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the request: {e}")))?;
        self.body = Some(bytes);
        Ok(self)
    }
}

/// What one try received: the status, the headers that matter, and the body (at most the size
/// limit).
#[derive(Debug)]
struct Received {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl Received {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn error(&self, request: &RequestLine) -> Error {
        Error::from_response(
            request.clone(),
            self.status,
            self.content_type.as_deref(),
            self.retry_after,
            &self.body,
        )
    }
}

/// A response, and the report of its request: the report is finished when the body has been
/// read as what the caller expected, so a 2xx whose body does not parse is logged as the
/// failure it is. An answer dropped unread is reported by its status alone.
#[derive(Debug)]
pub(crate) struct Answer {
    received: Received,
    request: RequestLine,
    report: Option<Report>,
}

impl Answer {
    /// The body of a 2xx answer as `T`; any other status is an error.
    pub fn json<T: DeserializeOwned>(mut self) -> Result<T> {
        let result = if self.received.is_success() {
            self.parse()
        } else {
            Err(self.received.error(&self.request))
        };
        self.finish(result.as_ref().err());
        result
    }

    /// A 2xx answer whose body does not matter.
    pub fn empty(mut self) -> Result<()> {
        let result = if self.received.is_success() {
            Ok(())
        } else {
            Err(self.received.error(&self.request))
        };
        self.finish(result.as_ref().err());
        result
    }

    /// `None` for a 404 (the documented "not found / not verified" answer), else like `json`.
    pub fn json_or_not_found<T: DeserializeOwned>(mut self) -> Result<Option<T>> {
        if self.received.status == 404 {
            // A 404 without the API's JSON body is a wrong URL, not an answer.
            let result = match serde_json::from_slice::<serde_json::Value>(&self.received.body) {
                Ok(_) => Ok(None),
                Err(_) => Err(self.received.error(&self.request)),
            };
            self.finish(result.as_ref().err());
            return result;
        }
        self.json().map(Some)
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        let body = &self.received.body;
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let parsed = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|e| (e.path().to_string(), e.into_inner()))
            .and_then(|value| {
                deserializer
                    .end()
                    .map(|()| value)
                    .map_err(|e| (".".to_owned(), e))
            });
        parsed.map_err(|(path, error)| {
            Error::unreadable(
                self.request.clone(),
                self.received.status,
                self.received.content_type.as_deref(),
                body,
                &path,
                &error,
            )
        })
    }

    fn finish(&mut self, error: Option<&Error>) {
        if let Some(report) = self.report.take() {
            report.finish(Some(self.received.status), self.received.body.len(), error);
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        if self.report.is_some() {
            let error = (!self.received.is_success()).then(|| self.received.error(&self.request));
            self.finish(error.as_ref());
        }
    }
}

/// Tells the observers about one request: `Started` when made, `Finished` exactly once, also
/// when the request's future is dropped before it ends (then as cancelled).
struct Report {
    observer: Option<RequestObserver>,
    event_observer: Option<RequestEventObserver>,
    /// `None` once finished, or when nobody observes.
    record: Option<RequestRecord>,
    clock: Instant,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl Report {
    fn start(inner: &Inner, call: &Call, request: &RequestLine) -> Self {
        let observed = inner.observer.is_some() || inner.event_observer.is_some();
        let record = observed.then(|| RequestRecord {
            id: RequestId::next(),
            started: SystemTime::now(),
            method: request.method,
            url: request.url.clone(),
            surface: call.surface,
            sent_api_key: call.api_key.is_some(),
            body: call
                .body
                .as_ref()
                .map(|b| Arc::<str>::from(String::from_utf8_lossy(b).as_ref())),
            body_bytes: call.body.as_ref().map_or(0, Vec::len),
            status: None,
            response_bytes: 0,
            latency: Duration::ZERO,
            attempts: 1,
            error: None,
            error_detail: None,
            cancelled: false,
        });
        if let (Some(events), Some(record)) = (&inner.event_observer, &record) {
            events(RequestEvent::Started(RequestStart {
                id: record.id,
                started: record.started,
                method: record.method,
                url: record.url.clone(),
                surface: record.surface,
                sent_api_key: record.sent_api_key,
                body_bytes: record.body_bytes,
            }));
        }
        Self {
            observer: inner.observer.clone(),
            event_observer: inner.event_observer.clone(),
            record,
            clock: Instant::now(),
        }
    }

    fn set_attempts(&mut self, attempts: u32) {
        if let Some(record) = &mut self.record {
            record.attempts = attempts;
        }
    }

    fn retrying(&self, attempt: u32, wait: Duration, reason: &Error) {
        if let (Some(events), Some(record)) = (&self.event_observer, &self.record) {
            events(RequestEvent::Retrying {
                id: record.id,
                attempt,
                wait,
                reason: reason.human(),
            });
        }
    }

    fn finish(mut self, status: Option<u16>, response_bytes: usize, error: Option<&Error>) {
        if let Some(mut record) = self.record.take() {
            record.status = status.or_else(|| error.and_then(Error::status));
            record.response_bytes = response_bytes;
            record.error = error.map(Error::human);
            record.error_detail = error.map(Error::detail);
            self.emit(record);
        }
    }

    fn emit(&self, mut record: RequestRecord) {
        record.latency = self.clock.elapsed();
        if let Some(events) = &self.event_observer {
            events(RequestEvent::Finished(record.clone()));
        }
        if let Some(observer) = &self.observer {
            observer(record);
        }
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.cancelled = true;
            record.error = Some("the request was cancelled".to_owned());
            self.emit(record);
        }
    }
}

/// GET, HEAD, PUT, DELETE and OPTIONS may be sent twice with the effect of once (RFC 9110);
/// POST and PATCH may not.
fn is_idempotent(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::GET
            | http::Method::HEAD
            | http::Method::PUT
            | http::Method::DELETE
            | http::Method::OPTIONS
    )
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past is no
/// wait.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl Client {
    /// Starts a configuration with the real NEC hosts and region.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The biometric API's base URL.
    pub fn api_base_url(&self) -> &str {
        &self.inner.api_base_url
    }

    /// The portal's base URL.
    pub fn portal_base_url(&self) -> &str {
        &self.inner.portal_base_url
    }

    /// The signing region and service.
    pub fn scope(&self) -> &SigningScope {
        &self.inner.scope
    }

    /// The access key id in use.
    pub fn access_key_id(&self) -> &str {
        self.inner.credentials.access_key_id()
    }

    /// The largest request body the back end accepts ([`ClientBuilder::max_request_bytes`]).
    pub fn max_request_bytes(&self) -> usize {
        self.inner.max_request_bytes
    }

    /// The largest answer body read ([`ClientBuilder::max_response_bytes`]).
    pub fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    /// How long a connection may take ([`ClientBuilder::connect_timeout`]).
    pub fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    /// How long one try of a request may take ([`ClientBuilder::request_timeout`]).
    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// When idempotent requests are tried again ([`ClientBuilder::retry_policy`]).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The images as a request carrying them will send them: each one itself when the body
    /// fits [`Client::max_request_bytes`], else a smaller copy ([`FaceImage::fit_within`]) that
    /// remembers its original. A request given such a copy sends it unchanged and maps the
    /// coordinates of its answer back onto the original, so calling this first lets a caller
    /// say what was sent and choose where the decoding and encoding run (it is CPU work: keep
    /// it off async threads). Requests fit their images themselves when not given copies.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let photo = necid::FaceImage::from_path("camera.jpg")?;
    /// let fitting = client.clone();
    /// let sent = tokio::task::spawn_blocking(move || fitting.fit_images(&[&photo]))
    ///     .await
    ///     .expect("fitting does not panic")?
    ///     .remove(0);
    /// if let Some(copy) = sent.copy_of() {
    ///     println!("{copy}"); // "12.3 MB photo sent as a 2.1 MB copy"
    /// }
    /// let faces = client.extract(&sent).await?.faces;
    /// # Ok(()) }
    /// ```
    pub fn fit_images(&self, images: &[&FaceImage]) -> Result<Vec<FaceImage>> {
        let capacity = self
            .inner
            .max_request_bytes
            .saturating_sub(JSON_ALLOWANCE_BYTES);
        let sizes: Vec<usize> = images.iter().map(|image| image.base64_len()).collect();
        images
            .iter()
            .zip(base64_budgets(&sizes, capacity))
            .map(|(image, budget)| match budget {
                None => Ok((*image).clone()),
                Some(chars) => Ok(image.fit_within(bytes_for_base64(chars))?),
            })
            .collect()
    }

    /// The images of one request, fitted to what its body leaves for them: `empty_body` is the
    /// body with every image field empty. Fitting runs on a blocking thread.
    pub(crate) async fn fit_request<'a, const N: usize>(
        &self,
        empty_body: &impl serde::Serialize,
        images: [&'a FaceImage; N],
    ) -> Result<[Cow<'a, FaceImage>; N]> {
        let overhead = serde_json::to_vec(empty_body)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the request: {e}")))?
            .len();
        let capacity = self.inner.max_request_bytes.saturating_sub(overhead);
        let sizes = images.map(FaceImage::base64_len);
        let budgets = base64_budgets(&sizes, capacity);
        let mut fitted = images.map(Cow::Borrowed);
        for (slot, budget) in fitted.iter_mut().zip(budgets) {
            let Some(chars) = budget else { continue };
            let image = slot.clone().into_owned();
            let max_bytes = bytes_for_base64(chars);
            let copy = match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime
                    .spawn_blocking(move || image.fit_within(max_bytes))
                    .await
                    .map_err(|_| {
                        Error::InvalidInput("making a smaller copy of the image failed".to_owned())
                    })??,
                Err(_) => image.fit_within(max_bytes)?,
            };
            *slot = Cow::Owned(copy);
        }
        Ok(fitted)
    }

    /// Health (2020 revision): `GET /v1.1/health`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// assert_eq!(client.health().await?.status, "OK");
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> Result<Health> {
        self.execute(Call::new(
            Surface::Biometric,
            http::Method::GET,
            "/v1.1/health",
        ))
        .await?
        .json()
    }

    /// Sends one request, trying again as the [`RetryPolicy`] allows, and reports it to the
    /// observers. Dropping the future aborts the request (nothing of it runs elsewhere) and
    /// reports it as cancelled.
    pub(crate) async fn execute(&self, call: Call) -> Result<Answer> {
        let request = RequestLine::new(method_name(&call.method), self.url_for(&call));
        let mut report = Report::start(&self.inner, &call, &request);
        let policy = self.inner.retry;
        let repeatable = is_idempotent(&call.method);
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        let outcome = loop {
            let outcome = self.send_once(&call, &request).await;
            report.set_attempts(attempt);
            let wanted = match &outcome {
                Ok(received) if matches!(received.status, 429 | 503) => Some(
                    received
                        .retry_after
                        .unwrap_or_else(|| policy.backoff(attempt)),
                ),
                Err(Error::Transport {
                    failure: TransportFailure::Refused | TransportFailure::ConnectFailed,
                    ..
                }) => Some(policy.backoff(attempt)),
                _ => None,
            };
            match wanted {
                Some(wait)
                    if repeatable
                        && attempt < policy.max_attempts
                        && waited + wait <= policy.max_total_wait =>
                {
                    match &outcome {
                        Ok(received) => {
                            report.retrying(attempt + 1, wait, &received.error(&request))
                        }
                        Err(error) => report.retrying(attempt + 1, wait, error),
                    }
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    attempt += 1;
                }
                _ => break outcome,
            }
        };
        match outcome {
            Ok(received) => Ok(Answer {
                received,
                request,
                report: Some(report),
            }),
            Err(error) => {
                report.finish(None, 0, Some(&error));
                Err(error)
            }
        }
    }

    fn url_for(&self, call: &Call) -> String {
        let base = match call.surface {
            Surface::Biometric => &self.inner.api_base_url,
            Surface::Portal => &self.inner.portal_base_url,
        };
        let mut url = format!("{base}{}", call.path);
        for (i, (name, value)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&encode_component(value));
        }
        url
    }

    /// Signs and sends one try, and reads its answer up to the size limit.
    async fn send_once(&self, call: &Call, request: &RequestLine) -> Result<Received> {
        let url = request.url.as_str();
        let body = call.body.as_deref().unwrap_or_default();
        let mut headers: Vec<(&str, &str)> = vec![("accept", "application/json")];
        if call.body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        if let Some(key) = &call.api_key {
            headers.push(("x-api-key", key.expose()));
        }
        let signed = sign_request(
            call.method.as_str(),
            url,
            &headers,
            body,
            &self.inner.credentials,
            &self.inner.scope,
            SystemTime::now(),
        )
        .map_err(|e| Error::Config(format!("cannot sign the request to {url}: {e}")))?;
        let mut builder = self.inner.http.request(call.method.clone(), url);
        for (name, value) in headers.iter().copied() {
            builder = builder.header(name, value);
        }
        for (name, value) in &signed {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(bytes) = &call.body {
            builder = builder.body(bytes.clone());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| self.transport_error(request, &e, false))?;
        let status = response.status().as_u16();
        let header = |name: http::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(http::header::CONTENT_TYPE);
        let retry_after = header(http::header::RETRY_AFTER)
            .and_then(|v| parse_retry_after(&v, SystemTime::now()));
        let limit = self.inner.max_response_bytes;
        let too_large = |declared| Error::ResponseTooLarge {
            limit,
            declared,
            request: Box::new(request.clone()),
        };
        let declared = response.content_length();
        if let Some(size) = declared
            && size > limit as u64
        {
            return Err(too_large(Some(size)));
        }
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(request, &e, true))?
        {
            if bytes.len() + chunk.len() > limit {
                // Dropping the response unread closes the connection: nothing more is received.
                return Err(too_large(None));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            content_type,
            retry_after,
            body: bytes,
        })
    }

    /// Maps reqwest's error to what happened, in the terms of [`TransportFailure`];
    /// `in_body` says the answer had started.
    fn transport_error(
        &self,
        request: &RequestLine,
        error: &reqwest::Error,
        in_body: bool,
    ) -> Error {
        let request = Box::new(request.clone());
        if error.is_timeout() {
            let (phase, after) = if error.is_connect() {
                (TimeoutPhase::Connect, self.inner.connect_timeout)
            } else {
                (TimeoutPhase::Answer, self.inner.request_timeout)
            };
            return Error::Timeout {
                phase,
                after,
                request,
            };
        }
        // reqwest's Display names only the outermost layer (and the URL, which the request line
        // already has); the causes say what really failed.
        let mut chain = error
            .to_string()
            .replace(&format!(" for url ({})", request.url), "");
        let mut refused = false;
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            }
            chain = format!("{chain}: {cause}");
            source = cause.source();
        }
        let lowered = chain.to_ascii_lowercase();
        let failure = if error.is_connect() {
            if refused {
                TransportFailure::Refused
            } else if lowered.contains("dns error") || lowered.contains("failed to lookup") {
                TransportFailure::NameNotFound
            } else if lowered.contains("certificate")
                || lowered.contains("tls")
                || lowered.contains("handshake")
            {
                TransportFailure::Tls
            } else {
                TransportFailure::ConnectFailed
            }
        } else if in_body || error.is_body() || error.is_decode() {
            TransportFailure::CutOff
        } else {
            TransportFailure::ClosedWithoutAnswer
        };
        Error::Transport {
            failure,
            chain,
            request,
        }
    }
}

/// How many base64 characters each image may take when `capacity` is left for all of them:
/// `None` keeps an image as it is. Every image is kept when they all fit; otherwise the room is
/// shared out evenly, and what a small image does not use goes to the larger ones.
fn base64_budgets(sizes: &[usize], capacity: usize) -> Vec<Option<usize>> {
    if sizes.iter().sum::<usize>() <= capacity {
        return vec![None; sizes.len()];
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut budgets = vec![None; sizes.len()];
    let mut left = capacity;
    for (done, &i) in order.iter().enumerate() {
        let share = left / (sizes.len() - done);
        if sizes[i] <= share {
            left -= sizes[i];
        } else {
            budgets[i] = Some(share);
            left -= share;
        }
    }
    budgets
}

fn method_name(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::base64_budgets;

    #[test]
    fn images_that_fit_together_are_all_kept() {
        assert_eq!(base64_budgets(&[400, 500], 900), vec![None, None]);
    }

    #[test]
    fn a_small_image_is_kept_and_the_large_one_gets_the_rest() {
        assert_eq!(base64_budgets(&[5000, 100], 1000), vec![Some(900), None]);
    }

    #[test]
    fn two_large_images_share_the_room_evenly() {
        assert_eq!(
            base64_budgets(&[5000, 7000], 1000),
            vec![Some(500), Some(500)]
        );
        assert_eq!(base64_budgets(&[5000], 1000), vec![Some(1000)]);
    }
}
