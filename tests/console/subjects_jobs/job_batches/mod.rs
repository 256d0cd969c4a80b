//! What the Jobs pane keeps of its batches and tells about a folder: every batch started is kept
//! per profile and gallery and can be shown again after a restart, the same folder is not
//! registered twice by accident, files that are not images are named, and a failure's reason is
//! read whole in a small window. Part of `tests/subjects_jobs.rs`, whose helpers it uses.

use std::path::Path;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid::{BatchId, RegisterStatus};
use necid_console::connection::Connection;
use necid_console::job_history::{BatchCounts, JobFile, JobHistory, KeptBatch, now_rfc3339};
use necid_console::ui::jobs::JobsPane;

use super::{Setup, setup, shows_text, testdata, wait_shows};
use crate::common_jobs::{self, PaneShell};

const JOB_DONE: Duration = Duration::from_secs(180);

/// The Jobs pane on the test's gallery through `connection` (the same profile each time, as
/// the console is after a restart), in a window of `size`.
fn jobs_pane(
    setup: &Setup,
    connection: &Connection,
    size: [f32; 2],
) -> Harness<'static, PaneShell<JobsPane>> {
    PaneShell::new(
        JobsPane::default(),
        &setup.runtime,
        setup.paths.clone(),
        connection.clone(),
        setup.service.gallery.clone(),
    )
    .into_harness(size)
}

/// A folder of face photos: each of `faces` (a path below the test data's faces) copied to the
/// same path below `folder`.
fn face_folder(folder: &Path, faces: &[&str]) {
    for face in faces {
        let target = folder.join(face);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(testdata(&format!("faces/{face}")), &target).expect("copy a face");
    }
}

/// Types `folder` into the pane (replacing what the field held) and lists it.
fn list(harness: &mut Harness<'_, PaneShell<JobsPane>>, folder: &Path, images: usize) {
    harness.get_by_label("Folder").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness
        .get_by_label("Folder")
        .type_text(&folder.display().to_string());
    harness.step();
    // By its accessibility action: the list of earlier batches, read in the background, moves
    // the button down when it arrives.
    harness.get_by_label("List images").click_accesskit();
    let listed = match images {
        1 => "1 image in".to_owned(),
        n => format!("{n} images in"),
    };
    wait_shows(harness, &listed, Duration::from_secs(30));
}

fn start_enabled(harness: &Harness<'_, PaneShell<JobsPane>>) -> bool {
    harness
        .query_by_label("Start bulk job")
        .is_some_and(|b| !b.accesskit_node().is_disabled())
}

/// Clicks Start once it is enabled.
fn start(harness: &mut Harness<'_, PaneShell<JobsPane>>) {
    common_jobs::wait_for(
        harness,
        "Start bulk job to be enabled",
        Duration::from_secs(30),
        |h| h.step(),
        start_enabled,
    );
    // By its accessibility action, not a pointer at its last place: the job's records arrive
    // whenever they do, and move it down.
    harness.get_by_label("Start bulk job").click_accesskit();
    harness.step();
}

/// Starts the listed folder and waits for its job to complete; its batch id.
fn run_job(harness: &mut Harness<'_, PaneShell<JobsPane>>) -> BatchId {
    let before = harness.state().pane.batch_id().cloned();
    start(harness);
    common_jobs::wait_for(
        harness,
        "the batch id",
        Duration::from_secs(60),
        |h| h.step(),
        |h| {
            h.state()
                .pane
                .batch_id()
                .is_some_and(|b| Some(b) != before.as_ref())
        },
    );
    let batch_id = harness.state().pane.batch_id().cloned().expect("a batch");
    wait_shows(
        harness,
        &format!("Job {} Completed", batch_id.as_str()),
        JOB_DONE,
    );
    batch_id
}

/// Steps until the pane has written its history.
fn history_written(harness: &mut Harness<'_, PaneShell<JobsPane>>) {
    common_jobs::wait_for(
        harness,
        "the history to be written",
        Duration::from_secs(10),
        |h| h.step(),
        |h| !h.state().pane.history_busy(),
    );
}

