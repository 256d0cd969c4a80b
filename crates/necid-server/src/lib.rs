//! The local NEC ID service.
//!
//! It implements the API of `../shared/api` (the reference and NOTES.md) on axum: the tenant
//! portal under `/api/...` and the biometric API under `/v1.1/...`, on one listener. Requests are
//! verified by the service itself (AWS SigV4, [`sigv4`]); data lives in SQLite ([`store`]); each
//! gallery's active descriptors are held in memory for exact 1:N search ([`index`]); faces go
//! through `necid-face` ([`engine`]) on blocking threads; bulk registrations read the tenant's
//! bucket ([`bucket`]) and run in the background ([`bulk`]).
//!
//! [`LocalService`] is the one door: it runs the whole service in-process on a data dir and
//! stops all of it when dropped; `necid-server serve`, the console and the tests come in through
//! it. [`app`] is the router alone, without side effects (the tests also drive it directly).

pub mod audit;
pub mod auth;
pub mod bucket;
pub mod bulk;
pub mod credentials;
pub mod domain;
pub mod engine;
pub mod error;
pub mod extract;
pub mod feed;
pub mod index;
pub mod local_service;
pub mod openapi;
pub mod routes;
pub mod scope;
pub mod serve;
pub mod sigv4;
pub mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use tokio::sync::{Notify, Semaphore};

use crate::bucket::Bucket;
use crate::engine::FaceAnalyser;
use crate::error::ApiError;
use crate::index::GalleryIndex;
use crate::store::{GalleryId, Store, TenantId};

pub use credentials::TenantCredentials;
pub use local_service::{EngineSource, LocalOptions, LocalService, Running, TenantKeys};

/// Size limits, each refused with a 400 and a clear message (a body over its limit: 413).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes (a base64 image inside JSON); at least
    /// [`Limits::MIN_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// Largest decoded image, in bytes.
    pub max_image_bytes: u64,
    /// Most pixels an image header may declare (checked before decoding).
    pub max_image_pixels: u64,
    /// Longest side of an image, in pixels.
    pub max_image_side: u32,
    /// Longest gallery, application or tag name, in characters.
    pub max_name_chars: usize,
    /// Longest description, in characters.
    pub max_description_chars: usize,
    /// Most registrations in one bulk job.
    pub max_bulk_registrations: usize,
    /// Largest gallery size (slots).
    pub max_gallery_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 24 << 20,
            max_image_bytes: 15 << 20,
            max_image_pixels: 40_000_000,
            max_image_side: 16_384,
            max_name_chars: 128,
            max_description_chars: 1024,
            max_bulk_registrations: 100_000,
            max_gallery_size: 10_000_000,
        }
    }
}

impl Limits {
    /// The NEC cloud's gateway accepts 10 MB bodies: a local service never accepts less, so
    /// whatever works against the cloud works here.
    pub const MIN_BODY_BYTES: usize = 10_000_000;

    pub fn decode_limits(&self) -> necid_face::DecodeLimits {
        necid_face::DecodeLimits {
            max_bytes: self.max_image_bytes,
            max_pixels: self.max_image_pixels,
            max_side: self.max_image_side,
        }
    }
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    engine: Arc<dyn FaceAnalyser>,
    indexes: RwLock<HashMap<GalleryId, Arc<RwLock<GalleryIndex>>>>,
    credentials: TenantCredentials,
    tenant_id: TenantId,
    scope: sigv4::Scope,
    bucket: Bucket,
    face_permits: Semaphore,
    face_workers: usize,
    bulk_wakeup: Notify,
    limits: Limits,
    audits: routes::audit::Audits,
    /// Where each index stands in its gallery's change feed (PostgreSQL only).
    cursors: feed::Cursors,
    /// The data dir, held by this service until its last part lets go of the state.
    _lease: Option<local_service::DataDirLease>,
}

/// How to build an [`AppState`].
#[derive(Debug)]
pub struct Config {
    pub store: Store,
    pub engine: Arc<dyn FaceAnalyser>,
    pub credentials: TenantCredentials,
    pub bucket: Bucket,
    pub limits: Limits,
    /// Concurrent face jobs (detection + descriptor); defaults to the number of cores.
    pub face_workers: usize,
}

impl Config {
    /// The usual layout under a data dir: `necid.sqlite3`, `credentials.json` (created with a
    /// new random tenant on first start) and the bucket folder `bucket/`, all private to the
    /// user the service runs as ([`secure_data_dir`]).
    pub fn from_data_dir(
        data_dir: &Path,
        engine: Arc<dyn FaceAnalyser>,
    ) -> Result<Self, StartError> {
        secure_data_dir(data_dir)?;
        let credentials = credentials::load_or_create(data_dir)?;
        let store = Store::open(&data_dir.join(DATABASE_FILE))?;
        let bucket_dir = data_dir.join(BUCKET_DIR);
        let bucket = Bucket::local(&bucket_dir).map_err(|e| StartError::Io(bucket_dir, e))?;
        Ok(Self {
            store,
            engine,
            credentials,
            bucket,
            limits: Limits::default(),
            face_workers: std::thread::available_parallelism().map_or(2, usize::from),
        })
    }
}

/// The database file's name inside a data dir (SQLite adds `-wal` and `-shm` beside it).
pub const DATABASE_FILE: &str = "necid.sqlite3";
/// The bucket folder's name inside a data dir.
pub const BUCKET_DIR: &str = "bucket";

