//! The bulk-registration worker: one background task that takes records still `New`, reads each
//! file from the tenant's bucket ([`crate::bucket`]), enrols its one face and marks the record
//! `Processed` in the same transaction as the enrolment. Because the queue is the database, a
//! job cut by a restart (or a `kill -9`) simply resumes: acknowledged records are never lost and
//! no record is enrolled twice. An attempt is counted before the work starts; a record that has
//! already had [`MAX_ATTEMPTS`] (it crashed the service each time) is failed.
//!
//! The worker must not be wedged by any one record, job or fault:
//! - Records run several at a time, taken in turn from each job ([`Queue`]), so jobs of
//!   different galleries progress side by side and a slow record holds one slot, not the queue.
//! - Each face is worked on by one thread of its own ([`FaceLanes`]): a face's nets split badly
//!   across threads, so two faces on two threads keep both cores busy where one face on two
//!   threads does not. Those threads run at a lower priority than the request handlers, so a
//!   search or a health check stays quick while a job runs.
//! - A database that refuses work (a full disk, a locked or vanished file) is retried with a
//!   back-off that grows to [`MAX_BACKOFF`] ([`StoreHealth`]), logged when it starts, at most
//!   once a minute while it lasts, and when it ends. The worker then resumes by itself.
//!
//! Nothing starts the worker behind the caller's back: [`spawn`] starts it and returns the
//! [`BulkWorker`] that stops it when dropped (the service's door, [`crate::LocalService`], owns
//! one). [`running_workers`] says how many run in this process, so a test can show that a
//! restart never leaves a second worker on the same database.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::AppState;
use crate::engine::OneFace;
use crate::error::{ApiError, quote_for_message};
use crate::store::{BatchId, PendingRecord, RecordOutcome, StoreError};

pub const MAX_ATTEMPTS: i64 = 3;
/// Records read per look at the queue (a few tens of milliseconds of the store's time). The
/// store hands them out oldest first, so a job queued behind more than this many records of
/// other jobs waits until they drain below it; a store query giving the next few records of
/// each job would lift that.
const SCAN: i64 = 20_000;
/// Records of one job kept in memory between looks at the queue: the queue is read again when
/// one job's share runs out, about every 15 s for a single large job.
const PER_JOB: usize = 256;
/// The first wait after the database refuses work; each further refusal doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two tries: how soon the worker resumes once the fault is gone.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// While the database keeps refusing, a reminder is logged at most this often.
const STILL_FAILING_LOG_EVERY: Duration = Duration::from_secs(60);

/// Bulk workers whose loop is running in this process.
static RUNNING_WORKERS: AtomicUsize = AtomicUsize::new(0);

/// How many bulk workers run in this process right now: each worker counts from [`spawn`] until
/// its task is gone (stopped, or its [`BulkWorker`] dropped).
pub fn running_workers() -> usize {
    RUNNING_WORKERS.load(Ordering::SeqCst)
}

/// Counts a worker for as long as its task (and so the record tasks it owns) exists.
struct CountedWorker;

