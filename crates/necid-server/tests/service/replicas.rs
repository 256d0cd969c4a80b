//! Two replicas of `necid-server serve` as separate processes on one PostgreSQL (a private
//! server from the Debian package, `necid_testkit::Postgres`) and one bucket folder: what one
//! acknowledges, the other's searches see at once, and a bulk job outlives the replica that
//! accepted it (`kill -9`). Processes, not in-process services, because only a process can be
//! killed the way a machine dies.

use crate::common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use necid::{BulkRegistration, CreateGallery, FaceImage, RecordStatus, RegisterStatus};
use necid_testkit::Postgres;

/// One `necid-server serve --database-url … --bucket-url file://…` process.
struct Replica {
    child: Child,
    base_url: String,
}

impl Replica {
    fn start(database_url: &str, bucket: &Path) -> Self {
        Self::start_with(database_url, &format!("file://{}", bucket.display()), &[])
    }

    fn start_with(database_url: &str, bucket_url: &str, env: &[(&str, String)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_necid-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--database-url", database_url, "--bucket-url", bucket_url])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn necid-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines
                .next()
                .expect("the replica prints its address")
                .expect("line");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Self { child, base_url }
    }

    fn client(&self, database_url: &str) -> necid::Client {
        let out = Command::new(env!("CARGO_BIN_EXE_necid-server"))
            .args(["credentials", "--database-url", database_url, "--json"])
            .output()
            .expect("necid-server credentials");
        assert!(out.status.success(), "credentials --database-url");
        let keys: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON keys");
        necid::Client::builder()
            .base_url(&self.base_url)
            .credentials(necid::Credentials::new(
                keys["accessKeyId"].as_str().expect("accessKeyId"),
                keys["secretAccessKey"].as_str().expect("secretAccessKey"),
            ))
            .build()
            .expect("client")
    }

    fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn img(rel: &str) -> FaceImage {
    FaceImage::from_path(common::face(rel)).expect("test image")
}

async fn gallery(client: &necid::Client, name: &str, size: u64) -> necid::CreatedGallery {
    client
        .galleries()
        .create(&CreateGallery {
            name: name.into(),
            description: String::new(),
            face_minimum_quality_score: 0.45,
            size,
        })
        .await
        .expect("gallery")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_acknowledged_by_one_replica_is_seen_at_once_by_the_other() {
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("coherent").expect("database");
    let bucket = tempfile::tempdir().expect("bucket");
    let a = Replica::start(&url, bucket.path());
    let b = Replica::start(&url, bucket.path());
    let (via_a, via_b) = (a.client(&url), b.client(&url));
    let created = gallery(&via_a, "Staff", 100).await;
    let (on_a, on_b) = (
        via_a.gallery(created.api_key.clone()),
        via_b.gallery(created.api_key.clone()),
    );

    let obama = on_a
        .register_subject(&img("obama/1.jpg"), &[])
        .await
        .expect("enrolled through A");
    let found = on_b
        .search(&img("obama/3.jpg"))
        .send()
        .await
        .expect("search through B")
        .expect("B finds the subject A enrolled");
    assert_eq!(found.candidates[0].id, obama.id);

    on_b.unregister_subject(&obama.id)
        .await
        .expect("deleted through B");
    let after = on_a
        .search(&img("obama/3.jpg"))
        .send()
        .await
        .expect("search through A");
    assert!(
        after.is_none_or(|r| r.candidates.iter().all(|c| c.id != obama.id)),
        "A no longer finds the subject B deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_job_accepted_by_a_replica_killed_9_is_finished_by_the_other() {
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("bulk").expect("database");
    let bucket = tempfile::tempdir().expect("bucket");
    let mut a = Replica::start(&url, bucket.path());
    let b = Replica::start(&url, bucket.path());
    let via_a = a.client(&url);
    let created = gallery(&via_a, "Bulk", 1000).await;

    let mut registrations = Vec::new();
    for person in [
        "john_salley",
        "john_savage",
        "john_schneider",
        "john_simm",
        "john_shimkus",
    ] {
        for n in 1..=8 {
            let name = format!("{person}_{n}.jpg");
            std::fs::copy(
                common::face(&format!("{person}/{n}.jpg")),
                bucket.path().join(&name),
            )
            .expect("copy into the bucket");
            registrations.push(BulkRegistration {
                filename: name,
                tags: vec![],
            });
        }
    }
    assert_eq!(registrations.len(), 40);
    let batch = via_a
        .gallery(created.api_key.clone())
        .bulk_register(registrations)
        .await
        .expect("job accepted by A");
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.kill_9();

    let on_b = b.client(&url).gallery(created.api_key.clone());
    let at_kill: Vec<necid::RegisterSummary> = on_b
        .bulk_records(batch.clone())
        .try_collect()
        .await
        .expect("progress through B");
    assert!(
        at_kill.iter().any(|r| r.status != RecordStatus::Processed),
        "A was killed mid-job"
    );
    let deadline = Instant::now() + Duration::from_secs(240);
    let records = loop {
        let records: Vec<necid::RegisterSummary> = on_b
            .bulk_records(batch.clone())
            .try_collect()
            .await
            .expect("progress through B");
        if records.iter().all(|r| r.status == RecordStatus::Processed) {
            break records;
        }
        assert!(Instant::now() < deadline, "B finishes the job");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(records.len(), 40);
    let enrolled: Vec<_> = records
        .iter()
        .filter(|r| r.register_status == Some(RegisterStatus::Success))
        .collect();
    let subjects: HashSet<_> = enrolled.iter().map(|r| r.subject_id.clone()).collect();
    assert_eq!(subjects.len(), enrolled.len(), "one subject per record");
    let listed = on_b.list_subjects().send().await.expect("list");
    assert_eq!(
        listed.total as usize,
        enrolled.len(),
        "no record was enrolled twice"
    );
    assert!(
        enrolled.len() >= 35,
        "the faces of the job enrol ({} of 40)",
        enrolled.len()
    );
}

/// Two replicas in this process on one database: each holds its own indexes, as two machines
/// would.
async fn two_in_process(database_url: &str) -> [common::Service; 2] {
    [
        common::Service::start_on_postgres(database_url.to_owned()).await,
        common::Service::start_on_postgres(database_url.to_owned()).await,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gallerys_size_and_tag_limits_hold_when_both_replicas_write_at_once() {
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("limits").expect("database");
    let [a, b] = two_in_process(&url).await;
    let created = gallery(&a.client(), "Small", 3).await;
    let (on_a, on_b) = (
        a.client().gallery(created.api_key.clone()),
        b.client().gallery(created.api_key.clone()),
    );

    // Six enrolments into three slots, three through each replica, all at once.
    let photos: Vec<FaceImage> = [
        "obama/1.jpg",
        "obama/2.jpg",
        "obama/3.jpg",
        "obama/4.jpg",
        "john_salley/1.jpg",
        "john_savage/1.jpg",
    ]
    .into_iter()
    .map(img)
    .collect();
    let attempts = photos.iter().enumerate().map(|(i, photo)| {
        let gallery = if i % 2 == 0 { &on_a } else { &on_b };
        gallery.register_subject(photo, &[])
    });
    let results = futures_util::future::join_all(attempts).await;
    let enrolled = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(enrolled, 3, "three slots, three enrolments: {results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.error_code(), Some(necid::ErrorCode::InvalidRequest));
    }
    assert_eq!(on_b.list_subjects().send().await.expect("list").total, 3);

    // 64 tags at most, however the replicas interleave their creations.
    let names: Vec<necid::TagName> = (0..70)
        .map(|i| necid::TagName::new(format!("tag-{i}")))
        .collect();
    let creations = names.iter().enumerate().map(|(i, name)| {
        let gallery = if i % 2 == 0 { &on_a } else { &on_b };
        gallery.create_tag(name)
    });
    let outcomes = futures_util::future::join_all(creations).await;
    let created_tags = outcomes.iter().filter(|r| r.is_ok()).count();
    for refused in outcomes.iter().filter_map(|r| r.as_ref().err()) {
        // Refused by the rule, not by a constraint the database had to catch (a 500).
        assert_eq!(refused.error_code(), Some(necid::ErrorCode::InvalidRequest));
    }
    assert_eq!(created_tags, 64);
    assert_eq!(on_a.tags().await.expect("tags").len(), 64);

    // Both replicas' indexes hold exactly the gallery's three rows.
    let gallery_id = created.id.clone();
    let rows = |service: &common::Service| {
        let (state, id) = (service.state.clone(), gallery_id.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let index = state.search_index(&id).expect("caught up");
                necid_server::read_lock(&index).rows()
            })
            .await
            .expect("blocking")
        }
    };
    let (on_a_rows, on_b_rows) = (rows(&a).await, rows(&b).await);
    assert_eq!(on_a_rows.len(), 3);
    assert_eq!(on_a_rows, on_b_rows);
}

/// moto's S3 server (PyPI `moto[server]`, `NECID_MOTO_SERVER` or `moto_server` on the PATH) on a
/// free loopback port, stopped when dropped.
#[cfg(feature = "s3")]
struct Moto {
    child: Child,
    endpoint: String,
}

#[cfg(feature = "s3")]
impl Moto {
    fn start() -> Self {
        let program = std::env::var("NECID_MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} (pip install 'moto[server]', as scripts/test does): {e}")
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto's server starts");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, endpoint }
    }

    /// The usual AWS variables for a client of this server (moto accepts any keys).
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ]
    }

    /// Creates a bucket (an unsigned path-style PUT, which moto accepts).
    fn create_bucket(&self, name: &str) {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("moto");
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "bucket created: {answer}"
        );
    }

    fn store(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .with_bucket_name(bucket)
            .build()
            .expect("S3 client")
    }
}

#[cfg(feature = "s3")]
impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_read_a_bulk_jobs_files_from_one_s3_bucket() {
    use object_store::ObjectStoreExt as _;
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("s3").expect("database");
    let moto = Moto::start();
    moto.create_bucket("faces");
    let store = moto.store("faces");
    let mut registrations = Vec::new();
    for n in 1..=6 {
        let name = format!("john_simm_{n}.jpg");
        let bytes = std::fs::read(common::face(&format!("john_simm/{n}.jpg"))).expect("photo");
        store
            .put(
                &object_store::path::Path::from(format!("jobs/week1/{name}")),
                bytes.into(),
            )
            .await
            .expect("upload");
        registrations.push(BulkRegistration {
            filename: name,
            tags: vec![],
        });
    }
    registrations.push(BulkRegistration {
        filename: "missing.jpg".into(),
        tags: vec![],
    });
    registrations.push(BulkRegistration {
        filename: "../jobs/week1/john_simm_1.jpg".into(),
        tags: vec![],
    });
    let a = Replica::start_with(&url, "s3://faces/jobs/week1", &moto.env());
    let b = Replica::start_with(&url, "s3://faces/jobs/week1", &moto.env());
    let via_a = a.client(&url);
    let created = gallery(&via_a, "From S3", 100).await;
    let batch = via_a
        .gallery(created.api_key.clone())
        .bulk_register(registrations)
        .await
        .expect("job accepted");
    let on_b = b.client(&url).gallery(created.api_key.clone());
    let deadline = Instant::now() + Duration::from_secs(180);
    let records = loop {
        let records: Vec<necid::RegisterSummary> = on_b
            .bulk_records(batch.clone())
            .try_collect()
            .await
            .expect("progress");
        if records.iter().all(|r| r.status == RecordStatus::Processed) {
            break records;
        }
        assert!(Instant::now() < deadline, "the job finishes");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let outcome = |name: &str| {
        records
            .iter()
            .find(|r| r.filename == name)
            .expect("a record per registration")
    };
    for n in 1..=6 {
        assert_eq!(
            outcome(&format!("john_simm_{n}.jpg")).register_status,
            Some(RegisterStatus::Success),
            "john_simm_{n}.jpg is read from the bucket's prefix and enrolled"
        );
    }
    let missing = outcome("missing.jpg");
    assert_eq!(missing.register_status, Some(RegisterStatus::Failed));
    assert!(missing.reason.contains("not found"), "{}", missing.reason);
    let escaping = outcome("../jobs/week1/john_simm_1.jpg");
    assert_eq!(escaping.register_status, Some(RegisterStatus::Failed));
    assert!(escaping.reason.contains("not valid"), "{}", escaping.reason);
}

#[test]
fn migrate_records_the_schema_version_and_a_second_run_changes_nothing() {
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("migrations").expect("database");
    let migrate = || {
        let out = Command::new(env!("CARGO_BIN_EXE_necid-server"))
            .args(["migrate", "--database-url", &url])
            .output()
            .expect("necid-server migrate");
        assert!(out.status.success(), "migrate succeeds");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(migrate(), "schema version 1");
    assert_eq!(migrate(), "schema version 1");
    let recorded = Command::new("psql")
        .args([
            url.as_str(),
            "-tA",
            "-c",
            "SELECT string_agg(version::text, ',') FROM necid_schema_versions",
        ])
        .output()
        .expect("psql");
    assert_eq!(String::from_utf8_lossy(&recorded.stdout).trim(), "1");
}

/// A bulk worker's store call may still run while the service's runtime shuts down (a replica
/// stopping): it finishes on the store's own runtime instead of panicking on vanished timers.
#[test]
fn the_postgresql_store_keeps_working_after_the_runtime_it_was_opened_from_is_gone() {
    let pg = Postgres::start().expect("PostgreSQL");
    let url = pg.create_database("outlives").expect("database");
    let service_runtime = tokio::runtime::Runtime::new().expect("runtime");
    let connecting =
        service_runtime.spawn_blocking(move || necid_server::store::pg::PgStore::connect(&url));
    let store = service_runtime
        .block_on(connecting)
        .expect("blocking task")
        .expect("connect");
    drop(service_runtime);
    assert_eq!(
        store
            .schema_version()
            .expect("a query after the runtime stopped"),
        1
    );
}
