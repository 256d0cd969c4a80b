//! The gallery audit, a local extension: `POST /v1.1/jobs/audit` starts one over the gallery of
//! the `x-api-key`, `GET /v1.1/jobs/audit/{auditId}` tells its progress and, once done, its
//! findings ([`crate::audit`] does the work).
//!
//! Audits live in memory ([`Audits`]): the findings are a snapshot that a restart would make
//! stale anyway, so a restart forgets them (their ids then answer 404). The last [`KEPT_AUDITS`]
//! are kept; audits run one at a time, each on its own threads, and stop when the service does.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use necid_wire::{
    AuditId, AuditReport, AuditRequest, AuditStarted, AuditStatus, DuplicateSubjects, GalleryId,
    MatchScore, OutlierEvent,
};

use crate::audit::{AuditInput, Findings};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::scope::GalleryScope;
use crate::{AppState, read_lock};

/// Audits remembered by the service (the oldest is forgotten first, stopped if still running).
pub const KEPT_AUDITS: usize = 16;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1.1/jobs/audit", post(start))
        .route("/v1.1/jobs/audit/{audit_id}", get(report))
}

/// One audit: its progress, then its findings.
#[derive(Debug)]
struct AuditJob {
    audit_id: AuditId,
    gallery_id: GalleryId,
    /// Millionths done.
    progress: AtomicU32,
    outcome: OnceLock<Result<Findings, ()>>,
    cancelled: AtomicBool,
}

/// The service's audits. Dropping it (the service stops) stops any audit still running.
#[derive(Debug, Default)]
pub struct Audits {
    jobs: Mutex<VecDeque<Arc<AuditJob>>>,
    /// Held by the running audit: audits take the cores one after another.
    running: Arc<Mutex<()>>,
}

impl Audits {
    fn jobs(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<AuditJob>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn find(&self, gallery_id: &GalleryId, audit_id: &AuditId) -> Option<Arc<AuditJob>> {
        self.jobs()
            .iter()
            .find(|j| &j.audit_id == audit_id && &j.gallery_id == gallery_id)
            .cloned()
    }

    /// Starts an audit of the gallery (`input` copies its index) on its own thread; `threads`
    /// threads do the product. A gallery has one audit in progress at most, so that repeated
    /// requests cannot pile up copies of a large index: a second is a 400 Duplicate naming the
    /// first.
    fn start(
        &self,
        gallery_id: GalleryId,
        input: impl FnOnce() -> AuditInput,
        threshold: u16,
        threads: usize,
    ) -> Result<AuditId, ApiError> {
        let mut jobs = self.jobs();
        if let Some(running) = jobs
            .iter()
            .find(|j| j.gallery_id == gallery_id && j.outcome.get().is_none())
        {
            return Err(ApiError::Duplicate(format!(
                "An audit of this gallery is already in progress: {}.",
                running.audit_id
            )));
        }
        let input = input();
        let job = Arc::new(AuditJob {
            audit_id: crate::store::fresh_id(),
            gallery_id,
            progress: AtomicU32::new(0),
            outcome: OnceLock::new(),
            cancelled: AtomicBool::new(false),
        });
        let running = self.running.clone();
        let worker = job.clone();
        std::thread::Builder::new()
            .name("necid-audit".into())
            .spawn(move || {
                let _turn = running.lock().unwrap_or_else(|p| p.into_inner());
                let progress = |done: f64| {
                    let millionths = (done.clamp(0.0, 1.0) * 1e6) as u32;
                    worker.progress.fetch_max(millionths, Ordering::Relaxed);
                };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::audit::run(&input, threshold, threads, &progress, &worker.cancelled)
                }));
                match outcome {
                    Ok(Ok(findings)) => {
                        let _ = worker.outcome.set(Ok(findings));
                    }
                    Ok(Err(_cancelled)) => {
                        let _ = worker.outcome.set(Err(()));
                    }
                    Err(_) => {
                        tracing::error!("a gallery audit failed");
                        let _ = worker.outcome.set(Err(()));
                    }
                }
            })
            .map_err(|e| ApiError::Internal(format!("audit thread: {e}")))?;
        let audit_id = job.audit_id.clone();
        jobs.push_back(job);
        while jobs.len() > KEPT_AUDITS {
            if let Some(old) = jobs.pop_front() {
                old.cancelled.store(true, Ordering::Relaxed);
            }
        }
        Ok(audit_id)
    }
}

impl Drop for Audits {
    fn drop(&mut self) {
        for job in self.jobs().iter() {
            job.cancelled.store(true, Ordering::Relaxed);
        }
    }
}

async fn start(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiJson(body): ApiJson<AuditRequest>,
) -> Result<axum::Json<AuditStarted>, ApiError> {
    let threshold = body
        .threshold
        .unwrap_or(MatchScore::DEFAULT_THRESHOLD)
        .get();
    let audit_id = state
        .db(move |s| {
            // A copy of the index, so that nothing waits for the audit.
            let index = s.index(&app.gallery_id);
            let input = || AuditInput::from_index(&read_lock(&index));
            s.audits()
                .start(app.gallery_id.clone(), input, threshold, s.face_workers())
        })
        .await?;
    Ok(axum::Json(AuditStarted { audit_id }))
}

async fn report(
    State(state): State<AppState>,
    GalleryScope(app): GalleryScope,
    ApiPath(audit_id): ApiPath<AuditId>,
) -> Result<axum::Json<AuditReport>, ApiError> {
    let job = state
        .audits()
        .find(&app.gallery_id, &audit_id)
        .ok_or_else(|| ApiError::NotFound("Audit not found.".into()))?;
    let answer = match job.outcome.get() {
        None => AuditReport {
            status: AuditStatus::InProgress,
            progress: f64::from(job.progress.load(Ordering::Relaxed).min(999_999)) / 1e6,
            duplicates: Vec::new(),
            outliers: Vec::new(),
        },
        Some(Err(())) => return Err(ApiError::Internal("the audit failed".into())),
        Some(Ok(findings)) => AuditReport {
            status: AuditStatus::Completed,
            progress: 1.0,
            duplicates: findings
                .duplicates
                .iter()
                .map(|d| DuplicateSubjects {
                    subject_ids: d.subject_ids.clone(),
                    score: MatchScore::saturating(f64::from(d.score)),
                })
                .collect(),
            outliers: findings
                .outliers
                .iter()
                .map(|o| OutlierEvent {
                    subject_id: o.subject_id.clone(),
                    event_id: o.event_id.clone(),
                    score: MatchScore::saturating(f64::from(o.score)),
                })
                .collect(),
        },
    };
    Ok(axum::Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gallery_has_one_audit_in_progress_at_most() {
        let audits = Audits::default();
        // While the cores are taken, audits wait in progress.
        let lane = audits.running.clone();
        let held = lane.lock().expect("the lane");
        let first = audits
            .start("g1".into(), AuditInput::default, 7000, 1)
            .expect("a first audit");
        let second = audits.start("g1".into(), AuditInput::default, 7000, 1);
        match second {
            Err(ApiError::Duplicate(message)) => {
                assert!(message.contains(first.as_str()), "{message}")
            }
            other => panic!("a second audit of g1: {other:?}"),
        }
        audits
            .start("g2".into(), AuditInput::default, 7000, 1)
            .expect("another gallery's audit");
        drop(held);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while audits
            .find(&GalleryId::from("g1"), &first)
            .is_some_and(|j| j.outcome.get().is_none())
        {
            assert!(std::time::Instant::now() < deadline, "the first audit ends");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        audits
            .start("g1".into(), AuditInput::default, 7000, 1)
            .expect("a new audit once the first is done");
    }
}
