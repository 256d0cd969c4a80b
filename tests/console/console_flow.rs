//! The whole console against its embedded Local service with the real face models, step by
//! step as a person would use it: create a gallery and a tag, register a subject by dropping a
//! photo on the Subjects pane, find that person with another photo, verify, register a folder
//! in a bulk job, rename and delete the tag, delete the gallery. Each pane with its result is
//! checked against a snapshot in `tests/snapshots/` (write them with `UPDATE_SNAPSHOTS=1`);
//! what differs between runs (ids, dates) is masked, see `common::snapshot`.
//!
//! Needs the models (scripts/fetch-models) and a session keyring:
//! `keyctl session - cargo test --test console console_flow::`.

use crate::common;

mod admin_day;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::{AppPaths, ConsoleApp};

const NO_GALLERY: &str = "This profile has no gallery yet: create one with New gallery.";

fn open_pane(harness: &mut Harness<'_, ConsoleApp>, pane: &str) {
    harness.get_by_role_and_label(Role::Button, pane).click();
    harness.step();
    harness.step();
}

fn click(harness: &mut Harness<'_, ConsoleApp>, label: &str) {
    harness.get_by_label(label).click();
    harness.step();
}

/// A handful of photos of different people, copied to a folder of their own.
fn bulk_folder(root: &std::path::Path) -> std::path::PathBuf {
    let folder = root.join("bulk");
    std::fs::create_dir_all(&folder).expect("bulk folder");
    for rel in ["biden/1.jpg", "amy/1.png", "howard/1.png", "penny/1.png"] {
        let from = common::face(rel);
        let name = rel.replace('/', "_");
        std::fs::copy(&from, folder.join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
    folder
}

#[test]
fn a_person_registered_by_drag_and_drop_is_found_verified_and_the_gallery_cleaned_up() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());

    // The Local service comes up with the real models.
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 30, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });

    // 1. Create a gallery.
    click(&mut harness, "New gallery");
    common::type_into(&mut harness, "Gallery name", "Staff");
    common::type_into(&mut harness, "Description", "Front desk");
    click(&mut harness, "Create gallery");
    common::wait_secs(&mut harness, 30, "the new gallery, opened", |h| {
        h.state().open_gallery().is_some_and(|g| g.name == "Staff")
            && h.query_by_role_and_label(Role::Button, "Staff").is_some()
    });
    common::snapshot(&mut harness, "console_flow_1_galleries");

    // The panes step 1 touched: the gallery's application, the requests made, the profiles.
    open_pane(&mut harness, "Applications");
    common::wait_secs(&mut harness, 30, "the application list", |h| {
        h.query_by_label("Reveal").is_some()
            || common::shows(h, "This profile has no application yet.")
    });
    common::snapshot(&mut harness, "console_flow_1_applications");
    open_pane(&mut harness, "Activity");
    common::wait_secs(&mut harness, 10, "the request log", |h| {
        common::shows_part(h, " requests")
    });
    assert!(
        common::shows(&harness, "POST") && common::shows(&harness, "/api/galleries"),
        "the log shows the gallery's creation"
    );
    // Requests made at the same time (galleries, applications, the opened gallery) are logged
    // in the order they finish, which varies: the snapshot covers each row from its time to the
    // right edge and keeps the count, the columns and the layout.
    let row_cell = common::varies_in_its_cell;
    common::snapshot_covering(&mut harness, "console_flow_1_activity", 0, &row_cell);
    open_pane(&mut harness, "Settings");
    common::wait_secs(&mut harness, 10, "the keyring status", |h| {
        common::shows_part(h, "Local") && !common::shows_part(h, "Checking the OS keyring")
    });
    common::snapshot(&mut harness, "console_flow_1_settings");
    open_pane(&mut harness, "Galleries");

    // 2. Create a tag.
    open_pane(&mut harness, "Tags");
    common::wait_secs(&mut harness, 30, "the empty tag list", |h| {
        common::shows(h, "This gallery has no tags yet.")
    });
    common::type_into(&mut harness, "New tag", "visitor");
    click(&mut harness, "Create tag");
    common::wait_secs(&mut harness, 30, "the new tag's row", |h| {
        h.query_by_label("Rename").is_some()
    });
    common::snapshot(&mut harness, "console_flow_2_tags");

    // 3. Drop a photo on the Subjects pane and register it with the tag.
    open_pane(&mut harness, "Subjects");
    common::drop_file(&mut harness, &common::face("obama/1.jpg"));
    common::wait_secs(&mut harness, 60, "the enrolment form", |h| {
        h.query_by_label("Subject ID").is_some() && h.query_all_by_label("visitor").next().is_some()
    });
    // The service names a new subject itself (Register Subject has no id field); the "Subject
    // ID" field is for adding an event to a subject that exists.
    harness
        .query_all_by_label("visitor")
        .next()
        .expect("the tag's toggle")
        .click();
    harness.step();
    common::wait_secs(&mut harness, 60, "Register subject to be enabled", |h| {
        h.query_by_label("Register subject")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut harness, "Register subject");
    common::wait_secs(&mut harness, 60, "the registration", |h| {
        common::shows_part(h, "Registered subject ")
    });
    let registered = harness
        .query_all_by(|n| {
            n.value()
                .or_else(|| n.label())
                .is_some_and(|t| t.starts_with("Registered subject "))
        })
        .next()
        .and_then(|n| {
            let node = n.accesskit_node();
            node.value().or_else(|| node.label())
        })
        .expect("the registration message");
    let subject_id = registered
        .trim_start_matches("Registered subject ")
        .trim()
        .to_owned();
    common::wait_secs(&mut harness, 30, "the subject's event in the list", |h| {
        common::shows(h, "ACTIVE")
    });
    // The events table sizes its columns to the (masked, random) event id: allow the headers
    // beside it to move (about 450 of 960 000 pixels seen).
    common::snapshot_allowing(&mut harness, "console_flow_3_subjects", 1500);
    // The list's small thumbnail enlarges on hover, from the texture it already has.
    let images = |h: &Harness<'_, ConsoleApp>| -> Vec<egui::Rect> {
        h.query_all_by_role(Role::Image).map(|n| n.rect()).collect()
    };
    common::wait_secs(&mut harness, 30, "the list's thumbnail", |h| {
        images(h).iter().any(|r| r.width() <= 24.0)
    });
    let small = images(&harness)
        .into_iter()
        .find(|r| r.width() <= 24.0)
        .expect("the row's thumbnail");
    let large = |h: &Harness<'_, ConsoleApp>| {
        images(h)
            .iter()
            .filter(|r| r.width().max(r.height()) >= 100.0)
            .count()
    };
    let large_before = large(&harness);
    harness.hover_at(small.center());
    // A tooltip waits for the pointer to rest.
    for _ in 0..60 {
        if large(&harness) > large_before {
            break;
        }
        harness.step();
    }
    assert_eq!(
        large(&harness),
        large_before + 1,
        "the thumbnail enlarged: {:?}",
        images(&harness)
    );
    harness.remove_cursor();
    harness.step();

    // 4. Search with another photo of the same person: that subject comes first.
    open_pane(&mut harness, "Face");
    click(&mut harness, "Search");
    common::drop_file(&mut harness, &common::face("obama/2.jpg"));
    common::wait_secs(&mut harness, 60, "the candidates", |h| {
        common::shows(h, "#1")
    });
    let first = harness
        .query_all_by(|n| {
            n.value()
                .or_else(|| n.label())
                .is_some_and(|t| t.starts_with("Subject "))
        })
        .next()
        .and_then(|n| {
            let node = n.accesskit_node();
            node.value().or_else(|| node.label())
        })
        .expect("a ranked candidate");
    assert_eq!(first, format!("Subject {subject_id}"));
    common::snapshot(&mut harness, "console_flow_4_face_search");
    // The candidate's thumbnail, from the photo enrolled in step 3, enlarges on hover.
    harness.get_by_label("Thumbnail of event 1").hover();
    for _ in 0..60 {
        if harness.query_by_label("Event 1, enlarged").is_some() {
            break;
        }
        harness.step();
    }
    assert!(
        harness.query_by_label("Event 1, enlarged").is_some(),
        "the thumbnail enlarged"
    );
    harness.remove_cursor();
    harness.step();
    // The candidate is named, and its link shows the subject in Subjects.
    assert!(common::shows_part(&harness, "Obama"));
    click(&mut harness, "Show");
    harness.step();
    assert_eq!(harness.state().pane(), necid_console::ui::PaneId::Subjects);
    assert_eq!(
        harness
            .state()
            .subjects_pane()
            .selected()
            .map(|s| s.as_str().to_owned()),
        Some(subject_id.clone())
    );
    open_pane(&mut harness, "Face");

    // 5. Verify the same photo against the subject.
    click(&mut harness, "Verify");
    common::type_into(&mut harness, "Subject ID to verify", &subject_id);
    common::drop_file(&mut harness, &common::face("obama/2.jpg"));
    common::wait_secs(&mut harness, 60, "the verdict", |h| {
        common::shows_part(h, "Pass: score")
    });
    common::snapshot(&mut harness, "console_flow_5_face_verify");
    // Another mode leaves no old verdict on screen.
    click(&mut harness, "Against a second image");
    harness.step();
    assert!(!common::shows_part(&harness, "Pass: score"));

    // 6. Register a folder of photos in a bulk job and see it complete.
    let folder = bulk_folder(root.path());
    open_pane(&mut harness, "Jobs");
    common::type_into(&mut harness, "Folder", &folder.display().to_string());
    if harness.query_by_label("List images").is_some() {
        click(&mut harness, "List images");
    }
    common::wait_secs(&mut harness, 30, "Start bulk job to be enabled", |h| {
        h.query_by_label("Start bulk job")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut harness, "Start bulk job");
    common::wait_secs(&mut harness, 180, "the bulk job to complete", |h| {
        common::shows_part(h, "Completed") && common::shows_part(h, " registered, ")
    });
    assert!(common::shows_part(&harness, "4 registered, 0 failed"));
    harness.get_by_label("Export CSV…");
    common::snapshot(&mut harness, "console_flow_6_jobs");

    // 7. Rename the tag, then delete it.
    open_pane(&mut harness, "Tags");
    common::wait_secs(&mut harness, 30, "the tag list", |h| {
        common::shows(h, "visitor")
    });
    click(&mut harness, "Rename");
    common::wait_secs(&mut harness, 10, "the rename field", |h| {
        h.query_by_label("Rename “visitor” to").is_some()
    });
    common::type_into(&mut harness, "Rename “visitor” to", "guest");
    click(&mut harness, "Save name");
    common::wait_secs(&mut harness, 30, "the renamed tag", |h| {
        common::shows(h, "guest")
            && h.query_by_label("Rename “visitor” to").is_none()
            && h.query_by_label("Delete…").is_some()
    });
    click(&mut harness, "Delete…");
    common::wait_secs(&mut harness, 10, "the confirmation", |h| {
        h.query_by_label("Delete tag").is_some()
    });
    click(&mut harness, "Delete tag");
    common::wait_secs(&mut harness, 30, "the tag to go", |h| {
        common::shows(h, "This gallery has no tags yet.")
    });

    // 8. Delete the gallery.
    open_pane(&mut harness, "Galleries");
    harness.get_by_role_and_label(Role::Button, "Staff").click();
    harness.step();
    click(&mut harness, "Delete gallery…");
    common::wait_secs(&mut harness, 10, "the confirmation", |h| {
        h.query_by_label("Delete gallery").is_some()
    });
    click(&mut harness, "Delete gallery");
    common::wait_secs(&mut harness, 30, "the gallery to go", |h| {
        common::shows(h, NO_GALLERY)
    });
    assert!(harness.state().open_gallery().is_none());

    common::forget_local_keys(harness);
}

