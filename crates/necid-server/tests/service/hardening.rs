//! The local service against what a hostile client or a bad day brings (issue 14): a data
//! folder other users could read, links and FIFOs in the bucket, a full disk, and several jobs
//! at once. Each test runs the real service with the real engine.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use necid::{BulkRegistration, RecordStatus, RegisterStatus, RegisterSummary};
use necid_server::{AppState, Config};

use crate::common;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn assert_private(data_dir: &Path) {
    assert_eq!(mode(data_dir), 0o700, "data folder");
    assert_eq!(mode(&data_dir.join("bucket")), 0o700, "bucket folder");
    for file in [
        "necid.sqlite3",
        "necid.sqlite3-wal",
        "necid.sqlite3-shm",
        "credentials.json",
    ] {
        assert_eq!(mode(&data_dir.join(file)), 0o600, "{file}");
    }
}

/// Starts the state over `data_dir` and writes to the database, so SQLite makes its -wal and
/// -shm files.
fn start_and_write(data_dir: &Path) -> AppState {
    let state = AppState::new(Config::from_data_dir(data_dir, common::engine()).expect("config"))
        .expect("state");
    state
        .store()
        .create_gallery(
            state.tenant_id(),
            &necid_server::store::new_id(),
            "",
            10,
            0.5,
        )
        .expect("a write");
    state
}

#[test]
fn a_new_data_folder_holds_its_database_and_bucket_privately() {
    let parent = tempfile::tempdir().expect("tempdir");
    let data_dir = parent.path().join("data");
    let _state = start_and_write(&data_dir);
    assert_private(&data_dir);
}

#[test]
fn a_data_folder_left_readable_by_all_is_made_private_on_start() {
    let parent = tempfile::tempdir().expect("tempdir");
    let data_dir = parent.path().join("data");
    // An older version's service still running: its -wal and -shm files exist (SQLite deletes
    // them when the last connection closes).
    let _older = start_and_write(&data_dir);
    let wide = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    wide(&data_dir, 0o755);
    wide(&data_dir.join("bucket"), 0o755);
    for file in ["necid.sqlite3", "necid.sqlite3-wal", "necid.sqlite3-shm"] {
        wide(&data_dir.join(file), 0o644);
    }
    let _state = start_and_write(&data_dir);
    assert_private(&data_dir);
}

/// Copies `face` into the bucket under each name; the registrations for them.
fn copies(service: &common::Service, face: &str, names: &[String]) -> Vec<BulkRegistration> {
    names
        .iter()
        .map(|name| {
            std::fs::copy(common::face(face), service.bucket_dir().join(name)).expect("copy");
            BulkRegistration {
                filename: name.clone(),
                tags: vec![],
            }
        })
        .collect()
}

async fn records(gallery: &necid::Gallery, batch: &necid::BatchId) -> Vec<RegisterSummary> {
    gallery
        .bulk_records(batch.clone())
        .try_collect()
        .await
        .expect("progress")
}

