//! The credential store on the real OS keyring backend (no mock): run under a session keyring,
//! `keyctl session - cargo test --workspace`. Without one these tests fail and say so.

use crate::common;

use egui_kittest::kittest::Queryable as _;
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

/// GNOME Keyring's daemon on the session bus, with its keyrings under `home`, unlocked with a
/// fixed password (as a login does). Dropping it stops the daemon.
struct KeyringDaemon {
    child: std::process::Child,
}

impl KeyringDaemon {
    fn start(home: &std::path::Path) -> Self {
        use std::io::Write as _;
        let runtime_dir = home.join("run");
        std::fs::create_dir_all(&runtime_dir).expect("runtime dir");
        let mut child = std::process::Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (Debian package gnome-keyring) starts");
        let mut stdin = child.stdin.take().expect("the daemon's stdin");
        stdin
            .write_all(b"necid-test-login")
            .expect("unlock password");
        drop(stdin);
        wait_for_secret_service(true);
        Self { child }
    }
}

impl Drop for KeyringDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_for_secret_service(false);
    }
}

/// Waits (up to 10 s) until the Secret Service's bus name has an owner, or has none.
fn wait_for_secret_service(owned: bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .expect("dbus-send (Debian package dbus)");
        let has_owner = String::from_utf8_lossy(&answer.stdout).contains("boolean true");
        if has_owner == owned {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Secret Service did not {} within 10 s",
            if owned { "appear" } else { "go away" }
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs a private D-Bus session with GNOME Keyring: scripts/test runs it under dbus-run-session"]
fn keys_in_the_desktop_keyring_outlive_a_restart_of_its_daemon() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run this test under `dbus-run-session` (as scripts/test does)"
    );
    let home = tempfile::tempdir().expect("temp home for the keyring daemon");
    let daemon = KeyringDaemon::start(home.path());
    common::require_keyring();
    assert_eq!(
        credentials::store_in_use(),
        Some(credentials::KeyStore::SecretService),
        "with a Secret Service on the bus the keys go to it"
    );

    let profile_id = ProfileId::new_random();
    let secrets = Secrets {
        access_key: format!("AK{}", uuid::Uuid::new_v4().simple()),
        secret_key: format!("SK{}", uuid::Uuid::new_v4().simple()),
    };
    credentials::store_profile_secrets(&profile_id, &secrets).expect("store the keys");
    credentials::store_api_key(&profile_id, "gallery/g-1", "api-key-one").expect("store");

    // A logout: the keyring daemon stops, and a new one opens the same keyring files.
    drop(daemon);
    let _daemon = KeyringDaemon::start(home.path());

    // The Secret Service's answer is what counts: had it lost the keys, it would say "no
    // entry" and the kernel keyring's copy would not be read.
    assert_eq!(
        credentials::load_profile_secrets(&profile_id).expect("read the keys back"),
        Some(secrets),
        "the desktop keyring kept the keys across its restart"
    );
    assert_eq!(
        credentials::load_api_key(&profile_id, "gallery/g-1").expect("read the API key back"),
        Some("api-key-one".to_owned())
    );

    // Settings says where the keys are.
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common::runtime();
    let mut harness = common::harness(&AppPaths::under(root.path()), &runtime, None);
    common::wait_until(&mut harness, "the keyring check", |h| {
        h.state().keyring_status().is_some()
    });
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Settings")
        .click();
    harness.step();
    harness.step();
    assert!(common::shows_part(
        &harness,
        "They are kept in the desktop keyring (Secret Service), which keeps them across logins"
    ));
    drop(harness);

    credentials::delete_profile_secrets(&profile_id).expect("delete the keys");
    credentials::delete_api_key(&profile_id, "gallery/g-1").expect("delete the API key");
    assert_eq!(
        credentials::load_profile_secrets(&profile_id).expect("read after delete"),
        None
    );
}
