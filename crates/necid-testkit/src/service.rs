//! The local NEC ID service started for a test, the way `necid-server serve` and the console
//! start it: through its one door ([`necid_server::LocalService::start`]), over a temporary
//! data folder, with the real face engine on the fetched models (`scripts/fetch-models`) and a
//! listener on 127.0.0.1. The engine is loaded once per test process and shared by every
//! service a test starts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use necid_server::engine::{FaceAnalyser, RealEngine};
use necid_server::serve::ServeOptions;
use necid_server::{AppState, EngineSource, Limits, LocalOptions, LocalService, Running};

/// The fetched face models (`NECID_MODELS_DIR`, else the user's data folder).
///
/// # Panics
/// When there is no models folder or the models are not in it, saying to run
/// `scripts/fetch-models`.
pub fn models_dir() -> PathBuf {
    let dir = necid_server::engine::default_models_dir()
        .expect("a models folder (NECID_MODELS_DIR or HOME is set)");
    assert!(
        dir.join("ssd_mobilenetv1_model-weights_manifest.json")
            .is_file(),
        "the face models are not in {}: run scripts/fetch-models",
        dir.display()
    );
    dir
}

/// The real engine, loaded once per test process.
///
/// # Panics
/// When the models cannot be loaded, with the engine's reason.
pub fn engine() -> Arc<dyn FaceAnalyser> {
    static ENGINE: OnceLock<Arc<RealEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Arc::new(
                RealEngine::load(&models_dir(), Limits::default().decode_limits()).unwrap_or_else(
                    |e| panic!("the face models are needed: run scripts/fetch-models ({e})"),
                ),
            )
        })
        .clone()
}

/// The door's options for a service over `data_dir` on the shared [`engine`]; a test changes
/// what it needs (limits, serving bounds) before starting it.
pub fn local_options(data_dir: &Path) -> LocalOptions {
    LocalOptions::new(data_dir, EngineSource::Loaded(engine()))
}

/// A client of `running`, with the tenant's keys.
///
/// # Panics
/// When the client cannot be built (it always can for a loopback URL).
pub fn client(running: &Running) -> necid::Client {
    let keys = running.credentials();
    necid::Client::builder()
        .base_url(running.base_url.clone())
        .credentials(necid::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
        ))
        .build()
        .expect("a client")
}

/// A running service on 127.0.0.1 and a random port, over a temporary data folder it owns.
#[derive(Debug)]
pub struct Service {
    pub base_url: String,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    /// The service itself (listener and bulk worker); `None` once stopped.
    pub running: Option<Running>,
}

impl Service {
    /// The service as `necid-server serve` runs it, with the default limits.
    pub async fn start() -> Self {
        Self::start_with(Limits::default(), ServeOptions::default()).await
    }

    /// The service with `limits` and serving bounds `options`.
    pub async fn start_with(limits: Limits, options: ServeOptions) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        Self::start_on_with(data_dir, limits, options).await
    }

    /// Starts a service on an existing data folder (a restart keeps the folder).
    pub async fn start_on(data_dir: tempfile::TempDir) -> Self {
        Self::start_on_with(data_dir, Limits::default(), ServeOptions::default()).await
    }

    async fn start_on_with(
        data_dir: tempfile::TempDir,
        limits: Limits,
        options: ServeOptions,
    ) -> Self {
        let mut door = local_options(data_dir.path());
        door.limits = limits;
        door.serve = options;
        Self::start_door(data_dir, door).await
    }

    /// The service on a PostgreSQL database (the data dir then only holds the bucket folder).
    pub async fn start_on_postgres(database_url: String) -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary folder");
        let mut door = local_options(data_dir.path());
        door.database_url = Some(database_url);
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

    /// Stops the service and starts a new one over the same data: the indexes are rebuilt from
    /// the database.
    pub async fn restart(mut self) -> Self {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        let dir = std::mem::replace(
            &mut self.data_dir,
            tempfile::tempdir().expect("a temporary folder"),
        );
        drop(self);
        Self::start_on(dir).await
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

    /// A client with the tenant's keys.
    pub fn client(&self) -> necid::Client {
        let keys = self.state.credentials();
        necid::Client::builder()
            .base_url(self.base_url.clone())
            .credentials(necid::Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.clone(),
            ))
            .build()
            .expect("a client")
    }

    /// `127.0.0.1:PORT`, for raw connections and the `Host` a signed request names.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// The service's bucket folder, where bulk jobs read their files.
    pub fn bucket_dir(&self) -> PathBuf {
        self.running
            .as_ref()
            .map(|r| r.bucket_dir.clone())
            .expect("a running service")
    }
}