/// The earlier batch's entry in the pane's list (a button naming its batch id).
fn history_entry_top(harness: &Harness<'_, PaneShell<JobsPane>>, batch_id: &BatchId) -> f32 {
    harness
        .query_all_by(|n| {
            n.role() == Role::Button && n.label().is_some_and(|l| l.contains(batch_id.as_str()))
        })
        .next()
        .unwrap_or_else(|| panic!("batch {} is listed", batch_id.as_str()))
        .rect()
        .top()
}

#[test]
fn every_batch_is_kept_per_gallery_and_shown_again_with_its_records_after_a_restart() {
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let first_folder = tempfile::tempdir().expect("temp dir");
    face_folder(first_folder.path(), &["obama/1.jpg", "biden/1.jpg"]);
    let second_folder = tempfile::tempdir().expect("temp dir");
    face_folder(second_folder.path(), &["john_simm/1.jpg"]);

    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    harness.step();
    list(&mut harness, first_folder.path(), 2);
    harness
        .get_by_label("Folder name (alice/1.jpg gives alice)")
        .click_accesskit();
    harness.step();
    let first = run_job(&mut harness);
    list(&mut harness, second_folder.path(), 1);
    let second = run_job(&mut harness);
    assert_ne!(first, second);
    // The first batch was not replaced: both are listed, the newest first.
    wait_shows(
        &mut harness,
        "Bulk jobs started in this gallery (2)",
        Duration::from_secs(10),
    );
    assert!(history_entry_top(&harness, &second) < history_entry_top(&harness, &first));
    history_written(&mut harness);

    // The file names the batches and the identities, and no key nor the service's folders.
    let file = JobHistory::file(
        &setup.paths.data_dir,
        &connection.profile_id,
        setup.service.gallery_id(),
    );
    let text = std::fs::read_to_string(&file).expect("the history file");
    assert!(text.contains(first.as_str()) && text.contains(second.as_str()));
    assert!(text.contains("\"identity\": \"obama\""), "{text}");
    let api_key = setup.service.gallery.gallery.api_key().expose().to_owned();
    assert!(
        !text.contains(&api_key),
        "the gallery's API key is not kept"
    );
    let service_folder = setup
        .service
        .bucket_dir
        .parent()
        .expect("the service's data");
    assert!(
        !text.contains(&service_folder.display().to_string()),
        "no path of the service's is kept"
    );
    drop(harness);

    // After a restart, the first batch is chosen again: its records come back with their
    // identities, and its CSV has them.
    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    wait_shows(
        &mut harness,
        "Bulk jobs started in this gallery (2)",
        Duration::from_secs(10),
    );
    assert!(
        harness.state().pane.batch_id().is_none(),
        "nothing is shown yet"
    );
    harness
        .query_all_by(|n| {
            n.role() == Role::Button && n.label().is_some_and(|l| l.contains(first.as_str()))
        })
        .next()
        .expect("the first batch is listed")
        .click_accesskit();
    wait_shows(
        &mut harness,
        &format!("Job {} Completed", first.as_str()),
        Duration::from_secs(30),
    );
    assert!(shows_text(&harness, "2 registered, 0 failed"));
    let csv = harness.state().pane.csv().expect("the batch's results");
    for (file, identity) in [("obama/1.jpg", "obama"), ("biden/1.jpg", "biden")] {
        assert!(
            csv.lines()
                .any(|l| l.starts_with(&format!("{file},{identity},Processed,Success,"))),
            "{file} is a row with its identity:\n{csv}"
        );
    }
}

