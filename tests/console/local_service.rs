//! The built-in Local profile: the console starts `crates/necid-server` in-process with the real
//! face models, keeps the tenant's keys only in the OS keyring, re-keys the tenant when the
//! keyring lost them (the Linux session keyring does not outlive a login), and says what to do
//! when the models are missing; fetches them itself on a first run without any (npm and the
//! network, as scripts/fetch-models); shows the Local keys for a runnable curl; and titles the
//! window after the profile and gallery. Needs the models (scripts/fetch-models) and a session
//! keyring (`keyctl session - cargo test --workspace`).

use crate::common;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::AppPaths;
use necid_console::credentials;
use necid_console::profiles::{ProfileKind, ProfileList};

fn local_profile_id(paths: &AppPaths) -> necid_console::profiles::ProfileId {
    let list = ProfileList::load(&paths.profiles_file()).expect("profile file");
    list.profiles
        .iter()
        .find(|p| p.kind == ProfileKind::Local)
        .expect("the Local profile")
        .profile_id
        .clone()
}

const NO_GALLERY: &str = "This profile has no gallery yet: create one with New gallery.";

#[test]
fn a_first_start_makes_the_local_profile_active_and_keeps_its_keys_only_in_the_keyring() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    harness.step();
    assert_eq!(
        harness.state().local_status().as_deref(),
        Some("Loading face models…")
    );
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 20, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });
    common::assert_shows(&harness, "Local service ready");
    let service = harness.state().local_service().expect("running").clone();
    assert!(service.base_url.starts_with("http://127.0.0.1:"));
    assert_eq!(
        service.bucket_dir,
        paths.data_dir.join("local").join("bucket")
    );
    common::wait_secs(&mut harness, 10, "the profile file", |h| {
        !h.state().is_saving()
    });
    let profile_id = local_profile_id(&paths);
    assert_eq!(
        harness.state().remembered().active_profile_id.as_ref(),
        Some(&profile_id),
        "the Local profile is the default on first start"
    );
    let secrets = credentials::load_profile_secrets(&profile_id)
        .expect("keyring")
        .expect("the Local tenant's keys in the keyring");
    drop(harness);
    // The access key id is an identifier the service's store looks tenants up by; the secret
    // key is the secret, and no file may hold it.
    let leaked = common::files_containing(root.path(), &secrets.secret_key);
    assert!(
        leaked.is_empty(),
        "the Local secret was written to {leaked:?}"
    );
    assert!(
        !paths
            .data_dir
            .join("local")
            .join("credentials.json")
            .exists()
    );
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

#[test]
fn lost_local_keys_give_the_tenant_new_ones_and_keep_its_galleries() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 20, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });
    harness.get_by_label("New gallery").click();
    harness.step();
    common::type_into(&mut harness, "Gallery name", "Kept");
    harness.get_by_label("Create gallery").click();
    common::wait_secs(&mut harness, 20, "the new gallery", |h| {
        h.query_by_role_and_label(Role::Button, "Kept").is_some()
    });
    common::wait_secs(&mut harness, 10, "the profile file", |h| {
        !h.state().is_saving()
    });
    drop(harness);

    // A logout empties the session keyring; the data stays.
    let profile_id = local_profile_id(&paths);
    let before = credentials::load_profile_secrets(&profile_id)
        .expect("keyring")
        .expect("keys");
    credentials::delete_profile_secrets(&profile_id).expect("forget the keys");

    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    assert!(
        common::shows_part(&harness, "it has new ones; the galleries are kept"),
        "the status line says the keys were replaced"
    );
    common::wait_secs(&mut harness, 20, "the kept gallery", |h| {
        h.query_by_role_and_label(Role::Button, "Kept").is_some()
    });
    let after = credentials::load_profile_secrets(&profile_id)
        .expect("keyring")
        .expect("new keys in the keyring");
    assert_ne!(after.access_key, before.access_key);
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

#[test]
fn missing_models_are_explained_with_what_to_do() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let empty = root.path().join("no-models");
    std::fs::create_dir_all(&empty).expect("empty folder");
    let mut harness = common::local_harness(&paths, &runtime, empty);
    common::wait_secs(&mut harness, 30, "the Local service to fail", |h| {
        h.state()
            .local_status()
            .is_some_and(|s| s.starts_with("Local service failed"))
    });
    assert!(common::shows_part(
        &harness,
        "use “Choose folder…” to point at a folder that holds them, or put them there and \
         press Retry"
    ));
    // Where the panes would show data, the same explanation with a Retry.
    harness.get_by_label("Retry");
    // The top bar offers the folder dialog it names; where none can open (headless, as here),
    // it says where the folder can be typed instead.
    harness.get_by_label("Choose folder…").click();
    harness.step();
    common::wait_secs(&mut harness, 10, "the reason", |h| {
        common::shows_part(h, "No folder dialog can open here")
            && common::shows_part(h, "Type the models folder in Settings")
    });
    let profile_id = local_profile_id(&paths);
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

