//! The console's shell and Settings pane, driven headless with egui_kittest.
//! Keyring tests need a session keyring: `keyctl session - cargo test --workspace`.

use crate::common;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::AppPaths;
use necid_console::credentials::{self, KeyringStatus, Secrets};
use necid_console::profiles::ProfileList;
use necid_console::ui::PaneId as Pane;

const NAVIGATION: [&str; 9] = [
    "Galleries",
    "Applications",
    "Subjects",
    "Tags",
    "Face",
    "Jobs",
    "Activity",
    "Settings",
    "Trust",
];

#[test]
fn the_window_shows_the_nine_navigation_entries() {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common::runtime();
    let mut harness = common::harness(&AppPaths::under(root.path()), &runtime, None);
    harness.step();
    for label in NAVIGATION {
        harness.get_by_role_and_label(Role::Button, label);
    }
    assert_eq!(
        harness
            .query_all_by_role(Role::Button)
            .filter(|b| {
                b.accesskit_node()
                    .label()
                    .is_some_and(|l| NAVIGATION.contains(&l.as_str()))
            })
            .count(),
        NAVIGATION.len()
    );
}

#[test]
fn ctrl_and_a_digit_select_a_pane_and_the_selection_is_remembered() {
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::harness(&paths, &runtime, None);
    harness.step();
    assert_eq!(harness.state().pane(), Pane::Galleries);

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
    harness.step();
    assert_eq!(harness.state().pane(), Pane::Subjects);
    common::assert_shows(&harness, "Subjects");

    harness.get_by_role_and_label(Role::Button, "Tags").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().pane(), Pane::Tags);

    common::wait_until(&mut harness, "the first start's profile file", |h| {
        !h.state().is_saving()
    });
    let active_profile_id = harness.state().remembered().active_profile_id.clone();
    assert!(active_profile_id.is_some());
    let mut storage = common::MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    drop(harness);

    let harness = common::harness(&paths, &runtime, Some(&storage));
    assert_eq!(harness.state().pane(), Pane::Tags);
    assert_eq!(
        harness.state().remembered().active_profile_id,
        active_profile_id,
        "the active profile changed across a restart"
    );
}

#[test]
fn a_profile_created_in_settings_keeps_its_keys_in_the_keyring_and_is_listed_after_a_rebuild() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let access_key = format!("AK{}", uuid::Uuid::new_v4().simple());
    let secret_key = format!("SK{}", uuid::Uuid::new_v4().simple());

    let mut harness = common::harness(&paths, &runtime, None);
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    common::wait_until(&mut harness, "the keyring check", |h| {
        h.state().keyring_status().is_some()
    });
    assert_eq!(
        harness.state().keyring_status(),
        Some(&KeyringStatus::Works)
    );
    common::assert_shows(
        &harness,
        "Works: keys are stored under the service “necid-console”.",
    );

    harness.get_by_label("New profile").click();
    harness.step();
    for (field, text) in [
        ("Name", "Lab tenant"),
        ("AccessKey", access_key.as_str()),
        ("SecretKey", secret_key.as_str()),
    ] {
        harness.get_by_label(field).focus();
        harness.step();
        harness.get_by_label(field).type_text(text);
        harness.step();
    }
    harness.get_by_label("Save profile").click();
    common::wait_until(&mut harness, "the profile and its keys to be saved", |h| {
        common::shows(h, "Saved. The keys are in the OS keyring.")
    });

    // The file has the profile, the keyring has its keys.
    let list = ProfileList::load(&paths.profiles_file()).expect("the profile file");
    let profile = list
        .profiles
        .iter()
        .find(|p| p.name == "Lab tenant")
        .expect("the new profile in the profile file");
    assert_eq!(profile.api_base_url, "https://api.id.nec.com.au");
    assert_eq!(profile.region, "ap-southeast-2");
    let stored = credentials::load_profile_secrets(&profile.profile_id).expect("keyring read");
    assert_eq!(
        stored,
        Some(Secrets {
            access_key: access_key.clone(),
            secret_key: secret_key.clone(),
        })
    );
    let mut storage = common::MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    storage.write_to(&paths);
    drop(harness);

    // A rebuilt console lists it and finds its keys.
    let mut harness = common::harness(&paths, &runtime, Some(&storage));
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.step();
    harness.get_by_label("Lab tenant").click();
    common::wait_until(&mut harness, "the stored keys to be looked up", |h| {
        common::shows(
            h,
            "Keys are stored in the OS keyring. Type new ones to replace them.",
        )
    });
    drop(harness);

    for secret in [&access_key, &secret_key] {
        let leaked = common::files_containing(root.path(), secret);
        assert!(leaked.is_empty(), "a key was written to {leaked:?}");
    }
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