/// Whether a text on screen is exactly `text` (a tag's chip, checkbox or row).
fn shows_tag(harness: &Harness<'_, ConsoleApp>, text: &str) -> bool {
    harness.query_all_by_label(text).next().is_some()
}

/// Whether a toggle (a tag's chip or checkbox) labelled `text` is on.
fn tag_is_on(harness: &Harness<'_, ConsoleApp>, text: &str) -> bool {
    harness
        .query_all_by_label(text)
        .any(|n| n.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True))
}

#[test]
fn a_tag_renamed_in_tags_shows_its_new_name_in_subjects_face_and_jobs_without_a_reload() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = common::local_harness(&paths, &runtime, common::models_dir());
    common::wait_for_local_service(&mut harness);
    common::wait_secs(&mut harness, 30, "the Local gallery list", |h| {
        common::shows(h, NO_GALLERY)
    });
    click(&mut harness, "New gallery");
    common::type_into(&mut harness, "Gallery name", "Visitors");
    click(&mut harness, "Create gallery");
    common::wait_secs(&mut harness, 30, "the new gallery, opened", |h| {
        h.state()
            .open_gallery()
            .is_some_and(|g| g.name == "Visitors")
    });
    open_pane(&mut harness, "Tags");
    common::wait_secs(&mut harness, 30, "the empty tag list", |h| {
        common::shows(h, "This gallery has no tags yet.")
    });
    common::type_into(&mut harness, "New tag", "visitor");
    click(&mut harness, "Create tag");
    common::wait_secs(&mut harness, 30, "the new tag's row", |h| {
        h.query_by_label("Rename").is_some()
    });

    // Every pane that shows the gallery's tags shows the new one; it is chosen in each, and a
    // subject is registered with it.
    open_pane(&mut harness, "Subjects");
    common::drop_file(&mut harness, &common::face("obama/1.jpg"));
    common::wait_secs(&mut harness, 60, "the enrolment form's tag", |h| {
        h.query_by_label("Subject ID").is_some() && shows_tag(h, "visitor")
    });
    click(&mut harness, "visitor");
    common::wait_secs(&mut harness, 60, "Register subject to be enabled", |h| {
        h.query_by_label("Register subject")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut harness, "Register subject");
    common::wait_secs(&mut harness, 60, "the subject's event with its tag", |h| {
        common::shows(h, "ACTIVE") && h.query_all_by_label("visitor").count() >= 2
    });
    open_pane(&mut harness, "Face");
    click(&mut harness, "Search");
    common::wait_secs(&mut harness, 30, "the search's tag filter", |h| {
        shows_tag(h, "visitor")
    });
    click(&mut harness, "visitor");
    open_pane(&mut harness, "Jobs");
    common::wait_secs(&mut harness, 30, "the job's tag", |h| {
        shows_tag(h, "visitor")
    });
    click(&mut harness, "visitor");
    harness.step();
    assert!(tag_is_on(&harness, "visitor"), "the job's tag is chosen");

    // Renamed in Tags, and nothing else clicked: each pane shows the new name only, still
    // chosen.
    open_pane(&mut harness, "Tags");
    click(&mut harness, "Rename");
    common::wait_secs(&mut harness, 10, "the rename field", |h| {
        h.query_by_label("Rename “visitor” to").is_some()
    });
    common::type_into(&mut harness, "Rename “visitor” to", "guest");
    click(&mut harness, "Save name");
    common::wait_secs(&mut harness, 30, "the renamed tag", |h| {
        shows_tag(h, "guest") && h.query_by_label("Rename “visitor” to").is_none()
    });
    open_pane(&mut harness, "Subjects");
    common::wait_secs(
        &mut harness,
        10,
        "the new name in the form and the event",
        |h| {
            h.query_by_label("Subject ID").is_some()
                && h.query_all_by_label("guest").count() >= 2
                && !shows_tag(h, "visitor")
        },
    );
    assert!(
        tag_is_on(&harness, "guest"),
        "the form's choice follows the rename"
    );
    for pane in ["Face", "Jobs"] {
        open_pane(&mut harness, pane);
        common::wait_secs(&mut harness, 10, "the new name", |h| {
            shows_tag(h, "guest") && !shows_tag(h, "visitor")
        });
        assert!(
            tag_is_on(&harness, "guest"),
            "{pane}: the choice follows the rename"
        );
    }

    common::forget_local_keys(harness);
}
