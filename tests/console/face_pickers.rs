//! The Face pane's images and pickers against the embedded Local service with the real models:
//! the faces of a group photo numbered from the left, a verdict and candidates that never
//! outlive the image (or, for a verdict, the pass mark) they are about, pickers that say so when no file dialog can open (these
//! tests run headless, with no display, as CI does) and give the typed path the keyboard, and
//! each picker's last folder remembered across a restart.
//!
//! `keyctl session - cargo test --test console face_pickers::`.

use crate::common;
use crate::common_jobs::{self, PaneShell};
use crate::local_face::face_pane;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::backend::dialogs::{Picker, no_dialog_reason};
use necid_console::ui::face::FacePane;
use necid_console::{AppPaths, ConsoleApp};

/// The hint of every image input's typed-path field.
const PATH_HINT: &str = "or type an image's path";

/// Types `path` into the `nth` image input's path field on screen and opens it.
fn open_typed<S>(harness: &mut Harness<'_, S>, nth: usize, path: &std::path::Path) {
    fn field<'h, S>(harness: &'h Harness<'_, S>, nth: usize) -> egui_kittest::Node<'h> {
        harness
            .query_all_by(|n| n.placeholder() == Some(PATH_HINT))
            .nth(nth)
            .expect("the path field")
    }
    field(harness, nth).focus();
    harness.step();
    field(harness, nth).type_text(&path.display().to_string());
    harness.step();
    harness
        .query_all_by_role_and_label(Role::Button, "Open")
        .nth(nth)
        .expect("its Open button")
        .click();
    harness.step();
}

/// The text of every node on screen, in the order they are drawn.
fn texts<S>(harness: &Harness<'_, S>) -> Vec<String> {
    harness
        .query_all_by(|n| n.value().or_else(|| n.label()).is_some())
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.value().or_else(|| node.label())
        })
        .collect()
}

/// Creates a gallery on the Local service and waits until it is the open one.
fn open_a_gallery(harness: &mut Harness<'_, ConsoleApp>) {
    common::wait_secs(harness, 30, "the Local gallery list", |h| {
        h.query_by_label("New gallery").is_some()
    });
    harness.get_by_label("New gallery").click();
    harness.step();
    common::type_into(harness, "Gallery name", "Front desk");
    harness.get_by_label("Create gallery").click();
    harness.step();
    common::wait_secs(harness, 30, "the new gallery, opened", |h| {
        h.state()
            .open_gallery()
            .is_some_and(|g| g.name == "Front desk")
    });
}

#[test]
fn the_faces_of_a_group_photo_are_numbered_from_the_left() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);

    common::drop_file(
        &mut harness,
        &common::testdata().join("detection/multi/bbt1.jpg"),
    );
    common::wait_secs(&mut harness, 60, "the faces", |h| {
        common::shows_part(h, "faces found.")
    });
    let count = (1..)
        .take_while(|n| {
            harness
                .query_all_by_label(&format!("Face {n}"))
                .next()
                .is_some()
        })
        .count();
    assert!(count >= 3, "a group photo: {count} faces");
    // Open every face's entry in the list (the last node of that name: the inspector's come
    // first), so that each shows its face area.
    for n in 2..=count {
        harness
            .query_all_by_label(&format!("Face {n}"))
            .last()
            .expect("the face's entry")
            .click_accesskit();
        harness.step();
    }
    harness.step();
    // Face area and head area alternate, face by face: "(left, top) – (right, bottom), w×h".
    let mut areas: Vec<String> = texts(&harness)
        .into_iter()
        .filter(|t| t.starts_with('(') && t.contains(") – (") && t.contains('×'))
        .collect();
    // The open entry's text can appear twice in the tree (its label and its value).
    areas.dedup();
    let lefts: Vec<i32> = areas
        .iter()
        .step_by(2)
        .map(|area| {
            area.trim_start_matches('(')
                .split(',')
                .next()
                .and_then(|left| left.trim().parse().ok())
                .unwrap_or_else(|| panic!("a face area: {area}"))
        })
        .collect();
    assert_eq!(lefts.len(), count, "every face lists its area: {areas:?}");
    assert!(
        lefts.windows(2).all(|pair| pair[0] <= pair[1]),
        "Face 1, 2, 3… from left to right: {lefts:?}"
    );
    common::forget_local_keys(harness);
}