#[test]
fn the_models_folder_chosen_in_settings_restarts_the_service_and_is_remembered() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);

    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    let empty = root.path().join("elsewhere");
    std::fs::create_dir_all(&empty).expect("folder");
    common::type_into(&mut harness, "Models folder", &empty.display().to_string());
    harness.get_by_label("Use this folder").click();
    common::wait_secs(&mut harness, 30, "the restart to fail", |h| {
        h.state()
            .local_status()
            .is_some_and(|s| s.starts_with("Local service failed"))
    });
    assert_eq!(
        harness.state().remembered().models_dir.as_deref(),
        Some(empty.as_path()),
        "the choice is in what eframe saves"
    );

    harness.get_by_label("Use the default").click();
    common::wait_secs(&mut harness, 10, "the restart", |h| {
        h.state()
            .local_status()
            .is_some_and(|s| !s.starts_with("Local service failed"))
    });
    common::wait_for_local_service(&mut harness);
    assert_eq!(harness.state().remembered().models_dir, None);
    let profile_id = local_profile_id(&paths);
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

/// The text commands the last frame gave the system clipboard.
fn copied_texts(harness: &egui_kittest::Harness<'_, necid_console::ConsoleApp>) -> Vec<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_local_profiles_keys_are_shown_masked_revealed_and_copied_in_settings() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    let profile_id = local_profile_id(&paths);
    let secrets = credentials::load_profile_secrets(&profile_id)
        .expect("keyring")
        .expect("the Local tenant's keys");

    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    harness.get_by_role_and_label(Role::Button, "Local").click();
    harness.step();
    harness.get_by_label("Show the keys").click();
    common::wait_secs(&mut harness, 10, "the keys from the keyring", |h| {
        h.query_by_label("Reveal").is_some()
    });
    assert!(
        !common::shows(&harness, &secrets.access_key)
            && !common::shows(&harness, &secrets.secret_key),
        "the keys are masked until revealed"
    );

    harness.get_by_label("Reveal").click();
    harness.step();
    harness.step();
    common::assert_shows(&harness, &secrets.access_key);
    common::assert_shows(&harness, &secrets.secret_key);

    harness.get_by_label("Copy SecretKey").click();
    harness.step();
    let copied = copied_texts(&harness);
    assert!(
        copied.len() == 1 && copied[0] == secrets.secret_key,
        "Copy SecretKey gave the clipboard {} texts, not the SecretKey",
        copied.len()
    );
    harness.step();
    common::assert_shows(&harness, "SecretKey copied to the clipboard.");

    // Closing the form drops them from the screen.
    harness.get_by_label("Close").click();
    harness.step();
    harness.step();
    assert!(
        !common::shows(&harness, &secrets.secret_key),
        "the form is closed and its keys with it"
    );
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

#[test]
fn the_window_title_names_the_profile_and_the_open_gallery_and_ctrl_shift_c_copies_the_status() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 20, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });
    assert_eq!(
        harness.state().window_title(),
        Some("NEC ID Console — Local")
    );

    // Each queued event is a frame of its own: the key-down is the last, so its frame's
    // output is the one to read.
    let modifiers = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
    harness.event(egui::Event::ModifiersChanged(modifiers));
    harness.event(egui::Event::Key {
        key: egui::Key::C,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers,
    });
    harness.step();
    assert_eq!(
        copied_texts(&harness),
        vec!["NEC ID Console — Local · Local service ready".to_owned()]
    );

    harness.get_by_label("New gallery").click();
    harness.step();
    common::type_into(&mut harness, "Gallery name", "Staff");
    harness.get_by_label("Create gallery").click();
    common::wait_secs(&mut harness, 20, "the new gallery", |h| {
        h.query_by_role_and_label(Role::Button, "Staff").is_some()
    });
    if harness.state().open_gallery().is_none() {
        harness.get_by_role_and_label(Role::Button, "Staff").click();
    }
    common::wait_secs(&mut harness, 20, "the gallery to open", |h| {
        h.state().open_gallery().is_some()
    });
    assert_eq!(
        harness.state().window_title(),
        Some("NEC ID Console — Local — Staff")
    );
    let profile_id = local_profile_id(&paths);
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}

#[test]
fn a_first_run_without_models_fetches_them_with_a_progress_bar_checks_them_and_starts() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let models = root.path().join("models");
    let app = necid_console::ConsoleApp::new(paths.clone(), runtime.handle().clone(), None)
        .with_local_service(models.clone())
        .fetching_missing_models();
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            |ui, app: &mut necid_console::ConsoleApp| app.shell_ui(ui),
            app,
        );
    common::wait_secs(&mut harness, 30, "the fetch's progress", |h| {
        h.state()
            .local_status()
            .is_some_and(|s| s.starts_with("Fetching the face models"))
    });
    assert!(
        harness
            .query_all_by_role(Role::ProgressIndicator)
            .any(|bar| bar
                .accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("models "))),
        "the top bar shows a progress bar while the models come"
    );
    common::wait_secs(&mut harness, 120, "the Local service", |h| {
        h.state().local_service().is_some()
    });
    common::assert_shows(&harness, "Local service ready");
    for pin in necid_console::models::model_pins() {
        let sha256 = necid_console::models::sha256_hex(&models.join(&pin.file_name))
            .expect("an installed model");
        assert_eq!(sha256, pin.sha256, "{} as pinned", pin.file_name);
    }
    let profile_id = local_profile_id(&paths);
    drop(harness);
    credentials::delete_profile_secrets(&profile_id).expect("clean up");
}