async fn wait_for_job(
    gallery: &necid::Gallery,
    batch: &necid::BatchId,
    limit: Duration,
) -> Vec<RegisterSummary> {
    let started = Instant::now();
    loop {
        let records = records(gallery, batch).await;
        if records.iter().all(|r| r.status == RecordStatus::Processed) {
            return records;
        }
        assert!(
            started.elapsed() < limit,
            "the bulk job did not finish within {limit:?}: {records:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn record<'a>(records: &'a [RegisterSummary], filename: &str) -> &'a RegisterSummary {
    records
        .iter()
        .find(|r| r.filename == filename)
        .expect("record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_out_of_the_bucket_are_refused_with_a_reason_that_names_no_server_path() {
    let service = common::Service::start().await;
    let gallery = service.gallery("Links").await;
    let bucket = service.bucket_dir();
    let outside = service.data_dir.path().join("outside.jpg");
    std::fs::copy(common::face("john_schneider/1.jpg"), &outside).expect("copy");
    std::os::unix::fs::symlink(&outside, bucket.join("linked-face.jpg")).expect("symlink");
    std::os::unix::fs::symlink("/etc/passwd", bucket.join("passwd.jpg")).expect("symlink");
    let mut registrations = copies(&service, "john_schneider/2.jpg", &["inside.jpg".into()]);
    for name in [
        "linked-face.jpg",
        "passwd.jpg",
        "missing.jpg",
        "../outside.jpg",
    ] {
        registrations.push(BulkRegistration {
            filename: name.into(),
            tags: vec![],
        });
    }
    let batch = gallery.bulk_register(registrations).await.expect("bulk");
    let records = wait_for_job(&gallery, &batch, Duration::from_secs(60)).await;

    assert_eq!(
        record(&records, "inside.jpg").register_status,
        Some(RegisterStatus::Success)
    );
    let server_paths = [
        service.data_dir.path().display().to_string(),
        "/etc".to_owned(),
        "/tmp".to_owned(),
    ];
    for (name, reason) in [
        (
            "linked-face.jpg",
            "File is outside the bucket: 'linked-face.jpg'.",
        ),
        ("passwd.jpg", "File is outside the bucket: 'passwd.jpg'."),
        (
            "missing.jpg",
            "File not found in the bucket: 'missing.jpg'.",
        ),
        (
            "../outside.jpg",
            "File name is not valid: '../outside.jpg'.",
        ),
    ] {
        let r = record(&records, name);
        assert_eq!(r.register_status, Some(RegisterStatus::Failed), "{name}");
        assert_eq!(r.reason, reason);
        for path in &server_paths {
            assert!(!r.reason.contains(path.as_str()), "{}", r.reason);
        }
    }
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("cstring");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_one_job_fails_at_once_and_does_not_stall_another_gallerys_job() {
    let service = common::Service::start().await;
    let (first, second) = (
        service.gallery("First").await,
        service.gallery("Second").await,
    );
    mkfifo(&service.bucket_dir().join("pipe.jpg"));
    let mut stuck = vec![BulkRegistration {
        filename: "pipe.jpg".into(),
        tags: vec![],
    }];
    stuck.extend(copies(&service, "amy/1.png", &["after-pipe.png".into()]));
    let started = Instant::now();
    let stuck_batch = first.bulk_register(stuck).await.expect("bulk");
    let other = copies(
        &service,
        "john_salley/1.jpg",
        &["a.jpg".into(), "b.jpg".into()],
    );
    let other_batch = second.bulk_register(other).await.expect("bulk");

    let other_records = wait_for_job(&second, &other_batch, Duration::from_secs(30)).await;
    assert!(
        other_records
            .iter()
            .all(|r| r.register_status == Some(RegisterStatus::Success)),
        "{other_records:?}"
    );
    let stuck_records = wait_for_job(&first, &stuck_batch, Duration::from_secs(30)).await;
    assert_eq!(
        record(&stuck_records, "pipe.jpg").reason,
        "File is not a regular file: 'pipe.jpg'."
    );
    assert_eq!(
        record(&stuck_records, "after-pipe.png").register_status,
        Some(RegisterStatus::Success)
    );
    // Four faces at most a few seconds each on a slow machine; a FIFO read would never end.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_of_different_galleries_progress_side_by_side() {
    let service = common::Service::start().await;
    let (big, small) = (service.gallery("Big").await, service.gallery("Small").await);
    let big_names: Vec<String> = (0..16).map(|i| format!("big-{i}.jpg")).collect();
    let small_names: Vec<String> = (0..2).map(|i| format!("small-{i}.jpg")).collect();
    let big_batch = big
        .bulk_register(copies(&service, "john_savage/1.jpg", &big_names))
        .await
        .expect("bulk");
    let small_batch = small
        .bulk_register(copies(&service, "john_savage/2.jpg", &small_names))
        .await
        .expect("bulk");

    let small_records = wait_for_job(&small, &small_batch, Duration::from_secs(60)).await;
    assert!(
        small_records
            .iter()
            .all(|r| r.register_status == Some(RegisterStatus::Success))
    );
    let big_done = records(&big, &big_batch)
        .await
        .iter()
        .filter(|r| r.status == RecordStatus::Processed)
        .count();
    assert!(
        big_done < big_names.len() / 2,
        "the small job waited for {big_done} of the big job's {} records",
        big_names.len()
    );
    wait_for_job(&big, &big_batch, Duration::from_secs(120)).await;
}

/// Log output counted in bytes.
#[derive(Clone, Default)]
struct LogBytes(Arc<AtomicUsize>);

impl std::io::Write for LogBytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// CPU seconds (user + system) used so far by the given threads of this process.
fn cpu_seconds(threads: &[i32]) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    threads
        .iter()
        .filter_map(|tid| std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok())
        .map(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
            let fields: Vec<&str> = rest.split(' ').collect();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
            (ticks(11) + ticks(12)) / ticks_per_second
        })
        .sum()
}

#[test]
fn on_a_full_disk_the_bulk_worker_waits_quietly_and_resumes_when_space_returns() {
    // The service gets a runtime of its own whose threads are known (for their CPU time) and
    // log into a counter.
    let threads: Arc<Mutex<Vec<i32>>> = Arc::default();
    let log = LogBytes::default();
    let runtime = {
        let (threads, log) = (threads.clone(), log.clone());
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_keep_alive(Duration::from_secs(600))
            .enable_all()
            .on_thread_start(move || {
                // SAFETY: gettid has no preconditions.
                threads
                    .lock()
                    .expect("threads")
                    .push(unsafe { libc::gettid() });
                let log = log.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::INFO)
                    .with_writer(move || log.clone())
                    .finish();
                // Kept for the thread's life: this thread logs into the counter from now on.
                std::mem::forget(tracing::subscriber::set_default(subscriber));
            })
            .build()
            .expect("runtime")
    };
    runtime.block_on(async {
        let service = common::Service::start().await;
        let gallery = service.gallery("Full").await;
        let names: Vec<String> = (0..12).map(|i| format!("face-{i}.jpg")).collect();
        let batch = gallery
            .bulk_register(copies(&service, "john_schneider/3.jpg", &names))
            .await
            .expect("bulk");
        // No page may be added from now on: every enrolment fails as on a full disk.
        service.state.store().set_max_page_count(1).expect("cap");

        tokio::time::sleep(Duration::from_secs(1)).await;
        let tids = threads.lock().expect("threads").clone();
        let (cpu_before, log_before) = (cpu_seconds(&tids), log.0.load(Ordering::Relaxed));
        let window = Duration::from_secs(10);
        tokio::time::sleep(window).await;
        let tids = threads.lock().expect("threads").clone();
        let cpu = cpu_seconds(&tids) - cpu_before;
        let logged = log.0.load(Ordering::Relaxed) - log_before;
        assert!(
            cpu < 0.2 * window.as_secs_f64(),
            "the worker used {cpu:.2} s of CPU in {window:?}"
        );
        assert!(
            logged < 256 << 10,
            "the worker logged {logged} bytes in {window:?}"
        );
        let waiting = records(&gallery, &batch).await;
        assert!(
            waiting
                .iter()
                .all(|r| r.register_status != Some(RegisterStatus::Failed)),
            "no record fails for want of space: {waiting:?}"
        );
        assert!(
            waiting.iter().any(|r| r.status == RecordStatus::New),
            "the cap stopped the job"
        );

        service
            .state
            .store()
            .set_max_page_count(1 << 30)
            .expect("uncap");
        let done = wait_for_job(&gallery, &batch, Duration::from_secs(60)).await;
        assert!(
            done.iter()
                .all(|r| r.register_status == Some(RegisterStatus::Success) && r.attempts == 1),
            "{done:?}"
        );
    });
}
