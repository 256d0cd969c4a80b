//! The routes, one file per resource, each exporting its `router()`; this file joins them with
//! the CORS and SigV4 layers and the JSON fallbacks.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;

use crate::AppState;
use crate::error::ApiError;

pub mod applications;
pub mod audit;
pub mod face;
pub mod galleries;
pub mod health;
pub mod jobs;
pub mod subjects;
pub mod tags;

/// Every route of both surfaces.
pub fn router(state: AppState) -> Router {
    // The SigV4 layer reads and bounds every signed body; the extractors behind it (`Bytes`,
    // `ApiJson`) get the same limit instead of axum's default of 2 MiB.
    let body_limit = DefaultBodyLimit::max(state.limits().max_body_bytes);
    Router::new()
        .merge(galleries::router())
        .merge(applications::router())
        .merge(subjects::router())
        .merge(face::router())
        .merge(tags::router())
        .merge(jobs::router())
        .merge(audit::router())
        .merge(health::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .layer(middleware::from_fn(crate::auth::cors))
        .layer(body_limit)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such route.".into())
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(necid_wire::ErrorBody::message(
            "Method not allowed on this route.",
        )),
    )
}

/// Checks a name (gallery, application, tag): non-empty, not too long, no control characters.
pub fn check_name(what: &str, name: &str, max_chars: usize) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "{what} must not be empty."
        )));
    }
    if name.chars().count() > max_chars {
        return Err(ApiError::InvalidRequest(format!(
            "{what} is longer than {max_chars} characters."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::InvalidRequest(format!(
            "{what} must not contain control characters."
        )));
    }
    Ok(())
}

pub fn check_description(description: &str, max_chars: usize) -> Result<(), ApiError> {
    if description.chars().count() > max_chars {
        return Err(ApiError::InvalidRequest(format!(
            "description is longer than {max_chars} characters."
        )));
    }
    Ok(())
}

/// `faceMinimumQualityScore` must be at least 0.45 (and a quality is at most 1).
pub fn check_quality(score: f64) -> Result<(), ApiError> {
    if !(0.45..=1.0).contains(&score) {
        return Err(ApiError::invalid(
            "faceMinimumQualityScore must be between 0.45 and 1.",
        ));
    }
    Ok(())
}
