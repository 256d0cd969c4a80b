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
//!
//! The module is split by concern: `builder` (the settings and their checks), `call` (a request
//! before it is signed), `send` (signing and sending one request within its bounds, with
//! retries), `answer` (reading a bounded answer as what the caller expects), `events` (what the
//! observers hear) and `fit` (photos sent as smaller copies when a body would be too large).

mod answer;
mod builder;
mod call;
mod events;
mod fit;
mod send;

pub use builder::ClientBuilder;
pub(crate) use call::Call;
pub use call::{Surface, encode_component};
pub use events::{
    RequestEvent, RequestEventObserver, RequestId, RequestObserver, RequestRecord, RequestStart,
};
pub use send::RetryPolicy;

use crate::error::Result;
use crate::signing::{Credentials, SigningScope};
use necid_wire::Health;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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
}
