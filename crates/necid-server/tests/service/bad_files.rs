//! Every file of ../shared/testdata/bad sent as a face (register) and as a probe (extract):
//! the broken and hostile ones get a 400 with a clear JSON message that reflects nothing of the
//! input, the valid odd formats get a real answer, and the service keeps serving.

use crate::common;

use axum::http::StatusCode;
use base64::Engine as _;
use common::{Call, create_gallery, send, state};
use serde_json::json;

#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Reject,
    /// A valid image with a face: the register succeeds.
    Face,
    /// Accepted, whatever the face count (format-dependent or tiny faces).
    Either,
}

fn expectation(file: &str, expect: &str) -> Expect {
    let e = expect.to_ascii_lowercase();
    if e.starts_with("reject") {
        return Expect::Reject;
    }
    match file {
        // Tiny face: the manifest leaves it to the detector's minimum size.
        "face_tiny_24x32.jpg" => Expect::Either,
        _ if e.starts_with("accept")
            || e.starts_with("format-dependent")
            || e.starts_with("\"sniff")
            || e.starts_with("sniff") =>
        {
            Expect::Face
        }
        _ => Expect::Either,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_file_gets_what_the_manifest_expects_and_the_service_stays_up() {
    let (state, _dir) = state();
    let key = create_gallery(&state, "Bad").await;
    let dir = common::testdata().join("bad");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.csv")).expect("manifest");
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let mut cols = line.splitn(5, ',');
        let (Some(file), Some(_), Some(_), Some(expect)) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let bytes = std::fs::read(dir.join(file)).expect("file");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let want = expectation(file, expect);

        let mut register = Call::new("POST", "/v1.1/subjects").json(json!({"face": b64}));
        register.api_key = Some(&key);
        let (status, body) = send(&state, register.request(&state)).await;
        let text = body.to_string();
        assert!(!text.contains('<'), "{file}: nothing reflected: {text}");
        match want {
            Expect::Reject => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{file}: {text}");
                let message = body["message"].as_str().expect("message");
                assert!(message.len() > 10, "{file}: a clear message: {message}");
                assert!(body["errorCode"].is_number(), "{file}: {text}");
            }
            Expect::Face => assert_eq!(status, StatusCode::CREATED, "{file}: {text}"),
            Expect::Either => assert!(
                status == StatusCode::CREATED
                    || (status == StatusCode::BAD_REQUEST && body["errorCode"] == 2001),
                "{file}: {status} {text}"
            ),
        }

        let extract = Call::new("POST", "/v1.1/face/extract").json(json!({"faces": b64}));
        let (status, body) = send(&state, extract.request(&state)).await;
        match want {
            Expect::Reject => {
                // A one-pixel image is a valid image with no face: extract answers no faces.
                let no_faces = status == StatusCode::OK && body["faces"] == json!([]);
                assert!(
                    status == StatusCode::BAD_REQUEST || no_faces,
                    "{file}: {status} {body}"
                );
            }
            Expect::Face => {
                assert_eq!(status, StatusCode::OK, "{file}");
                assert_eq!(
                    body["faces"].as_array().map(Vec::len),
                    Some(1),
                    "{file}: {body}"
                );
                assert!(body["faces"][0]["attributes"]["faceScore"].is_string());
            }
            Expect::Either => assert_eq!(status, StatusCode::OK, "{file}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 27, "every file of the manifest");
    // The bombs declare up to 65500x65500 pixels (12 GiB as RGB); refusing them before decoding
    // keeps the peak well below what decoding even one of them would take.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        assert!(kib < 1_500_000, "peak memory {kib} KiB");
    }
    let health = axum::http::Request::builder()
        .uri("/v1.1/health")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(send(&state, health).await.0, StatusCode::OK);
}
