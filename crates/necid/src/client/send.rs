//! Sending one request within its bounds: signing each try, the connect and request timeouts,
//! reading the answer up to the size limit, retrying idempotent requests as the [`RetryPolicy`]
//! allows, and turning reqwest's failures into [`TransportFailure`]s and time-outs.

use super::answer::{Answer, Received};
use super::events::Report;
use super::{Call, Client, Surface, encode_component};
use crate::error::{Error, RequestLine, Result, TimeoutPhase, TransportFailure};
use crate::signing::sign_request;
use std::time::{Duration, SystemTime};

/// When and how often idempotent requests are tried again (see [`ClientBuilder::retry_policy`]).
///
/// A try is repeated after a 429 or a 503 (waiting what `Retry-After` asks, else the back-off)
/// and after a connection that was refused or failed before anything was sent (waiting the
/// back-off). The back-off starts at `initial_backoff` and doubles with each retry. A wait that
/// would take the waits together past `max_total_wait` is not made: the error is returned, with
/// its [`Error::retry_after`] hint. POST and PATCH are never repeated.
///
/// [`ClientBuilder::retry_policy`]: super::ClientBuilder::retry_policy
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
