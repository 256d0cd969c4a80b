//! The API-backed panes where no service answers, or one answers badly: what a person sees when
//! the keys are missing or the host is down, that every request lands in Activity without a
//! secret, that a pending request can be cancelled (and its connection closed), and that a
//! failed refresh keeps what the pane had; and, in `fault_flows`, one flow per way a back end
//! misbehaves.
//! Needs a session keyring: `keyctl session - cargo test --workspace`.

use crate::common;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::AppPaths;
use necid_console::ConsoleApp;
use necid_console::credentials;
use necid_console::profiles::{Profile, ProfileKind};

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
        connect_timeout_secs: necid_console::profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
        request_timeout_secs: necid_console::profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
    };
    let secrets = common::save_only_profile(&paths, &profile);

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
    common::assert_shows(&harness, "1 request");

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
        h.query_by_role_and_label(Role::Button, "New gallery")
            .is_some()
    });
    for attempt in 1..=2 {
        harness.get_by_label("New gallery").click();
        common::settle(&mut harness);
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
                h.state().open_gallery().is_some() && h.query_by_label("Create gallery").is_none()
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

/// A console whose only profile points at `tenant`, showing its gallery list.
fn console_on<'a>(
    tenant: &common::tenant::FakeTenant,
    paths: &AppPaths,
    runtime: &tokio::runtime::Runtime,
) -> (Harness<'a, ConsoleApp>, Profile) {
    let profile = tenant.profile(paths, "Tenant");
    let harness = common::harness(paths, runtime, None);
    (harness, profile)
}

fn is_enabled(harness: &Harness<'_, ConsoleApp>, label: &str) -> bool {
    !harness
        .get_by_role_and_label(Role::Button, label)
        .accesskit_node()
        .is_disabled()
}

#[test]
fn a_pending_gallery_list_disables_refresh_and_cancel_closes_its_connection() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::start(&runtime, "Slow gallery", 0);
    tenant.set_hanging(true);
    let (mut harness, profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the pending list with a Cancel", |h| {
        tenant.requests() == 1 && h.query_by_role_and_label(Role::Button, "Cancel").is_some()
    });
    assert!(
        !is_enabled(&harness, "Refresh"),
        "Refresh is enabled while pending"
    );

    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    common::wait_until(&mut harness, "the request's connection to close", |_| {
        tenant.abandoned() == 1
    });
    assert!(is_enabled(&harness, "Refresh"));
    common::assert_shows(&harness, "Not loaded: Refresh asks again.");
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Cancel")
            .is_none()
    );

    // Refresh asks again once the server answers.
    tenant.set_hanging(false);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    common::wait_until(&mut harness, "the list", |h| {
        h.query_by_role_and_label(Role::Button, "Slow gallery")
            .is_some()
    });
    assert_eq!(tenant.requests(), 2);
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

