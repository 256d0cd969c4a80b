//! Subjects and their events: `/v1.1/subjects[/{subjectId}[/events[/{eventId}]]]`.
//!
//! Every enrolment runs the same way: decode the base64 image, check the tags and the subject
//! (cheap refusals first), find exactly one face off the async threads, check its quality
//! against the application's minimum, then write the row and mirror it into the search index.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use necid_wire::{
    Enrolment, EventId, EventRef, FaceEnrolment, SubjectEvents, SubjectId, SubjectPage, SubjectRow,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, decode_image_b64};
use crate::scope::GalleryScope;
use crate::store::{Application, EnrolTarget};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/subjects", get(list).post(register))
        .route(
            "/v1.1/subjects/{subject_id}",
            put(update).delete(unregister),
        )
        .route(
            "/v1.1/subjects/{subject_id}/events",
            get(events).post(register_event),
        )
        .route(
            "/v1.1/subjects/{subject_id}/events/{event_id}",
            put(update_event).delete(unregister_event),
        )
}

/// The `start`, `length` and `dir` of List Subjects (NOTES.md item 2); out of range is a 400.
fn parse_list_query(query: Option<&str>) -> Result<(i64, i64, bool), ApiError> {
    let (mut start, mut length, mut desc) = (0i64, 1000i64, false);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = String::from_utf8_lossy(&crate::sigv4::percent_decode(v)).into_owned();
        match k {
            "start" => {
                start =
                    v.parse().ok().filter(|s: &i64| *s >= 0).ok_or_else(|| {
                        ApiError::invalid("start must be an integer of 0 or more.")
                    })?;
            }
            "length" => {
                length = v
                    .parse()
                    .ok()
                    .filter(|l: &i64| (1..=1000).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid("length must be an integer from 1 to 1000.")
                    })?;
            }
            "dir" => {
                desc = match v.to_ascii_lowercase().as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(ApiError::invalid("dir must be asc or desc.")),
                };
            }
            _ => {}
        }
    }
    Ok((start, length, desc))
}

async fn list(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<SubjectPage>, ApiError> {
    let (start, length, desc) = parse_list_query(query.as_deref())?;
    let (rows, total) = state
        .db(move |s| {
            Ok(s.store()
                .list_subject_rows(&app.gallery_id, start, length, desc)?)
        })
        .await?;
    Ok(axum::Json(SubjectPage {
        subjects: rows
            .into_iter()
            .map(|r| SubjectRow {
                id: r.subject_id,
                event_id: r.event_id,
                status: r.status,
                last_updated: r.last_updated,
            })
            .collect(),
        total: u64::try_from(total).unwrap_or(0),
    }))
}

/// The shared enrolment path of register, update, register event and update event.
async fn enrol(
    state: &AppState,
    app: Application,
    target: EnrolTarget,
    body: FaceEnrolment,
) -> Result<Enrolment, ApiError> {
    let image = decode_image_b64("face", &body.face, state.limits().max_image_bytes)?;
    let tags = body.tags;
    let gallery_id = app.gallery_id.clone();
    {
        let (tags, target, gallery_id) = (tags.clone(), target.clone(), gallery_id.clone());
        state
            .db(move |s| {
                s.store().resolve_tags(&gallery_id, &tags)?;
                match &target {
                    EnrolTarget::NewSubject => {}
                    EnrolTarget::NewEvent { subject_id }
                    | EnrolTarget::ReplaceEvent { subject_id, .. }
                    | EnrolTarget::ReplaceFirstEvent { subject_id } => {
                        s.store().subject_exists(&gallery_id, subject_id)?;
                    }
                }
                Ok(())
            })
            .await?;
    }
    let face = state
        .face(move |s| Ok(s.engine().one_face(&image)?))
        .await?;
    let quality = face.attributes.face_quality_score;
    if quality < app.face_minimum_quality_score {
        return Err(ApiError::PoorQuality {
            score: quality,
            minimum: app.face_minimum_quality_score,
        });
    }
    let attributes_json = serde_json::to_string(&face.attributes)
        .map_err(|e| ApiError::Internal(format!("attributes: {e}")))?;
    let attributes = face.attributes.clone();
    let enrolled = state
        .db(move |s| {
            s.enrol(
                &gallery_id,
                &target,
                &face.descriptor,
                &attributes_json,
                &tags,
            )
        })
        .await?;
    Ok(Enrolment {
        id: enrolled.subject_id,
        event_id: enrolled.event_id,
        attributes,
    })
}

async fn register(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiJson(body): ApiJson<FaceEnrolment>,
) -> Result<(StatusCode, axum::Json<Enrolment>), ApiError> {
    let e = enrol(&state, app, EnrolTarget::NewSubject, body).await?;
    Ok((StatusCode::CREATED, axum::Json(e)))
}

async fn update(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(subject_id): ApiPath<SubjectId>,
    ApiJson(body): ApiJson<FaceEnrolment>,
) -> Result<axum::Json<Enrolment>, ApiError> {
    let e = enrol(
        &state,
        app,
        EnrolTarget::ReplaceFirstEvent { subject_id },
        body,
    )
    .await?;
    Ok(axum::Json(e))
}

async fn unregister(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(subject_id): ApiPath<SubjectId>,
) -> Result<StatusCode, ApiError> {
    state
        .db(move |s| s.unregister_subject(&app.gallery_id, &subject_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn events(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(subject_id): ApiPath<SubjectId>,
) -> Result<axum::Json<SubjectEvents>, ApiError> {
    let id = subject_id.clone();
    let events = state
        .db(move |s| Ok(s.store().list_events(&app.gallery_id, &id)?))
        .await?;
    Ok(axum::Json(SubjectEvents {
        id: subject_id,
        events: events.into_iter().map(|id| EventRef { id }).collect(),
    }))
}

async fn register_event(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(subject_id): ApiPath<SubjectId>,
    ApiJson(body): ApiJson<FaceEnrolment>,
) -> Result<(StatusCode, axum::Json<Enrolment>), ApiError> {
    let e = enrol(&state, app, EnrolTarget::NewEvent { subject_id }, body).await?;
    Ok((StatusCode::CREATED, axum::Json(e)))
}

async fn update_event(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath((subject_id, event_id)): ApiPath<(SubjectId, EventId)>,
    ApiJson(body): ApiJson<FaceEnrolment>,
) -> Result<axum::Json<Enrolment>, ApiError> {
    let e = enrol(
        &state,
        app,
        EnrolTarget::ReplaceEvent {
            subject_id,
            event_id,
        },
        body,
    )
    .await?;
    Ok(axum::Json(e))
}

async fn unregister_event(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath((subject_id, event_id)): ApiPath<(SubjectId, EventId)>,
) -> Result<StatusCode, ApiError> {
    state
        .db(move |s| s.unregister_event(&app.gallery_id, &subject_id, &event_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
