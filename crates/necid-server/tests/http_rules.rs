//! The service's HTTP rules, driven through `app(state)` with `tower::ServiceExt::oneshot`:
//! SigV4 (expiry message, wrong secret, changed body, host with a port), `x-api-key`, CORS,
//! error bodies and input limits; in `landmarks`, Extract's local landmarks option; and, in
//! `serving`, the same service behind its real listener.

mod common;
#[path = "http_rules/landmarks.rs"]
mod landmarks;
#[path = "http_rules/serving.rs"]
mod serving;

use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Call, create_gallery, send, state};
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn a_stale_signature_is_refused_with_the_expired_message() {
    let (state, _dir) = state();
    let mut call = Call::new("GET", "/api/galleries");
    call.time = SystemTime::now() - Duration::from_secs(6 * 60);
    let (status, body) = send(&state, call.request(&state)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = body["message"].as_str().expect("message");
    let re_ok = message.starts_with("Signature expired: ")
        && message.contains(" is now earlier than ")
        && message.ends_with(" - 5 min.)");
    assert!(re_ok, "{message}");
}

#[tokio::test]
async fn a_wrong_secret_or_a_body_changed_after_signing_is_refused() {
    let (state, _dir) = state();
    let mut wrong = Call::new("GET", "/api/galleries");
    wrong.secret = Some("not-the-secret");
    let (status, body) = send(&state, wrong.request(&state)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("signature")
    );

    let call = Call::new("POST", "/api/galleries")
        .json(json!({"name": "a", "faceMinimumQualityScore": 0.5, "size": 10}));
    let req = call.request(&state);
    let (parts, _) = req.into_parts();
    let tampered = Request::from_parts(
        parts,
        Body::from(r#"{"name":"b","faceMinimumQualityScore":0.5,"size":10}"#),
    );
    assert_eq!(send(&state, tampered).await.0, StatusCode::FORBIDDEN);

    let unsigned = Request::builder()
        .uri("/api/galleries")
        .body(Body::empty())
        .expect("request");
    let (status, body) = send(&state, unsigned).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "Missing Authentication Token");
}

#[tokio::test]
async fn a_host_signed_without_its_port_is_accepted_and_another_host_is_not() {
    let (state, _dir) = state();
    let mut bare = Call::new("GET", "/api/galleries");
    bare.signed_host = Some("127.0.0.1");
    assert_eq!(send(&state, bare.request(&state)).await.0, StatusCode::OK);
    let mut other = Call::new("GET", "/api/galleries");
    other.signed_host = Some("localhost:8080");
    assert_eq!(
        send(&state, other.request(&state)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn gallery_routes_need_a_known_api_key_and_see_only_their_gallery() {
    let (state, _dir) = state();
    let key_a = create_gallery(&state, "A").await;
    let key_b = create_gallery(&state, "B").await;
    let (status, body) = send(&state, Call::new("GET", "/v1.1/tags").request(&state)).await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, json!({"message": "Forbidden"}))
    );
    let mut unknown = Call::new("GET", "/v1.1/tags");
    unknown.api_key = Some("0123456789abcdef0123456789abcdef");
    let (status, body) = send(&state, unknown.request(&state)).await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, json!({"message": "Forbidden"}))
    );

    let mut create = Call::new("POST", "/v1.1/tags/only%20in%20A");
    create.api_key = Some(&key_a);
    assert_eq!(send(&state, create.request(&state)).await.0, StatusCode::OK);
    let mut list_a = Call::new("GET", "/v1.1/tags");
    list_a.api_key = Some(&key_a);
    assert_eq!(
        send(&state, list_a.request(&state)).await.1,
        json!(["only in A"])
    );
    let mut list_b = Call::new("GET", "/v1.1/tags");
    list_b.api_key = Some(&key_b);
    assert_eq!(send(&state, list_b.request(&state)).await.1, json!([]));
}

#[tokio::test]
async fn every_route_answers_a_cors_preflight_and_health_needs_no_signature() {
    let (state, _dir) = state();
    for path in [
        "/v1.1/subjects/x/events/y",
        "/api/galleries",
        "/v1.1/face/search",
    ] {
        let req = Request::builder()
            .method("OPTIONS")
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let res = necid_server::app(state.clone())
            .oneshot(req)
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert!(
            res.headers()["access-control-allow-headers"]
                .to_str()
                .expect("ascii")
                .contains("X-Api-Key")
        );
    }
    let req = Request::builder()
        .uri("/v1.1/health")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        send(&state, req).await,
        (StatusCode::OK, json!({"status": "OK"}))
    );
}

#[tokio::test]
async fn bad_input_gets_a_400_with_the_reference_error_body_and_no_echo() {
    let (state, _dir) = state();
    let key = create_gallery(&state, "G").await;

    let mut bad_len = Call::new("GET", "/v1.1/subjects?length=1001");
    bad_len.api_key = Some(&key);
    let (status, body) = send(&state, bad_len.request(&state)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], 1001);
    assert_eq!(body["errorType"], "InvalidRequest");

    let mut missing = Call::new("POST", "/v1.1/subjects").json(json!({"tags": []}));
    missing.api_key = Some(&key);
    let (status, body) = send(&state, missing.request(&state)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "face property must be provided.");

    let mut hostile = Call::new("POST", "/v1.1/face/search")
        .json(json!({"probe": "<script>alert(1)</script>", "limit": "<b>"}));
    hostile.api_key = Some(&key);
    let (status, body) = send(&state, hostile.request(&state)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let text = body.to_string();
    assert!(!text.contains('<') && !text.contains("script"), "{text}");

    let too_low = Call::new("POST", "/api/galleries")
        .json(json!({"name": "Low", "faceMinimumQualityScore": 0.2, "size": 10}));
    let (status, body) = send(&state, too_low.request(&state)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().expect("message").contains("0.45"));

    let long_name = "n".repeat(500);
    let too_long = Call::new("POST", "/api/galleries")
        .json(json!({"name": long_name, "faceMinimumQualityScore": 0.5, "size": 10}));
    assert_eq!(
        send(&state, too_long.request(&state)).await.0,
        StatusCode::BAD_REQUEST
    );

    let mut many = Vec::new();
    for i in 0..65 {
        let mut c = Call::new("POST", "");
        let path = format!("/v1.1/tags/t{i}");
        c.path = &path;
        c.api_key = Some(&key);
        many.push(send(&state, c.request(&state)).await.0);
    }
    assert!(many[..64].iter().all(|s| *s == StatusCode::OK));
    assert_eq!(
        many[64],
        StatusCode::BAD_REQUEST,
        "a gallery holds at most 64 tags"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_signature_and_lists_every_route() {
    let (state, _dir) = state();
    let req = Request::builder()
        .uri("/openapi.json")
        .body(Body::empty())
        .expect("request");
    let (status, doc) = send(&state, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    let operations: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .filter(|m| *m != "options" && *m != "parameters")
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    // The reference's 27 routes, Verify Face sharing POST /v1.1/face/verify, Health, the
    // first progress page without pagingId, this document, and the gallery audit's two
    // routes (a local extension).
    assert_eq!(operations.len(), 32, "{operations:#?}");
    for path in doc["paths"].as_object().expect("paths").keys() {
        assert!(
            doc["paths"][path]["options"].is_object(),
            "CORS OPTIONS on {path}"
        );
    }
}
