//! The credential store on the real OS keyring backend (no mock): run under a session keyring,
//! `keyctl session - cargo test --workspace`. Without one these tests fail and say so.

use crate::common;

use necid_console::AppPaths;
use necid_console::credentials::{self, Secrets};
use necid_console::profiles::ProfileId;

#[test]
fn a_profiles_keys_stored_in_the_os_keyring_read_back_and_are_written_to_no_file() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();

    let profile_id = ProfileId::new_random();
    let secrets = Secrets {
        access_key: format!("AK{}", uuid::Uuid::new_v4().simple()),
        secret_key: format!("SK{}", uuid::Uuid::new_v4().simple()),
    };
    credentials::store_profile_secrets(&profile_id, &secrets).expect("store the keys");

    // The console runs over the same folders and saves everything it keeps.
    let mut harness = common::harness(&paths, &runtime, None);
    common::wait_until(&mut harness, "the keyring check", |h| {
        h.state().keyring_status().is_some()
    });
    let mut storage = common::MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    storage.write_to(&paths);
    drop(harness);

    let read = credentials::load_profile_secrets(&profile_id).expect("read the keys");
    assert_eq!(
        read.as_ref(),
        Some(&secrets),
        "the keyring returned other keys"
    );
    for secret in [&secrets.access_key, &secrets.secret_key] {
        let leaked = common::files_containing(root.path(), secret);
        assert!(leaked.is_empty(), "a key was written to {leaked:?}");
    }
    assert!(
        common::file_count(root.path()) > 0,
        "the console wrote no file to check"
    );

    credentials::delete_profile_secrets(&profile_id).expect("delete the keys");
    assert_eq!(
        credentials::load_profile_secrets(&profile_id).expect("read after delete"),
        None
    );
}

#[test]
fn an_api_key_is_kept_per_profile_and_owner() {
    common::require_keyring();
    let profile_id = ProfileId::new_random();
    let other_profile_id = ProfileId::new_random();
    credentials::store_api_key(&profile_id, "gallery/g-1", "key-one").expect("store");
    assert_eq!(
        credentials::load_api_key(&profile_id, "gallery/g-1").expect("load"),
        Some("key-one".to_owned())
    );
    assert_eq!(
        credentials::load_api_key(&other_profile_id, "gallery/g-1").expect("load other"),
        None
    );
    credentials::delete_api_key(&profile_id, "gallery/g-1").expect("delete");
    assert_eq!(
        credentials::load_api_key(&profile_id, "gallery/g-1").expect("load after delete"),
        None
    );
}
