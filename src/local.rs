//! The Local profile's service: `crates/necid-server` embedded in the console, on 127.0.0.1 and
//! a random port, with its data in `DATA_DIR/local/`, so the console works on a fresh machine
//! with no cloud account.
//!
//! The tenant's AccessKey and SecretKey live in the OS keyring under the Local profile, like any
//! profile's; the service is handed them in memory (the server's `credentials.json` is never
//! written), so no file under the console's folders holds a secret. Where no desktop keyring
//! (Secret Service) runs, the keyring is the kernel *session* keyring and does not outlive a login
//! session: when the keys are gone but the data is not, the sole tenant is re-keyed (new random
//! keys, same galleries) and the shell says so. Before it starts, [`prepare`] fetches the face
//! models on a first run without them ([`crate::models`]). The service itself is started through the server's one door ([`necid_server::LocalService`]),
//! which owns all of it (store, engine, bucket, listener, bulk worker) and knows its on-disk
//! layout; dropping the last clone of a [`LocalService`] stops all of it. Only the backend calls
//! [`start`].

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

/// Where the Local service keeps its data and finds its models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalSettings {
    pub profile_id: ProfileId,
    /// The console's data folder; the service uses [`data_dir`] under it.
    pub console_data_dir: PathBuf,
    pub models_dir: PathBuf,
    /// Fetch the models into `models_dir` when they are not there (a first run with the
    /// default folder; not a folder Settings chose).
    pub fetch_models: bool,
    /// How far that fetch has come, for the top bar.
    pub models_progress: crate::models::FetchProgress,
}

/// A running Local service. It stops (listener and bulk worker) when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct LocalService {
    /// `http://127.0.0.1:PORT`, for both surfaces.
    pub base_url: String,
    pub models_dir: PathBuf,
    /// The bucket folder bulk jobs read their images from (the Jobs pane copies images there).
    pub bucket_dir: PathBuf,
    /// The keys were lost from the keyring and the tenant was given new ones.
    pub rekeyed: bool,
    /// How long loading the face models took.
    pub models_load: Duration,
    /// The service itself: dropping the last clone drops it, which stops all of it.
    _running: Arc<necid_server::Running>,
}

/// What the console says when the models cannot be loaded.
pub fn models_hint(models_dir: &Path) -> String {
    format!(
        "The face models could not be loaded from {}: use “Choose folder…” to point at a folder \
         that holds them, or put them there and press Retry.",
        models_dir.display()
    )
}

/// What must happen before [`start`]: the models fetched if they are missing and may be
/// fetched, then the tenant's keys ([`tenant_keys`]). Blocks (npm, files, the keyring): the
/// backend calls it on its blocking pool.
pub fn prepare(settings: &LocalSettings) -> Result<TenantKeys, UiError> {
    if settings.fetch_models && !crate::models::has_models(&settings.models_dir) {
        crate::models::fetch(&settings.models_dir, &settings.models_progress)
            .map_err(|error| UiError::new(format!("The Local service cannot start: {error}.")))?;
    }
    tenant_keys(&settings.profile_id)
}

/// The tenant's keys, with whether they are new, from [`tenant_keys`].
#[derive(Debug)]
pub struct TenantKeys {
    secrets: Secrets,
    /// Made just now: the keyring had none (then the service gives them to the tenant it
    /// already has, if any: the keyring lost its keys).
    fresh: bool,
}

/// Finds the tenant's keys in the keyring, or makes new ones and keeps them there. Blocks (the
/// keyring): the backend calls it on its blocking pool.
pub fn tenant_keys(profile_id: &ProfileId) -> Result<TenantKeys, UiError> {
    let (secrets, fresh) = tenant_secrets(profile_id)?;
    Ok(TenantKeys { secrets, fresh })
}

/// Starts the service with `keys` through the server's door: models, store, bucket, listener
/// on 127.0.0.1 and a free port, bulk worker. Runs on the backend's runtime.
pub async fn start(settings: LocalSettings, keys: TenantKeys) -> Result<LocalService, UiError> {
    let TenantKeys { secrets, fresh } = keys;
    let mut options = necid_server::LocalOptions::new(
        data_dir(&settings.console_data_dir),
        necid_server::EngineSource::ModelsDir(settings.models_dir.clone()),
    );
    options.keys = necid_server::TenantKeys::Given {
        credentials: necid_server::TenantCredentials {
            access_key_id: secrets.access_key,
            secret_access_key: secrets.secret_key,
        },
        rekey_sole_tenant: fresh,
    };
    let running = necid_server::LocalService::start(options)
        .await
        .map_err(|error| start_error(&settings.models_dir, error))?;
    if running.rekeyed {
        tracing::info!("the Local keys were missing from the keyring; the tenant was re-keyed");
    }
    Ok(LocalService {
        base_url: running.base_url.clone(),
        models_dir: settings.models_dir,
        bucket_dir: running.bucket_dir.clone(),
        rekeyed: running.rekeyed,
        models_load: running.models_load,
        _running: Arc::new(running),
    })
}

/// What the console says when the service cannot start.
fn start_error(models_dir: &Path, error: necid_server::StartError) -> UiError {
    use necid_server::StartError;
    match error {
        StartError::Models(_, error) => {
            UiError::new(format!("{} ({error})", models_hint(models_dir)))
        }
        StartError::Store(error) => UiError::new(format!(
            "The Local service's database could not open: {error}"
        )),
        StartError::Listen(_, error) => {
            UiError::new(format!("No local port for the service: {error}"))
        }
        error => UiError::new(format!("The Local service could not start: {error}")),
    }
}

/// The keys in the keyring; else new ones, stored in the keyring. Returns whether they are new
/// (then the service gives them to the tenant it already has: the keyring lost its keys).
fn tenant_secrets(profile_id: &ProfileId) -> Result<(Secrets, bool), UiError> {
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
    Ok((secrets, true))
}
