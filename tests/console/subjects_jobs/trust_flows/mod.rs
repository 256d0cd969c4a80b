//! The Trust pane against a real local service: a calibration over a small labelled folder
//! (asked first, since the test's profile is not the Local one; plotted, exported, applied), and
//! the audit's review queue, whose "different people" decision holds after a restart. Part of
//! `tests/console/subjects_jobs.rs`, whose helpers it uses. Off the Local profile, a calibration
//! runs on the Local service and sends the active profile nothing.

use std::path::Path;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use necid::{FaceImage, SubjectId};
use necid_console::ui::ShellAction;
use necid_console::ui::trust::{Decision, Journal, TrustPane};

use super::{Setup, setup, shows_text, testdata, wait_shows};
use crate::common_jobs::{self, PaneShell};

const WAIT: Duration = Duration::from_secs(120);

fn trust_harness(setup: &Setup) -> Harness<'static, PaneShell<TrustPane>> {
    setup.shell().into_harness([1000.0, 900.0])
}

fn type_into<S>(harness: &mut Harness<'_, S>, hint: &str, text: &str) {
    let field = |h: &Harness<'_, S>| {
        h.query_all_by(|n| n.placeholder() == Some(hint))
            .next()
            .unwrap_or_else(|| panic!("the field “{hint}”"))
            .focus();
    };
    field(harness);
    harness.step();
    harness
        .query_all_by(|n| n.placeholder() == Some(hint))
        .next()
        .expect("the field")
        .type_text(text);
    harness.step();
}

/// The snapshot `name`, with the temporary folder's path and the test gallery's random name
/// covered to the window's right edge (what follows them on their line moves with them).
fn snapshot_masking_paths(harness: &mut Harness<'_, PaneShell<TrustPane>>, name: &str) {
    let varies = |text: &str| text.contains("/tmp") || text.contains("“test-");
    let right = harness.ctx.content_rect().right();
    let rects: Vec<egui::Rect> = harness
        .query_all_by(|node| {
            node.value().is_some_and(|v| varies(&v)) || node.label().is_some_and(|l| varies(&l))
        })
        .map(|node| node.rect())
        .collect();
    harness.remove_cursor();
    harness.step();
    for rect in rects {
        harness.mask(egui::Rect::from_min_max(
            rect.min,
            egui::pos2(right, rect.max.y),
        ));
    }
    harness.snapshot(name);
}

/// Three people with two photos each, copied into `dir` as a labelled folder.
fn labelled_folder(dir: &Path) {
    for (person, images) in [
        ("obama", ["1.jpg", "2.jpg"]),
        ("biden", ["1.jpg", "2.jpg"]),
        ("leonard", ["1.png", "2.png"]),
    ] {
        let to = dir.join(person);
        std::fs::create_dir_all(&to).expect("a person's folder");
        for image in images {
            std::fs::copy(testdata(&format!("faces/{person}/{image}")), to.join(image))
                .expect("copy a photo");
        }
    }
}

#[test]
fn off_the_local_profile_a_calibration_runs_on_the_local_service_and_sends_the_profile_nothing() {
    let setup = setup(&[]);
    let folder = tempfile::tempdir().expect("temp dir");
    labelled_folder(folder.path());
    // The active profile's back end answers like the NEC API and counts what it is sent.
    let cloud = necid_testkit::FaultServer::start(necid_testkit::FaultMode::Ok);
    let mut active = setup.service.connection(false);
    active.profile.name = "NEC ID cloud".to_owned();
    active.client = necid::Client::builder()
        .base_url(cloud.base_url())
        .credentials(necid::Credentials::new("AKIDEXAMPLE", "not-a-real-secret"))
        .build()
        .expect("a client");
    let mut local = setup.service.connection(true);
    local.profile.kind = necid_console::profiles::ProfileKind::Local;
    local.profile.name = "Local".to_owned();
    let mut shell = PaneShell::new(
        TrustPane::default(),
        &setup.runtime,
        setup.paths.clone(),
        active,
        setup.service.gallery.clone(),
    );
    shell.local = Some(local);
    let mut harness = shell.into_harness([1000.0, 900.0]);
    harness.step();
    assert!(shows_text(
        &harness,
        "Run through this profile instead of the Local service"
    ));
    type_into(
        &mut harness,
        "one sub-folder of images per person",
        &folder.path().display().to_string(),
    );
    harness
        .get_by_role_and_label(Role::Button, "Calibrate")
        .click();
    wait_shows(&mut harness, "At 7000: false accepts", WAIT);
    assert!(!shows_text(&harness, "API calls"), "nothing was asked");
    assert!(shows_text(&harness, "Calibrated on \"Local\"."));
    assert_eq!(
        cloud.request_count(),
        0,
        "the active profile was sent nothing"
    );
}

