//! Each client method against an HTTP listener on 127.0.0.1: the documented method, path, query,
//! headers and body go out, and each documented status comes back as the right value or error.
//! The `faults` module does the same against a back end that misbehaves.

use base64::Engine as _;
use futures_util::TryStreamExt;
use necid::*;
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug)]
struct Recorded {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    fn signed_headers(&self) -> Vec<String> {
        let authorization = self
            .header("authorization")
            .expect("an Authorization header");
        let signed = authorization
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .expect("SignedHeaders in the Authorization header");
        signed.split(';').map(str::to_owned).collect()
    }
}

async fn read_request(socket: &mut TcpStream) -> Recorded {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.expect("the request arrives");
        assert!(
            n > 0,
            "the client closed the connection before sending a request"
        );
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().expect("a request line");
    let mut parts = request_line.split(' ');
    let method = parts.next().expect("a method").to_owned();
    let target = parts.next().expect("a target").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().expect("a numeric content-length"))
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.expect("the body arrives");
        assert!(n > 0, "the body was cut short");
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    Recorded {
        method,
        path,
        query,
        headers,
        body,
    }
}

/// Answers `replies` in order, one connection each, and returns what was received.
async fn serve(replies: Vec<(u16, String)>) -> (String, tokio::task::JoinHandle<Vec<Recorded>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let handle = tokio::spawn(async move {
        let mut recorded = Vec::new();
        for (status, body) in replies {
            let (mut socket, _) = listener.accept().await.expect("a connection");
            recorded.push(read_request(&mut socket).await);
            let answer = format!(
                "HTTP/1.1 {status} Answer\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket
                .write_all(answer.as_bytes())
                .await
                .expect("the answer is written");
            let _ = socket.shutdown().await;
        }
        recorded
    });
    (base, handle)
}

fn client_for(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new("AKIDLOCAL", "local-secret"))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client")
}

async fn exchange_all<T, F, Fut>(replies: Vec<(u16, String)>, call: F) -> (Vec<Recorded>, T)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = T>,
{
    let (base, server) = serve(replies).await;
    let result = call(client_for(&base)).await;
    (server.await.expect("the listener finishes"), result)
}

async fn exchange<T, F, Fut>(status: u16, body: Value, call: F) -> (Recorded, T)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = T>,
{
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (mut recorded, result) = exchange_all(vec![(status, text)], call).await;
    (recorded.remove(0), result)
}

fn key() -> ApiKey {
    ApiKey::new("73n4n74p1k3y-0123456789abcdef0123")
}

fn face() -> FaceImage {
    let path = necid_testkit::testdata().join("bad/good_reference_face.jpg");
    FaceImage::from_path(path).expect("the reference face is a valid image")
}

fn attributes() -> Value {
    json!({
        "faceArea": {"left": "161", "top": "156", "right": "318", "bottom": "313"},
        "headArea": {"left": "131", "top": "86", "right": "345", "bottom": "343"},
        "rightEyeCenter": {"x": "195", "y": "198"},
        "leftEyeCenter": {"x": "276", "y": "191"},
        "frontalFaceScore": "0.569824", "faceRoll": "4.93922", "facePan": "-9.34863",
        "faceTilt": "7.613", "faceScore": "0.999591", "faceQualityScore": "0.86541"
    })
}

fn assert_signed_for_gallery(request: &Recorded) {
    assert_eq!(request.header("x-api-key"), Some(key().expose()));
    assert_signed(request);
    assert!(request.signed_headers().contains(&"x-api-key".to_owned()));
}

fn assert_signed(request: &Recorded) {
    let authorization = request.header("authorization").expect("signed");
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDLOCAL/"),
        "{authorization}"
    );
    assert!(authorization.contains("/ap-southeast-2/execute-api/aws4_request"));
    let date = request.header("x-amz-date").expect("an x-amz-date header");
    assert_eq!(date.len(), 16, "YYYYMMDD'T'HHMMSS'Z': {date}");
    let signed = request.signed_headers();
    for header in ["host", "x-amz-date", "accept"] {
        assert!(
            signed.contains(&header.to_owned()),
            "{header} is signed: {signed:?}"
        );
    }
    if !request.body.is_empty() {
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert!(signed.contains(&"content-type".to_owned()));
    }
}