#[test]
fn a_verdict_and_candidates_go_as_soon_as_another_image_is_asked_for() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);
    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    harness.step();
    open_a_gallery(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Face").click();
    harness.step();

    // Two photos of one person pass.
    harness.get_by_label("Verify").click();
    harness.step();
    harness.get_by_label("Against a second image").click();
    harness.step();
    open_typed(&mut harness, 0, &common::face("obama/1.jpg"));
    common::drop_file(&mut harness, &common::face("obama/2.jpg"));
    common::wait_secs(&mut harness, 60, "the verdict", |h| {
        common::shows_part(h, "Pass: score")
    });
    // Another probe that turns out not to be an image: the old “Pass” is gone with it.
    let not_a_photo = root.path().join("notes.jpg");
    std::fs::write(&not_a_photo, b"not a photo").expect("write");
    common::drop_file(&mut harness, &not_a_photo);
    common::wait_secs(&mut harness, 30, "the refusal", |h| {
        common::shows_part(h, "cannot be used")
    });
    assert!(
        !common::shows_part(&harness, "Pass: score"),
        "no verdict about the previous probe"
    );

    // Search: an answer about one probe goes when another is asked for.
    harness.get_by_label("Search").click();
    harness.step();
    common::drop_file(&mut harness, &common::face("obama/2.jpg"));
    common::wait_secs(&mut harness, 60, "the (empty) answer", |h| {
        common::shows_part(h, "Nobody scored")
    });
    common::drop_file(&mut harness, &not_a_photo);
    harness.step();
    assert!(
        !common::shows_part(&harness, "Nobody scored"),
        "no candidates of the previous probe"
    );
    common::forget_local_keys(harness);
}

#[test]
fn a_picker_without_a_file_dialog_says_so_and_gives_its_typed_path_the_keyboard() {
    common::require_keyring();
    assert!(
        no_dialog_reason().is_some(),
        "this test drives the console where no file dialog can open: run it without a display \
         (`env -u DISPLAY -u WAYLAND_DISPLAY`), as scripts/test and CI do"
    );
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);

    harness.get_by_label("Pick image…").click();
    harness.step();
    common::wait_secs(&mut harness, 10, "the reason", |h| {
        common::shows_part(h, "No file dialog can open here")
            && common::shows_part(h, "Type the image's path in the field")
    });
    common::wait_secs(
        &mut harness,
        5,
        "the path field to have the keyboard",
        |h| {
            h.query_all_by(|n| n.placeholder() == Some(PATH_HINT))
                .next()
                .is_some_and(|field| field.is_focused())
        },
    );

    // A folder picker (the models' in Settings) says the same and focuses its folder field.
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    harness.step();
    common::wait_secs(&mut harness, 10, "the models folder", |h| {
        h.query_by_label("Choose folder…").is_some()
    });
    harness.get_by_label("Choose folder…").click();
    harness.step();
    common::wait_secs(&mut harness, 10, "the reason", |h| {
        common::shows_part(h, "No folder dialog can open here")
    });
    common::wait_secs(
        &mut harness,
        5,
        "the folder field to have the keyboard",
        |h| h.get_by_label("Models folder").is_focused(),
    );
    common::forget_local_keys(harness);
}

#[test]
fn each_picker_remembers_the_folder_it_last_took_an_image_from_across_a_restart() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);

    let image = common::face("obama/1.jpg");
    let folder = std::path::absolute(image.parent().expect("its folder")).expect("absolute");
    open_typed(&mut harness, 0, &image);
    common::wait_secs(&mut harness, 10, "Extract's folder remembered", |h| {
        h.state()
            .remembered()
            .last_folders
            .get(&Picker::ExtractImage)
            == Some(&folder)
    });
    // Search's probe and every other picker keep their own.
    assert_eq!(harness.state().remembered().last_folders.len(), 1);

    let mut storage = common::MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    let restarted = common::harness(&paths, &runtime, Some(&storage));
    assert_eq!(
        restarted
            .state()
            .remembered()
            .last_folders
            .get(&Picker::ExtractImage),
        Some(&folder)
    );
    drop(restarted);
    common::forget_local_keys(harness);
}

#[test]
fn a_verdict_goes_when_the_gallery_gets_another_threshold() {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common_jobs::runtime();
    let service = common_jobs::start_service(&runtime, &root.path().join("service"), 100, &[]);
    let shell = PaneShell::new(
        FacePane::default(),
        &runtime,
        AppPaths::under(&root.path().join("console")),
        service.connection(false),
        service.gallery.clone(),
    );
    let mut face = shell.into_harness([1200.0, 900.0]);
    face.step();
    face.get_by_label("Verify").click();
    face.step();
    face.get_by_label("Against a second image").click();
    face.step();
    open_typed(&mut face, 0, &common::face("obama/1.jpg"));
    face.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(common::DroppedPath(common::face(
            "obama/2.jpg",
        ))));
    face.step();
    let verdict = |h: &Harness<'_, PaneShell<FacePane>>| {
        texts(h)
            .into_iter()
            .find(|t| t.starts_with("Pass: score") || t.starts_with("Fail: score"))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while verdict(&face).is_none() {
        assert!(std::time::Instant::now() < deadline, "no verdict");
        face.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(verdict(&face).is_some_and(|v| v.starts_with("Pass")));
    // As the shell does on "Apply" in the Trust pane's calibration.
    let strict = necid::MatchScore::new(9999).expect("a score");
    face.state_mut().gallery.set_threshold(Some(strict));
    face.step();
    face.step();
    assert_eq!(verdict(&face), None, "no verdict at the old pass mark");
}