/// Makes a data dir private to the user the service runs as, before anything is stored in it:
/// the folder and its bucket `0700`, the database and its `-wal`/`-shm` files `0600`. The
/// database holds every API key and every face template.
///
/// Missing pieces are created that way (the database file is created empty with mode 0600, and
/// SQLite gives its `-wal` and `-shm` files the database file's mode); pieces that an older
/// version left wider are narrowed. Call it before [`Store::open`].
pub fn secure_data_dir(data_dir: &Path) -> Result<(), StartError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e| StartError::Io(path, e)
    };
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))
    };
    let bucket_dir = data_dir.join(BUCKET_DIR);
    for dir in [data_dir, bucket_dir.as_path()] {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
        chmod(dir, 0o700)?;
    }
    let database = data_dir.join(DATABASE_FILE);
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&database)
        .map_err(io(&database))?;
    for name in [
        DATABASE_FILE.to_owned(),
        format!("{DATABASE_FILE}-wal"),
        format!("{DATABASE_FILE}-shm"),
        format!("{DATABASE_FILE}-journal"),
        credentials::FILE_NAME.to_owned(),
    ] {
        let path = data_dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() && meta.permissions().mode() & 0o077 != 0 => {
                chmod(&path, 0o600)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StartError::Io(path, e)),
        }
    }
    Ok(())
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("{path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, std::io::Error),
    #[error("credentials file {path}: {reason}", path = .0.display(), reason = .1)]
    Credentials(PathBuf, String),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("bucket: {0}")]
    Bucket(String),
    #[error("face models in {path}: {source}", path = .0.display(), source = .1)]
    Models(PathBuf, #[source] necid_face::EngineError),
    #[error("listening on {0}: {1}")]
    Listen(std::net::SocketAddr, #[source] std::io::Error),
    #[error("the data folder is still used by a service that does not stop")]
    DataDirInUse,
    #[error("a start-up task was lost")]
    TaskLost,
}

impl AppState {
    /// Builds the state: creates the tenant row and loads every gallery's search index.
    pub fn new(config: Config) -> Result<Self, StartError> {
        Self::with_lease(config, None)
    }

    /// [`AppState::new`], holding the data dir's lease for as long as the state lives.
    pub(crate) fn with_lease(
        config: Config,
        lease: Option<local_service::DataDirLease>,
    ) -> Result<Self, StartError> {
        let tenant_id = config
            .store
            .ensure_tenant(&config.credentials.access_key_id)?;
        let mut indexes = HashMap::new();
        // PostgreSQL's indexes are loaded with their place in the change feed, below.
        if config.store.postgres().is_none() {
            for gallery_id in config.store.all_gallery_ids()? {
                let index = config.store.load_index(&gallery_id)?;
                indexes.insert(gallery_id, Arc::new(RwLock::new(index)));
            }
        }
        let state = Self {
            inner: Arc::new(Inner {
                store: Arc::new(config.store),
                engine: config.engine,
                indexes: RwLock::new(indexes),
                credentials: config.credentials,
                tenant_id,
                scope: sigv4::Scope::nec_id(),
                bucket: config.bucket,
                face_permits: Semaphore::new(config.face_workers.max(1)),
                face_workers: config.face_workers.max(1),
                bulk_wakeup: Notify::new(),
                limits: config.limits,
                audits: Default::default(),
                cursors: feed::Cursors::default(),
                _lease: lease,
            }),
        };
        state.load_every_index()?;
        Ok(state)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    pub(crate) fn cursors(&self) -> &feed::Cursors {
        &self.inner.cursors
    }

    pub fn tenant_id(&self) -> &TenantId {
        &self.inner.tenant_id
    }

    pub fn credentials(&self) -> &TenantCredentials {
        &self.inner.credentials
    }

    pub fn scope(&self) -> &sigv4::Scope {
        &self.inner.scope
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn bucket(&self) -> &Bucket {
        &self.inner.bucket
    }

    /// How many faces may be worked on at once (the size of the face pool).
    pub fn face_workers(&self) -> usize {
        self.inner.face_workers
    }

    pub fn engine(&self) -> &Arc<dyn FaceAnalyser> {
        &self.inner.engine
    }

    /// The search index of a gallery (created empty if the gallery has none yet).
    pub fn index(&self, gallery_id: &GalleryId) -> Arc<RwLock<GalleryIndex>> {
        if let Some(i) = read_lock(&self.inner.indexes).get(gallery_id) {
            return i.clone();
        }
        write_lock(&self.inner.indexes)
            .entry(gallery_id.clone())
            .or_default()
            .clone()
    }

    pub fn drop_index(&self, gallery_id: &GalleryId) {
        write_lock(&self.inner.indexes).remove(gallery_id);
    }

    /// Runs store work on a blocking thread.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
    }

    /// Runs face work on a blocking thread, at most `face_workers` at a time.
    pub async fn face<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .inner
            .face_permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(format!("face workers: {e}")))?;
        self.db(f).await
    }

    /// The gallery audits started since the service started.
    pub(crate) fn audits(&self) -> &routes::audit::Audits {
        &self.inner.audits
    }

    /// Wakes the bulk worker (a job was created).
    pub fn wake_bulk(&self) {
        self.inner.bulk_wakeup.notify_one();
    }

    pub(crate) async fn bulk_wakeup(&self) {
        self.inner.bulk_wakeup.notified().await;
    }
}

/// A read guard that survives poisoning: index data is replaced row by row, never left torn.
pub fn read_lock<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

pub fn write_lock<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// The service: every route of both surfaces on one router, behind CORS and SigV4. It starts
/// nothing: bulk jobs are worked on by [`bulk::spawn`] (which [`LocalService::start`] calls).
pub fn app(state: AppState) -> Router {
    routes::router(state)
}