#[test]
fn the_same_folder_is_refused_while_its_job_runs_and_asked_about_once_it_has_run() {
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let folder = tempfile::tempdir().expect("temp dir");
    let faces = [
        "obama/1.jpg",
        "obama/2.jpg",
        "biden/1.jpg",
        "john_simm/1.jpg",
        "amy/1.png",
        "howard/1.png",
    ];
    face_folder(folder.path(), &faces);
    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    harness.step();
    list(&mut harness, folder.path(), faces.len());
    start(&mut harness);
    common_jobs::wait_for(
        &mut harness,
        "the batch id",
        Duration::from_secs(60),
        |h| h.step(),
        |h| h.state().pane.batch_id().is_some(),
    );
    let first = harness.state().pane.batch_id().cloned().expect("a batch");

    // While it runs, the same folder is refused, and the reason says why.
    start(&mut harness);
    assert!(
        shows_text(
            &harness,
            "a job from this folder is still running in this gallery"
        ),
        "the refusal is explained"
    );
    assert!(shows_text(&harness, &format!("batch {}", first.as_str())));
    assert_eq!(
        harness.state().pane.batch_id(),
        Some(&first),
        "no second job"
    );

    // Once it has run, the pane asks first; Cancel starts nothing.
    wait_shows(
        &mut harness,
        &format!("Job {} Completed", first.as_str()),
        JOB_DONE,
    );
    let csv = harness.state().pane.csv().expect("the results");
    let registered = csv
        .lines()
        .filter(|l| l.contains(",Processed,Success,"))
        .count();
    start(&mut harness);
    let question = format!(
        "as batch {}: {registered} face{} enrolled. Register it again?",
        first.as_str(),
        if registered == 1 { "" } else { "s" }
    );
    wait_shows(&mut harness, &question, Duration::from_secs(5));
    assert!(shows_text(&harness, "This folder was registered on "));
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click_accesskit();
    harness.step();
    harness.step();
    assert!(!shows_text(&harness, &question), "the question is gone");
    assert_eq!(harness.state().pane.batch_id(), Some(&first));

    // Confirmed, the folder is registered again as a new batch.
    start(&mut harness);
    wait_shows(&mut harness, &question, Duration::from_secs(5));
    harness
        .get_by_role_and_label(Role::Button, "Register again")
        .click_accesskit();
    common_jobs::wait_for(
        &mut harness,
        "the second batch",
        Duration::from_secs(60),
        |h| h.step(),
        |h| h.state().pane.batch_id().is_some_and(|b| b != &first),
    );
}

#[test]
fn files_that_are_not_images_are_named_in_the_listing_and_are_rows_of_the_csv() {
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let folder = tempfile::tempdir().expect("temp dir");
    face_folder(folder.path(), &["obama/1.jpg"]);
    std::fs::write(folder.path().join("notes.txt"), "who is who").expect("a note");
    std::fs::write(folder.path().join("a.pdf"), "%PDF-1.4").expect("a pdf");
    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    harness.step();
    list(&mut harness, folder.path(), 1);
    assert!(
        shows_text(&harness, "2 files skipped, not images: a.pdf, notes.txt"),
        "the listing counts and names what it skipped"
    );
    run_job(&mut harness);
    let csv = harness.state().pane.csv().expect("the results");
    assert_eq!(
        csv.lines().count(),
        1 + 3,
        "a row per file of the folder:\n{csv}"
    );
    for skipped in ["a.pdf", "notes.txt"] {
        assert!(
            csv.lines()
                .any(|l| l.starts_with(&format!("{skipped},,Skipped,"))),
            "{skipped} is a row of the CSV:\n{csv}"
        );
    }
    assert!(
        shows_text(&harness, "Not an image: not sent."),
        "and of the table"
    );
}

/// With no file dialog (as in CI), "Choose folder…" says so and hands the keyboard to the folder
/// field; a folder typed there is where the Jobs picker's dialog opens next time.
#[test]
fn without_a_folder_dialog_the_folder_field_takes_the_keyboard_and_a_typed_folder_is_remembered() {
    assert!(
        necid_console::backend::dialogs::no_dialog_reason().is_some(),
        "this test drives the pane where no file dialog can open: run it without a display \
         (`env -u DISPLAY -u WAYLAND_DISPLAY`), as scripts/test and CI do"
    );
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    harness.step();
    harness.get_by_label("Choose folder…").click_accesskit();
    wait_shows(
        &mut harness,
        "No folder dialog can open here",
        Duration::from_secs(10),
    );
    common_jobs::wait_for(
        &mut harness,
        "the folder field to have the keyboard",
        Duration::from_secs(5),
        |h| h.step(),
        |h| h.get_by_label("Folder").is_focused(),
    );

    let folder = tempfile::tempdir().expect("temp dir");
    face_folder(folder.path(), &["obama/1.jpg"]);
    list(&mut harness, folder.path(), 1);
    let remembered = harness
        .state()
        .backend
        .last_folders()
        .of(necid_console::backend::dialogs::Picker::JobsFolder);
    assert_eq!(
        remembered.as_deref(),
        Some(folder.path()),
        "the typed folder itself, not its parent"
    );
}

