//! The portal's galleries: `/api/galleries[/{galleryId}]`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use necid_wire::{
    ApplicationSummary, CreateGallery, CreatedGallery, GalleryDetail, GalleryId, GalleryList,
    GallerySummary, UpdateGallery, UpdatedGallery,
};

use super::{check_description, check_name, check_quality};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::store::Gallery;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/galleries", get(list).post(create))
        .route(
            "/api/galleries/{gallery_id}",
            get(one).patch(update).delete(remove),
        )
}

fn summary(g: Gallery) -> GallerySummary {
    GallerySummary {
        id: g.id,
        name: g.name,
        description: g.description,
        size: u64::try_from(g.size).unwrap_or(0),
        count: u64::try_from(g.count).unwrap_or(0),
    }
}

fn check_size(state: &AppState, size: u64) -> Result<i64, ApiError> {
    let max = state.limits().max_gallery_size;
    if size == 0 || size > max {
        return Err(ApiError::InvalidRequest(format!(
            "size must be between 1 and {max}."
        )));
    }
    i64::try_from(size).map_err(|_| ApiError::invalid("size is too large."))
}

async fn list(State(state): State<AppState>) -> Result<axum::Json<GalleryList>, ApiError> {
    let galleries = state
        .db(|s| Ok(s.store().list_galleries(s.tenant_id())?))
        .await?;
    Ok(axum::Json(GalleryList {
        galleries: galleries.into_iter().map(summary).collect(),
    }))
}

async fn one(
    State(state): State<AppState>,
    ApiPath(gallery_id): ApiPath<GalleryId>,
) -> Result<axum::Json<GalleryDetail>, ApiError> {
    let (g, apps) = state
        .db(move |s| {
            let g = s.store().gallery(s.tenant_id(), &gallery_id)?;
            let apps = s.store().applications_of_gallery(&g.id)?;
            Ok((g, apps))
        })
        .await?;
    let s = summary(g);
    Ok(axum::Json(GalleryDetail {
        id: s.id,
        name: s.name,
        description: s.description,
        size: s.size,
        count: s.count,
        applications: apps
            .into_iter()
            .map(|a| ApplicationSummary {
                id: a.id,
                name: a.name,
                api_key: a.api_key,
            })
            .collect(),
    }))
}

async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateGallery>,
) -> Result<axum::Json<CreatedGallery>, ApiError> {
    let limits = *state.limits();
    check_name("name", &body.name, limits.max_name_chars)?;
    check_description(&body.description, limits.max_description_chars)?;
    check_quality(body.face_minimum_quality_score)?;
    let size = check_size(&state, body.size)?;
    let (g, app) = state
        .db(move |s| {
            Ok(s.store().create_gallery(
                s.tenant_id(),
                &body.name,
                &body.description,
                size,
                body.face_minimum_quality_score,
            )?)
        })
        .await?;
    state.index(&g.id);
    Ok(axum::Json(CreatedGallery {
        id: g.id,
        name: g.name,
        description: g.description,
        size: u64::try_from(g.size).unwrap_or(0),
        api_key: app.api_key,
    }))
}

async fn update(
    State(state): State<AppState>,
    ApiPath(gallery_id): ApiPath<GalleryId>,
    ApiJson(body): ApiJson<UpdateGallery>,
) -> Result<axum::Json<UpdatedGallery>, ApiError> {
    let limits = *state.limits();
    if let Some(name) = &body.name {
        check_name("name", name, limits.max_name_chars)?;
    }
    if let Some(d) = &body.description {
        check_description(d, limits.max_description_chars)?;
    }
    let size = body.size.map(|s| check_size(&state, s)).transpose()?;
    let g = state
        .db(move |s| {
            Ok(s.store().update_gallery(
                s.tenant_id(),
                &gallery_id,
                body.name.as_deref(),
                body.description.as_deref(),
                size,
            )?)
        })
        .await?;
    Ok(axum::Json(UpdatedGallery {
        id: g.id,
        name: g.name,
        description: g.description,
        size: u64::try_from(g.size).unwrap_or(0),
    }))
}

async fn remove(
    State(state): State<AppState>,
    ApiPath(gallery_id): ApiPath<GalleryId>,
) -> Result<StatusCode, ApiError> {
    let id = gallery_id.clone();
    state.db(move |s| s.delete_gallery(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
