//! An admin's working day with names for people: four people enrolled from typed paths are
//! named after their files, one is renamed, the list is filtered by name and sorted by last
//! update, and a bulk job's identities appear as names in Subjects without a Reload, while
//! Galleries shows the new count without a Refresh. The names survive a restart of the
//! console.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::{AppPaths, ConsoleApp};

use crate::common;

const NO_GALLERY: &str = "This profile has no gallery yet: create one with New gallery.";

fn open_pane(harness: &mut Harness<'_, ConsoleApp>, pane: &str) {
    harness.get_by_role_and_label(Role::Button, pane).click();
    harness.step();
    harness.step();
}

fn click(harness: &mut Harness<'_, ConsoleApp>, label: &str) {
    let count = harness.query_all_by_label(label).count();
    assert_eq!(count, 1, "one widget labelled “{label}”");
    harness.get_by_label(label).click();
    harness.step();
}

/// Types `text` into the field whose placeholder is `hint` (or that holds a path of
/// `folder`, typed before).
fn type_into_hinted(
    harness: &mut Harness<'_, ConsoleApp>,
    hint: &str,
    folder: &std::path::Path,
    text: &str,
) {
    let folder = folder.display().to_string();
    let is_field = |n: &egui_kittest::kittest::AccessKitNode<'_>| {
        n.placeholder() == Some(hint) || n.value().is_some_and(|v| v.starts_with(&folder))
    };
    let field = |h: &Harness<'_, ConsoleApp>| h.query_all_by(is_field).next().is_some();
    common::wait_secs(harness, 30, &format!("a field hinted “{hint}”"), field);
    harness
        .query_all_by(is_field)
        .next()
        .expect("the field")
        .focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness
        .query_all_by(is_field)
        .next()
        .expect("the field")
        .type_text(text);
    harness.step();
}

/// The names of the subjects the Subjects pane shows, in their order on screen.
fn shown_names(harness: &Harness<'_, ConsoleApp>) -> Vec<String> {
    let app = harness.state();
    let names = app.subject_names().cloned().unwrap_or_default();
    app.subjects_pane()
        .shown_subjects()
        .iter()
        .map(|id| names.get(id).unwrap_or("").to_owned())
        .collect()
}

/// Checks the snapshot `name`, covering only the text that differs between runs (ids, times,
/// folders) where it is drawn: the tables' columns have fixed widths, so nothing moves with
/// it, and what is beside it stays checked. Activity's log grows with every poll of the job:
/// there every row's text is covered.
fn snapshot_masking_cells(
    harness: &mut Harness<'_, ConsoleApp>,
    name: &str,
    pane: necid_console::ui::PaneId,
) {
    common::settle(harness);
    let whole_log = pane == necid_console::ui::PaneId::Activity;
    let varies = |text: &str| common::varies_between_runs(text) || common::varies_in_its_cell(text);
    // Activity: everything below the log's column titles, and the count above them.
    let log_top = if whole_log {
        harness
            .query_all_by_label("Latency")
            .next()
            .map_or(f32::INFINITY, |n| n.rect().bottom())
    } else {
        f32::INFINITY
    };
    let mut covered: Vec<egui::Rect> = harness
        .query_all_by(|node| {
            node.value().is_some_and(|v| varies(&v))
                || node
                    .label()
                    .is_some_and(|l| varies(&l) || (whole_log && l.ends_with("requests")))
        })
        .map(|node| node.rect())
        .collect();
    if log_top.is_finite() {
        let window = harness.ctx.content_rect();
        let left = harness.get_by_label("Time").rect().left();
        covered.push(egui::Rect::from_min_max(
            egui::pos2(left, log_top + 1.0),
            window.max,
        ));
    }
    for rect in covered {
        harness.mask(rect);
    }
    // A masked text's width (a temporary folder's name) moves the mask's edge a little.
    let allowed = if whole_log { 20_000 } else { 2_000 };
    harness.snapshot_options(
        name,
        &egui_kittest::SnapshotOptions::new().max_failed_pixels(allowed),
    );
}

/// Copies a test photo under a person's file name.
fn photo(folder: &std::path::Path, rel: &str, file_name: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(folder).expect("photo folder");
    let to = folder.join(file_name);
    std::fs::copy(common::face(rel), &to).expect("copy a test photo");
    to
}