#[test]
fn saving_a_profile_with_a_bad_url_or_one_key_explains_what_to_fix() {
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::harness(&paths, &runtime, None);
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_label("New profile").click();
    harness.step();
    for (field, text) in [("API base URL", "x"), ("AccessKey", "only-one")] {
        let node = harness.get_by_label(field);
        node.focus();
        harness.step();
        // Select all and replace, as a person would.
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.step();
        harness.get_by_label(field).type_text(text);
        harness.step();
    }
    harness.get_by_label("Save profile").click();
    harness.step();
    harness.step();
    common::assert_shows(&harness, "Give the profile a name.");
    common::assert_shows(
        &harness,
        "The API base URL must start with https:// or http://.",
    );
    common::assert_shows(
        &harness,
        "Enter both the AccessKey and the SecretKey (or neither, to keep the stored ones).",
    );
    // Only the first start's profile is on disk, not the invalid one.
    common::wait_until(&mut harness, "the profile file", |h| !h.state().is_saving());
    let list = ProfileList::load(&paths.profiles_file()).expect("the profile file");
    assert_eq!(
        list.profiles.len(),
        1,
        "an invalid profile must not be written"
    );
    assert_eq!(list.profiles[0].name, "NEC ID cloud");
}

/// Editing a profile's URL in Settings while a gallery is open: the open gallery (whose handle
/// was built on the old client) is closed and the shell says so; Galleries lists the new
/// server's galleries; and no request reaches the old server afterwards, from any pane.
#[test]
fn a_profile_pointed_at_another_server_sends_nothing_more_to_the_old_one() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let server_a = common::tenant::FakeTenant::start(&runtime, "Gallery on A", 2);
    let server_b = common::tenant::FakeTenant::start(&runtime, "Gallery on B", 3);
    let profile = server_a.profile(&paths, "Tenant");
    let mut harness = common::harness(&paths, &runtime, None);

    // A gallery of server A is open, and Subjects lists it from A.
    common::wait_until(&mut harness, "A's gallery list", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery on A")
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::Button, "Gallery on A")
        .click();
    harness.step();
    harness.step();
    harness.get_by_label("Open gallery").click();
    common::wait_until(&mut harness, "A's gallery, opened", |h| {
        h.state().open_gallery().is_some() && common::shows(h, "open")
    });
    harness
        .get_by_role_and_label(Role::Button, "Subjects")
        .click();
    common::wait_until(&mut harness, "A's subjects", |h| {
        common::shows(
            h,
            "2 subjects with 2 faces; 2 of 2 event rows loaded; 2 subjects shown",
        )
    });

    // The profile now names server B, typed in Settings as a person would.
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_label("Tenant").click();
    harness.step();
    common::type_into(&mut harness, "API base URL", &server_b.base_url);
    common::type_into(&mut harness, "Portal base URL", &server_b.base_url);
    harness.get_by_label("Save profile").click();
    harness.step();
    let requests_to_a = server_a.requests();
    common::wait_until(&mut harness, "the gallery to be closed", |h| {
        h.state().open_gallery().is_none()
    });
    let expected = format!(
        "Profile “Tenant” now points to {}: the open gallery “Gallery on A” was closed.",
        server_b.base_url
    );
    assert!(
        harness.state().notifications().any(|n| n.text == expected),
        "the shell says why the gallery closed"
    );

    // Subjects has no gallery to reload; if it still had one, Reload goes out now.
    harness
        .get_by_role_and_label(Role::Button, "Subjects")
        .click();
    harness.step();
    harness.step();
    if let Some(reload) = harness.query_by_label("Reload") {
        reload.click();
        harness.step();
    }
    common::assert_shows(
        &harness,
        "Open a gallery in Galleries first: this pane works on one gallery.",
    );

    // Galleries lists B's galleries, with none marked open, and refreshes from B.
    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    common::wait_until(&mut harness, "B's gallery list", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery on B")
            .is_some()
    });
    let requests_to_b = server_b.requests();
    harness.get_by_label("Refresh").click();
    common::wait_until(&mut harness, "the refresh, answered by B", |h| {
        server_b.requests() > requests_to_b && h.query_by_label("Cancel").is_none()
    });
    assert!(!common::shows(&harness, "Gallery on A"));
    assert!(!common::shows(&harness, "open"), "no gallery is open");
    // Give any stray request time to arrive.
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        server_a.requests(),
        requests_to_a,
        "a request went to the old server after the profile was changed"
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// Changing a profile's region (same servers) while a gallery is open builds a new client and
/// opens the gallery again through it: the gallery stays open and the requests that follow are
/// signed for the new region.
#[test]
fn a_new_region_on_the_same_servers_reopens_the_gallery_through_the_new_client() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let server = common::tenant::FakeTenant::start(&runtime, "Staff", 1);
    let profile = server.profile(&paths, "Tenant");
    let mut harness = common::harness(&paths, &runtime, None);
    common::wait_until(&mut harness, "the gallery list", |h| {
        h.query_by_role_and_label(Role::Button, "Staff").is_some()
    });
    harness.get_by_role_and_label(Role::Button, "Staff").click();
    harness.step();
    harness.step();
    harness.get_by_label("Open gallery").click();
    common::wait_until(&mut harness, "the gallery, opened", |h| {
        h.state().open_gallery().is_some()
    });

    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_label("Tenant").click();
    harness.step();
    common::type_into(&mut harness, "Region", "ap-southeast-1");
    harness.get_by_label("Save profile").click();
    harness.step();
    let logged_before = harness.state().activity().len();
    common::wait_until(&mut harness, "the gallery, opened again", |h| {
        h.state().open_gallery().is_some()
            && h.state().activity()[logged_before..]
                .iter()
                .any(|e| e.path().starts_with("/api/galleries/"))
    });
    harness
        .get_by_role_and_label(Role::Button, "Subjects")
        .click();
    common::wait_until(&mut harness, "the subjects", |h| {
        common::shows(
            h,
            "1 subject with 1 face; 1 of 1 event row loaded; 1 subject shown",
        )
    });
    let after: Vec<_> = harness.state().activity()[logged_before..].to_vec();
    assert!(after.iter().any(|e| e.path().starts_with("/v1.1/subjects")));
    for entry in &after {
        assert_eq!(
            entry.region,
            "ap-southeast-1",
            "{} went with the old client",
            entry.path()
        );
    }
    assert!(
        !harness
            .state()
            .notifications()
            .any(|n| n.text.contains("was closed")),
        "the gallery did not need closing"
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// A custom profile named "Tenant" on `base_url`, the only one in `paths`' profile file, with
/// keys in the keyring (the caller removes them).
fn profile_on(paths: &AppPaths, base_url: &str) -> necid_console::profiles::Profile {
    let profile = necid_console::profiles::Profile {
        profile_id: necid_console::profiles::ProfileId::new_random(),
        name: "Tenant".to_owned(),
        kind: necid_console::profiles::ProfileKind::Custom,
        api_base_url: base_url.to_owned(),
        portal_base_url: base_url.to_owned(),
        region: "ap-southeast-2".to_owned(),
        badge_rgb: [80, 120, 200],
        connect_timeout_secs: necid_console::profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
        request_timeout_secs: necid_console::profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
    };
    common::save_only_profile(paths, &profile);
    profile
}

/// How many `GET /api/applications` a fault server has seen.
fn application_lists(server: &necid_testkit::FaultServer) -> usize {
    server
        .requests_seen()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/applications")
        .count()
}

/// Applications belong to the client that listed them: after the profile's URL is edited,
/// the pane lists them again from the new server.
#[test]
fn applications_are_listed_again_from_the_new_server_after_a_url_edit() {
    use necid_testkit::{FaultMode, FaultServer};
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let server_a = FaultServer::start(FaultMode::Ok);
    let server_b = FaultServer::start(FaultMode::Ok);
    let profile = profile_on(&paths, server_a.base_url());
    let mut harness = common::harness(&paths, &runtime, None);
    harness
        .get_by_role_and_label(Role::Button, "Applications")
        .click();
    common::wait_until(&mut harness, "A's applications", |_| {
        application_lists(&server_a) == 1
    });

    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_label("Tenant").click();
    harness.step();
    common::type_into(&mut harness, "API base URL", server_b.base_url());
    common::type_into(&mut harness, "Portal base URL", server_b.base_url());
    harness.get_by_label("Save profile").click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Applications")
        .click();
    common::wait_until(&mut harness, "B's applications", |_| {
        application_lists(&server_b) == 1
    });
    assert_eq!(application_lists(&server_a), 1);
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// The request timeout set in Settings is saved with the profile and applies to its client at
/// once: a hanging server then fails the list after that many seconds, not the default 60.
#[test]
fn a_request_timeout_set_in_settings_is_saved_and_applied_to_the_profile() {
    use necid_testkit::{FaultMode, FaultServer};
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let server = FaultServer::start(FaultMode::Hang);
    let profile = profile_on(&paths, server.base_url());
    let mut harness = common::harness(&paths, &runtime, None);
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_label("Tenant").click();
    harness.step();
    common::type_into(&mut harness, "Request timeout", "2");
    // Leaving the field commits what was typed.
    harness.key_press(egui::Key::Enter);
    harness.step();
    harness.get_by_label("Save profile").click();
    common::wait_until(&mut harness, "the profile file", |h| !h.state().is_saving());
    let saved = ProfileList::load(&paths.profiles_file()).expect("the profile file");
    assert_eq!(saved.profiles[0].request_timeout_secs, 2);
    assert_eq!(saved.profiles[0].connect_timeout_secs, 10);

    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    let started = std::time::Instant::now();
    common::wait_secs(&mut harness, 30, "the timed-out list", |h| {
        common::shows_part(h, "within 2 s")
    });
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the 2 s timeout was not applied"
    );
    common::assert_shows(
        &harness,
        "Try again; if it keeps happening, check the network or raise the profile's timeout.",
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}