#[test]
fn a_failed_files_reason_is_shown_whole_in_a_small_window() {
    // The pane's part of a 1024×700 window: the navigation takes 150 points of its width.
    const PANE: [f32; 2] = [1024.0 - 150.0, 700.0];
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let folder = tempfile::tempdir().expect("temp dir");
    face_folder(folder.path(), &["obama/1.jpg"]);
    std::fs::copy(
        testdata("bad/text_renamed.jpg"),
        folder.path().join("text_renamed.jpg"),
    )
    .expect("copy a text file named as a photo");
    let mut harness = jobs_pane(&setup, &connection, PANE);
    harness.step();
    list(&mut harness, folder.path(), 2);
    let batch_id = run_job(&mut harness);
    assert!(shows_text(&harness, "1 registered, 1 failed"));

    // The reason, as the service gives it.
    let gallery = setup.service.gallery.gallery.clone();
    let progress = setup
        .runtime
        .block_on(async { gallery.bulk_progress(&batch_id, None).await })
        .expect("the batch's records");
    let reason = progress
        .processed
        .iter()
        .find(|r| r.register_status == Some(RegisterStatus::Failed))
        .map(|r| r.reason.clone())
        .expect("a failed record");

    // Some text on screen holds the whole reason: inside the window, and as wide as the reason
    // set on one line (or wrapped over several), not cut short.
    let font = egui::TextStyle::Body.resolve(&harness.ctx.global_style());
    let (reason_width, line_height) = harness.ctx.fonts_mut(|fonts| {
        let one_line = fonts.layout_no_wrap(reason.clone(), font.clone(), egui::Color32::WHITE);
        (one_line.size().x, fonts.row_height(&font))
    });
    let shown_whole = harness
        .query_all_by(|n| (n.value().or(n.label())).is_some_and(|text| text.contains(&reason)))
        .map(|n| n.rect())
        .any(|rect| {
            let lines = (rect.height() / line_height).floor().max(1.0);
            rect.right() <= PANE[0] + 0.5 && rect.width() * lines >= reason_width - 1.0
        });
    assert!(shown_whole, "the reason “{reason}” is cut");
}

#[test]
fn a_kept_batch_the_service_no_longer_knows_holds_its_folder_back_only_until_it_is_looked_at() {
    let setup = setup(&[]);
    let connection = setup.service.connection(true);
    let folder = tempfile::tempdir().expect("temp dir");
    face_folder(folder.path(), &["obama/1.jpg"]);
    // Kept by an earlier run as still running, on data the service has since lost.
    let lost = BatchId::new(uuid::Uuid::new_v4().to_string());
    let mut history = JobHistory::default();
    history.keep(KeptBatch {
        batch_id: lost.clone(),
        folder: folder.path().display().to_string(),
        started_at: now_rfc3339(),
        tags: Vec::new(),
        counts: BatchCounts {
            files: 1,
            processed: 0,
            registered: 0,
            failed: 0,
        },
        finished: false,
        files: vec![JobFile {
            relative: "obama/1.jpg".to_owned(),
            object_name: "obama/1.jpg".to_owned(),
            identity: "obama".to_owned(),
        }],
        skipped: Vec::new(),
    });
    let file = JobHistory::file(
        &setup.paths.data_dir,
        &connection.profile_id,
        setup.service.gallery_id(),
    );
    history.save(&file).expect("a history");

    let mut harness = jobs_pane(&setup, &connection, [1200.0, 900.0]);
    harness.step();
    list(&mut harness, folder.path(), 1);
    start(&mut harness);
    assert!(shows_text(
        &harness,
        &format!(
            "a job from this folder is still running in this gallery (batch {}",
            lost.as_str()
        )
    ));
    // Refused, the batch is shown, so its progress is read: the service has none.
    wait_shows(
        &mut harness,
        "The service has no record of this batch any more",
        Duration::from_secs(30),
    );
    start(&mut harness);
    wait_shows(
        &mut harness,
        &format!(
            "as batch {}: 0 faces enrolled. Register it again?",
            lost.as_str()
        ),
        Duration::from_secs(30),
    );
}
