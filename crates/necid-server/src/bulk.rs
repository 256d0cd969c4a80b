//! The bulk-registration worker: one background task that takes records still `New` (oldest
//! first), reads each file from the tenant's bucket through `object_store`, enrols its one face
//! and marks the record `Processed` in the same transaction as the enrolment. Because the queue
//! is the database, a job cut by a restart (or a `kill -9`) simply resumes: acknowledged records
//! are never lost and no record is enrolled twice. An attempt is counted before the work starts;
//! a record that has already had [`MAX_ATTEMPTS`] (it crashed the service each time) is failed.

use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore};

use crate::AppState;
use crate::error::ApiError;
use crate::store::{PendingRecord, RecordOutcome};

pub const MAX_ATTEMPTS: i64 = 3;
const BATCH: i64 = 32;

/// Runs forever; spawn it once per service.
pub async fn run(state: AppState) {
    loop {
        let pending = match state.db(|s| Ok(s.store().pending_records(BATCH)?)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "bulk worker: cannot read the queue");
                Vec::new()
            }
        };
        if pending.is_empty() {
            tokio::select! {
                () = state.bulk_wakeup() => {}
                () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
            continue;
        }
        for record in pending {
            process(&state, record).await;
        }
    }
}

fn failed(reason: impl Into<String>) -> RecordOutcome {
    RecordOutcome {
        success: false,
        reason: reason.into(),
        ..RecordOutcome::default()
    }
}

async fn process(state: &AppState, record: PendingRecord) {
    let seq = record.seq;
    let outcome = if record.attempts >= MAX_ATTEMPTS {
        Some(failed(format!("Gave up after {MAX_ATTEMPTS} attempts.")))
    } else {
        if let Err(e) = state.db(move |s| Ok(s.store().begin_attempt(seq)?)).await {
            tracing::error!(error = %e, seq, "bulk worker: cannot count an attempt");
            return;
        }
        attempt(state, &record).await
    };
    if let Some(outcome) = outcome
        && let Err(e) = state
            .db(move |s| Ok(s.store().finish_record(seq, &outcome)?))
            .await
    {
        tracing::error!(error = %e, seq, "bulk worker: cannot record an outcome");
    }
}

/// Enrols one record. `None` when it succeeded (already recorded in the enrolment's
/// transaction); otherwise the failure to record.
async fn attempt(state: &AppState, record: &PendingRecord) -> Option<RecordOutcome> {
    let limits = *state.limits();
    let Ok(path) = ObjectPath::parse(&record.filename) else {
        return Some(failed("Invalid filename."));
    };
    let bucket = state.bucket().clone();
    match bucket
        .get_opts(&path, GetOptions::new().with_head(true))
        .await
    {
        Ok(head) if head.meta.size > limits.max_image_bytes => {
            return Some(failed(format!(
                "File is larger than the limit of {} bytes.",
                limits.max_image_bytes
            )));
        }
        Ok(_) => {}
        Err(object_store::Error::NotFound { .. }) => {
            return Some(failed("File not found in the bucket."));
        }
        Err(e) => return Some(failed(format!("The bucket could not be read: {e}"))),
    }
    let bytes = match bucket.get_opts(&path, GetOptions::default()).await {
        Ok(r) => match r.bytes().await {
            Ok(b) => b,
            Err(e) => return Some(failed(format!("The bucket could not be read: {e}"))),
        },
        Err(object_store::Error::NotFound { .. }) => {
            return Some(failed("File not found in the bucket."));
        }
        Err(e) => return Some(failed(format!("The bucket could not be read: {e}"))),
    };

    let (gallery_id, app_id) = (record.gallery_id.clone(), record.application_id.clone());
    let minimum = state
        .db(move |s| {
            let tenant = s.tenant_id().to_owned();
            match s.store().application(&tenant, &app_id) {
                Ok(app) => Ok(app.face_minimum_quality_score),
                Err(_) => Ok(s
                    .store()
                    .gallery(&tenant, &gallery_id)?
                    .face_minimum_quality_score),
            }
        })
        .await;
    let minimum = match minimum {
        Ok(m) => m,
        Err(_) => return Some(failed("The gallery no longer exists.")),
    };

    let face = match state
        .face(move |s| s.engine().one_face(&bytes).map_err(ApiError::from))
        .await
    {
        Ok(f) => f,
        Err(e) => return Some(failed(e.body().message)),
    };
    let attributes_json = serde_json::to_string(&face.attributes).unwrap_or_default();
    if face.attributes.face_quality_score < minimum {
        return Some(RecordOutcome {
            success: false,
            reason: ApiError::PoorQuality {
                score: face.attributes.face_quality_score,
                minimum,
            }
            .to_string(),
            attributes_json,
            ..RecordOutcome::default()
        });
    }
    let (seq, gallery_id, tags) = (record.seq, record.gallery_id.clone(), record.tags.clone());
    let enrolled = state
        .db(move |s| {
            s.enrol_bulk_record(seq, &gallery_id, &face.descriptor, &attributes_json, &tags)
                .map(drop)
                .map_err(ApiError::from)
        })
        .await;
    match enrolled {
        Ok(()) => None,
        Err(e) => Some(failed(e.body().message)),
    }
}
