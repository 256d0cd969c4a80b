//! How the store and index scale with a gallery's size, printed as figures
//! (`cargo bench -p necid-server --bench scale`):
//!
//! - the cost of one enrolment into an empty gallery and into one already holding 100,000 rows
//!   seeded directly in the database, with their ratio: whole enrolments through the service
//!   (HTTP, SigV4, the face engine on real photos, the store and the index), and the store
//!   transaction with its index mirroring alone;
//! - the start-up of a service whose database holds 1,000,000 descriptors: the time to load the
//!   index, and the memory it takes against the raw descriptors (1,000,000 × 128 × 4 bytes).
//!
//! - the gallery audit over every pair of 100,000 events ([`audit`]).
//!
//! Every enrolled descriptor is distinct (a seeded generator), as a real workload's would be.
//! `NECID_BENCH_ROWS` and `NECID_BENCH_STARTUP_ROWS` shrink the runs; a word after `--` runs only
//! the sections whose name holds it (`enrolment`, `start-up`, `audit`).

mod audit;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use necid_server::index::DIM;
use necid_server::store::{
    EnrolTarget, GalleryId, Store, TagName, descriptor_to_blob, new_id, now_timestamp,
};
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
fn enrolment_time(state: &AppState, gallery_id: &GalleryId, rng: &mut Rng) -> Duration {
    let tags = vec![TagName::from("staff")];
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

/// Photos of `../shared/testdata/faces` that enrol (one face of enough quality), in a fixed order.
fn photos(count: usize) -> Vec<necid::FaceImage> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/faces");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata/faces")
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| std::fs::read_dir(e.path()).ok())
        .flat_map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg" || x == "png"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .take(count)
        .map(|p| necid::FaceImage::from_path(p).expect("photo"))
        .collect()
}

/// Enrols every photo through a real listener on 127.0.0.1; the mean time of those that
/// enrolled, and how many did.
fn http_enrolments(
    runtime: &tokio::runtime::Runtime,
    state: &AppState,
    api_key: &necid::ApiKey,
    photos: &[necid::FaceImage],
) -> (Duration, usize) {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(necid_server::serve::serve(
            listener,
            necid_server::app(state.clone()),
            necid_server::serve::ServeOptions::default(),
        ));
        let c = state.credentials();
        let client = necid::Client::builder()
            .base_url(base_url)
            .credentials(necid::Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
            ))
            .build()
            .expect("client");
        let gallery = client.gallery(api_key.clone());
        let (mut total, mut enrolled) = (Duration::ZERO, 0);
        for photo in photos {
            let t = Instant::now();
            if gallery.register_subject(photo, &[]).await.is_ok() {
                total += t.elapsed();
                enrolled += 1;
            }
        }
        server.abort();
        (total / enrolled.max(1) as u32, enrolled)
    })
}

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |section: &str| only.as_deref().is_none_or(|o| section.contains(o));
    if wants("audit") {
        audit::figures();
    }
    if !wants("enrolment and start-up") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bucket = dir.path().join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket");
    let credentials = TenantCredentials::random();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);

    // --- enrolment at 0 and at 100,000 rows ----------------------------------------------
    let seeded = env_rows("NECID_BENCH_ROWS", 100_000);
    let db = dir.path().join("enrol.sqlite3");
    let state = state_on(&db, &bucket, &credentials);
    let (gallery, app) = state
        .store()
        .create_gallery(state.tenant_id(), "Bench", "", 10_000_000, 0.45)
        .expect("gallery");
    state
        .store()
        .create_tag(&gallery.id, &TagName::from("staff"))
        .expect("tag");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let api_key = app.api_key;
    let photos = photos(env_rows("NECID_BENCH_PHOTOS", 40));
    let (http_empty, enrolled_empty) = http_enrolments(&runtime, &state, &api_key, &photos);
    let empty = enrolment_time(&state, &gallery.id, &mut rng);
    drop(state);
    seed(&db, gallery.id.as_str(), seeded, &mut rng);
    let state = state_on(&db, &bucket, &credentials);
    let (http_full, enrolled_full) = http_enrolments(&runtime, &state, &api_key, &photos);
    let full = enrolment_time(&state, &gallery.id, &mut rng);
    drop(state);
    println!(
        "enrolment through the service ({enrolled_empty} and {enrolled_full} photos): {:.1} ms into an empty gallery, {:.1} ms beside {} rows: ratio {:.3}",
        http_empty.as_secs_f64() * 1e3,
        http_full.as_secs_f64() * 1e3,
        seeded + enrolled_empty + ENROLMENTS,
        http_full.as_secs_f64() / http_empty.as_secs_f64()
    );
    println!(
        "store transaction + index mirroring alone ({ENROLMENTS} each): {:.1} µs at {} rows, {:.1} µs at {} rows: ratio {:.2}",
        empty.as_secs_f64() * 1e6,
        enrolled_empty,
        full.as_secs_f64() * 1e6,
        seeded + enrolled_empty + enrolled_full + ENROLMENTS,
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
    seed(&db, gallery_id.as_str(), rows, &mut rng);
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
