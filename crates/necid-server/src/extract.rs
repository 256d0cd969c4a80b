//! Extractors that answer in the API's error format (axum's own rejections are plain text), and
//! the base64 image decoding every face route shares.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use base64::Engine as _;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; errors become 400 InvalidRequest with a message that quotes no input.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::invalid("The request body could not be read (it may be too large).")
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, turning serde's message into one that reflects nothing of the input.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("A JSON request body must be provided."));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `")
            && let Some((field, _)) = rest.split_once('`')
        {
            return ApiError::InvalidRequest(format!("{field} property must be provided."));
        }
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "The request body is not valid JSON".to_owned()
            }
            _ => {
                // serde names the field in backticks; values it quotes are dropped.
                let field = text
                    .split('`')
                    .nth(1)
                    .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .map(|f| format!(" (field {f})"))
                    .unwrap_or_default();
                format!("The request body does not have the expected shape{field}")
            }
        };
        ApiError::InvalidRequest(format!(
            "{what} at line {} column {}.",
            e.line(),
            e.column()
        ))
    })
}

/// Path parameters; a malformed path is a 400 InvalidRequest.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| {
                ApiError::invalid("A path parameter is not valid (it must be UTF-8 text).")
            })
    }
}

/// Decodes a base64 image property (standard alphabet, padding optional, whitespace ignored,
/// a `data:...;base64,` prefix tolerated).
pub fn decode_image_b64(property: &str, value: &str, max_bytes: u64) -> Result<Vec<u8>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "{property} property must be provided."
        )));
    }
    let value = match value.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => value,
    };
    // Each 4 base64 characters carry 3 bytes: refuse before decoding what cannot fit.
    if (value.len() as u64 / 4).saturating_mul(3) > max_bytes.saturating_add(3) {
        return Err(ApiError::InvalidRequest(format!(
            "{property} is larger than the limit of {max_bytes} bytes."
        )));
    }
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(compact.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(compact.trim_end_matches('='))
        })
        .map_err(|_| ApiError::InvalidRequest(format!("{property} is not valid base64.")))?;
    if bytes.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "{property} is an empty image."
        )));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(ApiError::InvalidRequest(format!(
            "{property} is larger than the limit of {max_bytes} bytes."
        )));
    }
    Ok(bytes)
}
