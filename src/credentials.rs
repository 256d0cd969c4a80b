//! The only code that touches the OS keyring.
//!
//! Every function here blocks (the kernel keyring, Secret Service or Keychain may take their
//! time or show a prompt), so only [`crate::backend`] calls them, on tokio's blocking pool.
//! Secrets are stored under the service [`SERVICE`] with users `<profile-id>/access-key`,
//! `<profile-id>/secret-key` and `<profile-id>/api-key/<owner>`.
//!
//! On a desktop the keys belong in its keyring, reached through the Secret Service over D-Bus
//! (GNOME Keyring, KWallet): it keeps them across logins and reboots. The kernel's *session*
//! keyring (keyutils), which a logout empties, holds a copy for when the Secret Service fails,
//! and is the store itself where no Secret Service runs ([`KeyStore`]; the first call of the
//! process chooses). A process without a session keyring (a bare SSH or CI shell) sees `set`
//! succeed there and the secret vanish; every write here is therefore read back, and a lost
//! secret is reported as [`CredentialError::NotKept`] instead of pretending it worked.
#![allow(clippy::disallowed_methods)] // this module is where keyring calls are allowed

use std::fmt;

use crate::profiles::ProfileId;

/// The keyring service every console secret is filed under.
pub const SERVICE: &str = "necid-console";

/// How to get a session keyring on Linux when there is none.
const SESSION_HINT: &str = "on Linux run the console inside a login session, or start it \
    under `keyctl session - <command>` (Debian package keyutils)";

/// A profile's AccessKey and SecretKey. `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    pub access_key: String,
    pub secret_key: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("access_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Why the keyring could not do what was asked. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The platform store refused or is not there.
    #[error("the OS keyring is unavailable: {reason}")]
    Unavailable { reason: String },
    /// The store took the secret and then did not have it.
    #[error("the OS keyring accepted the secret but did not keep it ({SESSION_HINT})")]
    NotKept,
    /// What came back was not text.
    #[error("the OS keyring returned an entry that is not text")]
    NotText,
}

/// Whether the keyring works here, as shown in Settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyringStatus {
    Works,
    Unavailable { reason: String },
}

/// Which store keeps the console's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStore {
    /// The desktop's keyring over D-Bus (GNOME Keyring, KWallet): it keeps keys across logins
    /// and restarts. The kernel keyring holds a copy, read only when the Secret Service fails.
    SecretService,
    /// The kernel's session keyring, because no Secret Service runs here: a logout empties it.
    KernelKeyring,
}

impl KeyStore {
    /// Where the keys are, in the words Settings uses.
    pub fn description(self) -> &'static str {
        match self {
            KeyStore::SecretService => {
                "the desktop keyring (Secret Service), which keeps them across logins; the \
                 kernel keyring holds a copy"
            }
            KeyStore::KernelKeyring => {
                "the kernel session keyring, which a logout empties: no desktop keyring \
                 (Secret Service) runs here"
            }
        }
    }
}

/// The store chosen by the first keyring call of this process.
static STORE: std::sync::OnceLock<KeyStore> = std::sync::OnceLock::new();

/// The store in use, once a keyring call has chosen it. Never blocks (for the UI).
pub fn store_in_use() -> Option<KeyStore> {
    STORE.get().copied()
}

/// The store in use; the first call chooses it (and blocks while it asks the Secret Service).
fn store() -> KeyStore {
    *STORE.get_or_init(|| {
        let store = if secret_service_answers() {
            KeyStore::SecretService
        } else {
            KeyStore::KernelKeyring
        };
        match store {
            KeyStore::SecretService => tracing::info!("keys are kept in the desktop keyring"),
            KeyStore::KernelKeyring => tracing::info!("keys are kept in the kernel keyring"),
        }
        store
    })
}

/// Whether a session bus is there and the Secret Service on it keeps a throw-away secret.
/// Without a bus address the service is not asked at all: libdbus would try to launch a bus.
fn secret_service_answers() -> bool {
    let bus_named = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    if !bus_named {
        return false;
    }
    let user = format!("probe/{}", uuid::Uuid::new_v4());
    let secret = uuid::Uuid::new_v4().to_string();
    let Ok(entry) = secret_service_entry(&user) else {
        return false;
    };
    let kept = entry.set_password(&secret).is_ok()
        && entry.get_password().is_ok_and(|read| read == secret);
    let _ = entry.delete_credential();
    if !kept {
        tracing::info!(
            "no Secret Service answers on the session bus: keys go to the kernel keyring"
        );
    }
    kept
}

fn secret_service_entry(user: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::secret_service::SsCredential::new_with_target(None, SERVICE, user)
        .map(|credential| keyring::Entry::new_with_credential(Box::new(credential)))
        .map_err(map_error)
}

/// The kernel keyring's entry: the same names the console has always used there.
fn kernel_entry(user: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, user)
        .map(|credential| keyring::Entry::new_with_credential(Box::new(credential)))
        .map_err(map_error)
}

fn map_error(error: keyring::Error) -> CredentialError {
    match error {
        keyring::Error::BadEncoding(_) => CredentialError::NotText,
        keyring::Error::NoEntry => CredentialError::NotKept,
        other => CredentialError::Unavailable {
            reason: other.to_string(),
        },
    }
}

/// Stores one secret in `entry` and reads it back.
fn set_in(entry: &keyring::Entry, secret: &str) -> Result<(), CredentialError> {
    entry.set_password(secret).map_err(map_error)?;
    match entry.get_password() {
        Ok(read) if read == secret => Ok(()),
        Ok(_) | Err(keyring::Error::NoEntry) => Err(CredentialError::NotKept),
        Err(other) => Err(map_error(other)),
    }
}

