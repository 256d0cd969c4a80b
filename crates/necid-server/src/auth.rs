//! The layers every request passes: CORS (answering `OPTIONS` on every route, as the real
//! gateway does), then SigV4 verification (headers first, then the body's hash: see
//! [`authenticate`]). The `x-api-key` of gallery-scoped routes is checked after both, by the
//! handlers' [`crate::scope::GalleryScope`] extractor.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;

use crate::AppState;
use crate::error::ApiError;
use crate::sigv4;

/// Routes that answer without a signature.
fn is_public(path: &str) -> bool {
    matches!(path, "/v1.1/health" | "/openapi.json")
}

const ALLOW_HEADERS: &str =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-Content-Sha256";
const ALLOW_METHODS: &str = "GET,POST,PUT,PATCH,DELETE,OPTIONS";

/// CORS: preflights are answered here; every other response gets the allow-origin header.
pub async fn cors(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        let mut res = StatusCode::OK.into_response();
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return res;
    }
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// SigV4 and `x-api-key`, in the order that costs an unknown client the least.
///
/// 1. The headers: a well-formed, current, correctly scoped signature by the tenant's access
///    key ([`sigv4::check_headers`]). Anything else is refused before a byte of the body is
///    read, so an `Expect: 100-continue` client gets its 403 and no `100 Continue`.
/// 2. A body declared longer than [`crate::Limits::max_body_bytes`] gets 413 without being read;
///    one without a length (chunked) gets 413 as soon as it passes the limit.
/// 3. The body is read (its hash is part of the signature) and the signature checked in full.
/// 4. The `x-api-key`, only now: checking it earlier would tell someone who has the access key
///    id but not the secret which API keys exist.
///
/// The body is handed on unchanged.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_public(&path) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let headers = header_pairs(&parts.headers);
    let creds = state.credentials();
    let prechecked = match sigv4::check_headers(
        &headers,
        state.scope(),
        time::OffsetDateTime::now_utc(),
        |ak| (ak == creds.access_key_id).then(|| creds.secret_access_key.clone()),
    ) {
        Ok(prechecked) => prechecked,
        Err(e) => return ApiError::Auth(e).into_response(),
    };

    let limit = state.limits().max_body_bytes;
    let declared = declared_length(&parts.headers)
        .unwrap_or(0)
        .max(HttpBody::size_hint(&body).lower());
    if declared > limit as u64 {
        return body_too_large(limit);
    }
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => return body_too_large(limit),
        Err(BodyError::TimedOut) => return body_timed_out(),
        Err(BodyError::Broken) => {
            return ApiError::invalid("The request body could not be read.").into_response();
        }
    };

    if let Err(e) = prechecked.verify(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &sigv4::payload_hash(&bytes),
    ) {
        return ApiError::Auth(e).into_response();
    }

    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The `Content-Length` the client declared (hyper has already refused a malformed one).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    TimedOut,
    Broken,
}

/// Reads the body, stopping as soon as it passes `limit`.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let timed_out = std::error::Error::source(&e)
                .is_some_and(|source| source.is::<crate::serve::BodyReadTimedOut>());
            if timed_out {
                BodyError::TimedOut
            } else {
                BodyError::Broken
            }
        })?;
        if buffer.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// 413 with the API's error body. The connection is closed after it: the rest of the body is
/// never read.
fn body_too_large(limit: usize) -> Response {
    let error = ApiError::InvalidRequest(format!(
        "The request body is larger than the limit of {limit} bytes."
    ));
    closing(StatusCode::PAYLOAD_TOO_LARGE, error)
}

/// 408 with the API's Timeout error body: the client stopped sending its body.
fn body_timed_out() -> Response {
    let error = ApiError::Timeout("The request body was not received in time.".into());
    closing(StatusCode::REQUEST_TIMEOUT, error)
}

fn closing(status: StatusCode, error: ApiError) -> Response {
    let mut response = (status, axum::Json(error.body())).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
