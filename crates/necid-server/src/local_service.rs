//! The service's one door: [`LocalService::start`] runs the whole service in-process on a data
//! dir and returns a [`Running`] that owns every part of it (store, face engine, bucket, the
//! listener task and the bulk worker) and stops all of them when dropped.
//!
//! It exists so that nobody outside this crate builds the service by hand: the on-disk layout
//! (database file, bucket folder, credentials file) is known here alone, and nothing can start
//! a bulk worker and forget to stop it. `necid-server serve`, the console's Local profile and
//! the tests all come in through it.
//!
//! With `database_url` the service keeps its state in PostgreSQL instead, as one replica among
//! any number on that database ([`crate::store::pg`]); the tenant's keys then live in the
//! database, and the data dir only holds the bucket folder (none at all with `bucket_dir`).
//!
//! Two services must never work on one data dir at once (two bulk workers would race over the
//! same SQLite file, and the first one's late writes would miss the second one's search index).
//! So a data dir is leased for as long as any part of a service on it lives: a new start on the
//! same dir waits until the previous service is wholly gone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bucket::Bucket;
use crate::bulk::BulkWorker;
use crate::engine::{FaceAnalyser, RealEngine};
use crate::serve::ServeOptions;
use crate::store::Store;
use crate::store::pg::PgStore;
use crate::{AppState, BUCKET_DIR, Config, DATABASE_FILE, Limits, StartError, TenantCredentials};

/// How long a start waits for a previous service on the same data dir to stop.
const PREVIOUS_SERVICE_GRACE: Duration = Duration::from_secs(30);

/// Where the service finds its face engine.
#[derive(Clone)]
pub enum EngineSource {
    /// Load the models from this folder (the start's slowest step; see
    /// [`Running::models_load`]).
    ModelsDir(PathBuf),
    /// An engine already loaded (tests share one across services).
    Loaded(Arc<dyn FaceAnalyser>),
}

impl std::fmt::Debug for EngineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ModelsDir(dir) => f.debug_tuple("ModelsDir").field(dir).finish(),
            Self::Loaded(_) => f.write_str("Loaded"),
        }
    }
}

/// Where the tenant's SigV4 keys come from.
#[derive(Clone, Debug)]
pub enum TenantKeys {
    /// `credentials.json` in the data dir, created with a new random tenant on first start
    /// (how `necid-server serve` runs).
    DataDirFile,
    /// Keys the caller keeps (the console: in the OS keyring), handed in memory; no file holds
    /// them.
    Given {
        credentials: TenantCredentials,
        /// These keys are new because the caller lost the tenant's: if the data dir already
        /// has its one tenant under another key, that tenant is given these keys and keeps its
        /// galleries ([`Running::rekeyed`] says whether it happened).
        rekey_sole_tenant: bool,
    },
}

/// How to run the service.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// The service's folder: database, bucket folder (and, with [`TenantKeys::DataDirFile`],
    /// the credentials file). Created private to the user if missing. Not used at all with
    /// both `database_url` and `bucket_dir`.
    pub data_dir: PathBuf,
    /// `postgres://…`: keep all state in this PostgreSQL database, shared with other replicas,
    /// instead of SQLite in the data dir. [`TenantKeys::DataDirFile`] then means the keys in
    /// the database (made on first start).
    pub database_url: Option<String>,
    /// The bucket folder bulk jobs read from, instead of the data dir's `bucket/` (replicas
    /// share one).
    pub bucket_dir: Option<PathBuf>,
    /// `s3://bucket/prefix`: bulk jobs read from this S3-compatible bucket instead of a folder,
    /// with the endpoint and keys from the usual AWS environment variables (the `s3` feature).
    pub s3_bucket: Option<String>,
    pub engine: EngineSource,
    pub keys: TenantKeys,
    /// Default `127.0.0.1:0`: loopback and a free port.
    pub listen: SocketAddr,
    pub limits: Limits,
    pub serve: ServeOptions,
    /// Concurrent face jobs; defaults to the number of cores.
    pub face_workers: usize,
}