/// Stores one secret and reads it back; with a Secret Service, the kernel keyring gets a copy
/// (a failure there only loses the copy).
fn set(user: &str, secret: &str) -> Result<(), CredentialError> {
    match store() {
        KeyStore::SecretService => {
            set_in(&secret_service_entry(user)?, secret)?;
            if let Err(error) = kernel_entry(user).and_then(|entry| set_in(&entry, secret)) {
                tracing::debug!(%error, "the kernel keyring keeps no copy");
            }
            Ok(())
        }
        KeyStore::KernelKeyring => set_in(&kernel_entry(user)?, secret),
    }
}

fn get_from(entry: &keyring::Entry) -> Result<Option<String>, CredentialError> {
    match entry.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(other) => Err(map_error(other)),
    }
}

/// One secret, or `None` when there is no entry. The Secret Service's answer is the truth;
/// the kernel copy is read only when the Secret Service fails (locked, daemon gone).
fn get(user: &str) -> Result<Option<String>, CredentialError> {
    match store() {
        KeyStore::SecretService => match get_from(&secret_service_entry(user)?) {
            Ok(found) => Ok(found),
            Err(error) => match kernel_entry(user).and_then(|entry| get_from(&entry)) {
                Ok(Some(copy)) => {
                    tracing::warn!(%error, "the desktop keyring failed: using the kernel keyring's copy");
                    Ok(Some(copy))
                }
                _ => Err(error),
            },
        },
        KeyStore::KernelKeyring => get_from(&kernel_entry(user)?),
    }
}

fn delete_from(entry: &keyring::Entry) -> Result<(), CredentialError> {
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(other) => Err(map_error(other)),
    }
}

/// Removes one secret (and its kernel copy); a missing entry is fine.
fn delete(user: &str) -> Result<(), CredentialError> {
    match store() {
        KeyStore::SecretService => {
            delete_from(&secret_service_entry(user)?)?;
            if let Err(error) = kernel_entry(user).and_then(|entry| delete_from(&entry)) {
                tracing::debug!(%error, "the kernel keyring's copy was not removed");
            }
            Ok(())
        }
        KeyStore::KernelKeyring => delete_from(&kernel_entry(user)?),
    }
}

fn access_key_user(profile_id: &ProfileId) -> String {
    format!("{profile_id}/access-key")
}

fn secret_key_user(profile_id: &ProfileId) -> String {
    format!("{profile_id}/secret-key")
}

fn api_key_user(profile_id: &ProfileId, owner: &str) -> String {
    format!("{profile_id}/api-key/{owner}")
}

/// Writes, reads back and removes a throw-away secret.
pub fn probe() -> KeyringStatus {
    let user = format!("probe/{}", uuid::Uuid::new_v4());
    let secret = uuid::Uuid::new_v4().to_string();
    let outcome = set(&user, &secret);
    // Clean up whatever happened; a failure here says nothing new.
    let _ = delete(&user);
    match outcome {
        Ok(()) => KeyringStatus::Works,
        Err(error) => KeyringStatus::Unavailable {
            reason: error.to_string(),
        },
    }
}

/// Stores a profile's AccessKey and SecretKey.
pub fn store_profile_secrets(
    profile_id: &ProfileId,
    secrets: &Secrets,
) -> Result<(), CredentialError> {
    set(&access_key_user(profile_id), &secrets.access_key)?;
    set(&secret_key_user(profile_id), &secrets.secret_key)
}

/// A profile's AccessKey and SecretKey, or `None` if either is missing.
pub fn load_profile_secrets(profile_id: &ProfileId) -> Result<Option<Secrets>, CredentialError> {
    let access_key = get(&access_key_user(profile_id))?;
    let secret_key = get(&secret_key_user(profile_id))?;
    Ok(access_key
        .zip(secret_key)
        .map(|(access_key, secret_key)| Secrets {
            access_key,
            secret_key,
        }))
}

/// Removes a profile's AccessKey and SecretKey.
pub fn delete_profile_secrets(profile_id: &ProfileId) -> Result<(), CredentialError> {
    delete(&access_key_user(profile_id))?;
    delete(&secret_key_user(profile_id))
}

/// Stores an API key (of a gallery or application, named by `owner`) for a profile.
pub fn store_api_key(
    profile_id: &ProfileId,
    owner: &str,
    api_key: &str,
) -> Result<(), CredentialError> {
    set(&api_key_user(profile_id, owner), api_key)
}

/// An API key stored for `owner`, if any.
pub fn load_api_key(
    profile_id: &ProfileId,
    owner: &str,
) -> Result<Option<String>, CredentialError> {
    get(&api_key_user(profile_id, owner))
}

/// Removes the API key stored for `owner`.
pub fn delete_api_key(profile_id: &ProfileId, owner: &str) -> Result<(), CredentialError> {
    delete(&api_key_user(profile_id, owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_debug_shows_no_secret() {
        let secrets = Secrets {
            access_key: "AKIDEXAMPLE".to_owned(),
            secret_key: "wJalrXUtnFEMI".to_owned(),
        };
        let shown = format!("{secrets:?}");
        assert!(!shown.contains("AKIDEXAMPLE") && !shown.contains("wJalrXUtnFEMI"));
        assert!(shown.contains("redacted"));
    }
}