#[test]
fn a_calibration_asks_first_off_the_local_profile_plots_its_rates_exports_them_and_applies_its_threshold()
 {
    let setup = setup(&[]);
    let folder = tempfile::tempdir().expect("temp dir");
    labelled_folder(folder.path());
    let mut harness = trust_harness(&setup);
    harness.step();
    type_into(
        &mut harness,
        "one sub-folder of images per person",
        &folder.path().display().to_string(),
    );
    harness
        .get_by_role_and_label(Role::Button, "Calibrate")
        .click();
    // 6 images: 6 enrolments, 6 searches, a gallery created and deleted.
    wait_shows(&mut harness, "up to 14 API calls", Duration::from_secs(10));
    harness
        .get_by_role_and_label(Role::Button, "Run the calibration")
        .click();
    wait_shows(&mut harness, "At 7000: false accepts", WAIT);
    assert!(shows_text(&harness, "3 people, 6 images (0 unusable)"));
    // The scratch gallery is gone: only the test's gallery is left.
    let galleries = setup
        .runtime
        .block_on(async { setup.service.client.galleries().list().await })
        .expect("list the galleries");
    assert_eq!(galleries.len(), 1, "the scratch gallery was deleted");

    // 12 impostor pairs cannot show 0.1 %; 30 % they can.
    assert!(shows_text(&harness, "No threshold reaches that rate"));
    harness.get_by_label("Target false-accept rate (%)").focus();
    harness.step();
    for _ in 0.."0.1".len() {
        harness.key_press(egui::Key::Backspace);
        harness.step();
    }
    harness
        .get_by_label("Target false-accept rate (%)")
        .type_text("30");
    harness.run_steps(3);
    assert!(
        shows_text(&harness, "Threshold "),
        "a threshold is chosen for 30 %"
    );
    snapshot_masking_paths(&mut harness, "trust_calibration");

    let apply = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Apply ")))
        .next()
        .expect("an Apply button once a threshold is chosen");
    apply.click();
    harness.step();
    let applied = harness
        .state()
        .asked
        .iter()
        .find_map(|action| match action {
            ShellAction::ApplyThreshold(gallery_id, threshold) => {
                Some((gallery_id.clone(), *threshold))
            }
            _ => None,
        });
    let (gallery_id, threshold) = applied.expect("the threshold is handed to the shell");
    assert_eq!(&gallery_id, setup.service.gallery_id());
    assert!(threshold > 0);

    let out = folder.path().join("figures");
    type_into(
        &mut harness,
        "/path/to/calibration (…-rates.csv, .png)",
        &out.display().to_string(),
    );
    harness
        .get_by_role_and_label(Role::Button, "Export CSV and PNG")
        .click();
    let written = ["figures-rates.csv", "figures-histogram.csv", "figures.png"]
        .map(|name| folder.path().join(name));
    wait_shows(
        &mut harness,
        "The figures and the plot were written.",
        Duration::from_secs(30),
    );
    assert!(written.iter().all(|p| p.is_file()));
    let png = image::open(&written[2]).expect("the PNG decodes");
    assert!(png.width() > 100);
}

