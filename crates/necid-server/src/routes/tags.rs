//! Tags of the application's gallery: `/v1.1/tags[/{name}]`. Names are URL-decoded path
//! segments; a gallery holds at most 64.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Router, http::StatusCode};
use necid_wire::{RenameTag, TagName};

use super::check_name;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::scope::GalleryScope;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/tags", get(list))
        .route("/v1.1/tags/{name}", post(create).put(rename).delete(remove))
}

async fn list(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
) -> Result<axum::Json<Vec<TagName>>, ApiError> {
    let names = state
        .db(move |s| Ok(s.store().list_tags(&app.gallery_id)?))
        .await?;
    Ok(axum::Json(names))
}

async fn create(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(name): ApiPath<TagName>,
) -> Result<StatusCode, ApiError> {
    check_name("The tag name", name.as_str(), state.limits().max_name_chars)?;
    state
        .db(move |s| Ok(s.store().create_tag(&app.gallery_id, &name)?))
        .await?;
    Ok(StatusCode::OK)
}

async fn rename(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(old_name): ApiPath<TagName>,
    ApiJson(body): ApiJson<RenameTag>,
) -> Result<StatusCode, ApiError> {
    let new_name = body.new_name;
    check_name("newName", new_name.as_str(), state.limits().max_name_chars)?;
    state
        .db(move |s| {
            Ok(s.store()
                .rename_tag(&app.gallery_id, &old_name, &new_name)?)
        })
        .await?;
    Ok(StatusCode::OK)
}

async fn remove(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(name): ApiPath<TagName>,
) -> Result<StatusCode, ApiError> {
    state
        // The events stay (NOTES.md item 9); the tag stops matching them, and its bit may be
        // reused by a new tag, whose id is new.
        .db(move |s| s.delete_tag(&app.gallery_id, &name))
        .await?;
    Ok(StatusCode::OK)
}
