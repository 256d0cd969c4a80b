//! The client: configuration, signing and sending, and the mapping of every response.
//!
//! `Client` is cheap to clone (one `Arc`); the resource handles it hands out
//! ([`Client::galleries`], [`Client::gallery`], ...) own a clone, so a request can be built on one
//! thread and moved into a spawned task.

use crate::error::{Error, Result};
use crate::ids::ApiKey;
use crate::model::Health;
use crate::signing::{Credentials, SigningScope, sign_request};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The real NEC ID biometric API.
pub const NEC_API_BASE_URL: &str = "https://api.id.nec.com.au";
/// The real NEC ID tenant-management portal.
pub const NEC_PORTAL_BASE_URL: &str = "https://portal.id.nec.com.au";

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

/// What the client did for one request, for an activity log. Never holds a secret: the API key
/// is reduced to whether one was sent, and the body is kept only when small.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub surface: Surface,
    pub sent_api_key: bool,
    /// The JSON body, when it is at most 16 KiB (large bodies are images).
    pub body: Option<Arc<str>>,
    pub body_bytes: usize,
    pub status: Option<u16>,
    pub latency: Duration,
    /// The error as a person would read it, when the request failed.
    pub error: Option<String>,
}

/// Receives a [`RequestRecord`] after every request.
pub type RequestObserver = Arc<dyn Fn(RequestRecord) + Send + Sync>;

/// Settings for a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    api_base_url: String,
    portal_base_url: String,
    scope: SigningScope,
    credentials: Option<Credentials>,
    timeout: Duration,
    observer: Option<RequestObserver>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_base_url", &self.api_base_url)
            .field("portal_base_url", &self.portal_base_url)
            .field("scope", &self.scope)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
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
            timeout: Duration::from_secs(60),
            observer: None,
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

    /// How long to wait for a whole answer (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Called after every request, for an activity log.
    pub fn observer(mut self, observer: RequestObserver) -> Self {
        self.observer = Some(observer);
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
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot start the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api_base_url,
                portal_base_url,
                scope: self.scope,
                credentials,
                timeout: self.timeout,
                observer: self.observer,
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
    timeout: Duration,
    observer: Option<RequestObserver>,
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

/// A response's status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body of a 2xx answer as `T`; any other status is an error.
    pub fn json<T: DeserializeOwned>(self) -> Result<T> {
        if !(200..300).contains(&self.status) {
            return Err(Error::from_response(self.status, &self.body));
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::InvalidResponse {
            status: self.status,
            message: format!("the body does not match the API: {e}"),
        })
    }

    /// A 2xx answer whose body does not matter.
    pub fn empty(self) -> Result<()> {
        if (200..300).contains(&self.status) {
            Ok(())
        } else {
            Err(Error::from_response(self.status, &self.body))
        }
    }

    /// `None` for a 404 (the documented "not found / not verified" answer), else like `json`.
    pub fn json_or_not_found<T: DeserializeOwned>(self) -> Result<Option<T>> {
        if self.status == 404 {
            // A 404 without the API's JSON body is a wrong URL, not an answer.
            if serde_json::from_slice::<serde_json::Value>(&self.body).is_err() {
                return Err(Error::from_response(self.status, &self.body));
            }
            return Ok(None);
        }
        self.json().map(Some)
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

    /// Signs and sends one request, and reports it to the observer.
    pub(crate) async fn execute(&self, call: Call) -> Result<Answer> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let url = self.url_for(&call);
        let outcome = self.send(&call, &url).await;
        if let Some(observer) = &self.inner.observer {
            let body = call
                .body
                .as_ref()
                .filter(|b| b.len() <= 16 * 1024)
                .map(|b| Arc::<str>::from(String::from_utf8_lossy(b).as_ref()));
            let (status, error) = match &outcome {
                Ok(answer) if (200..300).contains(&answer.status) => (Some(answer.status), None),
                Ok(answer) => (
                    Some(answer.status),
                    Some(Error::from_response(answer.status, &answer.body).to_string()),
                ),
                Err(e) => (e.status(), Some(e.to_string())),
            };
            observer(RequestRecord {
                started,
                method: method_name(&call.method),
                url: url.clone(),
                surface: call.surface,
                sent_api_key: call.api_key.is_some(),
                body,
                body_bytes: call.body.as_ref().map_or(0, Vec::len),
                status,
                latency: clock.elapsed(),
                error,
            });
        }
        outcome
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

    async fn send(&self, call: &Call, url: &str) -> Result<Answer> {
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
        let mut request = self.inner.http.request(call.method.clone(), url);
        for (name, value) in headers.iter().copied() {
            request = request.header(name, value);
        }
        for (name, value) in &signed {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(bytes) = &call.body {
            request = request.body(bytes.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(url, &e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(url, &e))?;
        Ok(Answer {
            status,
            body: body.to_vec(),
        })
    }

    fn transport_error(&self, url: &str, error: &reqwest::Error) -> Error {
        if error.is_timeout() {
            return Error::Timeout {
                url: url.to_owned(),
                after: self.inner.timeout,
            };
        }
        // reqwest's Display names only the outermost layer; the cause says what really failed.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        Error::Transport {
            url: url.to_owned(),
            message,
        }
    }
}

fn method_name(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
