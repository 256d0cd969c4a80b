//! Integrity kept by the database and the domain layer: ids are never reused, a subject's first
//! event stays first, and no message carries a key. (Under six concurrent clients the index
//! always equals what a restart rebuilds from the database: `concurrency`.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use necid::{CreateGallery, FaceImage, TagName};

use crate::common;

fn img(rel: &str) -> FaceImage {
    FaceImage::from_path(common::face(rel)).expect("test image")
}

fn tag(name: &str) -> TagName {
    TagName::new(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_tags_events_never_move_to_the_next_tag_created() {
    let service = common::Service::start().await;
    let staff = service.gallery("Staff").await;
    for name in ["a", "b", "x"] {
        staff.create_tag(&tag(name)).await.expect("create tag");
    }
    staff
        .register_subject(&img("obama/1.jpg"), &[tag("x")])
        .await
        .expect("register with tag x");
    staff.delete_tag(&tag("x")).await.expect("delete x");
    staff.create_tag(&tag("y")).await.expect("create y");

    let search_y = |g: necid::Gallery| async move {
        g.search(&img("obama/2.jpg"))
            .tags([tag("y")])
            .send()
            .await
            .expect("search by y")
    };
    assert!(search_y(staff.clone()).await.is_none(), "y matches nothing");

    let api_key = staff.api_key().clone();
    let service = service.restart().await;
    let staff = service.client().gallery(api_key);
    assert!(
        search_y(staff.clone()).await.is_none(),
        "after a restart, y still matches nothing: the subject was tagged x, not y"
    );
    assert!(
        staff
            .search(&img("obama/2.jpg"))
            .send()
            .await
            .expect("search")
            .is_some(),
        "the subject itself is still there"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_a_subject_always_replaces_the_same_first_event() {
    let service = common::Service::start().await;
    let staff = service.gallery("Staff").await;
    let first = staff
        .register_subject(&img("obama/1.jpg"), &[])
        .await
        .expect("register");
    let second = staff
        .register_event(&first.id, &img("obama/2.jpg"), &[])
        .await
        .expect("second event");
    for photo in ["obama/3.jpg", "obama/4.jpg", "obama/5.jpg"] {
        let updated = staff
            .update_subject(&first.id, &img(photo), &[])
            .await
            .expect("update subject");
        assert_eq!(
            updated.event_id, first.event_id,
            "the first event is replaced"
        );
    }
    let events: Vec<_> = staff
        .events(&first.id)
        .await
        .expect("events")
        .events
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(events, vec![first.event_id, second.event_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_gallery_name_is_refused_without_showing_any_api_key() {
    let service = common::Service::start().await;
    let client = service.client();
    let staff = service.gallery("Staff <b>").await;
    let dup = client
        .galleries()
        .create(&CreateGallery {
            name: "Staff <b>".into(),
            description: String::new(),
            face_minimum_quality_score: 0.5,
            size: 10,
        })
        .await
        .expect_err("the name is taken");
    assert_eq!(dup.error_code(), Some(necid::ErrorCode::Duplicate));
    let text = dup.to_string();
    assert!(!text.contains(staff.api_key().expose()), "{text}");
    assert!(!text.contains("<b>"), "input is quoted safely: {text}");
}

/// Everything the service logs while this process runs.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            // Everything the service logs, at every level. The test's own requests are signed by
            // the client crate's signer (aws-sigv4), whose trace lines are the client's, not the
            // service's.
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace,aws_sigv4=off"))
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        log
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every error-producing request we know of, answered and logged without any key, secret or
/// server path, and with client input quoted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_shows_a_key_a_secret_or_a_server_path() {
    // The log it reads is the whole process's: alone, it holds this test's requests only.
    if !necid_testkit::in_a_process_of_its_own() {
        return;
    }
    use common::{Call, send};
    use serde_json::json;

    let log = captured_log();
    let (state, dir) = common::state();
    // The bulk records below fail in the background, on this state's worker.
    let _worker = necid_server::bulk::spawn(state.clone());
    let api_key = common::create_gallery(&state, "Staff").await;
    let creds = state.credentials().clone();
    let b64 = |path: &std::path::Path| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).expect("file"))
    };
    let bad_dir = common::testdata().join("bad");
    let mut bad_files: Vec<_> = std::fs::read_dir(&bad_dir)
        .expect("testdata/bad")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "csv"))
        .collect();
    bad_files.sort();

    let expired = std::time::SystemTime::now() - Duration::from_secs(900);
    let mut calls: Vec<(&str, Call<'_>)> = vec![
        (
            "duplicate gallery",
            Call::new("POST", "/api/galleries").json(json!({"name": "Staff", "description": "", "faceMinimumQualityScore": 0.5, "size": 10})),
        ),
        ("wrong secret", Call { secret: Some("not-the-secret-at-all"), ..Call::new("GET", "/api/galleries") }),
        ("expired", Call { time: expired, ..Call::new("GET", "/api/galleries") }),
        ("no api key", Call::new("GET", "/v1.1/subjects")),
        ("unknown api key", Call { api_key: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ..Call::new("GET", "/v1.1/subjects") }),
        ("bad json", Call { body: b"{\"name\": ".to_vec(), ..Call::new("POST", "/api/galleries") }),
        ("wrong shape", Call::new("POST", "/api/galleries").json(json!({"name": 5}))),
        ("long name", Call::new("POST", "/api/galleries").json(json!({"name": "x".repeat(500), "description": "", "faceMinimumQualityScore": 0.5, "size": 10}))),
        ("html tag", Call { api_key: Some(&api_key), ..Call::new("POST", "/v1.1/tags/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E") }),
        ("html tag again", Call { api_key: Some(&api_key), ..Call::new("POST", "/v1.1/tags/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E") }),
        ("unknown tag", Call { api_key: Some(&api_key), ..Call::new("POST", "/v1.1/subjects").json(json!({"face": b64(&common::face("obama/1.jpg")), "tags": ["<script>"]})) }),
        ("unknown subject", Call { api_key: Some(&api_key), ..Call::new("DELETE", "/v1.1/subjects/..%2F..%2Fetc") }),
        ("unknown gallery", Call::new("DELETE", "/api/galleries/nope")),
        ("bulk", Call { api_key: Some(&api_key), ..Call::new("POST", "/v1.1/jobs/bulkregister").json(json!({"registrations": [
            {"filename": "../../../etc/passwd", "tags": []},
            {"filename": "/etc/passwd", "tags": []},
            {"filename": "missing.jpg", "tags": []}
        ]})) }),
    ];
    let bodies: Vec<(String, serde_json::Value)> = bad_files
        .iter()
        .map(|p| (p.display().to_string(), json!({"image": b64(p)})))
        .collect();
    for (name, body) in &bodies {
        calls.push((
            name,
            Call::new("POST", "/v1.1/face/extract").json(body.clone()),
        ));
    }

    let mut answers = String::new();
    let mut batch_id = None;
    for (what, call) in &calls {
        let (status, body) = send(&state, call.request(&state)).await;
        if *what == "bulk" {
            batch_id = body["batchId"].as_str().map(str::to_owned);
        }
        answers.push_str(&format!("{what}: {status} {body}\n"));
    }
    // The bulk records fail in the background: their reasons count too.
    let batch_id = batch_id.expect("a bulk job");
    let progress = format!("/v1.1/jobs/bulkregister/{batch_id}");
    let mut records = serde_json::Value::Null;
    for _ in 0..200 {
        let (_, body) = send(
            &state,
            Call {
                api_key: Some(&api_key),
                ..Call::new("GET", &progress)
            }
            .request(&state),
        )
        .await;
        records = body;
        let done = records["processed"]
            .as_array()
            .is_some_and(|r| r.len() == 3 && r.iter().all(|r| r["status"] == "Processed"));
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        records["processed"]
            .as_array()
            .map(|r| r.iter().filter(|r| r["registerStatus"] == "Failed").count()),
        Some(3),
        "{records}"
    );
    answers.push_str(&records.to_string());
    let logged = String::from_utf8_lossy(&log.lock().expect("log")).into_owned();

    let data_dir = dir.path().to_string_lossy().into_owned();
    for text in [&answers, &logged] {
        for secret in [
            creds.access_key_id.as_str(),
            creds.secret_access_key.as_str(),
            api_key.as_str(),
            data_dir.as_str(),
        ] {
            assert!(!text.contains(secret), "a secret or path in:\n{text}");
        }
        assert!(
            !text.contains("<img") && !text.contains("<script"),
            "raw input in:\n{text}"
        );
    }
    assert!(answers.contains("already exists"), "{answers}");
}
