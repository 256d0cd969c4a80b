//! Bulk registration: `POST /v1.1/jobs/bulkregister` and its progress pages
//! `GET /v1.1/jobs/bulkregister/{batchId}[/{pagingId}]` (at most 1000 records a page; the
//! `lastEvaluatedKey` of a page is the `pagingId` of the next, empty on the last).

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use necid_wire::{
    AttributesJson, BatchId, BulkProgress, BulkRegisterRequest, BulkRegisterResponse,
    FaceAttributes, GalleryId, RegisterSummary, TagName,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::scope::GalleryScope;
use crate::store::BulkRecord;

/// Records per progress page.
pub const PAGE: i64 = 1000;
/// Longest accepted object name.
const MAX_FILENAME_CHARS: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/jobs/bulkregister", post(create))
        .route("/v1.1/jobs/bulkregister/{batch_id}", get(first_page))
        .route(
            "/v1.1/jobs/bulkregister/{batch_id}/{paging_id}",
            get(next_page),
        )
}

async fn create(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiJson(body): ApiJson<BulkRegisterRequest>,
) -> Result<axum::Json<BulkRegisterResponse>, ApiError> {
    let max = state.limits().max_bulk_registrations;
    if body.registrations.is_empty() {
        return Err(ApiError::invalid(
            "registrations must hold at least one entry.",
        ));
    }
    if body.registrations.len() > max {
        return Err(ApiError::InvalidRequest(format!(
            "registrations may hold at most {max} entries."
        )));
    }
    let mut regs = Vec::with_capacity(body.registrations.len());
    let mut all_tags: Vec<TagName> = Vec::new();
    for r in body.registrations {
        if r.filename.trim().is_empty() || r.filename.chars().count() > MAX_FILENAME_CHARS {
            return Err(ApiError::InvalidRequest(format!(
                "every filename must be 1 to {MAX_FILENAME_CHARS} characters."
            )));
        }
        let tags = r.tags;
        for t in &tags {
            if !all_tags.contains(t) {
                all_tags.push(t.clone());
            }
        }
        regs.push((r.filename, tags));
    }
    let batch_id = state
        .db(move |s| {
            s.store().resolve_tags(&app.gallery_id, &all_tags)?;
            Ok(s.store().create_bulk_job(&app.gallery_id, &app.id, &regs)?)
        })
        .await?;
    state.wake_bulk();
    Ok(axum::Json(BulkRegisterResponse { batch_id }))
}

async fn first_page(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(batch_id): ApiPath<BatchId>,
) -> Result<axum::Json<BulkProgress>, ApiError> {
    page(state, app.gallery_id, batch_id, 0).await
}

async fn next_page(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath((batch_id, paging_id)): ApiPath<(BatchId, String)>,
) -> Result<axum::Json<BulkProgress>, ApiError> {
    let after = if paging_id.is_empty() {
        0
    } else {
        paging_id
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| {
                ApiError::invalid("pagingId must be a lastEvaluatedKey of this batch.")
            })?
    };
    page(state, app.gallery_id, batch_id, after).await
}

async fn page(
    state: AppState,
    gallery_id: GalleryId,
    batch_id: BatchId,
    after: i64,
) -> Result<axum::Json<BulkProgress>, ApiError> {
    let id = batch_id.clone();
    let (records, next) = state
        .db(move |s| Ok(s.store().bulk_page(&gallery_id, &id, after, PAGE)?))
        .await?;
    Ok(axum::Json(BulkProgress {
        batch_id,
        processed: records.into_iter().map(summary).collect(),
        last_evaluated_key: next.map(|n| n.to_string()).unwrap_or_default(),
    }))
}

fn summary(r: BulkRecord) -> RegisterSummary {
    let attributes_json = serde_json::from_str::<FaceAttributes>(&r.attributes_json)
        .map(AttributesJson::from)
        .unwrap_or_default();
    RegisterSummary {
        id: r.id,
        filename: r.filename,
        attempts: u32::try_from(r.attempts).unwrap_or(0),
        event_id: r.event_id,
        subject_id: r.subject_id,
        register_status: r.register_status,
        reason: r.reason,
        status: r.status,
        attributes_json,
    }
}