#[tokio::test]
async fn galleries_are_listed_read_created_updated_and_deleted_on_the_portal() {
    let (request, result) = exchange(
        200,
        json!({"galleries": [{"id": "g1", "name": "Staff", "description": "Staff", "size": 10000, "count": 3891}]}),
        |c| async move { c.galleries().list().await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/api/galleries")
    );
    assert_eq!(request.header("x-api-key"), None);
    assert_signed(&request);
    assert_eq!(result.expect("a list")[0].count, 3891);

    let (request, result) = exchange(
        200,
        json!({"id": "g 1", "name": "Staff", "size": 10, "count": 1,
               "applications": [{"id": "a1", "name": "HR", "apiKey": "k"}]}),
        |c| async move { c.galleries().get(&GalleryId::new("g 1")).await },
    )
    .await;
    assert_eq!(request.path, "/api/galleries/g%201");
    assert_eq!(
        result.expect("a gallery").applications[0].api_key.expose(),
        "k"
    );

    let create = CreateGallery {
        name: "Y10Students".into(),
        description: "Year 10 Students".into(),
        face_minimum_quality_score: 0.8,
        size: 1000,
    };
    let (request, result) = exchange(
        200,
        json!({"id": "g2", "name": "Y10Students", "description": "Year 10 Students", "size": 1000, "apiKey": "new-key"}),
        |c| async move { c.galleries().create(&create).await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/galleries")
    );
    assert_eq!(
        request.json(),
        json!({"name": "Y10Students", "description": "Year 10 Students", "faceMinimumQualityScore": 0.8, "size": 1000})
    );
    assert_signed(&request);
    assert_eq!(result.expect("created").api_key.expose(), "new-key");

    let (request, result) = exchange(
        200,
        json!({"id": "g2", "name": "Y10Students", "description": "", "size": 2000}),
        |c| async move {
            let change = UpdateGallery {
                size: Some(2000),
                ..Default::default()
            };
            c.galleries().update(&GalleryId::new("g2"), &change).await
        },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PATCH", "/api/galleries/g2")
    );
    assert_eq!(request.json(), json!({"size": 2000}));
    assert_eq!(result.expect("updated").size, 2000);

    let (request, result) = exchange(204, Value::Null, |c| async move {
        c.galleries().delete(&GalleryId::new("g2")).await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/api/galleries/g2")
    );
    result.expect("deleted");
}

#[tokio::test]
async fn a_duplicate_gallery_name_is_a_typed_duplicate_error() {
    let (_, result) = exchange(
        400,
        json!({"message": "existing-api-key", "errorCode": 1002, "errorType": "Duplicate"}),
        |c| async move {
            c.galleries()
                .create(&CreateGallery {
                    name: "Staff".into(),
                    description: String::new(),
                    face_minimum_quality_score: 0.5,
                    size: 10,
                })
                .await
        },
    )
    .await;
    let error = result.expect_err("a duplicate");
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.error_code(), Some(ErrorCode::Duplicate));
    assert_eq!(error.error_type(), Some("Duplicate"));
    assert_eq!(error.server_message(), Some("existing-api-key"));
    assert_eq!(error.to_string(), "Duplicate (1002): existing-api-key");
}

#[tokio::test]
async fn applications_are_listed_read_created_updated_and_deleted_on_the_portal() {
    let app = json!({"id": "a1", "name": "HR", "description": "HR", "apiKey": "k1", "faceMinimumQualityScore": 0.6});
    let (request, result) = exchange(
        200,
        json!({"applications": [{"id": "a1", "name": "HR", "apiKey": "k1"}]}),
        |c| async move { c.applications().list().await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/api/applications")
    );
    assert_eq!(result.expect("a list").len(), 1);

    let (request, result) = exchange(200, app.clone(), |c| async move {
        c.applications().get(&ApplicationId::new("a1")).await
    })
    .await;
    assert_eq!(request.path, "/api/applications/a1");
    assert_eq!(
        result.expect("an application").face_minimum_quality_score,
        0.6
    );

    let (request, result) = exchange(200, app.clone(), |c| async move {
        c.applications()
            .create(&CreateApplication {
                name: "HR".into(),
                description: "HR".into(),
                face_minimum_quality_score: 0.6,
                gallery_id: GalleryId::new("g1"),
            })
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/applications")
    );
    assert_eq!(request.json()["galleryId"], json!("g1"));
    result.expect("created");

    let (request, result) = exchange(200, app, |c| async move {
        let change = UpdateApplication {
            face_minimum_quality_score: Some(0.7),
            ..Default::default()
        };
        c.applications()
            .update(&ApplicationId::new("a1"), &change)
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PATCH", "/api/applications/a1")
    );
    assert_eq!(request.json(), json!({"faceMinimumQualityScore": 0.7}));
    result.expect("updated");

    let (request, result) = exchange(204, Value::Null, |c| async move {
        c.applications().delete(&ApplicationId::new("a1")).await
    })
    .await;
    assert_eq!(request.method, "DELETE");
    result.expect("deleted");
}

#[tokio::test]
async fn listing_subjects_sends_start_length_and_dir_with_the_api_key() {
    let (request, result) = exchange(
        200,
        json!({"subjects": [{"id": "s1", "eventId": "e1", "status": "ACTIVE", "lastUpdated": "2018-12-18T00:27:56.427+00:00"}], "total": 7}),
        |c| async move {
            c.gallery(key())
                .list_subjects()
                .start(5)
                .length(2)
                .dir(SortDirection::Desc)
                .send()
                .await
        },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1.1/subjects")
    );
    assert_eq!(request.query.as_deref(), Some("start=5&length=2&dir=desc"));
    assert_signed_for_gallery(&request);
    assert_eq!(result.expect("a page").total, 7);
}

#[tokio::test]
async fn every_subject_row_is_fetched_page_by_page() {
    let row = |n: u32| json!({"id": format!("s{n}"), "eventId": format!("e{n}"), "status": "ACTIVE", "lastUpdated": "2019-01-01T00:00:00.000+00:00"});
    let pages = vec![
        (
            200,
            json!({"subjects": [row(1), row(2)], "total": 5}).to_string(),
        ),
        (
            200,
            json!({"subjects": [row(3), row(4)], "total": 5}).to_string(),
        ),
        (200, json!({"subjects": [row(5)], "total": 5}).to_string()),
    ];
    let (requests, rows) = exchange_all(pages, |c| async move {
        c.gallery(key())
            .subject_rows(SortDirection::Asc, 2)
            .try_collect::<Vec<_>>()
            .await
    })
    .await;
    let rows = rows.expect("every row");
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4].event_id.as_str(), "e5");
    let queries: Vec<_> = requests
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            "start=0&length=2&dir=asc",
            "start=2&length=2&dir=asc",
            "start=4&length=2&dir=asc"
        ]
    );
}

#[tokio::test]
async fn a_page_length_over_1000_is_refused_before_sending() {
    let client = client_for("http://127.0.0.1:9");
    let error = client
        .gallery(key())
        .list_subjects()
        .length(1001)
        .send()
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::InvalidInput(_)), "{error}");
}

