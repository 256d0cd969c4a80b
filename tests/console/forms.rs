//! The console as an admin drives it from the keyboard and reads it: every form takes the
//! keyboard when it opens, Enter submits it and Escape cancels it; counts read as English;
//! inputs have a visible frame in the light theme; the columns a user dragged keep their width
//! across a restart; a click on a column's title sorts the table, a second one reverses it.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::{AppPaths, ConsoleApp};

use crate::common;

fn open_pane(harness: &mut Harness<'_, ConsoleApp>, pane: &str) {
    harness.get_by_role_and_label(Role::Button, pane).click();
    harness.step();
    harness.step();
}

/// Clicks the one button labelled `label`, and draws the frame after.
fn click(harness: &mut Harness<'_, ConsoleApp>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.step();
    harness.step();
}

/// Types `text` where the keyboard is: no field is clicked first.
fn type_text(harness: &mut Harness<'_, ConsoleApp>, text: &str) {
    harness.event(egui::Event::Text(text.to_owned()));
    harness.step();
}

fn press(harness: &mut Harness<'_, ConsoleApp>, key: egui::Key) {
    harness.key_press(key);
    harness.step();
    harness.step();
}

/// Selects everything in the field that has the keyboard and types `text` over it.
fn retype(harness: &mut Harness<'_, ConsoleApp>, text: &str) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    type_text(harness, text);
}

/// The applications' names in the Name column, top to bottom.
fn application_names(harness: &Harness<'_, ConsoleApp>) -> Vec<String> {
    let gallery_column = harness.get_by_label("Gallery").rect().left();
    let mut names: Vec<(f32, String)> = harness
        .query_all_by(|n| {
            n.value()
                .is_some_and(|v| v == "Door camera" || v == "Front desk")
        })
        .filter(|n| n.rect().left() < gallery_column)
        .map(|n| {
            (
                n.rect().top(),
                n.accesskit_node().value().unwrap_or_default(),
            )
        })
        .collect();
    names.sort_by(|a, b| a.0.total_cmp(&b.0));
    // A label and the text inside it are both nodes: one name per row.
    names.dedup_by(|a, b| (a.0 - b.0).abs() < 1.0);
    names.into_iter().map(|(_, name)| name).collect()
}

/// The qualities in the selected subject's events, top to bottom.
fn event_qualities(harness: &Harness<'_, ConsoleApp>) -> Vec<f64> {
    let mut qualities: Vec<(f32, f64)> = harness
        .query_all_by(|n| {
            n.value()
                .is_some_and(|v| v.len() == 5 && v.starts_with("0.") && v.parse::<f64>().is_ok())
        })
        .map(|n| {
            let value = n.accesskit_node().value().unwrap_or_default();
            (n.rect().top(), value.parse().unwrap_or(f64::NAN))
        })
        .collect();
    qualities.sort_by(|a, b| a.0.total_cmp(&b.0));
    qualities.dedup_by(|a, b| (a.0 - b.0).abs() < 1.0);
    qualities.into_iter().map(|(_, quality)| quality).collect()
}

fn names(harness: &Harness<'_, ConsoleApp>) -> usize {
    harness
        .state()
        .subject_names()
        .map_or(0, |names| names.len())
}