impl CountedWorker {
    fn new() -> Self {
        RUNNING_WORKERS.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for CountedWorker {
    fn drop(&mut self) {
        RUNNING_WORKERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running bulk worker. Dropping it stops the worker: its loop and every record task it
/// started are aborted (a record cut short is still `New` and is taken up by the next worker;
/// the store refuses to enrol a record twice).
#[derive(Debug)]
pub struct BulkWorker {
    task: tokio::task::JoinHandle<()>,
}

impl BulkWorker {
    /// Stops the worker and returns once its task is gone.
    pub async fn stop(mut self) {
        self.task.abort();
        // Cancelled (or, had it panicked, failed): either way it is gone.
        let _ = (&mut self.task).await;
    }
}

impl Drop for BulkWorker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the bulk worker of `state` on the current tokio runtime; it resumes any job a
/// restart cut short. Start one per service (per database): the door does.
pub fn spawn(state: AppState) -> BulkWorker {
    let counted = CountedWorker::new();
    BulkWorker {
        task: tokio::spawn(async move {
            let _counted = counted;
            run(state).await;
        }),
    }
}

/// The worker's loop; it never returns. [`spawn`] runs it.
async fn run(state: AppState) {
    let lanes = Arc::new(FaceLanes::new(state.face_workers()));
    let health = Arc::new(StoreHealth::default());
    // Twice the face threads: while a face is worked on, the next record's file is read.
    let slots = 2 * lanes.len();
    // Replicas on one PostgreSQL share the queue: each claims (and leases) only what it is about
    // to work on, so the others take the rest.
    let scan = if state.store().postgres().is_some() {
        slots as i64
    } else {
        SCAN
    };
    let mut queue = Queue::default();
    // The records started and not finished, by the id of their task.
    let mut running: HashMap<tokio::task::Id, i64> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        if queue.stale {
            let pending = health
                .retry(&state, "read the queue", move |s| {
                    s.store().pending_records(scan)
                })
                .await;
            queue.refill(pending, running.values());
        }
        while tasks.len() < slots
            && let Some(record) = queue.next()
        {
            let seq = record.seq;
            let (state, lanes, health) = (state.clone(), lanes.clone(), health.clone());
            let task = tasks.spawn(async move { process(&state, &lanes, &health, record).await });
            running.insert(task.id(), seq);
        }
        if tasks.is_empty() {
            tokio::select! {
                () = state.bulk_wakeup() => {}
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
            queue.stale = true;
            continue;
        }
        tokio::select! {
            done = tasks.join_next_with_id() => match done {
                Some(Ok((id, ()))) => {
                    running.remove(&id);
                }
                // A record's task panicked: the record is still New and its attempt was
                // counted, so it is tried again until MAX_ATTEMPTS.
                Some(Err(e)) => {
                    tracing::error!(error = %e, "bulk worker: a record's task failed");
                    running.remove(&e.id());
                    queue.stale = true;
                }
                None => {}
            },
            () = state.bulk_wakeup() => queue.stale = true,
        }
    }
}

/// Records waiting to be started, one line per job, served in turn.
struct Queue {
    jobs: VecDeque<JobLine>,
    /// The job served last, so that a refill goes on with the next one.
    last_batch: Option<BatchId>,
    /// Whether the database may hold records that are not here.
    stale: bool,
}

struct JobLine {
    batch_id: BatchId,
    records: VecDeque<PendingRecord>,
    /// The scan had more records of this job than it kept.
    more: bool,
}

impl Default for Queue {
    fn default() -> Self {
        Self {
            jobs: VecDeque::new(),
            last_batch: None,
            stale: true,
        }
    }
}

impl Queue {
    /// Replaces the queue with a fresh scan, leaving out the records already started.
    fn refill<'a>(
        &mut self,
        pending: Vec<PendingRecord>,
        running: impl IntoIterator<Item = &'a i64>,
    ) {
        let truncated = pending.len() as i64 >= SCAN;
        let running: std::collections::HashSet<i64> = running.into_iter().copied().collect();
        self.jobs.clear();
        let mut line_of_batch: HashMap<BatchId, usize> = HashMap::new();
        for record in pending {
            if running.contains(&record.seq) {
                continue;
            }
            let i = *line_of_batch
                .entry(record.batch_id.clone())
                .or_insert_with(|| {
                    self.jobs.push_back(JobLine {
                        batch_id: record.batch_id.clone(),
                        records: VecDeque::new(),
                        more: false,
                    });
                    self.jobs.len() - 1
                });
            let line = &mut self.jobs[i];
            if line.records.len() < PER_JOB {
                line.records.push_back(record);
            } else {
                line.more = true;
            }
        }
        if truncated && let Some(last) = self.jobs.back_mut() {
            last.more = true;
        }
        // Go on after the job served last rather than starting again with the oldest.
        if let Some(last) = &self.last_batch
            && let Some(i) = self.jobs.iter().position(|j| &j.batch_id == last)
        {
            self.jobs.rotate_left(i + 1);
        }
        self.stale = false;
    }

    /// The next record to start, taking jobs in turn.
    fn next(&mut self) -> Option<PendingRecord> {
        let mut line = self.jobs.pop_front()?;
        let record = line.records.pop_front()?;
        self.last_batch = Some(line.batch_id.clone());
        if !line.records.is_empty() {
            self.jobs.push_back(line);
        } else if line.more {
            self.stale = true;
        }
        if self.jobs.is_empty() {
            self.stale = true;
        }
        Some(record)
    }
}

/// Whether the database is refusing work, and how long to wait before the next try.
#[derive(Debug, Default)]
struct StoreHealth {
    state: std::sync::Mutex<Refusals>,
}

#[derive(Debug, Default)]
struct Refusals {
    /// Refusals in a row.
    count: u32,
    last_log: Option<Instant>,
}

impl StoreHealth {
    /// Runs `op` on a blocking thread until the database accepts it.
    async fn retry<T, F>(&self, state: &AppState, what: &'static str, op: F) -> T
    where
        F: Fn(&AppState) -> Result<T, StoreError> + Clone + Send + 'static,
        T: Send + 'static,
    {
        loop {
            let attempt = op.clone();
            match state.db(move |s| Ok(attempt(s))).await {
                Ok(Ok(value)) => {
                    self.accepted();
                    return value;
                }
                Ok(Err(e)) => {
                    let wait = self.refused(what, &e);
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    let wait = self.refused(what, &e);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Refusals> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn accepted(&self) {
        let mut state = self.lock();
        if state.count > 0 {
            tracing::info!(
                refusals = state.count,
                "bulk worker: the database accepts work again; resuming"
            );
            *state = Refusals::default();
        }
    }

    /// Counts a refusal and returns how long to wait before the next try.
    fn refused(&self, what: &'static str, error: &dyn std::fmt::Debug) -> Duration {
        let mut state = self.lock();
        state.count = state.count.saturating_add(1);
        let now = Instant::now();
        if state.count == 1 {
            tracing::warn!(
                ?error,
                "bulk worker: cannot {what}; retrying with a back-off of up to {} s",
                MAX_BACKOFF.as_secs()
            );
            state.last_log = Some(now);
        } else if state
            .last_log
            .is_none_or(|t| now.duration_since(t) >= STILL_FAILING_LOG_EVERY)
        {
            tracing::warn!(
                ?error,
                refusals = state.count,
                "bulk worker: still cannot {what}"
            );
            state.last_log = Some(now);
        }
        let doublings = state.count.saturating_sub(1).min(16);
        FIRST_BACKOFF
            .saturating_mul(1 << doublings)
            .min(MAX_BACKOFF)
    }
}

/// Whether an enrolment refused by the database is worth trying again (the fault is the
/// machine's, not the record's).
fn is_transient(e: &StoreError) -> bool {
    use rusqlite::ErrorCode as C;
    match e {
        StoreError::Unavailable(_) => return true,
        StoreError::Postgres(e) => return crate::store::pg::is_transient(e),
        _ => {}
    }
    matches!(
        e,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if matches!(
                f.code,
                C::DiskFull
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::SystemIoFailure
                    | C::OutOfMemory
                    | C::CannotOpen
                    | C::ReadOnly
                    | C::PermissionDenied
            )
    )
}

/// Threads that work on bulk faces, one face per thread (a rayon pool of one thread each, so the
/// engine's parallel steps stay on it), at a lower priority than the request handlers.
struct FaceLanes {
    free: std::sync::Mutex<Vec<rayon::ThreadPool>>,
    permits: Semaphore,
    count: usize,
}

impl FaceLanes {
    fn new(count: usize) -> Self {
        let count = count.max(1);
        let pools: Vec<rayon::ThreadPool> = (0..count)
            .filter_map(|i| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("necid-bulk-face-{i}"))
                    .start_handler(|_| lower_this_threads_priority())
                    .build()
                    .map_err(
                        |e| tracing::error!(error = %e, "bulk worker: cannot start a face thread"),
                    )
                    .ok()
            })
            .collect();
        let count = pools.len();
        Self {
            free: std::sync::Mutex::new(pools),
            permits: Semaphore::new(count),
            count,
        }
    }

    fn len(&self) -> usize {
        self.count.max(1)
    }

    /// Runs `f` on a free face thread once there is one.
    async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let unavailable = || ApiError::Internal("no bulk face thread".into());
        let _permit = self.permits.acquire().await.map_err(|_| unavailable())?;
        let lane = Lane {
            lanes: self,
            pool: self.free.lock().unwrap_or_else(|p| p.into_inner()).pop(),
        };
        let pool = lane.pool.as_ref().ok_or_else(unavailable)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        pool.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .unwrap_or_else(|_| Err(ApiError::Internal("face work panicked".into())));
            let _ = tx.send(result);
        });
        rx.await.map_err(|_| unavailable())?
    }
}

/// A face thread taken from [`FaceLanes`], given back when dropped.
struct Lane<'a> {
    lanes: &'a FaceLanes,
    pool: Option<rayon::ThreadPool>,
}

impl Drop for Lane<'_> {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            self.lanes
                .free
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(pool);
        }
    }
}

