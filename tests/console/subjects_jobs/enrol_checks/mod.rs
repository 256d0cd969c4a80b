//! What keeps a face from being filed under the wrong person: the enrolment form adds only to
//! the subject it names, the preview offers a person already enrolled, and one face of a group
//! photo can be enrolled or searched with on its own. Part of `tests/subjects_jobs.rs`, whose
//! helpers it uses.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use necid::{FaceImage, SubjectId, TagName};
use necid_console::ui::ShellAction;
use necid_console::ui::face::FacePane;
use necid_console::ui::subjects::SubjectsPane;

use super::{
    Setup, drop_file, jobs_harness, setup, shows_text, subjects_harness, testdata, wait_shows,
};
use crate::common_jobs::{self, PaneShell};

const MEASURED: &str = "1 face · face quality";
const WAIT: Duration = Duration::from_secs(60);

/// Registers the image as a new subject through the form, with `tag` chosen.
fn register(harness: &mut Harness<'_, PaneShell<SubjectsPane>>, image: &str, tag: Option<&str>) {
    drop_file(harness, testdata(image));
    let name = image.rsplit('/').next().unwrap_or(image);
    wait_shows(harness, &format!("Enrol “{name}”"), Duration::from_secs(5));
    wait_shows(harness, MEASURED, WAIT);
    if let Some(tag) = tag {
        harness.get_by_label(tag).click();
        harness.step();
    }
    harness
        .get_by_role_and_label(Role::Button, "Register subject")
        .click();
    wait_shows(harness, "Registered subject ", WAIT);
}

/// The subject whose face `image` is, as Search finds it (at the default threshold).
fn subject_of(setup: &Setup, image: &str, tags: &[&str]) -> Option<SubjectId> {
    let probe = FaceImage::from_path(testdata(image)).expect("the probe");
    let gallery = setup.service.gallery.gallery.clone();
    let tags: Vec<TagName> = tags.iter().map(|t| TagName::new(*t)).collect();
    setup
        .runtime
        .block_on(async { gallery.search(&probe).tags(tags).send().await })
        .expect("search")
        .map(|found| found.candidates[0].id.clone())
}

/// The number of active events the subject has.
fn active_events(setup: &Setup, subject_id: &SubjectId) -> usize {
    let gallery = setup.service.gallery.gallery.clone();
    let page = setup
        .runtime
        .block_on(async { gallery.list_subjects().send().await })
        .expect("list the subjects");
    page.subjects
        .iter()
        .filter(|r| r.status == necid::EventStatus::Active && &r.id == subject_id)
        .count()
}

/// Selects `subject_id` in the list: a click on its row, beside the id (in the events column).
fn select_row(harness: &mut Harness<'_, PaneShell<SubjectsPane>>, subject_id: &SubjectId) {
    common_jobs::wait_for(
        harness,
        "the subject's row",
        Duration::from_secs(10),
        |h| h.step(),
        |h| h.query_by_label(subject_id.as_str()).is_some(),
    );
    let cell = harness.get_by_label(subject_id.as_str()).rect();
    let at = egui::pos2(cell.left() + 350.0, cell.center().y);
    harness.hover_at(at);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
    harness.step();
    wait_shows(
        harness,
        &format!("Subject {}", subject_id.as_str()),
        Duration::from_secs(5),
    );
}

