//! The gallery a request works on: the application its `x-api-key` names.
//!
//! A handler that takes a [`GalleryScope`] needs a key, and one that takes an
//! `Option<GalleryScope>` uses a key when one is sent (Verify: a subject needs it, two faces do
//! not), so a route's signature shows what it needs. A missing or unknown key, or another
//! tenant's, is `403 {"message": "Forbidden"}`. The extractor runs after the SigV4 layer has
//! verified the whole request, so a caller without the secret learns nothing about which keys
//! exist; it must come before a handler's body extractor.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::error::ApiError;
use crate::store::{ApiKey, Application};

/// The application (and so the gallery) a request is scoped to by its `x-api-key`.
#[derive(Debug, Clone)]
pub struct GalleryScope(pub Application);

fn api_key(parts: &Parts) -> Option<ApiKey> {
    parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(ApiKey::from)
}

async fn application_of(state: &AppState, key: ApiKey) -> Result<GalleryScope, ApiError> {
    match state
        .db(move |s| Ok(s.store().application_by_api_key(&key)?))
        .await?
    {
        Some((tenant, app)) if &tenant == state.tenant_id() => Ok(GalleryScope(app)),
        _ => Err(ApiError::Forbidden),
    }
}

impl FromRequestParts<AppState> for GalleryScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = api_key(parts).ok_or(ApiError::Forbidden)?;
        application_of(state, key).await
    }
}

impl OptionalFromRequestParts<AppState> for GalleryScope {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match api_key(parts) {
            None => Ok(None),
            Some(key) => application_of(state, key).await.map(Some),
        }
    }
}
