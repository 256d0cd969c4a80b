//! The settings of a [`Client`] and their checks: base URLs, region, credentials, the bounds
//! (timeouts, body and answer sizes, retries) and the observers. Everything that can be wrong
//! with the settings is found in [`ClientBuilder::build`], before any request is made.

use super::{
    Client, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, Inner,
    NEC_API_BASE_URL, NEC_MAX_REQUEST_BYTES, NEC_PORTAL_BASE_URL, RequestEventObserver,
    RequestObserver, RetryPolicy,
};
use crate::error::{Error, Result};
use crate::signing::{Credentials, SigningScope};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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
    ///
    /// [`FaceImage::fit_within`]: crate::FaceImage::fit_within
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
    ///
    /// [`RequestEvent`]: super::RequestEvent
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