/// Every form of the console, opened and submitted with the keyboard alone: the text typed
/// right after opening lands in its first field, Enter submits, Escape cancels.
#[test]
fn every_form_takes_the_keyboard_when_it_opens_enter_submits_it_and_escape_cancels_it() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(&root.path().join("console"));
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 30, "the Galleries pane, connected", |h| {
        h.query_by_role_and_label(Role::Button, "New gallery")
            .is_some()
    });

    // Galleries: create with Enter (it opens, as no other gallery is), edit and Escape.
    click(&mut harness, "New gallery");
    type_text(&mut harness, "Front desk");
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 30, "the gallery, created with Enter", |h| {
        h.state()
            .open_gallery()
            .is_some_and(|g| g.name == "Front desk")
    });
    common::wait_secs(&mut harness, 30, "the new gallery, selected", |h| {
        h.query_by_role_and_label(Role::Button, "Edit gallery")
            .is_some()
    });
    click(&mut harness, "Edit gallery");
    assert!(harness.query_by_label("Save gallery").is_some());
    press(&mut harness, egui::Key::Escape);
    assert!(
        harness.query_by_label("Save gallery").is_none(),
        "Escape closes the gallery form"
    );

    // Applications: the name typed at once, the open gallery chosen, Enter creates it.
    open_pane(&mut harness, "Applications");
    common::wait_secs(&mut harness, 30, "the applications", |h| {
        h.query_by_role_and_label(Role::Button, "New application")
            .is_some()
    });
    click(&mut harness, "New application");
    type_text(&mut harness, "Door camera");
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(
        &mut harness,
        30,
        "the application, created with Enter",
        |h| common::shows(h, "Door camera") && h.query_by_label("Create application").is_none(),
    );
    // A click on Name sorts the applications from A, a second one from Z.
    click(&mut harness, "Name");
    assert_eq!(application_names(&harness), ["Door camera", "Front desk"]);
    click(&mut harness, "Name");
    assert_eq!(
        application_names(&harness),
        ["Front desk", "Door camera"],
        "a second click reverses the order"
    );

    // Edit: the quality's slider has the keyboard, Enter saves it.
    harness
        .query_all_by_role_and_label(Role::Button, "Edit")
        .next()
        .expect("an application's Edit")
        .click();
    harness.step();
    harness.step();
    press(&mut harness, egui::Key::ArrowRight);
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 30, "the quality, saved with Enter", |h| {
        h.state()
            .notifications()
            .any(|n| n.text.starts_with("Application “") && n.text.ends_with("” saved."))
    });

    // Tags: "New tag" has the keyboard when the pane shows; Rename's field when clicked.
    open_pane(&mut harness, "Tags");
    type_text(&mut harness, "vip");
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 30, "the tag, created with Enter", |h| {
        h.query_by_role_and_label(Role::Button, "Rename").is_some()
    });
    click(&mut harness, "Rename");
    retype(&mut harness, "guest");
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 30, "the tag, renamed with Enter", |h| {
        common::shows(h, "guest") && !common::shows(h, "vip")
    });

    // Settings: a new profile named and saved from the keyboard; Escape closes the form.
    open_pane(&mut harness, "Settings");
    click(&mut harness, "New profile");
    type_text(&mut harness, "Second desk");
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 10, "the profile, saved with Enter", |h| {
        common::shows(h, "Saved.")
            && h.query_by_role_and_label(Role::Button, "Second desk")
                .is_some()
    });
    click(&mut harness, "New profile");
    assert!(harness.query_by_label("Save profile").is_some());
    press(&mut harness, egui::Key::Escape);
    assert!(
        harness.query_by_label("Save profile").is_none(),
        "Escape closes the profile form"
    );

    // Trust: the labelled folder typed at once; Enter reads it (and says it is not there).
    open_pane(&mut harness, "Trust");
    let missing = root.path().join("no-such-folder");
    type_text(&mut harness, &missing.display().to_string());
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 10, "the folder, read with Enter", |h| {
        common::shows_part(h, "The folder")
    });

    // Subjects: Subject ID has the keyboard when the form opens; with nobody named there,
    // Enter registers a new subject.
    open_pane(&mut harness, "Subjects");
    common::drop_file(&mut harness, &common::face("obama/1.jpg"));
    common::wait_secs(&mut harness, 60, "Register subject to be enabled", |h| {
        h.query_by_label("Register subject")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(
        &mut harness,
        60,
        "the subject, registered with Enter",
        |h| names(h) == 1,
    );
    common::wait_secs(&mut harness, 30, "the list to count one subject", |h| {
        common::shows_part(
            h,
            "1 subject with 1 face; 1 of 1 event row loaded; 1 subject shown",
        )
    });
    let subject_id = harness
        .state()
        .subjects_pane()
        .selected()
        .cloned()
        .expect("the new subject is selected");

    // With the new subject named in Subject ID (it is selected), Enter adds the next face to
    // it as an event.
    common::drop_file(&mut harness, &common::face("amy/1.png"));
    common::wait_secs(&mut harness, 60, "Add event to be enabled", |h| {
        h.query_by_label("Add event")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 60, "the event, added with Enter", |h| {
        h.state().subjects_pane().loaded_rows() == 2 && event_qualities(h).len() == 2
    });
    assert_eq!(names(&harness), 1, "no second subject");

    // The subject's events sort by quality, one way then the other.
    click(&mut harness, "Quality");
    let rising = event_qualities(&harness);
    assert!(rising[0] < rising[1], "lowest quality first: {rising:?}");
    click(&mut harness, "Quality");
    let falling = event_qualities(&harness);
    assert!(
        falling[0] > falling[1],
        "a second click reverses: {falling:?}"
    );

    // Escape closes the enrolment form.
    common::drop_file(&mut harness, &common::face("howard/1.png"));
    harness.step();
    assert!(harness.query_by_label("Register subject").is_some());
    press(&mut harness, egui::Key::Escape);
    assert!(
        harness.query_by_label("Register subject").is_none(),
        "Escape closes the enrolment form"
    );

    // The names' CSV: Enter in its field imports it.
    let csv = root.path().join("names.csv");
    std::fs::write(
        &csv,
        format!("subjectId,name\n{},Barack Obama\n", subject_id.as_str()),
    )
    .expect("write the names");
    let import = |h: &Harness<'_, ConsoleApp>| {
        h.query_all_by(|n| n.placeholder() == Some("names CSV to import"))
            .next()
            .expect("the import field")
            .focus();
    };
    import(&harness);
    harness.step();
    type_text(&mut harness, &csv.display().to_string());
    press(&mut harness, egui::Key::Enter);
    common::wait_secs(&mut harness, 10, "the names, imported with Enter", |h| {
        h.state().subject_names().and_then(|n| n.get(&subject_id)) == Some("Barack Obama")
    });
    common::assert_shows(&harness, "Imported 1 name");

    common::forget_local_keys(harness);
}

/// How far apart in brightness two pixels are, 0 to 255.
fn contrast(a: image::Rgba<u8>, b: image::Rgba<u8>) -> u8 {
    let luma = |p: image::Rgba<u8>| {
        (0.2126 * f32::from(p.0[0]) + 0.7152 * f32::from(p.0[1]) + 0.0722 * f32::from(p.0[2]))
            as i32
    };
    (luma(a) - luma(b)).unsigned_abs().min(255) as u8
}

/// The strongest contrast between the panel just left of `rect` and the pixels of its left
/// edge: a field's frame, or its background where it has none.
fn edge_contrast(shot: &image::RgbaImage, rect: egui::Rect, pixels_per_point: f32) -> u8 {
    let y = (rect.center().y * pixels_per_point) as u32;
    let left = (rect.left() * pixels_per_point) as u32;
    let panel = *shot.get_pixel(left.saturating_sub(4), y);
    (left..left + 4)
        .map(|x| contrast(*shot.get_pixel(x, y), panel))
        .max()
        .unwrap_or(0)
}

#[test]
fn text_fields_and_combo_boxes_have_a_visible_frame_in_the_light_theme() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::harness(&paths, &runtime, None);
    harness.step();
    open_pane(&mut harness, "Settings");
    harness.get_by_label("Light").click();
    harness.step();
    click(&mut harness, "New profile");
    common::settle(&mut harness);
    let field = harness
        .get_by_role_and_label(Role::TextInput, "Portal base URL")
        .rect();
    let profile = harness
        .query_all_by_role(Role::ComboBox)
        .next()
        .expect("the profile combo box")
        .rect();
    let shot = harness.render().expect("a rendering");
    let pixels_per_point = harness.ctx.pixels_per_point();
    for (what, rect) in [("a text field", field), ("the profile combo box", profile)] {
        let seen = edge_contrast(&shot, rect, pixels_per_point);
        assert!(
            seen >= 40,
            "{what}'s edge stands out from the panel by only {seen} of 255 in the light theme"
        );
    }
    common::snapshot(&mut harness, "light_theme_settings_form");
}

