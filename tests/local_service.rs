//! The console against its embedded Local service (crates/necid-server, real models): galleries
//! and tags created, renamed and deleted through the UI, and the Local tenant's keys only in the
//! keyring. Needs the face models (scripts/fetch-models) and a session keyring
//! (`keyctl session - cargo test --workspace`).

mod common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use necid_console::AppPaths;
use necid_console::credentials;
use necid_console::profiles::{ProfileKind, ProfileList};

fn type_into(harness: &mut egui_kittest::Harness<'_, necid_console::ConsoleApp>, field: &str, text: &str) {
    harness.get_by_label(field).focus();
    harness.step();
    harness.get_by_label(field).type_text(text);
    harness.step();
}

#[test]
fn galleries_and_tags_are_created_renamed_and_deleted_against_the_local_service() {
    common::require_keyring();
    let models_dir = necid_face::default_models_dir().expect("a models folder (HOME is set)");
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let app = necid_console::ConsoleApp::new(paths.clone(), runtime.handle().clone(), None)
        .with_local_service(models_dir.clone());
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(|ui, app: &mut necid_console::ConsoleApp| app.shell_ui(ui), app);

    common::wait_until(&mut harness, "the Local service and its gallery list", |h| {
        common::shows(h, "This profile has no gallery yet: create one with New gallery.")
            || h.query_all_by(|n| n.value().is_some_and(|v| v.contains("did not start")
                || v.contains("could not be loaded"))).next().is_some()
    });
    assert!(
        common::shows(&harness, "This profile has no gallery yet: create one with New gallery."),
        "the Local service did not come up; are the models in {}?",
        models_dir.display()
    );

    // Create a gallery.
    harness.get_by_label("New gallery").click();
    harness.step();
    type_into(&mut harness, "Gallery name", "Staff");
    type_into(&mut harness, "Description", "Front desk");
    harness.get_by_label("Create gallery").click();
    common::wait_until(&mut harness, "the new gallery", |h| {
        h.state().open_gallery().is_some_and(|g| g.name == "Staff")
    });
    common::wait_until(&mut harness, "the gallery in the list", |h| {
        h.query_by_role_and_label(Role::Button, "Staff").is_some()
    });

    // Create, rename and delete a tag.
    harness.get_by_role_and_label(Role::Button, "Tags").click();
    common::wait_until(&mut harness, "the empty tag list", |h| {
        common::shows(h, "This gallery has no tags yet.")
    });
    type_into(&mut harness, "New tag", "visitor");
    harness.get_by_label("Create tag").click();
    common::wait_until(&mut harness, "the new tag", |h| common::shows(h, "visitor"));
    common::assert_shows(&harness, "1 of 64 tags");
    harness.get_by_label("Rename").click();
    harness.step();
    let field = "Rename “visitor” to";
    harness.get_by_label(field).focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label(field).type_text("guest");
    harness.step();
    harness.get_by_label("Save name").click();
    common::wait_until(&mut harness, "the renamed tag", |h| common::shows(h, "guest"));
    harness.get_by_label("Delete…").click();
    harness.step();
    harness.get_by_label("Delete tag").click();
    common::wait_until(&mut harness, "the tag to go", |h| {
        common::shows(h, "This gallery has no tags yet.")
    });

    // Delete the gallery.
    harness.get_by_role_and_label(Role::Button, "Galleries").click();
    harness.step();
    harness.get_by_role_and_label(Role::Button, "Staff").click();
    harness.step();
    harness.get_by_label("Delete gallery…").click();
    harness.step();
    harness.get_by_label("Delete gallery").click();
    common::wait_until(&mut harness, "the gallery to go", |h| {
        common::shows(h, "This profile has no gallery yet: create one with New gallery.")
    });
    assert!(harness.state().open_gallery().is_none());

    // Every request is in Activity; the Local tenant's keys are only in the keyring.
    assert!(harness.state().activity().len() >= 8);
    let list = ProfileList::load(&paths.profiles_file()).expect("profile file");
    let local = list
        .profiles
        .iter()
        .find(|p| p.kind == ProfileKind::Local)
        .expect("the Local profile");
    let secrets = credentials::load_profile_secrets(&local.profile_id)
        .expect("keyring")
        .expect("the Local tenant's keys in the keyring");
    drop(harness);
    let leaked = common::files_containing(root.path(), &secrets.secret_key);
    assert!(leaked.is_empty(), "the Local secret was written to {leaked:?}");
    credentials::delete_profile_secrets(&local.profile_id).expect("clean up");
}
