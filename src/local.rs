//! The Local profile's service: `crates/necid-server` embedded in the console, on 127.0.0.1 and
//! a random port, with its data in the console's data folder.
//!
//! The tenant's AccessKey and SecretKey live in the OS keyring under the Local profile, like any
//! profile's; the service is handed them in memory (no `credentials.json` is written), so no
//! file under the console's folders holds a secret.

use std::path::PathBuf;
use std::sync::Arc;

use crate::credentials::{self, Secrets};
use crate::error::UiError;
use crate::profiles::ProfileId;

/// Where the Local service keeps its data and finds its models.
#[derive(Clone, Debug)]
pub struct LocalSettings {
    pub profile_id: ProfileId,
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
}

/// A running Local service.
#[derive(Clone, Debug)]
pub struct LocalService {
    /// `http://127.0.0.1:PORT`, for both surfaces.
    pub base_url: String,
    pub models_dir: PathBuf,
}

/// The state ready to serve; made on a blocking thread (keyring, SQLite, model weights).
pub struct Prepared {
    pub state: necid_server::AppState,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").finish_non_exhaustive()
    }
}

/// Loads or creates the tenant's keys (keyring), opens the store and loads the models.
pub fn prepare(settings: &LocalSettings) -> Result<Prepared, UiError> {
    let secrets = match credentials::load_profile_secrets(&settings.profile_id)
        .map_err(|e| UiError::new(e.to_string()))?
    {
        Some(secrets) => secrets,
        None => {
            let fresh = necid_server::TenantCredentials::random();
            let secrets = Secrets {
                access_key: fresh.access_key_id,
                secret_key: fresh.secret_access_key,
            };
            credentials::store_profile_secrets(&settings.profile_id, &secrets).map_err(|e| {
                UiError::new(format!("The Local service's keys could not be kept: {e}"))
            })?;
            secrets
        }
    };
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
        UiError::new(format!(
            "Could not create {}: {e}",
            settings.data_dir.display()
        ))
    })?;
    let limits = necid_server::Limits::default();
    let engine = necid_server::engine::RealEngine::load(&settings.models_dir, limits.decode_limits())
        .map_err(|e| {
            UiError::new(format!(
                "The face models could not be loaded from {} ({e}); run scripts/fetch-models or \
                 choose the models folder in Settings.",
                settings.models_dir.display()
            ))
        })?;
    let store = necid_server::store::Store::open(&settings.data_dir.join("necid.sqlite3"))
        .map_err(|e| UiError::new(format!("The Local service's database could not open: {e}")))?;
    let bucket_dir = settings.data_dir.join("bucket");
    std::fs::create_dir_all(&bucket_dir)
        .map_err(|e| UiError::new(format!("Could not create {}: {e}", bucket_dir.display())))?;
    let bucket = object_store::local::LocalFileSystem::new_with_prefix(&bucket_dir)
        .map_err(|e| UiError::new(format!("The bucket folder could not be used: {e}")))?;
    let config = necid_server::Config {
        store,
        engine: Arc::new(engine),
        credentials: necid_server::TenantCredentials {
            access_key_id: secrets.access_key,
            secret_access_key: secrets.secret_key,
        },
        bucket: Arc::new(bucket),
        limits,
        face_workers: std::thread::available_parallelism().map_or(2, usize::from),
    };
    let state = necid_server::AppState::new(config)
        .map_err(|e| UiError::new(format!("The Local service could not start: {e}")))?;
    Ok(Prepared { state })
}
