//! Connection profiles: where the console connects to, never how it authenticates.
//!
//! A profile's AccessKey and SecretKey live only in the OS keyring (see
//! [`crate::credentials`]); this type has no field for them, so the profile file and eframe's
//! persisted state cannot carry a secret by accident.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The real NEC ID hosts and region.
pub const NEC_API_BASE_URL: &str = "https://api.id.nec.com.au";
pub const NEC_PORTAL_BASE_URL: &str = "https://portal.id.nec.com.au";
pub const NEC_REGION: &str = "ap-southeast-2";

/// Identifies one profile; also the prefix of its keyring entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfileId(String);

impl ProfileId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ProfileId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// What a profile connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileKind {
    /// The service embedded in the console, on 127.0.0.1.
    Local,
    /// The real NEC ID hosts.
    Cloud,
    /// Anything else the user typed.
    Custom,
}

impl ProfileKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Local => "Local",
            Self::Cloud => "NEC ID cloud",
            Self::Custom => "Custom",
        }
    }
}

/// One place the console can connect to. Non-secret by construction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub profile_id: ProfileId,
    pub name: String,
    pub kind: ProfileKind,
    pub api_base_url: String,
    pub portal_base_url: String,
    pub region: String,
    /// The colour of the badge shown beside the profile's name (sRGB).
    pub badge_rgb: [u8; 3],
    /// How long a connection may take to be accepted, in seconds (profile files written
    /// before this setting get the default).
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
    /// How long a whole answer may take, in seconds.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
}

/// The connect timeout a profile starts with.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// The request timeout a profile starts with.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 60;
/// The longest timeout Settings offers: an hour.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

fn default_connect_timeout_secs() -> u64 {
    DEFAULT_CONNECT_TIMEOUT_SECS
}

fn default_request_timeout_secs() -> u64 {
    DEFAULT_REQUEST_TIMEOUT_SECS
}

impl Profile {
    /// The connect timeout its client uses (at least a second).
    pub fn connect_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.connect_timeout_secs.clamp(1, MAX_TIMEOUT_SECS))
    }

    /// The request timeout its client uses (at least a second).
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs.clamp(1, MAX_TIMEOUT_SECS))
    }
}

impl Profile {
    /// The NEC ID cloud profile with the vendor's hosts.
    pub fn nec_cloud() -> Self {
        Self {
            profile_id: ProfileId::new_random(),
            name: "NEC ID cloud".to_owned(),
            kind: ProfileKind::Cloud,
            api_base_url: NEC_API_BASE_URL.to_owned(),
            portal_base_url: NEC_PORTAL_BASE_URL.to_owned(),
            region: NEC_REGION.to_owned(),
            badge_rgb: [0x1f, 0x6f, 0xd0],
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
        }
    }
}

impl Profile {
    /// The Local profile: the service embedded in the console. Its port changes every start,
    /// so the URLs here only name the host; the shell fills in the port when it connects.
    pub fn local() -> Self {
        Self {
            profile_id: ProfileId::new_random(),
            name: "Local".to_owned(),
            kind: ProfileKind::Local,
            api_base_url: LOCAL_BASE_URL.to_owned(),
            portal_base_url: LOCAL_BASE_URL.to_owned(),
            region: NEC_REGION.to_owned(),
            badge_rgb: [0x2e, 0x9e, 0x5b],
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
        }
    }
}

/// What the Local profile's URLs read in the profile file (the port is chosen at each start).
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1";

/// Problems with a profile as typed, shown beside the form.
pub fn validate(
    name: &str,
    api_base_url: &str,
    portal_base_url: &str,
    region: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if name.trim().is_empty() {
        problems.push("Give the profile a name.".to_owned());
    }
    for (what, url) in [
        ("API base URL", api_base_url),
        ("Portal base URL", portal_base_url),
    ] {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            None => problems.push(format!("The {what} must start with https:// or http://.")),
            Some(host) if host.is_empty() || host.starts_with('/') || host.contains(' ') => {
                problems.push(format!("The {what} needs a host name after the scheme."));
            }
            Some(_) => {}
        }
    }
    let region = region.trim();
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        problems
            .push("The region looks like ap-southeast-2: letters, digits and dashes.".to_owned());
    }
    problems
}

/// The profile file's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileList {
    pub profiles: Vec<Profile>,
}

impl ProfileList {
    /// What a first start offers: the NEC ID cloud profile (the Local profile is added by the
    /// shell when the embedded service is available).
    pub fn first_start() -> Self {
        Self {
            profiles: vec![Profile::nec_cloud()],
        }
    }

