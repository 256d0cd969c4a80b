//! The stand-in tenant of the test kit (`necid_testkit::FakeTenant`, an axum listener on
//! 127.0.0.1 that counts requests and can fail or hang on demand), with what only the console
//! knows: a profile pointing at it, with keys in the OS keyring.
// The tests and `benches/galleries_frame.rs` each use a part.
#![allow(dead_code)]

use necid_console::credentials;
use necid_console::profiles::{Profile, ProfileId, ProfileKind};

/// A running stand-in tenant; everything of `necid_testkit::FakeTenant` plus [`Self::profile`].
#[derive(Debug, Clone)]
pub struct FakeTenant(necid_testkit::FakeTenant);

impl std::ops::Deref for FakeTenant {
    type Target = necid_testkit::FakeTenant;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FakeTenant {
    /// Serves one gallery named `gallery_name` holding `subjects` subjects of one event each.
    pub fn start(runtime: &tokio::runtime::Runtime, gallery_name: &str, subjects: usize) -> Self {
        Self(necid_testkit::FakeTenant::start(
            runtime,
            gallery_name,
            subjects,
        ))
    }

    /// Serves `count` empty galleries, "Gallery 00001" and on.
    pub fn with_galleries(runtime: &tokio::runtime::Runtime, count: usize) -> Self {
        Self(necid_testkit::FakeTenant::with_galleries(runtime, count))
    }

    /// A custom profile named `name` pointing here, written to `paths`' profile file with keys
    /// in the keyring (the tenant does not check them). The caller removes the keys.
    pub fn profile(&self, paths: &necid_console::AppPaths, name: &str) -> Profile {
        let profile = Profile {
            profile_id: ProfileId::new_random(),
            name: name.to_owned(),
            kind: ProfileKind::Custom,
            api_base_url: self.base_url.clone(),
            portal_base_url: self.base_url.clone(),
            region: "ap-southeast-2".to_owned(),
            badge_rgb: [80, 120, 200],
            connect_timeout_secs: necid_console::profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
            request_timeout_secs: necid_console::profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
        };
        save_only_profile(paths, &profile);
        profile
    }
}

/// Writes `profile` as the console's only profile and files random keys for it in the OS
/// keyring (the caller removes them); returns the keys.
pub fn save_only_profile(
    paths: &necid_console::AppPaths,
    profile: &necid_console::profiles::Profile,
) -> credentials::Secrets {
    necid_console::profiles::ProfileList {
        profiles: vec![profile.clone()],
    }
    .save(&paths.profiles_file())
    .expect("write the profile file");
    let secrets = credentials::Secrets {
        access_key: format!("AK{}", uuid::Uuid::new_v4().simple()),
        secret_key: format!("SK{}", uuid::Uuid::new_v4().simple()),
    };
    credentials::store_profile_secrets(&profile.profile_id, &secrets).expect("store keys");
    secrets
}
