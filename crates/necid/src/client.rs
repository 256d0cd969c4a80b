//! The client: configuration, signing and sending, and the mapping of every response.
//!
//! `Client` is cheap to clone (one `Arc`); the resource handles it hands out
//! ([`Client::galleries`], [`Client::gallery`], ...) own a clone, so a request can be built on one
//! thread and moved into a spawned task.

use crate::error::{Error, Result};
use crate::ids::ApiKey;
use crate::image::{FaceImage, bytes_for_base64};
use crate::model::Health;
use crate::signing::{Credentials, SigningScope, sign_request};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The real NEC ID biometric API.
pub const NEC_API_BASE_URL: &str = "https://api.id.nec.com.au";
/// The real NEC ID tenant-management portal.
pub const NEC_PORTAL_BASE_URL: &str = "https://portal.id.nec.com.au";
/// The largest request body the NEC cloud's gateway accepts, and the client's default.
pub const NEC_MAX_REQUEST_BYTES: usize = 10_000_000;
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
    max_request_bytes: usize,
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
            .field("max_request_bytes", &self.max_request_bytes)
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
            max_request_bytes: NEC_MAX_REQUEST_BYTES,
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
                max_request_bytes: self.max_request_bytes,
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
    max_request_bytes: usize,
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

    /// The largest request body the back end accepts ([`ClientBuilder::max_request_bytes`]).
    pub fn max_request_bytes(&self) -> usize {
        self.inner.max_request_bytes
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
