//! The tenant's SigV4 credentials: created at random on first start and kept in
//! `DATA_DIR/credentials.json` with mode 0600. The secret is never logged: `Debug` redacts it.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::StartError;
use crate::store::random_token;

pub const FILE_NAME: &str = "credentials.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for TenantCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl TenantCredentials {
    /// A new random pair: `AKID` + 16 upper-case letters and digits, and a 40-character secret.
    pub fn random() -> Self {
        Self {
            access_key_id: format!("AKID{}", random_token(16).to_ascii_uppercase()),
            secret_access_key: random_token(40),
        }
    }
}

/// Whether [`load_or_create`] made a new file.
pub fn exists(data_dir: &Path) -> bool {
    data_dir.join(FILE_NAME).is_file()
}

/// Reads the credentials file, or creates it (0600) with a new random pair.
pub fn load_or_create(data_dir: &Path) -> Result<TenantCredentials, StartError> {
    let path = data_dir.join(FILE_NAME);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| StartError::Credentials(path.clone(), format!("not valid JSON: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let creds = TenantCredentials::random();
            let json = serde_json::to_vec_pretty(&creds)
                .map_err(|e| StartError::Credentials(path.clone(), e.to_string()))?;
            let tmp = data_dir.join(format!("{FILE_NAME}.tmp"));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options
                .open(&tmp)
                .map_err(|e| StartError::Io(tmp.clone(), e))?;
            file.write_all(&json)
                .and_then(|()| file.sync_all())
                .map_err(|e| StartError::Io(tmp.clone(), e))?;
            std::fs::rename(&tmp, &path).map_err(|e| StartError::Io(path.clone(), e))?;
            Ok(creds)
        }
        Err(e) => Err(StartError::Io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_a_private_secret_that_the_next_start_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = load_or_create(dir.path()).expect("create");
        assert!(a.access_key_id.starts_with("AKID") && a.access_key_id.len() == 20);
        assert_eq!(a.secret_access_key.len(), 40);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load_or_create(dir.path()).expect("read"), a);
        assert!(!format!("{a:?}").contains(&a.secret_access_key));
        assert_ne!(TenantCredentials::random(), a);
    }
}
