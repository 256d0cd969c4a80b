//! The Subjects pane's enrolment and the Jobs pane's bulk registration, driven headless with
//! egui_kittest against a real local service on 127.0.0.1 with the real face models.
// The test asks the service directly (on its own runtime) to check what the pane did.
#![allow(clippy::disallowed_methods)]

use crate::common_jobs;

mod enrol_checks;
mod job_batches;
mod trust_flows;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common_jobs::{PaneShell, Service};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid::{FaceImage, TagName};
use necid_console::AppPaths;
use necid_console::thumbnails::Thumbnails;
use necid_console::ui::Pane;
use necid_console::ui::jobs::JobsPane;
use necid_console::ui::subjects::SubjectsPane;

fn testdata(relative: &str) -> PathBuf {
    necid_testkit::testdata().join(relative)
}

/// A file dropped from a file manager: a path, no bytes.
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file<S>(harness: &mut Harness<'_, S>, path: PathBuf) {
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path)));
    harness.step();
}

/// Whether some text on screen contains `needle`.
fn shows_text<S>(harness: &Harness<'_, S>, needle: &str) -> bool {
    harness
        .query_all_by(|node| {
            node.value().is_some_and(|v| v.contains(needle))
                || node.label().is_some_and(|l| l.contains(needle))
        })
        .next()
        .is_some()
}

fn wait_shows<S>(harness: &mut Harness<'_, S>, needle: &str, timeout: Duration) {
    common_jobs::wait_for(
        harness,
        &format!("“{needle}” to show"),
        timeout,
        |h| h.step(),
        |h| shows_text(h, needle),
    );
}

struct Setup {
    _root: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    service: Service,
    paths: AppPaths,
}

fn setup(tags: &[&str]) -> Setup {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common_jobs::runtime();
    let service = common_jobs::start_service(&runtime, &root.path().join("service"), 1000, tags);
    let paths = AppPaths::under(&root.path().join("console"));
    Setup {
        _root: root,
        runtime,
        service,
        paths,
    }
}

impl Setup {
    /// A new pane on the test's gallery, through the service's own profile.
    fn shell<P: Pane + Default>(&self) -> PaneShell<P> {
        PaneShell::new(
            P::default(),
            &self.runtime,
            self.paths.clone(),
            self.service.connection(true),
            self.service.gallery.clone(),
        )
    }
}

/// The Jobs pane on the test's gallery, in a window of 1200×900.
fn jobs_harness(setup: &Setup) -> Harness<'static, PaneShell<JobsPane>> {
    setup.shell().into_harness([1200.0, 900.0])
}

fn subjects_harness(setup: &Setup) -> Harness<'static, PaneShell<SubjectsPane>> {
    setup.shell().into_harness([1200.0, 900.0])
}

#[test]
fn a_dropped_image_shows_its_face_quality_and_registers_with_the_chosen_tag() {
    let setup = setup(&["staff", "visitor"]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    let image = testdata("faces/obama/1.jpg");
    drop_file(&mut harness, image.clone());

    wait_shows(&mut harness, "Enrol “1.jpg”", Duration::from_secs(5));
    wait_shows(
        &mut harness,
        "1 face · face quality",
        Duration::from_secs(60),
    );
    assert!(
        shows_text(
            &harness,
            "Meets the minimum quality of 0.45 set by application"
        ),
        "the preview names the minimum and the application it comes from"
    );
    assert!(shows_text(&harness, "roll"), "the pose is shown");

    harness.get_by_label("staff").click();
    harness.step();
    harness
        .get_by_role_and_label(Role::Button, "Register subject")
        .click();
    wait_shows(&mut harness, "Registered subject ", Duration::from_secs(60));

    // The service holds one subject, found by a search restricted to the tag.
    let gallery = setup.service.gallery.gallery.clone();
    let probe = FaceImage::from_path(&image).expect("the probe");
    let found = setup
        .runtime
        .block_on(async {
            gallery
                .search(&probe)
                .tags([TagName::new("staff")])
                .send()
                .await
        })
        .expect("search")
        .expect("the registered face is found under its tag");
    let subject_id = found.candidates[0].id.clone();
    assert!(shows_text(
        &harness,
        &format!("Registered subject {}", subject_id.as_str())
    ));
    let untagged = setup.runtime.block_on(async {
        gallery
            .search(&probe)
            .tags([TagName::new("visitor")])
            .send()
            .await
    });
    assert!(
        matches!(untagged, Ok(None)),
        "the face must not carry the tag that was left off"
    );

    // Its thumbnail was kept by eventId, and its event shows in the pane.
    let event_id = found.candidates[0].events[0].id.clone();
    let thumbnails = Thumbnails::new(&setup.paths.data_dir);
    wait_shows(&mut harness, event_id.as_str(), Duration::from_secs(10));
    assert!(
        thumbnails.load(&event_id).is_some(),
        "the thumbnail was written"
    );
}

#[test]
fn an_image_path_typed_in_the_pane_opens_the_enrolment_form_and_is_measured() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    let image = testdata("faces/obama/1.jpg");
    harness
        .query_all_by(|n| n.placeholder() == Some("or type an image's path"))
        .next()
        .expect("the path field")
        .focus();
    harness.step();
    harness
        .query_all_by(|n| n.placeholder() == Some("or type an image's path"))
        .next()
        .expect("the path field")
        .type_text(&image.display().to_string());
    harness.step();
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.step();
    wait_shows(&mut harness, "Enrol “1.jpg”", Duration::from_secs(5));
    wait_shows(
        &mut harness,
        "1 face · face quality",
        Duration::from_secs(60),
    );
}