/// Enrols `image` as a new subject straight through the API.
fn enrol(setup: &Setup, image: &str) -> SubjectId {
    let probe = FaceImage::from_path(testdata(image)).expect("the image");
    let gallery = setup.service.gallery.gallery.clone();
    setup
        .runtime
        .block_on(async { gallery.register_subject(&probe, &[]).await })
        .expect("enrol")
        .id
}

fn run_audit(harness: &mut Harness<'_, PaneShell<TrustPane>>) {
    harness
        .get_by_role_and_label(Role::Button, "Audit review")
        .click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Run the audit")
        .click();
    harness.step();
    common_jobs::wait_for(
        harness,
        "the audit",
        WAIT,
        |h| h.step(),
        |h| shows_text(h, "To review:") || shows_text(h, "Nothing to review"),
    );
}

#[test]
fn a_pair_judged_different_people_is_not_offered_again_after_a_restart_and_is_in_the_journal() {
    let setup = setup(&[]);
    let first = enrol(&setup, "faces/obama/1.jpg");
    let second = enrol(&setup, "faces/obama/2.jpg");
    let mut harness = trust_harness(&setup);
    harness.step();
    run_audit(&mut harness);
    assert!(
        shows_text(&harness, "To review: 1 possible duplicate"),
        "the same man enrolled twice is a possible duplicate"
    );
    assert!(shows_text(&harness, &format!("Subject {}", first.as_str())));
    assert!(shows_text(
        &harness,
        &format!("Subject {}", second.as_str())
    ));
    harness
        .get_by_role_and_label(Role::Button, "Different people")
        .click();
    wait_shows(&mut harness, "Nothing to review", Duration::from_secs(10));
    assert!(shows_text(&harness, "Journal (1 decision)"));
    drop(harness);

    // The journal holds the decision, readable as JSON lines.
    let journal = Journal::of(&setup.paths.data_dir, setup.service.gallery_id());
    let entries = journal.read().expect("the journal");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].decision, Decision::DifferentPeople);
    assert!(entries[0].separates(&second, &first));

    // A restarted console, a new audit: the service still reports the pair, the queue does not.
    let mut harness = trust_harness(&setup);
    harness.step();
    run_audit(&mut harness);
    assert!(shows_text(&harness, "Nothing to review"));
    assert!(
        harness.query_by_label("Different people").is_none(),
        "the pair is not offered again"
    );
    assert!(shows_text(&harness, "different people · subjects"));
}

#[test]
fn a_calibration_on_the_faces_set_reports_the_engine_matching_tests_rates_at_7000() {
    // 348 calls of face work: alone in a process, so that no other test's service shares its
    // engine or its two cores.
    if !necid_testkit::in_a_process_of_its_own() {
        return;
    }
    let setup = setup(&[]);
    let mut harness = trust_harness(&setup);
    harness.step();
    type_into(
        &mut harness,
        "one sub-folder of images per person",
        &testdata("faces").display().to_string(),
    );
    harness
        .get_by_role_and_label(Role::Button, "Calibrate")
        .click();
    // 174 images: each enrolled and searched with, and the scratch gallery created and deleted.
    wait_shows(&mut harness, "up to 350 API calls", Duration::from_secs(10));
    harness
        .get_by_role_and_label(Role::Button, "Run the calibration")
        .click();
    wait_shows(
        &mut harness,
        "At 7000: false accepts",
        Duration::from_secs(600),
    );
    assert!(shows_text(&harness, "32 people, 174 images (0 unusable)"));
    // The face engine's own matching test (crates/necid-face/tests/matching.rs, figures in
    // docs/face-engine.md) counts 10 false accepts of 14,526 impostor pairs and 7 false
    // rejects of 525 genuine pairs at 7000 on these images.
    assert!(
        shows_text(
            &harness,
            "At 7000: false accepts 0.069 % (10 of 14526), false rejects 1.333 % (7 of 525)."
        ),
        "the calibration agrees with the engine's matching test"
    );
}