#[test]
fn switching_the_selection_while_the_enrol_form_is_open_files_the_face_under_the_subject_named_on_the_form()
 {
    let setup = setup(&["staff"]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    register(&mut harness, "faces/obama/1.jpg", Some("staff"));
    let obama = subject_of(&setup, "faces/obama/1.jpg", &[]).expect("Obama is enrolled");
    register(&mut harness, "faces/biden/1.jpg", None);
    let biden = subject_of(&setup, "faces/biden/1.jpg", &[]).expect("Biden is enrolled");
    assert_ne!(obama, biden);
    assert_eq!(
        subject_of(&setup, "faces/biden/1.jpg", &["staff"]),
        None,
        "the tag chosen for the last enrolment does not carry over to the next"
    );

    // The form opens for Obama's subject, then Biden's row is selected.
    select_row(&mut harness, &obama);
    drop_file(&mut harness, testdata("faces/obama/2.jpg"));
    wait_shows(&mut harness, MEASURED, WAIT);
    select_row(&mut harness, &biden);
    let names = format!("Add event adds this face to subject {}.", obama.as_str());
    assert!(shows_text(&harness, &names), "the form still names Obama");
    assert!(
        shows_text(
            &harness,
            &format!(
                "Subject {} is selected in the list; this form does not add to it.",
                biden.as_str()
            )
        ),
        "the form says it does not follow the selection"
    );
    harness
        .get_by_role_and_label(Role::Button, "Add event")
        .click();
    wait_shows(&mut harness, "Added event ", WAIT);
    assert!(shows_text(
        &harness,
        &format!("to subject {}", obama.as_str())
    ));
    assert_eq!(active_events(&setup, &obama), 2, "the face went to Obama");
    assert_eq!(active_events(&setup, &biden), 1, "Biden kept one face");
}

#[test]
fn the_enrol_preview_offers_the_subject_already_enrolled_and_adds_the_face_to_it() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    drop_file(&mut harness, testdata("faces/obama/1.jpg"));
    wait_shows(&mut harness, MEASURED, WAIT);
    assert!(
        shows_text(&harness, "Not in the gallery yet"),
        "an empty gallery has nobody to offer"
    );
    harness
        .get_by_role_and_label(Role::Button, "Register subject")
        .click();
    wait_shows(&mut harness, "Registered subject ", WAIT);
    let obama = subject_of(&setup, "faces/obama/1.jpg", &[]).expect("Obama is enrolled");

    drop_file(&mut harness, testdata("faces/obama/3.jpg"));
    wait_shows(&mut harness, "Already in the gallery?", WAIT);
    assert!(
        shows_text(
            &harness,
            &format!("Obama ({}…) · score", &obama.as_str()[..8])
        ),
        "the enrolled subject is offered by the name its file gave it, with its score"
    );
    assert!(
        harness
            .query_by_label("Enrol as a new subject anyway")
            .is_some()
    );
    assert!(harness.query_by_label("Cancel").is_some());
    harness
        .get_by_role_and_label(Role::Button, "Add as an event to this subject")
        .click();
    wait_shows(&mut harness, "Added event ", WAIT);
    assert_eq!(active_events(&setup, &obama), 2);
}

/// Clicks the `nth` button labelled `label`.
fn click_nth<S>(harness: &mut Harness<'_, S>, label: &str, nth: usize) {
    harness
        .query_all_by_label(label)
        .nth(nth)
        .unwrap_or_else(|| panic!("button {nth} “{label}”"))
        .click();
    harness.step();
}

#[test]
fn a_group_photo_enrols_only_the_chosen_face_and_searches_with_it() {
    let setup = setup(&[]);
    let group = testdata("detection/multi/obama_and_biden.jpg");
    // Which faces the service finds in the photo, in the order the pane lists them: the two
    // best are the two men.
    let faces = {
        let client = setup.service.client.clone();
        let photo = FaceImage::from_path(&group).expect("the photo");
        setup
            .runtime
            .block_on(async { client.extract(&photo).await })
            .expect("extract")
            .faces
    };
    let mut by_quality: Vec<usize> = (0..faces.len()).collect();
    by_quality.sort_by(|a, b| {
        faces[*b]
            .attributes
            .face_quality_score
            .total_cmp(&faces[*a].attributes.face_quality_score)
    });
    let (chosen, other) = (by_quality[0], by_quality[1]);

    let mut face = setup.shell::<FacePane>().into_harness([1200.0, 1400.0]);
    face.step();
    drop_file(&mut face, group);
    wait_shows(&mut face, "faces found.", WAIT);
    click_nth(&mut face, "Enrol this face…", chosen);
    common_jobs::wait_for(
        &mut face,
        "the cut face to be handed to the enrolment form",
        WAIT,
        |h| h.step(),
        |h| !h.state().asked.is_empty(),
    );
    let Some(ShellAction::Enrol(cut)) = face.state_mut().asked.pop() else {
        panic!("the face is handed over to be enrolled");
    };
    assert_eq!(
        cut.name(),
        format!("obama_and_biden.jpg, face {}", chosen + 1)
    );

    // The shell opens Subjects' form with it; the normal enrolment follows.
    let mut subjects = subjects_harness(&setup);
    subjects.state_mut().pane.enrol_image(cut);
    subjects.step();
    wait_shows(&mut subjects, MEASURED, WAIT);
    subjects
        .get_by_role_and_label(Role::Button, "Register subject")
        .click();
    wait_shows(&mut subjects, "Registered subject ", WAIT);
    let enrolled =
        ["faces/obama/1.jpg", "faces/biden/1.jpg"].map(|image| subject_of(&setup, image, &[]));
    assert_eq!(
        enrolled.iter().flatten().count(),
        1,
        "one of the two men is enrolled, not both: {enrolled:?}"
    );
    let subject_id = enrolled.into_iter().flatten().next().expect("enrolled");
    assert_eq!(active_events(&setup, &subject_id), 1);

    // Searching with the chosen face finds that subject; with the other man's, nobody.
    click_nth(&mut face, "Search with this face", chosen);
    wait_shows(&mut face, &format!("Subject {}", subject_id.as_str()), WAIT);
    face.get_by_role_and_label(Role::Button, "Extract").click();
    face.step();
    click_nth(&mut face, "Search with this face", other);
    wait_shows(&mut face, "Nobody scored 7000 or more.", WAIT);
}

