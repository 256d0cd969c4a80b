//! The portal's applications: `/api/applications[/{applicationId}]`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use necid_wire::{
    Application as WireApplication, ApplicationId, ApplicationList, ApplicationSummary,
    CreateApplication, UpdateApplication,
};

use super::{check_description, check_name, check_quality};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::store::Application;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/applications", get(list).post(create))
        .route(
            "/api/applications/{application_id}",
            get(one).patch(update).delete(remove),
        )
}

fn wire(a: Application) -> WireApplication {
    WireApplication {
        id: a.id,
        name: a.name,
        description: a.description,
        api_key: a.api_key,
        face_minimum_quality_score: a.face_minimum_quality_score,
        gallery_id: Some(a.gallery_id),
    }
}

async fn list(State(state): State<AppState>) -> Result<axum::Json<ApplicationList>, ApiError> {
    let apps = state
        .db(|s| Ok(s.store().list_applications(s.tenant_id())?))
        .await?;
    Ok(axum::Json(ApplicationList {
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

async fn one(
    State(state): State<AppState>,
    ApiPath(application_id): ApiPath<ApplicationId>,
) -> Result<axum::Json<WireApplication>, ApiError> {
    let app = state
        .db(move |s| Ok(s.store().application(s.tenant_id(), &application_id)?))
        .await?;
    Ok(axum::Json(wire(app)))
}

async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateApplication>,
) -> Result<axum::Json<WireApplication>, ApiError> {
    let limits = *state.limits();
    check_name("name", &body.name, limits.max_name_chars)?;
    check_description(&body.description, limits.max_description_chars)?;
    check_quality(body.face_minimum_quality_score)?;
    let app = state
        .db(move |s| {
            Ok(s.store().create_application(
                s.tenant_id(),
                &body.gallery_id,
                &body.name,
                &body.description,
                body.face_minimum_quality_score,
            )?)
        })
        .await?;
    Ok(axum::Json(wire(app)))
}

async fn update(
    State(state): State<AppState>,
    ApiPath(application_id): ApiPath<ApplicationId>,
    ApiJson(body): ApiJson<UpdateApplication>,
) -> Result<axum::Json<WireApplication>, ApiError> {
    let limits = *state.limits();
    if let Some(name) = &body.name {
        check_name("name", name, limits.max_name_chars)?;
    }
    if let Some(d) = &body.description {
        check_description(d, limits.max_description_chars)?;
    }
    if let Some(q) = body.face_minimum_quality_score {
        check_quality(q)?;
    }
    let app = state
        .db(move |s| {
            Ok(s.store().update_application(
                s.tenant_id(),
                &application_id,
                body.name.as_deref(),
                body.description.as_deref(),
                body.face_minimum_quality_score,
            )?)
        })
        .await?;
    Ok(axum::Json(wire(app)))
}

async fn remove(
    State(state): State<AppState>,
    ApiPath(application_id): ApiPath<ApplicationId>,
) -> Result<StatusCode, ApiError> {
    state
        .db(move |s| {
            Ok(s.store()
                .delete_application(s.tenant_id(), &application_id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