#[test]
fn a_failed_gallery_refresh_keeps_the_list_beside_the_error() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::start(&runtime, "Kept gallery", 0);
    let (mut harness, profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the list", |h| {
        h.query_by_role_and_label(Role::Button, "Kept gallery")
            .is_some()
    });
    tenant.set_failing(true);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    common::wait_until(&mut harness, "the failed refresh", |h| {
        h.query_by_label("Retry").is_some()
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Kept gallery")
            .is_some(),
        "the list was wiped by a failed refresh"
    );
    common::assert_shows(
        &harness,
        "The list below is from the last refresh that worked.",
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

#[test]
fn a_failed_subjects_reload_keeps_the_rows_beside_the_error() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::start(&runtime, "Staff", 3);
    let (mut harness, profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the list", |h| {
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
        .get_by_role_and_label(Role::Button, "Subjects")
        .click();
    common::wait_until(&mut harness, "the subjects", |h| {
        common::shows(
            h,
            "3 subjects with 3 faces; 3 of 3 event rows loaded; 3 subjects shown",
        )
    });

    tenant.set_failing(true);
    harness
        .get_by_role_and_label(Role::Button, "Reload")
        .click();
    common::wait_until(&mut harness, "the failed reload", |h| {
        h.query_by_label("Retry").is_some()
    });
    common::assert_shows(
        &harness,
        "3 subjects with 3 faces; 3 of 3 event rows loaded; 3 subjects shown",
    );
    common::assert_shows(&harness, "subject-2");
    assert!(!common::shows(&harness, "Loading…"));

    // Retry finishes the reload once the server is fixed.
    tenant.set_failing(false);
    harness.get_by_label("Retry").click();
    common::wait_until(&mut harness, "the reload", |h| {
        h.query_by_label("Retry").is_none() && !h.state().activity().is_empty()
    });
    common::assert_shows(
        &harness,
        "3 subjects with 3 faces; 3 of 3 event rows loaded; 3 subjects shown",
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// A gallery that fails to open says so in a toast, and the message can still be read in
/// Activity after the toast is gone; a hanging request is listed there while it runs, with
/// its elapsed time and a Cancel that closes its connection.
#[test]
fn activity_keeps_the_notifications_and_lists_what_is_in_flight_with_a_cancel() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::start(&runtime, "Broken gallery", 0);
    let (mut harness, profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the list", |h| {
        h.query_by_role_and_label(Role::Button, "Broken gallery")
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::Button, "Broken gallery")
        .click();
    harness.step();
    harness.step();
    tenant.set_failing(true);
    harness.get_by_label("Open gallery").click();
    common::wait_until(&mut harness, "the failure toast", |h| {
        common::shows_part(h, "Opening gallery “Broken gallery” failed")
    });
    // The toast wraps its message inside the window rather than cutting off its start.
    let toast = harness
        .query_all_by(|node| {
            node.value()
                .is_some_and(|v| v.starts_with("Opening gallery “Broken gallery” failed"))
        })
        .next()
        .expect("the toast's text")
        .rect();
    let window = harness.ctx.content_rect();
    assert!(
        window.contains_rect(toast) && toast.width() <= 400.0,
        "the toast's text ({toast:?}) does not fit in the window ({window:?})"
    );
    // Long after the toast expired (UI time moves a quarter second a step).
    for _ in 0..200 {
        harness.step();
    }
    assert!(!common::shows_part(
        &harness,
        "Opening gallery “Broken gallery” failed"
    ));

    tenant.set_failing(false);
    tenant.set_hanging(true);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Activity")
        .click();
    // And its HTTP request: until that starts, Cancel sits on the command's row, one row higher,
    // and a click aimed at where it was would miss.
    common::wait_until(&mut harness, "the request in flight", |h| {
        common::shows(h, "listing the galleries") && h.state().requests_in_flight().next().is_some()
    });
    assert!(harness.query_by_label("In flight (1)").is_some());
    harness.get_by_label("Notifications (1)").click();
    common::wait_until(&mut harness, "the notification", |h| {
        common::shows_part(h, "Opening gallery “Broken gallery” failed")
    });

    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    common::wait_until(&mut harness, "the request's connection to close", |_| {
        tenant.abandoned() == 1
    });
    common::wait_until(&mut harness, "the in-flight list to empty", |h| {
        !common::shows_part(h, "In flight")
    });
    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    harness.step();
    harness.step();
    common::assert_shows(&harness, "Listing the galleries was cancelled.");
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// The gallery list scrolls: with 60 galleries (more than a window holds) the last one can be
/// scrolled into view and selected.
#[test]
fn every_gallery_of_a_long_list_can_be_scrolled_to() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::with_galleries(&runtime, 60);
    let (mut harness, profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the list", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 00001")
            .is_some()
    });
    let window = harness.ctx.content_rect();
    let in_view = |h: &Harness<'_, ConsoleApp>| {
        h.query_by_role_and_label(Role::Button, "Gallery 00060")
            .is_some_and(|node| window.contains_rect(node.rect()))
    };
    assert!(!in_view(&harness), "60 galleries fit in the window");
    let over_the_list = harness
        .get_by_role_and_label(Role::Button, "Gallery 00001")
        .rect()
        .center();
    harness.hover_at(over_the_list);
    for _ in 0..40 {
        if in_view(&harness) {
            break;
        }
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -200.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    assert!(
        in_view(&harness),
        "the last gallery cannot be scrolled into view"
    );
    harness
        .get_by_role_and_label(Role::Button, "Gallery 00060")
        .click();
    harness.step();
    harness.step();
    common::assert_shows(&harness, "“Gallery 00060”:");
    drop(harness);
    credentials::delete_profile_secrets(&profile.profile_id).expect("clean up the keyring");
}

/// A row of the request log is selected by a click on its text (its path), not only on the
/// empty space beside it, and then shows its details.
#[test]
fn an_activity_row_is_selected_by_a_click_on_its_text() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::start(&runtime, "Staff", 1);
    let (mut harness, _profile) = console_on(&tenant, &paths, &runtime);
    common::wait_until(&mut harness, "the list", |h| {
        h.query_by_role_and_label(Role::Button, "Staff").is_some()
    });
    harness
        .get_by_role_and_label(Role::Button, "Activity")
        .click();
    common::wait_until(&mut harness, "the logged request", |h| {
        h.query_all_by_label("/api/galleries").next().is_some()
    });
    assert!(harness.query_by_label("Copy as curl").is_none());
    harness
        .query_all_by_label("/api/galleries")
        .next()
        .expect("the request's path")
        .click();
    harness.step();
    harness.step();
    assert!(
        harness.query_by_label("Copy as curl").is_some(),
        "the row's details show"
    );
}