#[tokio::test]
async fn subjects_are_registered_updated_and_unregistered_with_the_face_in_base64() {
    let image = face();
    let expected_face = base64::engine::general_purpose::STANDARD.encode(image.bytes());
    let enrolled = json!({"id": "s1", "eventId": "e1", "attributes": attributes()});

    let face_for_call = image.clone();
    let (request, result) = exchange(201, enrolled.clone(), |c| async move {
        c.gallery(key())
            .register_subject(&face_for_call, &[TagName::new("passport")])
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/subjects")
    );
    assert_eq!(
        request.json(),
        json!({"face": expected_face, "tags": ["passport"]})
    );
    assert_signed_for_gallery(&request);
    let enrolment = result.expect("registered");
    assert_eq!(enrolment.attributes.left_eye_center.x, 276);

    let face_for_call = image.clone();
    let (request, result) = exchange(200, enrolled, |c| async move {
        c.gallery(key())
            .update_subject(&SubjectId::new("s1"), &face_for_call, &[])
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/v1.1/subjects/s1")
    );
    assert_eq!(request.json(), json!({"face": expected_face}));
    result.expect("updated");

    let (request, result) = exchange(204, Value::Null, |c| async move {
        c.gallery(key())
            .unregister_subject(&SubjectId::new("s1"))
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/v1.1/subjects/s1")
    );
    assert_signed_for_gallery(&request);
    result.expect("unregistered");
}

#[tokio::test]
async fn an_unknown_subject_is_not_found() {
    let (_, result) = exchange(
        404,
        json!({"message": "Subject with id not found."}),
        |c| async move {
            c.gallery(key())
                .unregister_subject(&SubjectId::new("nobody"))
                .await
        },
    )
    .await;
    let error = result.expect_err("not found");
    assert!(error.is_not_found());
    assert_eq!(error.server_message(), Some("Subject with id not found."));
}

#[tokio::test]
async fn a_face_without_a_face_is_a_typed_no_face_error() {
    let image = face();
    let (_, result) = exchange(
        400,
        json!({"message": "No face was found in the provided image.", "errorCode": 2001, "errorType": "NoFace"}),
        |c| async move { c.gallery(key()).register_subject(&image, &[]).await },
    )
    .await;
    assert_eq!(
        result.expect_err("no face").error_code(),
        Some(ErrorCode::NoFace)
    );
}

#[tokio::test]
async fn events_are_listed_registered_updated_and_unregistered() {
    let image = face();
    let (request, result) = exchange(
        200,
        json!({"id": "s1", "events": [{"id": "e1"}, {"id": "e2"}]}),
        |c| async move { c.gallery(key()).events(&SubjectId::new("s1")).await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1.1/subjects/s1/events")
    );
    assert_signed_for_gallery(&request);
    assert_eq!(result.expect("events").events.len(), 2);

    let enrolled = json!({"id": "s1", "eventId": "e2", "attributes": attributes()});
    let face_for_call = image.clone();
    let (request, result) = exchange(201, enrolled.clone(), |c| async move {
        c.gallery(key())
            .register_event(
                &SubjectId::new("s1"),
                &face_for_call,
                &[TagName::new("licence")],
            )
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/subjects/s1/events")
    );
    assert_eq!(request.json()["tags"], json!(["licence"]));
    assert_eq!(result.expect("registered").event_id.as_str(), "e2");

    let face_for_call = image.clone();
    let (request, result) = exchange(200, enrolled, |c| async move {
        c.gallery(key())
            .update_event(
                &SubjectId::new("s1"),
                &EventId::new("e2"),
                &face_for_call,
                &[],
            )
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/v1.1/subjects/s1/events/e2")
    );
    result.expect("updated");

    let (request, result) = exchange(204, Value::Null, |c| async move {
        c.gallery(key())
            .unregister_event(&SubjectId::new("s1"), &EventId::new("e2"))
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/v1.1/subjects/s1/events/e2")
    );
    result.expect("unregistered");
}

#[tokio::test]
async fn extract_needs_no_api_key_and_returns_every_face() {
    let image = face();
    let expected = base64::engine::general_purpose::STANDARD.encode(image.bytes());
    let (request, result) = exchange(
        200,
        json!({"faces": [{"attributes": attributes()}, {"attributes": attributes()}]}),
        |c| async move { c.extract(&image).await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/face/extract")
    );
    assert_eq!(request.header("x-api-key"), None);
    assert_signed(&request);
    assert_eq!(request.json(), json!({"faces": expected}));
    assert_eq!(result.expect("faces").faces.len(), 2);
}

#[tokio::test]
async fn extract_with_landmarks_asks_for_68_and_reads_each_faces_points() {
    let image = face();
    let points: Vec<Value> = (0..68)
        .map(|i| json!({"x": 150.0 + f64::from(i), "y": 160.5}))
        .collect();
    let (request, result) = exchange(
        200,
        json!({"faces": [{"attributes": attributes(), "landmarks": points}]}),
        |c| async move { c.extract_with_landmarks(&image).await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/face/extract")
    );
    assert_eq!(request.query.as_deref(), Some("landmarks=68"));
    assert_signed(&request);
    let faces = result.expect("faces").faces;
    let landmarks = faces[0].landmarks.as_ref().expect("landmarks");
    assert_eq!(landmarks.len(), LANDMARK_COUNT);
    assert_eq!(landmarks[3], Landmark { x: 153.0, y: 160.5 });

    // Plain Extract asks for nothing beyond the NEC API and reads the NEC answer as no landmarks.
    let image = face();
    let (request, result) = exchange(
        200,
        json!({"faces": [{"attributes": attributes()}]}),
        |c| async move { c.extract(&image).await },
    )
    .await;
    assert_eq!(request.query, None);
    assert_eq!(result.expect("faces").faces[0].landmarks, None);
}

#[tokio::test]
async fn search_sends_threshold_limit_and_tags_and_reads_no_candidate_as_none() {
    let image = face();
    let probe = image.clone();
    let (request, result) = exchange(
        200,
        json!({"candidates": [{"id": "s1", "score": 8200, "events": [{"id": "e1", "score": 8200}]}], "attributes": attributes()}),
        |c| async move {
            c.gallery(key())
                .search(&probe)
                .threshold(MatchScore::new(7500).expect("a score"))
                .limit(3)
                .tags([TagName::new("passport"), TagName::new("licence")])
                .send()
                .await
        },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/face/search")
    );
    let body = request.json();
    assert_eq!(body["threshold"], json!(7500));
    assert_eq!(body["limit"], json!(3));
    assert_eq!(body["tags"], json!(["passport", "licence"]));
    assert_signed_for_gallery(&request);
    let found = result.expect("a search").expect("candidates");
    assert_eq!(found.candidates[0].score.get(), 8200);

    let (request, result) = exchange(
        404,
        json!({"message": "Candidates not found."}),
        |c| async move { c.gallery(key()).search(&image).send().await },
    )
    .await;
    assert_eq!(
        request.json().get("threshold"),
        None,
        "defaults are left to the server"
    );
    assert!(result.expect("an answer").is_none());
}

#[tokio::test]
async fn a_404_without_a_json_body_is_an_error_not_an_empty_search() {
    let image = face();
    let (base, server) = serve(vec![(404, "<html>no such route</html>".to_owned())]).await;
    let result = client_for(&base).gallery(key()).search(&image).send().await;
    server.await.expect("served");
    assert!(result.expect_err("a wrong URL").is_not_found());
}

#[tokio::test]
async fn verify_both_ways_maps_200_to_a_score_and_404_to_not_verified() {
    let image = face();
    let probe = image.clone();
    let (request, result) = exchange(200, json!({"id": "s1", "score": 8200}), |c| async move {
        c.gallery(key())
            .verify_subject(&probe, &SubjectId::new("s1"))
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/face/verify")
    );
    assert_eq!(request.json()["id"], json!("s1"));
    assert!(request.json().get("face").is_none());
    assert_eq!(
        result.expect("verified").expect("a match").score.get(),
        8200
    );

    let (face_a, face_b) = (image.clone(), image.clone());
    let (request, result) = exchange(200, json!({"score": 9100}), |c| async move {
        c.gallery(key()).verify_faces(&face_a, &face_b).await
    })
    .await;
    let body = request.json();
    assert!(body.get("face").is_some() && body.get("probe").is_some() && body.get("id").is_none());
    assert_eq!(
        result.expect("verified").expect("a match").score.get(),
        9100
    );

    let probe = image.clone();
    let (_, result) = exchange(
        404,
        json!({"message": "Subject not verified."}),
        |c| async move {
            c.gallery(key())
                .verify_subject(&probe, &SubjectId::new("s1"))
                .await
        },
    )
    .await;
    assert!(result.expect("an answer").is_none());
}

#[tokio::test]
async fn tags_are_listed_created_renamed_and_deleted_with_encoded_names() {
    let (request, result) = exchange(200, json!(["passport", "licence"]), |c| async move {
        c.gallery(key()).tags().await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1.1/tags")
    );
    assert_signed_for_gallery(&request);
    assert_eq!(result.expect("tags").len(), 2);

    let (request, result) = exchange(200, Value::Null, |c| async move {
        c.gallery(key())
            .create_tag(&TagName::new("night shift"))
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/tags/night%20shift")
    );
    assert!(request.body.is_empty());
    result.expect("created");

    let (request, result) = exchange(200, Value::Null, |c| async move {
        c.gallery(key())
            .rename_tag(&TagName::new("licence"), &TagName::new("identification"))
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/v1.1/tags/licence")
    );
    assert_eq!(request.json(), json!({"newName": "identification"}));
    result.expect("renamed");

    let (request, result) = exchange(200, Value::Null, |c| async move {
        c.gallery(key()).delete_tag(&TagName::new("passport")).await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/v1.1/tags/passport")
    );
    result.expect("deleted");
}

#[tokio::test]
async fn a_bulk_job_is_started_and_every_record_is_read_through_last_evaluated_key() {
    let (request, result) = exchange(200, json!({"batchId": "b1"}), |c| async move {
        c.gallery(key())
            .bulk_register(vec![BulkRegistration {
                filename: "1.jpg".into(),
                tags: vec![TagName::new("passport")],
            }])
            .await
    })
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1.1/jobs/bulkregister")
    );
    assert_eq!(
        request.json(),
        json!({"registrations": [{"filename": "1.jpg", "tags": ["passport"]}]})
    );
    assert_eq!(result.expect("a batch").as_str(), "b1");

    let record = |n: u32, status: &str| {
        json!({"id": format!("r{n}"), "filename": format!("{n}.jpg"), "attempts": "1", "status": status,
        "registerStatus": if status == "New" { "" } else { "Success" }, "reason": "", "attributesJson": ""})
    };
    let pages = vec![
        (200, json!({"batchId": "b1", "processed": [record(1, "Processed"), record(2, "Processed")], "lastEvaluatedKey": "k2"}).to_string()),
        (200, json!({"batchId": "b1", "processed": [record(3, "New")], "lastEvaluatedKey": ""}).to_string()),
    ];
    let (requests, records) = exchange_all(pages, |c| async move {
        c.gallery(key())
            .bulk_records(BatchId::new("b1"))
            .try_collect::<Vec<_>>()
            .await
    })
    .await;
    let paths: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1.1/jobs/bulkregister/b1",
            "/v1.1/jobs/bulkregister/b1/k2"
        ]
    );
    let records = records.expect("every record");
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].status, RecordStatus::New);
    assert_eq!(records[2].register_status, None);
}

#[tokio::test]
async fn health_is_read() {
    let (request, result) = exchange(
        200,
        json!({"status": "OK"}),
        |c| async move { c.health().await },
    )
    .await;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1.1/health")
    );
    assert_eq!(result.expect("healthy").status, "OK");
}

#[tokio::test]
async fn a_stale_signature_is_reported_as_clock_skew_with_the_servers_message() {
    let message = "Signature expired: 20180816T032046Z is now earlier than 20180816T040329Z (20180816T040829Z - 5 min.)";
    let (_, result) = exchange(403, json!({ "message": message }), |c| async move {
        c.galleries().list().await
    })
    .await;
    let error = result.expect_err("expired");
    assert!(error.is_forbidden() && error.is_signature_expired());
    assert_eq!(error.status(), Some(403));
    assert!(error.to_string().contains("clock"), "{error}");
    assert!(error.to_string().contains(message));
}

#[tokio::test]
async fn a_refused_api_key_and_a_refused_signature_are_told_apart() {
    let (_, result) = exchange(403, json!({"message": "Forbidden"}), |c| async move {
        c.gallery(key()).tags().await
    })
    .await;
    let error = result.expect_err("forbidden");
    assert!(
        matches!(
            error,
            Error::Forbidden {
                reason: ForbiddenReason::ApiKey,
                ..
            }
        ),
        "{error:?}"
    );

    let (_, result) = exchange(
        403,
        json!({"message": "The request signature we calculated does not match the signature you provided."}),
        |c| async move { c.galleries().list().await },
    )
    .await;
    let error = result.expect_err("forbidden");
    assert!(
        matches!(
            error,
            Error::Forbidden {
                reason: ForbiddenReason::Signature,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_signature_expired());
}

#[tokio::test]
async fn a_server_error_without_json_keeps_its_status_and_text() {
    let (base, server) = serve(vec![(502, "Bad Gateway".to_owned())]).await;
    let error = client_for(&base)
        .galleries()
        .list()
        .await
        .expect_err("a 502");
    server.await.expect("served");
    assert_eq!(error.status(), Some(502));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("Bad Gateway"));
}

#[tokio::test]
async fn a_body_that_does_not_match_the_api_is_an_invalid_response() {
    let (_, result) = exchange(200, json!({"galleries": "not a list"}), |c| async move {
        c.galleries().list().await
    })
    .await;
    let error = result.expect_err("unreadable");
    assert!(
        matches!(error, Error::InvalidResponse { status: 200, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    // Bind then drop, so the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port")
        .local_addr()
        .expect("an address")
        .port();
    let error = client_for(&format!("http://127.0.0.1:{port}"))
        .health()
        .await
        .expect_err("nothing listens");
    assert!(error.is_transport(), "{error:?}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let holder = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("a connection");
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(socket);
    });
    let client = Client::builder()
        .base_url(&base)
        .credentials(Credentials::new("AKIDLOCAL", "local-secret"))
        .timeout(Duration::from_millis(300))
        .build()
        .expect("a client");
    let error = client.health().await.expect_err("a time-out");
    assert!(error.is_timeout(), "{error:?}");
    holder.abort();
}

#[test]
fn a_client_without_credentials_or_with_a_bad_url_is_refused() {
    assert!(matches!(Client::builder().build(), Err(Error::Config(_))));
    let error = Client::builder()
        .base_url("ftp://example")
        .credentials(Credentials::new("a", "b"))
        .build()
        .expect_err("a bad URL");
    assert!(error.to_string().contains("http://"), "{error}");
}

#[test]
fn the_secret_never_appears_in_debug_output() {
    let client = client_for("http://127.0.0.1:1");
    let text = format!("{client:?}");
    assert!(text.contains("AKIDLOCAL"));
    assert!(!text.contains("local-secret"));
}

#[test]
fn every_bad_file_is_refused_or_accepted_without_panicking() {
    let dir = necid_testkit::testdata().join("bad");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.csv")).expect("the manifest");
    let mut refused = 0;
    for line in manifest.lines().skip(1) {
        let name = line.split(',').next().expect("a file name");
        match FaceImage::from_path(dir.join(name)) {
            Ok(image) => assert!(image.dimensions().0 > 0, "{name}"),
            Err(error) => {
                assert!(!error.to_string().is_empty());
                refused += 1;
            }
        }
    }
    // The hostile ones at least: empty, text, html, truncated, bad CRC and the three bombs.
    assert!(refused >= 10, "only {refused} files refused");
    let bomb =
        FaceImage::from_path(dir.join("bomb_valid_30000x30000_1bit.png")).expect_err("a bomb");
    assert!(
        matches!(
            bomb,
            ImageError::TooManyPixels {
                width: 30000,
                height: 30000,
                ..
            }
        ),
        "{bomb:?}"
    );
    assert_eq!(
        FaceImage::from_path(dir.join("empty.jpg")),
        Err(ImageError::Empty)
    );
}

// --- photos larger than a request may be ---------------------------------------------------

/// A PNG of a gradient with noise, `width`×`height`: noise keeps the file large, as a camera's is.
fn large_photo(width: u32, height: u32) -> FaceImage {
    let mut state = 0x9e37_79b9_u32;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 24) as u8 / 4;
        image::Rgb([
            ((x / 8) as u8).wrapping_add(noise),
            ((y / 8) as u8).wrapping_add(noise),
            128 + noise / 2,
        ])
    });
    let mut png = Vec::new();
    pixels
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    FaceImage::from_bytes(png).expect("a valid photo")
}

fn client_with_limit(base: &str, max_request_bytes: usize) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new("AKIDLOCAL", "local-secret"))
        .max_request_bytes(max_request_bytes)
        .build()
        .expect("a client")
}

/// The image a request carried in `field`, decoded: its width and height.
fn sent_size(request: &Recorded, field: &str) -> (u32, u32) {
    let text = request.json()[field]
        .as_str()
        .expect("a base64 image")
        .to_owned();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    let sent = image::load_from_memory(&bytes).expect("the sent image decodes");
    (sent.width(), sent.height())
}

/// `attributes()`'s faceArea scaled from a `sent` image onto a `photo` one.
fn face_area_on(photo: (u32, u32), sent: (u32, u32)) -> FaceRect {
    let across = f64::from(photo.0) / f64::from(sent.0);
    let down = f64::from(photo.1) / f64::from(sent.1);
    let x = |v: f64| (v * across).round() as i32;
    let y = |v: f64| (v * down).round() as i32;
    FaceRect {
        left: x(161.0),
        top: y(156.0),
        right: x(318.0),
        bottom: y(313.0),
    }
}

#[tokio::test]
async fn a_photo_too_large_for_a_request_is_extracted_from_a_copy_and_mapped_back() {
    let photo = large_photo(1600, 1200);
    const LIMIT: usize = 400_000;
    assert!(
        photo.base64_len() > LIMIT,
        "the photo alone is over the limit"
    );
    let (base, server) = serve(vec![(
        200,
        json!({"faces": [{"attributes": attributes()}]}).to_string(),
    )])
    .await;
    let extracted = client_with_limit(&base, LIMIT)
        .extract(&photo)
        .await
        .expect("extracted from a copy");
    let request = server.await.expect("served").remove(0);

    assert!(
        request.body.len() <= LIMIT,
        "{} bytes sent",
        request.body.len()
    );
    let sent = sent_size(&request, "faces");
    let aspect = f64::from(sent.0) / f64::from(sent.1);
    assert!(
        sent.0 < 1600 && (aspect - 4.0 / 3.0).abs() < 0.01,
        "{sent:?}"
    );
    let face = &extracted.faces[0].attributes;
    assert_eq!(face.face_area, face_area_on((1600, 1200), sent));
    assert!(face.face_area.left > 161, "mapped onto the larger original");
    assert_eq!(face.face_quality_score, 0.86541, "scores are not scaled");
}

#[tokio::test]
async fn a_large_probe_and_a_large_enrolment_answer_on_the_original_photo() {
    let photo = large_photo(1600, 1200);
    const LIMIT: usize = 400_000;
    let search_answer = json!({
        "candidates": [{"id": "s1", "score": 8200, "events": [{"id": "e1", "score": 8200}]}],
        "attributes": attributes()
    });
    let enrol_answer = json!({"id": "s1", "eventId": "e1", "attributes": attributes()});
    let (base, server) = serve(vec![
        (200, search_answer.to_string()),
        (200, enrol_answer.to_string()),
        (200, json!({"score": 9100}).to_string()),
    ])
    .await;
    let gallery = client_with_limit(&base, LIMIT).gallery(key());
    let found = gallery
        .search(&photo)
        .tags([TagName::new("staff")])
        .send()
        .await
        .expect("searched")
        .expect("a candidate");
    let enrolled = gallery
        .register_subject(&photo, &[TagName::new("staff")])
        .await
        .expect("enrolled");
    let verified = gallery
        .verify_faces(&photo, &photo)
        .await
        .expect("verified")
        .expect("a match");
    let requests = server.await.expect("served");

    for request in &requests {
        assert!(
            request.body.len() <= LIMIT,
            "{} bytes sent",
            request.body.len()
        );
    }
    let probe_sent = sent_size(&requests[0], "probe");
    assert_eq!(
        found.attributes.face_area,
        face_area_on((1600, 1200), probe_sent)
    );
    let face_sent = sent_size(&requests[1], "face");
    assert_eq!(requests[1].json()["tags"], json!(["staff"]));
    assert_eq!(
        enrolled.attributes.face_area,
        face_area_on((1600, 1200), face_sent)
    );
    // Two images share one body: each is made smaller than one alone would be.
    let pair = (
        sent_size(&requests[2], "face"),
        sent_size(&requests[2], "probe"),
    );
    assert!(pair.0.0 < face_sent.0 && pair.1.0 < face_sent.0, "{pair:?}");
    assert_eq!(verified.score.get(), 9100);
}

#[tokio::test]
async fn landmarks_measured_on_a_copy_are_mapped_back_onto_the_photo_as_its_face_is() {
    let photo = large_photo(1600, 1200);
    let (base, server) = serve(vec![(
        200,
        json!({"faces": [{"attributes": attributes(), "landmarks": [{"x": 161, "y": 156}, {"x": 318.0, "y": 313.0}]}]})
            .to_string(),
    )])
    .await;
    let extracted = client_with_limit(&base, 400_000)
        .extract_with_landmarks(&photo)
        .await
        .expect("extracted");
    let request = server.await.expect("served").remove(0);
    let sent = sent_size(&request, "faces");
    assert!(sent.0 < 1600, "a copy was sent: {sent:?}");
    let face = &extracted.faces[0];
    let area = face_area_on((1600, 1200), sent);
    let landmarks = face.landmarks.as_ref().expect("landmarks");
    assert_eq!(face.attributes.face_area, area);
    // The faceArea's corners as landmarks land on the mapped faceArea's corners.
    for (point, (x, y)) in landmarks
        .iter()
        .zip([(area.left, area.top), (area.right, area.bottom)])
    {
        assert!(
            (point.x - f64::from(x)).abs() <= 0.5 && (point.y - f64::from(y)).abs() <= 0.5,
            "{point:?} vs ({x}, {y})"
        );
    }
}

#[tokio::test]
async fn a_caller_can_fit_a_photo_first_and_the_request_sends_that_copy_unchanged() {
    let photo = large_photo(1600, 1200);
    let (base, server) = serve(vec![(
        200,
        json!({"faces": [{"attributes": attributes()}]}).to_string(),
    )])
    .await;
    let client = client_with_limit(&base, 400_000);
    let copy = client.fit_images(&[&photo]).expect("a copy").remove(0);
    let made = *copy.copy_of().expect("made smaller");
    assert_eq!(made.original_bytes, photo.bytes().len());
    assert_eq!(made.copy_bytes, copy.bytes().len());
    let extracted = client.extract(&copy).await.expect("extracted");
    let request = server.await.expect("served").remove(0);
    assert_eq!(
        request.json()["faces"],
        json!(copy.to_base64()),
        "the copy is sent as it is"
    );
    assert_eq!(
        extracted.faces[0].attributes.face_area,
        face_area_on((1600, 1200), made.copy_size)
    );
}

#[tokio::test]
async fn a_photo_that_no_copy_can_fit_is_refused_before_anything_is_sent() {
    let photo = large_photo(800, 600);
    let (base, server) = serve(Vec::new()).await;
    let error = client_with_limit(&base, 2_000)
        .extract(&photo)
        .await
        .expect_err("too small a limit");
    assert!(
        matches!(error, Error::Image(ImageError::CannotFit { limit, .. }) if limit < 2_000),
        "{error:?}"
    );
    assert!(server.await.expect("served").is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_photo_within_the_limit_is_sent_byte_for_byte() {
    let photo = large_photo(1600, 1200);
    let (base, server) = serve(vec![(200, json!({"faces": []}).to_string())]).await;
    client_with_limit(&base, photo.base64_len() + 1_000)
        .extract(&photo)
        .await
        .expect("extracted");
    let request = server.await.expect("served").remove(0);
    assert_eq!(request.json()["faces"], json!(photo.to_base64()));
}