#[test]
fn the_jobs_pane_lists_which_files_of_a_folder_match_whom_before_a_bulk_job() {
    let setup = setup(&[]);
    let obama = {
        let probe = FaceImage::from_path(testdata("faces/obama/1.jpg")).expect("the image");
        let gallery = setup.service.gallery.gallery.clone();
        setup
            .runtime
            .block_on(async { gallery.register_subject(&probe, &[]).await })
            .expect("enrol")
            .id
    };
    let folder = tempfile::tempdir().expect("temp dir");
    for (from, to) in [
        ("faces/obama/2.jpg", "obama-2.jpg"),
        ("faces/biden/1.jpg", "biden-1.jpg"),
        ("detection/multi/obama_and_biden.jpg", "both.jpg"),
    ] {
        std::fs::copy(testdata(from), folder.path().join(to)).expect("copy a photo");
    }
    let mut harness = jobs_harness(&setup);
    harness.step();
    let field = harness.get_by_label("Folder");
    field.focus();
    field.type_text(&folder.path().display().to_string());
    harness.step();
    harness.get_by_label("List images").click();
    wait_shows(&mut harness, "3 images in", Duration::from_secs(10));
    harness
        .get_by_label("Check for people already enrolled")
        .click();
    wait_shows(&mut harness, "files match someone enrolled", WAIT);
    assert!(shows_text(
        &harness,
        "1 of 3 files match someone enrolled (score 7000 or more); 1 could not be searched."
    ));
    assert!(shows_text(
        &harness,
        &format!("obama-2.jpg: matches Subject {} · score", obama.as_str())
    ));
    assert!(shows_text(&harness, "both.jpg: not searched"));
    assert!(!shows_text(&harness, "biden-1.jpg: matches"));
}

#[test]
fn a_threshold_applied_to_the_gallery_is_the_one_the_duplicate_check_and_search_use() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    register(&mut harness, "faces/obama/1.jpg", None);
    // As the shell does on "Apply" in the Trust pane's calibration.
    let strict = necid::MatchScore::new(9999).expect("a score");
    harness.state_mut().gallery.set_threshold(Some(strict));
    drop_file(&mut harness, testdata("faces/obama/2.jpg"));
    wait_shows(&mut harness, MEASURED, WAIT);
    assert!(
        shows_text(
            &harness,
            "Not in the gallery yet: no enrolled subject scores 9999 or more."
        ),
        "the check searched at the gallery's threshold"
    );

    let mut shell = setup.shell::<FacePane>();
    shell.gallery.set_threshold(Some(strict));
    let mut face = shell.into_harness([1200.0, 900.0]);
    face.step();
    face.get_by_role_and_label(Role::Button, "Search").click();
    face.step();
    face.step();
    let values: Vec<Option<String>> = face
        .query_all_by_label("Threshold")
        .map(|node| node.value())
        .collect();
    assert!(
        values.iter().any(|v| v.as_deref() == Some("9999")),
        "Search starts at the gallery's threshold: {values:?}"
    );
}
