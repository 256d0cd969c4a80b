//! The Local profile's service: `crates/necid-server` embedded in the console, on 127.0.0.1 and
//! a random port, with its data in `DATA_DIR/local/`, so the console works on a fresh machine
//! with no cloud account.
//!
//! The tenant's AccessKey and SecretKey live in the OS keyring under the Local profile, like any
//! profile's; the service is handed them in memory (the server's `credentials.json` is never
//! written), so no file under the console's folders holds a secret. On Linux the keyring is the
//! kernel *session* keyring and does not outlive a login session: when the keys are gone but the
//! data is not, the sole tenant is re-keyed (new random keys, same galleries) and the shell says
//! so. Everything here blocks (keyring, SQLite, model weights): only the backend calls it, on the
//! blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{self, Secrets};
use crate::error::UiError;
use crate::profiles::ProfileId;

/// The Local service's folder under the console's data folder.
pub fn data_dir(console_data_dir: &Path) -> PathBuf {
    console_data_dir.join("local")
}

/// The bucket folder bulk jobs read their images from (the Jobs pane copies images there).
pub fn bucket_dir(console_data_dir: &Path) -> PathBuf {
    data_dir(console_data_dir).join("bucket")
}

/// The SQLite file's name inside [`data_dir`].
const DATABASE_FILE: &str = "necid.sqlite3";

/// Where the Local service keeps its data and finds its models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalSettings {
    pub profile_id: ProfileId,
    /// The console's data folder; the service uses [`data_dir`] under it.
    pub console_data_dir: PathBuf,
    pub models_dir: PathBuf,
}

/// A running Local service. The server stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct LocalService {
    /// `http://127.0.0.1:PORT`, for both surfaces.
    pub base_url: String,
    pub models_dir: PathBuf,
    pub bucket_dir: PathBuf,
    /// The keys were lost from the keyring and the tenant was given new ones.
    pub rekeyed: bool,
    /// How long loading the face models took.
    pub models_load: Duration,
    /// Dropping the last clone drops the sender, which ends the server's graceful shutdown.
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

/// The state ready to serve, with what the shell reports about it.
pub struct Prepared {
    pub state: necid_server::AppState,
    pub bucket_dir: PathBuf,
    pub rekeyed: bool,
    pub models_load: Duration,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("rekeyed", &self.rekeyed)
            .finish_non_exhaustive()
    }
}

/// What the console says when the models cannot be loaded.
pub fn models_hint(models_dir: &Path) -> String {
    format!(
        "The face models could not be loaded from {}: run scripts/fetch-models or choose the \
         models folder in Settings.",
        models_dir.display()
    )
}

/// Loads the face models, opens the store and finds (or makes, or re-makes) the tenant's keys.
pub fn prepare(settings: &LocalSettings) -> Result<Prepared, UiError> {
    let data_dir = data_dir(&settings.console_data_dir);
    let bucket_dir = data_dir.join("bucket");
    necid_server::secure_data_dir(&data_dir).map_err(|e| UiError::new(format!("{e}")))?;
    let limits = necid_server::Limits::default();
    let started = std::time::Instant::now();
    let engine =
        necid_server::engine::RealEngine::load(&settings.models_dir, limits.decode_limits())
            .map_err(|error| {
                UiError::new(format!("{} ({error})", models_hint(&settings.models_dir)))
            })?;
    let models_load = started.elapsed();
    let store = necid_server::store::Store::open(&data_dir.join(DATABASE_FILE))
        .map_err(|e| UiError::new(format!("The Local service's database could not open: {e}")))?;
    let (secrets, rekeyed) = tenant_secrets(&settings.profile_id, &store)?;
    let bucket = necid_server::bucket::Bucket::local(&bucket_dir)
        .map_err(|e| UiError::new(format!("The bucket folder could not be used: {e}")))?;
    let config = necid_server::Config {
        store,
        engine: Arc::new(engine),
        credentials: necid_server::TenantCredentials {
            access_key_id: secrets.access_key,
            secret_access_key: secrets.secret_key,
        },
        bucket,
        limits,
        face_workers: std::thread::available_parallelism().map_or(2, usize::from),
    };
    let state = necid_server::AppState::new(config)
        .map_err(|e| UiError::new(format!("The Local service could not start: {e}")))?;
    Ok(Prepared {
        state,
        bucket_dir,
        rekeyed,
        models_load,
    })
}

/// The keys in the keyring; else new ones, stored in the keyring and, when the store already
/// has its tenant (the keyring lost them), given to that tenant. Returns whether it re-keyed.
fn tenant_secrets(
    profile_id: &ProfileId,
    store: &necid_server::store::Store,
) -> Result<(Secrets, bool), UiError> {
    if let Some(secrets) = credentials::load_profile_secrets(profile_id)
        .map_err(|e| UiError::new(format!("The Local service's keys could not be read: {e}")))?
    {
        return Ok((secrets, false));
    }
    let fresh = necid_server::TenantCredentials::random();
    let secrets = Secrets {
        access_key: fresh.access_key_id,
        secret_key: fresh.secret_access_key,
    };
    // Keyring first: if it cannot keep them, the tenant keeps its old (lost) key and nothing
    // changed on disk.
    credentials::store_profile_secrets(profile_id, &secrets)
        .map_err(|e| UiError::new(format!("The Local service's keys could not be kept: {e}")))?;
    let rekeyed = store
        .rekey_sole_tenant(&secrets.access_key)
        .map_err(|e| UiError::new(format!("The Local tenant could not be given new keys: {e}")))?
        .is_some();
    if rekeyed {
        tracing::info!("the Local keys were missing from the keyring; the tenant was re-keyed");
    }
    Ok((secrets, rekeyed))
}

/// Serves `prepared` on 127.0.0.1 and a free port, on the current runtime.
pub async fn serve(
    prepared: Prepared,
    models_dir: PathBuf,
    spawn: impl FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
) -> Result<LocalService, UiError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| UiError::new(format!("No local port for the service: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| UiError::new(format!("No local port for the service: {e}")))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = necid_server::app(prepared.state);
    spawn(Box::pin(async move {
        let shutdown = async move {
            // Resolves when the sender is sent to or dropped (the LocalService is gone).
            let _ = stopped.await;
        };
        necid_server::serve::serve_with_shutdown(listener, app, Default::default(), shutdown).await;
    }));
    Ok(LocalService {
        base_url: format!("http://{address}"),
        models_dir,
        bucket_dir: prepared.bucket_dir,
        rekeyed: prepared.rekeyed,
        models_load: prepared.models_load,
        _stop: Arc::new(stop),
    })
}