/// Drags the resize handle of the column before the one titled `next` by `by` points: it is
/// drawn where the next column starts.
fn drag_column_edge(harness: &mut Harness<'_, ConsoleApp>, next: &str, by: f32) {
    let title = harness.get_by_label(next).rect();
    let from = egui::pos2(title.left() - 2.0, title.center().y);
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for step in 1..=4 {
        harness.hover_at(from + egui::vec2(by * step as f32 / 4.0, 0.0));
        harness.step();
    }
    harness.drop_at(from + egui::vec2(by, 0.0));
    harness.step();
    harness.step();
}

#[test]
fn column_widths_dragged_by_the_user_survive_a_restart_and_titles_sort_both_ways() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let tenant = common::tenant::FakeTenant::with_galleries(&runtime, 3);
    let profile = tenant.profile(&paths, "Tenant");
    let mut harness = common::harness(&paths, &runtime, None);
    common::wait_until(&mut harness, "the galleries", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 00003")
            .is_some()
    });
    common::assert_shows(&harness, "3 galleries");

    // A click on Name sorts from A, a second one from Z.
    let rows = |h: &Harness<'_, ConsoleApp>| -> Vec<String> {
        let mut rows: Vec<(f32, String)> = h
            .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Gallery 0")))
            .map(|n| {
                (
                    n.rect().top(),
                    n.accesskit_node().label().unwrap_or_default(),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows.into_iter().map(|(_, name)| name).collect()
    };
    click(&mut harness, "Name");
    assert_eq!(
        rows(&harness),
        ["Gallery 00001", "Gallery 00002", "Gallery 00003"]
    );
    click(&mut harness, "Name");
    assert_eq!(
        rows(&harness),
        ["Gallery 00003", "Gallery 00002", "Gallery 00001"],
        "a second click reverses the order"
    );

    // The Name column dragged 80 points wider moves Description's title by as much.
    let before = harness.get_by_label("Description").rect().left();
    drag_column_edge(&mut harness, "Description", 80.0);
    let dragged = harness.get_by_label("Description").rect().left();
    assert!(
        (dragged - before - 80.0).abs() < 4.0,
        "the column was dragged from {before} to {dragged}"
    );

    // A restart, as eframe makes one: egui's memory saved (its widget data, where the tables
    // keep their state; eframe writes all of it with RON, whose keys JSON cannot hold) and
    // read back by the new console before its first frame.
    let data = harness
        .ctx
        .data(serde_json::to_string)
        .expect("egui's widget data as JSON");
    drop(harness);
    let mut harness = common::harness(&paths, &runtime, None);
    let data: egui::util::IdTypeMap =
        serde_json::from_str(&data).expect("egui's widget data read back");
    harness.ctx.data_mut(|d| *d = data);
    common::wait_until(&mut harness, "the galleries again", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 00003")
            .is_some()
    });
    let restarted = harness.get_by_label("Description").rect().left();
    assert!(
        (restarted - dragged).abs() < 1.0,
        "the Name column is as wide as dragged after a restart: Description at {restarted}, \
         dragged to {dragged}, first at {before}"
    );
    drop(harness);
    necid_console::credentials::delete_profile_secrets(&profile.profile_id).expect("clean up");
}
