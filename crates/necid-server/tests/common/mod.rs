//! What the integration tests share: a real service (SQLite file in a temp dir, the real face
//! engine with the real models, a listener on 127.0.0.1) and paths to the shared test data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use necid_server::engine::{FaceAnalyser, RealEngine};
use necid_server::serve::ServeOptions;
use necid_server::{AppState, Config, EngineSource, Limits, LocalOptions, LocalService};

/// ../shared/testdata
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
}

pub fn face(rel: &str) -> PathBuf {
    testdata().join("faces").join(rel)
}

/// The real engine, loaded once per test binary. The models come from `scripts/fetch-models`.
pub fn engine() -> Arc<dyn FaceAnalyser> {
    static ENGINE: OnceLock<Arc<RealEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let dir = necid_face::default_models_dir()
                .expect("a models directory (NECID_MODELS_DIR or HOME)");
            Arc::new(
                RealEngine::load(&dir, Limits::default().decode_limits()).unwrap_or_else(|e| {
                    panic!("the face models are needed: run scripts/fetch-models ({e})")
                }),
            )
        })
        .clone()
}

/// A running service on 127.0.0.1 and a random port, started through the service's door.
pub struct Service {
    pub base_url: String,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    /// The service itself (listener and bulk worker); `None` once stopped.
    pub running: Option<necid_server::Running>,
}

impl Service {
    /// The service as `necid-server serve` runs it, with the default limits.
    pub async fn start() -> Self {
        Self::start_with(Limits::default(), ServeOptions::default()).await
    }

    pub async fn start_with(limits: Limits, options: ServeOptions) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        Self::start_on_with(data_dir, limits, options).await
    }

    /// The service on a PostgreSQL database (the data dir then only holds the bucket folder).
    pub async fn start_on_postgres(database_url: String) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut door = LocalOptions::new(data_dir.path(), EngineSource::Loaded(engine()));
        door.database_url = Some(database_url);
        Self::start_door(data_dir, door).await
    }

    async fn start_on_with(
        data_dir: tempfile::TempDir,
        limits: Limits,
        options: ServeOptions,
    ) -> Self {
        let mut door = LocalOptions::new(data_dir.path(), EngineSource::Loaded(engine()));
        door.limits = limits;
        door.serve = options;
        Self::start_door(data_dir, door).await
    }

    async fn start_door(data_dir: tempfile::TempDir, door: LocalOptions) -> Self {
        let running = LocalService::start(door).await.expect("the service starts");
        Self {
            base_url: running.base_url.clone(),
            state: running.state().clone(),
            data_dir,
            running: Some(running),
        }
    }

    /// A new gallery (10,000 slots, minimum quality 0.45) through the portal; its biometric
    /// handle.
    pub async fn gallery(&self, name: &str) -> necid::Gallery {
        let client = self.client();
        let created = client
            .galleries()
            .create(&necid::CreateGallery {
                name: name.into(),
                description: String::new(),
                face_minimum_quality_score: 0.45,
                size: 10_000,
            })
            .await
            .expect("create gallery");
        client.gallery(created.api_key)
    }

    pub fn client(&self) -> necid::Client {
        let c = self.state.credentials();
        necid::Client::builder()
            .base_url(self.base_url.clone())
            .credentials(necid::Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
            ))
            .build()
            .expect("client")
    }

    /// `127.0.0.1:PORT`, for raw connections and the `Host` a signed request names.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    pub fn bucket_dir(&self) -> PathBuf {
        self.running
            .as_ref()
            .map(|r| r.bucket_dir.clone())
            .expect("a running service")
    }
}

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

impl Service {
    /// Starts a service on an existing data dir (a restart keeps the dir).
    pub async fn start_on(data_dir: tempfile::TempDir) -> Self {
        Self::start_on_with(data_dir, Limits::default(), ServeOptions::default()).await
    }

    /// Stops the listener and starts a new service over the same data: the indexes are rebuilt
    /// from the database.
    pub async fn restart(mut self) -> Self {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        let dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("tempdir"));
        drop(self);
        Self::start_on(dir).await
    }
}
