//! What the service's tests share beyond the test kit's service and test data (re-exported
//! here): a bare state for `oneshot` requests, and requests signed as a client signs them.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use necid_server::{AppState, Config};

pub use necid_testkit::{Service, engine, face, testdata};

/// A fresh state over a temp data dir (no listener, no bulk worker), for `oneshot` tests.
pub fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state =
        AppState::new(Config::from_data_dir(dir.path(), engine()).expect("config")).expect("state");
    (state, dir)
}

/// A request signed by the `necid` crate's signer (aws-sigv4) as a client would.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: Vec<u8>,
    pub api_key: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub time: SystemTime,
    pub host: &'a str,
    pub signed_host: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Self {
            method,
            path,
            body: Vec::new(),
            api_key: None,
            secret: None,
            time: SystemTime::now(),
            host: "127.0.0.1:8080",
            signed_host: None,
        }
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = serde_json::to_vec(&v).expect("json");
        self
    }

    pub fn request(&self, state: &AppState) -> Request<Body> {
        let creds = state.credentials();
        let secret = self.secret.unwrap_or(&creds.secret_access_key);
        let signed_host = self.signed_host.unwrap_or(self.host);
        let url = format!("http://{signed_host}{}", self.path);
        let mut headers: Vec<(&str, &str)> = vec![("content-type", "application/json")];
        if let Some(k) = self.api_key {
            headers.push(("x-api-key", k));
        }
        let signed = necid::signing::sign_request(
            self.method,
            &url,
            &headers,
            &self.body,
            &necid::Credentials::new(creds.access_key_id.clone(), secret),
            &necid::SigningScope::default(),
            self.time,
        )
        .expect("sign");
        let mut b = Request::builder()
            .method(self.method)
            .uri(self.path)
            .header("host", self.host);
        for (n, v) in headers {
            b = b.header(n, v);
        }
        for (n, v) in signed {
            b = b.header(n, v);
        }
        b.body(Body::from(self.body.clone())).expect("request")
    }
}

pub async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let res = necid_server::app(state.clone())
        .oneshot(req)
        .await
        .expect("response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, v)
}

/// Creates a gallery through the portal route; returns its API key.
pub async fn create_gallery(state: &AppState, name: &str) -> String {
    let (status, body) = send(
        state,
        Call::new("POST", "/api/galleries")
            .json(serde_json::json!({"name": name, "description": "", "faceMinimumQualityScore": 0.5, "size": 100}))
            .request(state),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["apiKey"].as_str().expect("apiKey").to_owned()
}