    /// Reads the profile file; a missing file is a first start.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                anyhow::anyhow!("the profile file {} is not valid: {error}", path.display())
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::first_start()),
            Err(error) => Err(anyhow::anyhow!(
                "could not read the profile file {}: {error}",
                path.display()
            )),
        }
    }

    /// Writes the profile file, replacing the old one in one step.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        crate::paths::write_replacing(path, json)
            .map_err(|error| anyhow::anyhow!("could not write {}: {error}", path.display()))
    }

    pub fn find(&self, profile_id: &ProfileId) -> Option<&Profile> {
        self.profiles.iter().find(|p| &p.profile_id == profile_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nec_defaults_pass_validation() {
        let p = Profile::nec_cloud();
        assert!(validate(&p.name, &p.api_base_url, &p.portal_base_url, &p.region).is_empty());
    }

    #[test]
    fn a_url_without_a_scheme_or_host_is_explained() {
        let problems = validate("x", "api.example", "https://", "ap-southeast-2");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("API base URL"));
        assert!(problems[1].contains("Portal base URL"));
    }

    #[test]
    fn a_missing_profile_file_is_a_first_start_with_the_cloud_profile() {
        let dir = tempfile::tempdir().expect("temp dir");
        let list = ProfileList::load(&dir.path().join("profiles.json")).expect("load");
        assert_eq!(list.profiles.len(), 1);
        assert_eq!(list.profiles[0].api_base_url, NEC_API_BASE_URL);
    }

    #[test]
    fn a_saved_profile_list_reads_back_the_same() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("profiles.json");
        let list = ProfileList::first_start();
        list.save(&path).expect("save");
        assert_eq!(ProfileList::load(&path).expect("load"), list);
    }
}

/// The shell's profiles: the list, which one is active, and the pending write of the file.
#[derive(Debug)]
pub struct ProfileBook {
    list: ProfileList,
    /// Why the profile file could not be read at start, if it could not.
    load_error: Option<String>,
    generation: u64,
    save: crate::request::Request<()>,
    /// The list was made up at first start and is not on disk yet.
    unsaved: bool,
}

impl ProfileBook {
    /// Reads the profile file. This is the one file read on the UI thread, once, before the first
    /// frame: it is small, and the window must open with the profiles already listed.
    pub fn load(path: &Path) -> Self {
        let first_start = !path.exists();
        let mut book = match ProfileList::load(path) {
            Ok(list) => Self::with(list, None),
            Err(error) => Self::with(ProfileList::first_start(), Some(format!("{error:#}"))),
        };
        book.unsaved = first_start;
        book
    }

    /// Writes the first start's profiles, so their ids (remembered as the active profile) stay
    /// the same on the next start. Does nothing after the first call or if the file existed.
    pub fn save_first_start(&mut self, outbox: &mut crate::backend::Outbox) {
        if std::mem::take(&mut self.unsaved) {
            self.persist(outbox);
        }
    }

    fn with(list: ProfileList, load_error: Option<String>) -> Self {
        Self {
            list,
            load_error,
            generation: 0,
            save: crate::request::Request::new(),
            unsaved: false,
        }
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.list.profiles
    }

    pub fn find(&self, profile_id: &ProfileId) -> Option<&Profile> {
        self.list.find(profile_id)
    }

    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    /// The pending or finished write of the profile file.
    pub fn save_request(&self) -> &crate::request::Request<()> {
        &self.save
    }

    /// Polls the pending write; call once per frame.
    pub fn poll(&mut self) -> Option<crate::error::UiError> {
        match self.save.poll() {
            Some(crate::request::Finished::Failed(error)) => Some(error.clone()),
            _ => None,
        }
    }

    /// Adds `profile`, or replaces the one with its id, and writes the file.
    pub fn upsert(&mut self, profile: Profile, outbox: &mut crate::backend::Outbox) {
        match self
            .list
            .profiles
            .iter_mut()
            .find(|p| p.profile_id == profile.profile_id)
        {
            Some(existing) => *existing = profile,
            None => self.list.profiles.push(profile),
        }
        self.persist(outbox);
    }

    /// Whether the list was made up because there was no profile file (a first start).
    pub fn is_first_start(&self) -> bool {
        self.unsaved
    }

    /// Puts `profile` first in the list and writes the file.
    pub fn insert_first(&mut self, profile: Profile, outbox: &mut crate::backend::Outbox) {
        self.list.profiles.insert(0, profile);
        self.unsaved = false;
        self.persist(outbox);
    }

    /// Removes a profile and writes the file.
    pub fn remove(&mut self, profile_id: &ProfileId, outbox: &mut crate::backend::Outbox) {
        self.list.profiles.retain(|p| &p.profile_id != profile_id);
        self.persist(outbox);
    }

    fn persist(&mut self, outbox: &mut crate::backend::Outbox) {
        self.generation += 1;
        self.load_error = None;
        let profiles = self.list.clone();
        let generation = self.generation;
        self.save
            .send(outbox, |reply| crate::backend::Command::SaveProfiles {
                profiles,
                generation,
                reply,
            });
    }
}