/// Bulk faces yield the cores to requests: on Linux a thread's nice value is its own.
pub(crate) fn lower_this_threads_priority() {
    /// How much lower than the request handlers the face threads of bulk jobs run.
    #[cfg(target_os = "linux")]
    const BULK_NICENESS: i32 = 10;
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; `0` names the calling thread on Linux.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, BULK_NICENESS);
    }
}

fn failed(reason: impl Into<String>) -> RecordOutcome {
    RecordOutcome {
        success: false,
        reason: reason.into(),
        ..RecordOutcome::default()
    }
}

async fn process(state: &AppState, lanes: &FaceLanes, health: &StoreHealth, record: PendingRecord) {
    let seq = record.seq;
    let outcome = if record.attempts >= MAX_ATTEMPTS {
        Some(failed(format!("Gave up after {MAX_ATTEMPTS} attempts.")))
    } else {
        health
            .retry(state, "count an attempt", move |s| {
                s.store().begin_attempt(seq)
            })
            .await;
        attempt(state, lanes, health, &record).await
    };
    if let Some(outcome) = outcome {
        health
            .retry(state, "record an outcome", move |s| {
                s.store().finish_record(seq, &outcome)
            })
            .await;
    }
}

/// Enrols one record. `None` when it succeeded (already recorded in the enrolment's
/// transaction); otherwise the failure to record.
async fn attempt(
    state: &AppState,
    lanes: &FaceLanes,
    health: &StoreHealth,
    record: &PendingRecord,
) -> Option<RecordOutcome> {
    let limits = *state.limits();
    let bytes = match state
        .bucket()
        .read(&record.filename, limits.max_image_bytes)
        .await
    {
        Ok(bytes) => bytes,
        Err(e) => {
            if let crate::bucket::BucketError::Unreadable(io) = &e {
                tracing::warn!(error = %io, seq = record.seq, "bulk worker: a bucket file could not be read");
            }
            return Some(failed(format!(
                "{e}: {}.",
                quote_for_message(&record.filename)
            )));
        }
    };

    let (gallery_id, app_id) = (record.gallery_id.clone(), record.application_id.clone());
    let minimum = health
        .retry(state, "read a gallery", move |s| {
            let tenant = s.tenant_id();
            // The job's application, while it exists; else its gallery's minimum.
            if let Some(app_id) = &app_id {
                match s.store().application(tenant, app_id) {
                    Ok(app) => return Ok(Some(app.face_minimum_quality_score)),
                    Err(StoreError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            match s.store().gallery(tenant, &gallery_id) {
                Ok(g) => Ok(Some(g.face_minimum_quality_score)),
                Err(StoreError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await;
    let Some(minimum) = minimum else {
        return Some(failed("The gallery no longer exists."));
    };

    let engine = state.engine().clone();
    let face = match lanes
        .run(move || engine.one_face(&bytes).map_err(ApiError::from))
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
    let (face, record_for_store) = (Arc::new(face), record.clone());
    let enrolled = health
        .retry(state, "enrol a record", move |s| {
            match enrol_record(s, &record_for_store, &face, &attributes_json) {
                Err(e) if is_transient(&e) => Err(e),
                other => Ok(other),
            }
        })
        .await;
    match enrolled {
        Ok(()) => None,
        Err(e) => {
            let error = ApiError::from(e);
            if let ApiError::Internal(detail) = &error {
                tracing::error!(%detail, seq = record.seq, "bulk worker: a record could not be enrolled");
            }
            Some(failed(error.body().message))
        }
    }
}

/// Enrols a bulk record's face in the store and the gallery's index as one step, through the
/// domain layer (runs on a blocking thread).
fn enrol_record(
    state: &AppState,
    record: &PendingRecord,
    face: &OneFace,
    attributes_json: &str,
) -> Result<(), StoreError> {
    let (seq, gallery_id, tags) = (record.seq, &record.gallery_id, &record.tags);
    state.enrol_bulk_record(seq, gallery_id, &face.descriptor, attributes_json, tags)?;
    Ok(())
}