/// Adds `image` as an event of `subject_id` straight through the API.
fn add_event(setup: &Setup, subject_id: &SubjectId, image: &str) -> necid::EventId {
    let probe = FaceImage::from_path(testdata(image)).expect("the image");
    let gallery = setup.service.gallery.gallery.clone();
    setup
        .runtime
        .block_on(async { gallery.register_event(subject_id, &probe, &[]).await })
        .expect("add an event")
        .event_id
}

fn active_events(setup: &Setup, subject_id: &SubjectId) -> usize {
    let gallery = setup.service.gallery.gallery.clone();
    setup
        .runtime
        .block_on(async { gallery.list_subjects().send().await })
        .expect("list the subjects")
        .subjects
        .iter()
        .filter(|r| r.status == necid::EventStatus::Active && &r.id == subject_id)
        .count()
}

#[test]
fn a_misfiled_event_is_unregistered_and_a_same_person_pair_is_merged_with_both_in_the_journal() {
    let setup = setup(&[]);
    let obama = enrol(&setup, "faces/obama/1.jpg");
    add_event(&setup, &obama, "faces/obama/2.jpg");
    let stranger = add_event(&setup, &obama, "faces/biden/1.jpg");
    let twice = enrol(&setup, "faces/obama/3.jpg");
    // The console holds an image of the second subject's event: its head, as a thumbnail.
    let twice_event = {
        let gallery = setup.service.gallery.gallery.clone();
        setup
            .runtime
            .block_on(async { gallery.events(&twice).await })
            .expect("its events")
            .events[0]
            .id
            .clone()
    };
    let photo = FaceImage::from_path(testdata("faces/obama/3.jpg")).expect("the photo");
    let head = {
        let client = setup.service.client.clone();
        setup
            .runtime
            .block_on(async { client.extract(&photo).await })
            .expect("extract")
            .faces[0]
            .attributes
            .head_area
    };
    let decoded = image::load_from_memory(photo.bytes()).expect("decodes");
    let (left, top) = (head.left.max(0) as u32, head.top.max(0) as u32);
    let cut = decoded.crop_imm(left, top, head.width() as u32, head.height() as u32);
    let mut jpeg = Vec::new();
    cut.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .expect("a JPEG");
    necid_console::thumbnails::Thumbnails::new(&setup.paths.data_dir)
        .save(&twice_event, &jpeg)
        .expect("a thumbnail");

    let mut harness = trust_harness(&setup);
    harness.step();
    run_audit(&mut harness);
    assert!(
        shows_text(
            &harness,
            "To review: 1 possible duplicate, 1 possibly misfiled event"
        ),
        "the pair and Biden's face filed under Obama"
    );
    assert!(shows_text(
        &harness,
        &format!("event {}", stranger.as_str())
    ));

    harness
        .get_by_role_and_label(Role::Button, "Misfiled")
        .click();
    wait_shows(
        &mut harness,
        "0 possibly misfiled events",
        Duration::from_secs(30),
    );
    assert_eq!(active_events(&setup, &obama), 2, "Biden's face left Obama");

    harness
        .get_by_role_and_label(Role::Button, "Same person")
        .click();
    wait_shows(&mut harness, "Nothing to review", Duration::from_secs(60));
    let entries = Journal::of(&setup.paths.data_dir, setup.service.gallery_id())
        .read()
        .expect("the journal");
    let decisions: Vec<Decision> = entries.iter().map(|e| e.decision).collect();
    assert_eq!(decisions, [Decision::Misfiled, Decision::SamePerson]);
    let [keep, merged] = [&entries[1].subject_ids[0], &entries[1].subject_ids[1]];
    assert_eq!(
        (keep, merged),
        (&obama, &twice),
        "merged into the subject with more events"
    );
    assert_eq!(active_events(&setup, merged), 0, "{}", entries[1].outcome);
    // Obama's two faces left after the misfiled one, and the one enrolled twice.
    assert_eq!(
        active_events(&setup, keep),
        3,
        "every face of the pair is under the subject kept"
    );
}