impl LocalOptions {
    /// The defaults: keys from the data dir's credentials file, loopback and a free port, the
    /// default limits and serve options, one face job per core.
    pub fn new(data_dir: impl Into<PathBuf>, engine: EngineSource) -> Self {
        Self {
            data_dir: data_dir.into(),
            engine,
            database_url: None,
            bucket_dir: None,
            s3_bucket: None,
            keys: TenantKeys::DataDirFile,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            limits: Limits::default(),
            serve: ServeOptions::default(),
            face_workers: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}

/// The door: see the module doc.
#[derive(Debug)]
pub struct LocalService;

impl LocalService {
    /// Opens the data dir (waiting, up to 30 s, for a previous service on it to stop), loads
    /// the engine, finds the tenant's keys, binds the listener and starts the bulk worker, which
    /// resumes any job a restart cut short. Needs a tokio runtime; the blocking steps (models,
    /// SQLite) run on its blocking pool.
    pub async fn start(options: LocalOptions) -> Result<Running, StartError> {
        let bucket_elsewhere = options.bucket_dir.is_some() || options.s3_bucket.is_some();
        let lease = if options.database_url.is_some() && bucket_elsewhere {
            None
        } else {
            let data_dir = options.data_dir.clone();
            let key = blocking(move || {
                crate::secure_data_dir(&data_dir)?;
                std::fs::canonicalize(&data_dir).map_err(|e| StartError::Io(data_dir, e))
            })
            .await?;
            Some(DataDirLease::acquire(key).await?)
        };
        let listen = options.listen;
        let serve_options = options.serve;
        let opened = blocking(move || open(options, lease)).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| StartError::Listen(listen, e))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartError::Listen(listen, e))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve::serve_with_shutdown(
            listener,
            crate::app(opened.state.clone()),
            serve_options,
            async move {
                // Resolves when the sender is used or dropped (the Running is gone).
                let _ = stopped.await;
            },
        ));
        let worker = crate::bulk::spawn(opened.state.clone());
        let follower = crate::feed::spawn(opened.state.clone());
        Ok(Running {
            base_url: format!("http://{address}"),
            address,
            bucket_dir: opened.bucket_dir,
            rekeyed: opened.rekeyed,
            models_load: opened.models_load,
            state: opened.state,
            stop: Some(stop),
            server: Some(server),
            worker: Some(worker),
            _follower: follower,
        })
    }
}

