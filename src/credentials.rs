//! The only code that touches the OS keyring.
//!
//! Every function here blocks (the kernel keyring, Secret Service or Keychain may take their
//! time or show a prompt), so only [`crate::backend`] calls them, on tokio's blocking pool.
//! Secrets are stored under the service [`SERVICE`] with users `<profile-id>/access-key`,
//! `<profile-id>/secret-key` and `<profile-id>/api-key/<owner>`.
//!
//! On Linux the `linux-native` store keeps secrets in the kernel's *session* keyring. A process
//! without one (a bare SSH or CI shell) sees `set` succeed and the secret vanish; every write
//! here is therefore read back, and a lost secret is reported as [`CredentialError::NotKept`]
//! instead of pretending it worked.
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

fn entry(user: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(SERVICE, user).map_err(map_error)
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

/// Stores one secret and reads it back.
fn set(user: &str, secret: &str) -> Result<(), CredentialError> {
    let entry = entry(user)?;
    entry.set_password(secret).map_err(map_error)?;
    match entry.get_password() {
        Ok(read) if read == secret => Ok(()),
        Ok(_) | Err(keyring::Error::NoEntry) => Err(CredentialError::NotKept),
        Err(other) => Err(map_error(other)),
    }
}

/// One secret, or `None` when there is no entry.
fn get(user: &str) -> Result<Option<String>, CredentialError> {
    match entry(user)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(other) => Err(map_error(other)),
    }
}

/// Removes one secret; a missing entry is fine.
fn delete(user: &str) -> Result<(), CredentialError> {
    match entry(user)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(other) => Err(map_error(other)),
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