#[test]
fn an_image_dropped_without_a_path_is_enrolled_from_its_bytes() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    let bytes = std::fs::read(testdata("faces/obama/1.jpg")).expect("the test face");
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedBytes(bytes)));
    harness.step();
    wait_shows(
        &mut harness,
        "Enrol “the dropped image”",
        Duration::from_secs(5),
    );
    wait_shows(
        &mut harness,
        "1 face · face quality",
        Duration::from_secs(60),
    );
}

/// A drop that carries bytes and no path, as from a browser.
#[derive(Debug)]
struct DroppedBytes(Vec<u8>);

impl egui::DroppedFile for DroppedBytes {
    fn path(&self) -> &std::path::Path {
        std::path::Path::new("")
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
}

#[test]
fn a_file_that_is_not_an_image_is_refused_with_a_readable_error_before_anything_is_sent() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    drop_file(&mut harness, testdata("bad/text_renamed.jpg"));
    wait_shows(
        &mut harness,
        "text_renamed.jpg cannot be enrolled",
        Duration::from_secs(10),
    );
    let register = harness.get_by_role_and_label(Role::Button, "Register subject");
    assert!(
        register.accesskit_node().is_disabled(),
        "a file that failed its check cannot be registered"
    );
}

#[test]
fn every_bad_test_file_gives_a_preview_or_an_error_and_nothing_panics() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    let mut names: Vec<PathBuf> = std::fs::read_dir(testdata("bad"))
        .expect("the bad files")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "csv"))
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        drop_file(&mut harness, path);
        wait_shows(
            &mut harness,
            &format!("Enrol “{name}”"),
            Duration::from_secs(5),
        );
        common_jobs::wait_for(
            &mut harness,
            &format!("{name} to be checked"),
            Duration::from_secs(60),
            |h| h.step(),
            |h| {
                !shows_text(h, "Finding the face and measuring its quality")
                    && (shows_text(h, "pixels") || shows_text(h, &name))
            },
        );
    }
}

#[test]
fn a_bulk_job_over_a_copied_folder_completes_and_its_csv_has_one_row_per_file() {
    let setup = setup(&[]);
    let folder = tempfile::tempdir().expect("temp dir");
    let files = ["obama/1.jpg", "biden/1.jpg", "john_simm/1.jpg"];
    for file in files {
        let target = folder.path().join(file);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(testdata(&format!("faces/{file}")), &target).expect("copy a face");
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
        .get_by_label("Folder name (alice/1.jpg gives alice)")
        .click();
    harness.step();
    harness.get_by_label("Start bulk job").click();
    wait_shows(&mut harness, "Completed", Duration::from_secs(120));
    assert!(
        shows_text(&harness, "3 registered, 0 failed"),
        "the summary counts every file"
    );
    for file in files {
        assert!(
            setup.service.bucket_dir.join(file).is_file(),
            "{file} was copied into the bucket under its own name"
        );
    }

    let csv = harness.state().pane.csv().expect("a job");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + files.len(),
        "a header and one row per file:\n{csv}"
    );
    for file in files {
        let identity = file.split('/').next().expect("a folder");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{file},{identity},Processed,Success,"))),
            "{file} is a row with its identity:\n{csv}"
        );
    }

    // Written through the pane, the file holds the same rows.
    let out = folder.path().join("results.csv");
    let path_field = harness.get_by_label("or write to");
    path_field.focus();
    path_field.type_text(&out.display().to_string());
    harness.step();
    harness.get_by_label("Write CSV").click();
    common_jobs::wait_for(
        &mut harness,
        "the CSV file",
        Duration::from_secs(10),
        |h| h.step(),
        |_| out.is_file(),
    );
    let written = std::fs::read_to_string(&out).expect("the CSV");
    assert_eq!(written.lines().count(), 1 + files.len());
}

#[test]
fn a_second_image_is_added_as_an_event_and_unregistering_the_subject_asks_first_and_removes_both() {
    let setup = setup(&[]);
    let mut harness = subjects_harness(&setup);
    harness.step();
    drop_file(&mut harness, testdata("faces/obama/1.jpg"));
    wait_shows(
        &mut harness,
        "1 face · face quality",
        Duration::from_secs(60),
    );
    harness
        .get_by_role_and_label(Role::Button, "Register subject")
        .click();
    wait_shows(&mut harness, "Registered subject ", Duration::from_secs(60));

    // The new subject is selected, so the next image's form names it.
    drop_file(&mut harness, testdata("faces/obama/2.jpg"));
    wait_shows(&mut harness, "Enrol “2.jpg”", Duration::from_secs(5));
    wait_shows(
        &mut harness,
        "1 face · face quality",
        Duration::from_secs(60),
    );
    harness
        .get_by_role_and_label(Role::Button, "Add event")
        .click();
    wait_shows(&mut harness, "Added event ", Duration::from_secs(60));

    let gallery = setup.service.gallery.gallery.clone();
    let active = |runtime: &tokio::runtime::Runtime| {
        let page = runtime
            .block_on(async { gallery.list_subjects().send().await })
            .expect("list the subjects");
        page.subjects
            .iter()
            .filter(|r| r.status == necid::EventStatus::Active)
            .count()
    };
    assert_eq!(active(&setup.runtime), 2, "one subject with two events");

    harness
        .get_by_role_and_label(Role::Button, "Unregister subject…")
        .click();
    wait_shows(
        &mut harness,
        "This cannot be undone",
        Duration::from_secs(5),
    );
    assert!(
        shows_text(&harness, "2 active events"),
        "the question names what is lost"
    );
    harness
        .get_by_role_and_label(Role::Button, "Unregister subject")
        .click();
    common_jobs::wait_for(
        &mut harness,
        "the subject to be unregistered",
        Duration::from_secs(30),
        |h| h.step(),
        |_| active(&setup.runtime) == 0,
    );
}
