//! The Face pane's Extract tab against the embedded Local service with the real models: every
//! face of a group photo drawn and listed, and every crafted bad file refused with a message
//! where the image would be, never a panic. Needs the models (scripts/fetch-models) and a
//! session keyring (`keyctl session - cargo test --test local_face`).

mod common;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use necid_console::{AppPaths, ConsoleApp};

/// Starts the console on its Local service and opens the Face pane's Extract tab.
fn face_pane(paths: &AppPaths, runtime: &tokio::runtime::Runtime) -> Harness<'static, ConsoleApp> {
    let mut harness = common::local_harness(paths, runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Face").click();
    harness.step();
    common::wait_secs(&mut harness, 30, "the Extract tab", |h| {
        h.query_by_label("Pick image…").is_some()
    });
    harness
}

fn busy(harness: &Harness<'_, ConsoleApp>) -> bool {
    ["Reading the image…", "Extracting the faces…"]
        .iter()
        .any(|text| common::shows(harness, text))
}

fn forget_local_keys(harness: Harness<'_, ConsoleApp>) {
    let profile_id = harness.state().remembered().active_profile_id.clone();
    drop(harness);
    if let Some(profile_id) = profile_id {
        necid_console::credentials::delete_profile_secrets(&profile_id).expect("clean up");
    }
}

#[test]
fn every_face_of_a_group_photo_is_drawn_listed_and_inspected() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);

    let group = common::testdata().join("detection/multi/bbt1.jpg");
    common::drop_file(&mut harness, &group);
    common::wait_secs(&mut harness, 60, "the faces", |h| {
        !busy(h) && common::shows_part(h, "faces found.")
    });
    // Listed with their attributes, and selectable in the inspector.
    for name in ["Face 1", "Face 2", "Face 3"] {
        assert!(
            harness.query_all_by_label(name).next().is_some(),
            "{name} is listed"
        );
    }
    common::assert_shows(&harness, "faceQualityScore");
    // The landmarks come from the Local engine run directly, after the API's answer.
    common::wait_secs(&mut harness, 60, "the landmarks", |h| {
        common::shows(h, "68 landmarks from the Local engine.")
    });
    common::snapshot(&mut harness, "local_face_extract");
    forget_local_keys(harness);
}

#[test]
fn bad_files_dropped_on_the_face_pane_are_explained_not_a_panic() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);

    let mut bad: Vec<_> = std::fs::read_dir(common::testdata().join("bad"))
        .expect("testdata/bad")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "csv"))
        .collect();
    bad.sort();
    assert!(bad.len() > 20, "the bad files are there");
    for path in bad {
        common::drop_file(&mut harness, &path);
        common::wait_secs(&mut harness, 60, "the answer", |h| !busy(h));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let answered = common::shows_part(&harness, "cannot be used")
            || common::shows_part(&harness, "could not be decoded")
            || common::shows_part(&harness, "found")
            || harness.query_all_by_label("Retry").next().is_some()
            || common::shows_part(&harness, "errorType");
        assert!(answered, "{name}: no result and no explanation on screen");
    }
    forget_local_keys(harness);
}