/// A service started by [`LocalService::start`]. Dropping it stops everything: the bulk worker
/// at once, the listener gracefully (each open request finishes, bounded by the serve options).
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:PORT`, for both surfaces.
    pub base_url: String,
    pub address: SocketAddr,
    /// The bucket folder bulk jobs read their images from (unused with an S3 bucket).
    pub bucket_dir: PathBuf,
    /// The sole tenant was given the new keys of [`TenantKeys::Given`].
    pub rekeyed: bool,
    /// How long loading the face models took (zero for [`EngineSource::Loaded`]).
    pub models_load: Duration,
    state: AppState,
    /// Dropping it starts the listener's graceful shutdown.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// Dropping it aborts the worker.
    worker: Option<BulkWorker>,
    /// PostgreSQL: follows the other replicas' changes. Dropping it stops it.
    _follower: Option<crate::feed::FeedFollower>,
}

impl Running {
    /// The tenant's keys.
    pub fn credentials(&self) -> &TenantCredentials {
        self.state.credentials()
    }

    /// The service's shared state (store, engine, indexes), for tests and tools in-process.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the listener task ends (it does not, unless it panics): for a process that
    /// is only the service. The process ending stops it; every acknowledged write is already
    /// committed, so nothing is lost.
    pub async fn serve_forever(mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Stops everything and returns once the worker is gone and the listener has closed.
    pub async fn stop(mut self) {
        if let Some(worker) = self.worker.take() {
            worker.stop().await;
        }
        self.stop.take();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

/// What [`open`] made, before the listener.
struct Opened {
    state: AppState,
    bucket_dir: PathBuf,
    rekeyed: bool,
    models_load: Duration,
}

/// The blocking part of a start: engine, keys, store, bucket, state.
fn open(options: LocalOptions, lease: Option<DataDirLease>) -> Result<Opened, StartError> {
    let data_dir = options.data_dir;
    let started = Instant::now();
    let engine: Arc<dyn FaceAnalyser> = match options.engine {
        EngineSource::ModelsDir(dir) => Arc::new(
            RealEngine::load(&dir, options.limits.decode_limits())
                .map_err(|e| StartError::Models(dir, e))?,
        ),
        EngineSource::Loaded(engine) => engine,
    };
    let models_load = started.elapsed();
    let store = match &options.database_url {
        Some(url) => Store::Postgres(Box::new(PgStore::connect(url)?)),
        None => Store::open(&data_dir.join(DATABASE_FILE))?,
    };
    let (credentials, rekeyed) = match options.keys {
        TenantKeys::DataDirFile => match store.postgres() {
            Some(pg) => (pg.tenant_credentials()?, false),
            None => (crate::credentials::load_or_create(&data_dir)?, false),
        },
        TenantKeys::Given {
            credentials,
            rekey_sole_tenant,
        } => {
            let rekeyed = rekey_sole_tenant
                && store
                    .rekey_sole_tenant(&credentials.access_key_id)?
                    .is_some();
            if rekeyed {
                tracing::info!("the tenant's keys were lost; it was given new ones");
            }
            (credentials, rekeyed)
        }
    };
    let bucket_dir = options
        .bucket_dir
        .unwrap_or_else(|| data_dir.join(BUCKET_DIR));
    let bucket = match options.s3_bucket {
        Some(url) => s3_bucket(&url)?,
        None => Bucket::local(&bucket_dir).map_err(|e| StartError::Io(bucket_dir.clone(), e))?,
    };
    let config = Config {
        store,
        engine,
        credentials,
        bucket,
        limits: options.limits,
        face_workers: options.face_workers,
    };
    Ok(Opened {
        state: AppState::with_lease(config, lease)?,
        bucket_dir,
        rekeyed,
        models_load,
    })
}

#[cfg(feature = "s3")]
fn s3_bucket(url: &str) -> Result<Bucket, StartError> {
    crate::bucket::S3Bucket::from_url(url)
        .map(Bucket::S3)
        .map_err(StartError::Bucket)
}

#[cfg(not(feature = "s3"))]
fn s3_bucket(_url: &str) -> Result<Bucket, StartError> {
    Err(StartError::Bucket(
        "this build reads no S3 bucket (the `s3` feature is off)".into(),
    ))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StartError> + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StartError::TaskLost)?
}

/// A data dir held by one service. Kept inside its [`AppState`], so it is released when the
/// last part of that service (listener, connection, worker, blocking job) lets go of the state.
#[derive(Debug)]
pub(crate) struct DataDirLease {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl DataDirLease {
    /// Waits until no other service of this process holds `data_dir` (a canonical path).
    async fn acquire(data_dir: PathBuf) -> Result<Self, StartError> {
        static DIRS: Mutex<Option<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
            Mutex::new(None);
        let lock = {
            let mut dirs = DIRS.lock().unwrap_or_else(|p| p.into_inner());
            let dirs = dirs.get_or_insert_with(HashMap::new);
            // Forget the dirs nobody holds or waits for, so the map stays small.
            dirs.retain(|_, lock| Arc::strong_count(lock) > 1);
            dirs.entry(data_dir).or_default().clone()
        };
        match tokio::time::timeout(PREVIOUS_SERVICE_GRACE, lock.lock_owned()).await {
            Ok(guard) => Ok(Self { _guard: guard }),
            Err(_) => Err(StartError::DataDirInUse),
        }
    }
}