/// Enrols the image at `path` as a new subject through the typed-path field.
fn enrol_typed(harness: &mut Harness<'_, ConsoleApp>, path: &std::path::Path) {
    let folder = path.parent().expect("a folder");
    type_into_hinted(
        harness,
        "or type an image's path",
        folder,
        &path.display().to_string(),
    );
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.step();
    common::wait_secs(harness, 60, "Register subject to be enabled", |h| {
        h.query_by_label("Register subject")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    let before = harness
        .state()
        .subject_names()
        .map_or(0, |names| names.len());
    click(harness, "Register subject");
    common::wait_secs(harness, 60, "the new subject's name", |h| {
        h.state().subject_names().map_or(0, |n| n.len()) == before + 1
    });
}

#[test]
fn people_are_named_renamed_filtered_sorted_and_bulk_identities_become_names() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(&root.path().join("console"));
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 30, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });
    click(&mut harness, "New gallery");
    common::type_into(&mut harness, "Gallery name", "Front desk");
    click(&mut harness, "Create gallery");
    common::wait_secs(&mut harness, 30, "the new gallery, opened", |h| {
        h.state().open_gallery().is_some()
    });

    // Four people from typed paths, each named after its file.
    open_pane(&mut harness, "Subjects");
    let photos = root.path().join("photos");
    for (rel, file) in [
        ("obama/1.jpg", "barack_obama_1.jpg"),
        ("amy/1.png", "amy_farrah_fowler.png"),
        ("howard/1.png", "howard-wolowitz.png"),
        ("penny/1.png", "penny_2.png"),
    ] {
        enrol_typed(&mut harness, &photo(&photos, rel, file));
    }
    common::wait_secs(&mut harness, 30, "four named subjects listed", |h| {
        let mut names = shown_names(h);
        names.sort();
        names
            == [
                "Amy Farrah Fowler",
                "Barack Obama",
                "Howard Wolowitz",
                "Penny",
            ]
    });
    assert!(
        common::shows_part(&harness, "4 subjects with 4 faces"),
        "subjects and faces are counted apart"
    );

    // A click on a name (its text, not the row's empty space) selects the subject; rename it.
    harness.get_by_label("Penny").click();
    harness.step();
    harness.step();
    let penny = harness
        .state()
        .subjects_pane()
        .selected()
        .cloned()
        .expect("Penny's row is selected by a click on her name");
    assert_eq!(
        harness.state().subject_names().and_then(|n| n.get(&penny)),
        Some("Penny")
    );
    assert!(
        common::shows(&harness, "Penny"),
        "the name field holds the subject's name"
    );
    common::type_into(&mut harness, "Subject name", "Penny Hofstadter");
    harness.key_press(egui::Key::Enter);
    harness.step();
    common::wait_secs(&mut harness, 10, "the new name in the list", |h| {
        shown_names(h).iter().any(|n| n == "Penny Hofstadter")
    });

    // Filtered by name.
    common::type_into(&mut harness, "Filter", "howard");
    common::wait_secs(&mut harness, 10, "only Howard", |h| {
        shown_names(h) == ["Howard Wolowitz"]
    });
    assert!(common::shows_part(&harness, "1 subject shown"));
    common::type_into(&mut harness, "Filter", "");
    harness.key_press(egui::Key::Backspace);
    harness.step();

    // Sorted by last update: newest first, then oldest first.
    click(&mut harness, "Last update");
    common::wait_secs(&mut harness, 10, "newest first", |h| {
        shown_names(h).first().map(String::as_str) == Some("Penny Hofstadter")
    });
    harness.get_by_label("Last update").click();
    harness.step();
    common::wait_secs(&mut harness, 10, "oldest first", |h| {
        shown_names(h).first().map(String::as_str) == Some("Barack Obama")
    });

    // A bulk job: its identities become names, and Subjects shows them with no Reload.
    let bulk = root.path().join("bulk");
    photo(&bulk, "leonard/1.png", "leonard_hofstadter.png");
    photo(&bulk, "bernadette/1.png", "bernadette_rostenkowski.png");
    open_pane(&mut harness, "Jobs");
    common::type_into(&mut harness, "Folder", &bulk.display().to_string());
    if harness.query_by_label("List images").is_some() {
        click(&mut harness, "List images");
    }
    common::wait_secs(&mut harness, 30, "Start bulk job to be enabled", |h| {
        h.query_by_label("Start bulk job")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut harness, "Start bulk job");
    common::wait_secs(&mut harness, 180, "the bulk job to complete", |h| {
        common::shows_part(h, "2 registered, 0 failed")
    });
    open_pane(&mut harness, "Subjects");
    common::wait_secs(&mut harness, 30, "the bulk identities as names", |h| {
        let names = shown_names(h);
        names.len() == 6
            && names.iter().any(|n| n == "leonard_hofstadter")
            && names.iter().any(|n| n == "bernadette_rostenkowski")
    });
    assert!(common::shows_part(&harness, "6 subjects with 6 faces"));

    // Galleries shows the new count without a Refresh.
    open_pane(&mut harness, "Galleries");
    common::wait_secs(&mut harness, 30, "the gallery's current count", |h| {
        common::shows_part(h, "6 / 1000")
    });

    // Every pane at the default window size and at a small one: no header wraps, no action
    // hides (the subject's events keep Update and Unregister on screen).
    open_pane(&mut harness, "Subjects");
    click(&mut harness, "Name");
    common::wait_secs(&mut harness, 10, "sorted by name", |h| {
        shown_names(h).first().map(String::as_str) == Some("Amy Farrah Fowler")
    });
    harness.get_by_label("Howard Wolowitz").click();
    harness.step();
    for (width, height) in [(1200.0, 780.0), (1024.0, 700.0)] {
        harness.set_size(egui::vec2(width, height));
        harness.step();
        harness.step();
        for pane in necid_console::ui::PaneId::ALL {
            open_pane(&mut harness, pane.label());
            common::wait_secs(&mut harness, 30, "the pane to load", |h| {
                pane != necid_console::ui::PaneId::Subjects
                    || (h.query_by_label("Unregister…").is_some()
                        && !h.state().subjects_pane().is_loading())
            });
            let name = format!("admin_day_{}_{width}", pane.label().to_lowercase());
            snapshot_masking_cells(&mut harness, &name, pane);
            if pane == necid_console::ui::PaneId::Subjects {
                // The list's last column ends before the enrolment form beside it: its text
                // was once drawn over the form's first letters.
                let form_left = harness
                    .query_all_by(|n| n.value().is_some_and(|v| v.starts_with("Enrol “")))
                    .next()
                    .expect("the enrolment form, still open")
                    .rect()
                    .left();
                for node in harness.query_all_by(|n| {
                    n.label().is_some_and(|l| common::varies_between_runs(&l))
                        || n.value().is_some_and(|v| common::varies_between_runs(&v))
                }) {
                    let rect = node.rect();
                    assert!(
                        rect.left() >= form_left || rect.right() <= form_left,
                        "a cell of the list ({rect:?}) runs into the form at {form_left} at \
                         {width}×{height}"
                    );
                }
                let window = harness.ctx.content_rect();
                for action in ["Update with image…", "Unregister…", "Unregister subject…"] {
                    let rect = harness.get_by_label(action).rect();
                    assert!(
                        window.contains_rect(rect),
                        "“{action}” is on screen at {width}×{height}: {rect:?} in {window:?}"
                    );
                }
            }
        }
    }
    harness.set_size(egui::vec2(1200.0, 800.0));
    harness.step();

    // The names are kept for this profile and gallery: a new console reads them back.
    common::wait_secs(&mut harness, 10, "the names to be written", |h| {
        h.state().in_flight().is_empty()
    });
    let profile_id = harness
        .state()
        .remembered()
        .active_profile_id
        .clone()
        .expect("the Local profile");
    let gallery_id = harness
        .state()
        .open_gallery()
        .expect("open")
        .gallery_id
        .clone();
    let file =
        necid_console::subject_names::SubjectNames::file(&paths.data_dir, &profile_id, &gallery_id);
    let kept = necid_console::subject_names::SubjectNames::load(&file).expect("the names file");
    assert_eq!(kept.get(&penny), Some("Penny Hofstadter"));
    assert_eq!(kept.len(), 6);

    // A restart opens the gallery this profile had open, with its names.
    let mut storage = common::MemoryStorage::default();
    eframe::set_value(&mut storage, eframe::APP_KEY, harness.state().remembered());
    drop(harness);
    let app = ConsoleApp::new(paths.clone(), runtime.handle().clone(), Some(&storage))
        .with_local_service(common::models_dir());
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(|ui, app: &mut ConsoleApp| app.shell_ui(ui), app);
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 30, "the remembered gallery, opened", |h| {
        h.state()
            .open_gallery()
            .is_some_and(|g| g.gallery_id == gallery_id)
    });
    open_pane(&mut harness, "Subjects");
    common::wait_secs(&mut harness, 30, "the names, read back", |h| {
        shown_names(h).iter().any(|n| n == "Penny Hofstadter")
    });

    // A new gallery does not take the open one's place; deleting the open one says so.
    open_pane(&mut harness, "Galleries");
    // The form's first field has the keyboard, and Enter creates the gallery.
    click(&mut harness, "New gallery");
    harness.step();
    harness
        .input_mut()
        .events
        .push(egui::Event::Text("Back office".to_owned()));
    harness.step();
    harness.key_press(egui::Key::Enter);
    harness.step();
    common::wait_secs(&mut harness, 30, "the second gallery", |h| {
        h.query_by_role_and_label(Role::Button, "Back office")
            .is_some()
    });
    assert_eq!(
        harness.state().open_gallery().map(|g| g.name.as_str()),
        Some("Front desk"),
        "the open gallery stays open"
    );
    harness
        .get_by_role_and_label(Role::Button, "Front desk")
        .click();
    harness.step();
    // The selected gallery's line is drawn above the list: one more frame moves it.
    harness.step();
    click(&mut harness, "Delete gallery…");
    common::wait_secs(&mut harness, 10, "the confirmation", |h| {
        h.query_by_label("Delete gallery").is_some()
    });
    click(&mut harness, "Delete gallery");
    common::wait_secs(&mut harness, 30, "no gallery open", |h| {
        h.state().open_gallery().is_none()
    });
    assert!(
        harness
            .state()
            .notifications()
            .any(|n| n.text.contains("no gallery is open now")),
        "the console says the open gallery went"
    );
    assert!(harness.state().remembered().open_galleries.is_empty());
    drop(harness);
    necid_console::credentials::delete_profile_secrets(&profile_id).expect("clean up");
}
