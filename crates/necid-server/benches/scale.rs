//! How the store and index scale with a gallery's size, printed as figures
//! (`cargo bench -p necid-server --bench scale`):
//!
//! - the cost of one enrolment (store transaction + index mirroring, the face work left out) into
//!   an empty gallery and into one already holding 100,000 rows seeded directly in the database,
//!   with their ratio;
//! - the start-up of a service whose database holds 1,000,000 descriptors: the time to load the
//!   index, and the memory it takes against the raw descriptors (1,000,000 × 128 × 4 bytes).
//!
//! Every enrolled descriptor is distinct (a seeded generator), as a real workload's would be.
//! `NECID_BENCH_ROWS` and `NECID_BENCH_STARTUP_ROWS` shrink the runs.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use necid_server::index::DIM;
use necid_server::store::{EnrolTarget, Store, descriptor_to_blob, new_id, now_timestamp};
use necid_server::{AppState, Config, Limits, TenantCredentials};

const ENROLMENTS: usize = 1000;

struct Rng(u64);

impl Rng {
    fn descriptor(&mut self) -> [f32; DIM] {
        let mut v = [0f32; DIM];
        for x in &mut v {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *x = ((self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.3;
        }
        v
    }
}

fn env_rows(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process, in bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn engine() -> Arc<dyn necid_server::engine::FaceAnalyser> {
    let dir = necid_face::default_models_dir().expect("a models directory");
    Arc::new(
        necid_server::engine::RealEngine::load(&dir, Limits::default().decode_limits())
            .expect("the face models (scripts/fetch-models)"),
    )
}

fn state_on(db: &Path, bucket: &Path, credentials: &TenantCredentials) -> AppState {
    let store = Store::open(db).expect("store");
    AppState::new(Config {
        store,
        engine: engine(),
        credentials: credentials.clone(),
        bucket: necid_server::bucket::Bucket::local(bucket).expect("bucket"),
        limits: Limits::default(),
        face_workers: 2,
    })
    .expect("state")
}

/// Adds `rows` active events of distinct subjects to a gallery, straight into the database.
fn seed(db: &Path, gallery_id: &str, rows: usize, rng: &mut Rng) {
    let mut conn = rusqlite::Connection::open(db).expect("db");
    let tx = conn.transaction().expect("tx");
    let first_slot: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(slot), -1) + 1 FROM events WHERE gallery_id = ?1",
            [gallery_id],
            |r| r.get(0),
        )
        .expect("slot");
    {
        let mut subject = tx
            .prepare("INSERT INTO subjects (id, gallery_id, created_at) VALUES (?1, ?2, ?3)")
            .expect("prepare");
        let mut event = tx
            .prepare(
                "INSERT INTO events (gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes) \
                 VALUES (?1, ?2, ?3, 'ACTIVE', ?4, 0, ?5, ?6, '{}')",
            )
            .expect("prepare");
        let now = now_timestamp();
        for i in 0..rows {
            let subject_id = new_id();
            subject
                .execute(rusqlite::params![subject_id, gallery_id, now])
                .expect("subject");
            event
                .execute(rusqlite::params![
                    gallery_id,
                    subject_id,
                    new_id(),
                    first_slot + i as i64,
                    now,
                    descriptor_to_blob(&rng.descriptor())
                ])
                .expect("event");
        }
    }
    tx.commit().expect("commit");
}

/// The mean time of one enrolment (with a tag) through the domain layer.
fn enrolment_time(state: &AppState, gallery_id: &str, rng: &mut Rng) -> Duration {
    let tags = vec!["staff".to_owned()];
    let t = Instant::now();
    for _ in 0..ENROLMENTS {
        state
            .enrol(
                gallery_id,
                &EnrolTarget::NewSubject,
                &rng.descriptor(),
                "{}",
                &tags,
            )
            .expect("enrol");
    }
    t.elapsed() / ENROLMENTS as u32
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bucket = dir.path().join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket");
    let credentials = TenantCredentials::random();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);

    // --- enrolment at 0 and at 100,000 rows ----------------------------------------------
    let seeded = env_rows("NECID_BENCH_ROWS", 100_000);
    let db = dir.path().join("enrol.sqlite3");
    let state = state_on(&db, &bucket, &credentials);
    let (gallery, _) = state
        .store()
        .create_gallery(state.tenant_id(), "Bench", "", 10_000_000, 0.45)
        .expect("gallery");
    state.store().create_tag(&gallery.id, "staff").expect("tag");
    let empty = enrolment_time(&state, &gallery.id, &mut rng);
    drop(state);
    seed(&db, &gallery.id, seeded, &mut rng);
    let state = state_on(&db, &bucket, &credentials);
    let full = enrolment_time(&state, &gallery.id, &mut rng);
    drop(state);
    println!(
        "enrolment (store + index, {ENROLMENTS} each): {:.1} µs at {} rows, {:.1} µs at {} rows: ratio {:.2}",
        empty.as_secs_f64() * 1e6,
        0,
        full.as_secs_f64() * 1e6,
        seeded + ENROLMENTS,
        full.as_secs_f64() / empty.as_secs_f64()
    );

    // --- start-up with 1,000,000 descriptors ---------------------------------------------
    let rows = env_rows("NECID_BENCH_STARTUP_ROWS", 1_000_000);
    let db = dir.path().join("startup.sqlite3");
    let gallery_id = {
        let state = state_on(&db, &bucket, &credentials);
        let (gallery, _) = state
            .store()
            .create_gallery(state.tenant_id(), "Million", "", 10_000_000, 0.45)
            .expect("gallery");
        gallery.id
    };
    let t = Instant::now();
    seed(&db, &gallery_id, rows, &mut rng);
    println!(
        "seeded {rows} descriptors in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let engine = engine();
    let before = rss_bytes();
    let t = Instant::now();
    let state = AppState::new(Config {
        store: Store::open(&db).expect("store"),
        engine,
        credentials: credentials.clone(),
        bucket: necid_server::bucket::Bucket::local(&bucket).expect("bucket"),
        limits: Limits::default(),
        face_workers: 2,
    })
    .expect("state");
    let load = t.elapsed();
    let after = rss_bytes();
    let raw = (rows * DIM * 4) as f64;
    let loaded = state.index(&gallery_id);
    let len = necid_server::read_lock(&loaded).len();
    assert_eq!(len, rows, "every descriptor is in the index");
    println!(
        "start-up with {rows} descriptors: index loaded in {:.2} s; RSS {:.0} MiB -> {:.0} MiB, \
         index {:.0} MiB = {:.2}x the raw descriptors ({:.0} MiB); whole process {:.2}x",
        load.as_secs_f64(),
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / raw,
        raw / 1048576.0,
        after as f64 / raw
    );
}
