//! The layers every request passes: CORS (answering `OPTIONS` on every route, as the real
//! gateway does), then SigV4 verification of the whole request, then, for gallery-scoped
//! routes, the `x-api-key` that names the application and so the gallery.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
use crate::sigv4::{self, SignedRequest};
use crate::store::Application;

/// The application (and so the gallery) a request is scoped to by its `x-api-key`.
#[derive(Debug, Clone)]
pub struct Scoped(pub Application);

/// How a route uses `x-api-key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRule {
    /// No key (portal routes, extract).
    None,
    /// A key is required (gallery-scoped routes).
    Required,
    /// A key is used when present (verify: a subject needs it, face-to-face does not).
    Optional,
}

fn key_rule(path: &str) -> KeyRule {
    match path {
        "/v1.1/face/extract" => KeyRule::None,
        "/v1.1/face/verify" => KeyRule::Optional,
        p if p.starts_with("/v1.1/") => KeyRule::Required,
        _ => KeyRule::None,
    }
}

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

/// SigV4 and `x-api-key`. The body is read here (bounded by the body limit) because its hash is
/// part of the signature, and handed on unchanged.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_public(&path) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let limit = state.limits().max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::InvalidRequest(format!(
                "The request body is larger than the limit of {limit} bytes."
            ))
            .into_response();
        }
    };

    let signed = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: header_pairs(&parts.headers),
        payload_sha256: sigv4::payload_hash(&bytes),
    };
    let creds = state.credentials();
    let verified = sigv4::verify(
        &signed,
        state.scope(),
        time::OffsetDateTime::now_utc(),
        |ak| (ak == creds.access_key_id).then(|| creds.secret_access_key.clone()),
    );
    if let Err(e) = verified {
        return ApiError::Auth(e).into_response();
    }

    let rule = key_rule(&path);
    if rule != KeyRule::None {
        let key = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned);
        match key {
            None if rule == KeyRule::Required => return ApiError::Forbidden.into_response(),
            None => {}
            Some(key) => {
                let found = state
                    .db(move |s| Ok(s.store().application_by_api_key(&key)?))
                    .await;
                match found {
                    Ok(Some((tenant, app))) if tenant == state.tenant_id() => {
                        parts.extensions.insert(Scoped(app));
                    }
                    Ok(_) => return ApiError::Forbidden.into_response(),
                    Err(e) => return e.into_response(),
                }
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
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
