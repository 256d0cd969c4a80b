//! The API-backed panes where no service answers: what a person sees when the keys are missing
//! or the host is down, and that every request lands in Activity without a secret.
//! Needs a session keyring: `keyctl session - cargo test --workspace`.

mod common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use necid_console::AppPaths;
use necid_console::credentials::{self, Secrets};
use necid_console::profiles::{Profile, ProfileKind, ProfileList};

#[test]
fn a_profile_without_keys_says_to_add_them_in_settings() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common::runtime();
    let mut harness = common::harness(&AppPaths::under(root.path()), &runtime, None);
    common::wait_until(&mut harness, "the missing keys to be reported", |h| {
        common::shows(
            h,
            "No AccessKey and SecretKey are stored for “NEC ID cloud”: add them in Settings.",
        )
    });
    assert!(
        harness.state().activity().is_empty(),
        "no request may be sent without keys"
    );
}

#[test]
fn an_unreachable_host_is_explained_with_a_retry_and_logged_in_activity_without_secrets() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    // A port that was just free: nothing listens there, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let profile = Profile {
        profile_id: necid_console::profiles::ProfileId::new_random(),
        name: "Nowhere".to_owned(),
        kind: ProfileKind::Custom,
        api_base_url: base_url.clone(),
        portal_base_url: base_url,
        region: "ap-southeast-2".to_owned(),
        badge_rgb: [200, 80, 80],
    };
    ProfileList {
        profiles: vec![profile.clone()],
    }
    .save(&paths.profiles_file())
    .expect("write the profile file");
    let secrets = Secrets {
        access_key: format!("AK{}", uuid::Uuid::new_v4().simple()),
        secret_key: format!("SK{}", uuid::Uuid::new_v4().simple()),
    };
    credentials::store_profile_secrets(&profile.profile_id, &secrets).expect("store keys");

    let runtime = common::runtime();
    let mut harness = common::harness(&paths, &runtime, None);
    common::wait_until(&mut harness, "the failed gallery list", |h| {
        h.query_by_label("Retry").is_some()
    });
    let shown_error = harness
        .query_all_by(|node| node.value().is_some_and(|v| v.contains("could not reach")))
        .next()
        .is_some();
    assert!(
        shown_error,
        "the error must say the host could not be reached"
    );

    harness
        .get_by_role_and_label(Role::Button, "Activity")
        .click();
    harness.step();
    harness.step();
    let log = harness.state().activity();
    assert_eq!(log.len(), 1, "one request was made");
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path(), "/api/galleries");
    assert!(log[0].error.is_some());
    let curl = log[0].as_curl();
    assert!(curl.contains("--aws-sigv4 \"aws:amz:ap-southeast-2:execute-api\""));
    assert!(curl.contains("--user \"$AK:$SK\""));
    assert!(!curl.contains(&secrets.access_key) && !curl.contains(&secrets.secret_key));
    common::assert_shows(&harness, "/api/galleries");

    // Retry asks again (and fails again, as nothing listens).
    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    harness.step();
    harness.get_by_label("Retry").click();
    common::wait_until(&mut harness, "the retried request", |h| {
        h.state().activity().len() == 2
    });
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// A second gallery of the same name is refused in words, and the existing gallery's API key
/// reaches neither the screen nor Activity (the service once put it in the message).
#[test]
fn a_duplicate_gallery_name_is_refused_without_its_api_key_on_screen_or_in_activity() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    // The Local profile's client is built once the service runs: wait for the pane to have it.
    common::wait_secs(&mut harness, 30, "the Galleries pane, connected", |h| {
        h.query_by_role_and_label(Role::Button, "New gallery").is_some()
    });
    for attempt in 1..=2 {
        harness
            .get_by_role_and_label(Role::Button, "New gallery")
            .click();
        harness.step();
        common::type_into(&mut harness, "Gallery name", "Staff");
        harness.get_by_label("Create gallery").click();
        harness.step();
        common::wait_secs(&mut harness, 30, "the create request", |h| {
            h.state()
                .activity()
                .iter()
                .filter(|e| e.method == "POST" && e.path() == "/api/galleries")
                .count()
                == attempt
        });
        if attempt == 1 {
            // The gallery's key is filed and the gallery opened before the second attempt.
            common::wait_secs(&mut harness, 30, "the first gallery, opened", |h| {
                h.state().open_gallery().is_some()
                    && h.query_by_label("Create gallery").is_none()
            });
        }
    }
    common::wait_secs(&mut harness, 10, "the refusal", |h| {
        common::shows_part(h, "already exists")
    });
    let api_key = harness
        .state()
        .open_gallery()
        .expect("the first gallery is open")
        .gallery
        .api_key()
        .expose()
        .to_owned();
    assert!(
        !common::shows_part(&harness, &api_key),
        "the key is on screen"
    );
    for entry in harness.state().activity() {
        let logged = format!("{:?} {:?}", entry.error, entry.body);
        assert!(
            !logged.contains(&api_key),
            "the key is in Activity: {logged}"
        );
    }
}
