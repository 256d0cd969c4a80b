//! `GET /v1.1/health` (2020 revision) and the service's OpenAPI document.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/health", get(health))
        .route("/openapi.json", get(openapi))
}

async fn health() -> axum::Json<necid_wire::Health> {
    axum::Json(necid_wire::Health {
        status: "OK".into(),
    })
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
}
