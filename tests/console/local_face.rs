//! The Face pane's Extract tab against the embedded Local service with the real models: every
//! face of a group photo drawn and listed, every crafted bad file refused with a message where
//! the image would be, never a panic, and a camera-sized photo sent as a smaller copy with its
//! faces on the original's pixels. Needs the models (scripts/fetch-models) and a session keyring
//! (`keyctl session - cargo test --test console local_face::`).

use crate::common;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use image::ImageEncoder as _;
use necid_console::{AppPaths, ConsoleApp};
use std::path::{Path, PathBuf};

/// Starts the console on its Local service and opens the Face pane's Extract tab.
pub(crate) fn face_pane(
    paths: &AppPaths,
    runtime: &tokio::runtime::Runtime,
) -> Harness<'static, ConsoleApp> {
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
    common::assert_shows(&harness, "Face quality");
    // The Local profile asks the Local service's Extract for the landmarks (a local extension):
    // the pane says so only when every face came with its 68, and draws them.
    common::assert_shows(&harness, necid_console::ui::face::LANDMARKS_NOTE);
    common::snapshot(&mut harness, "local_face_extract");
    common::forget_local_keys(harness);
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
        // Decoded here for display but refused by the service (a truncated JPEG), or refused
        // here already: either way the reason is on screen.
        let answered = common::shows_part(&harness, "cannot be used")
            || common::shows_part(&harness, "could not be used")
            || common::shows_part(&harness, "could not be decoded")
            || common::shows_part(&harness, "found")
            || harness.query_all_by_label("Retry").next().is_some()
            || common::shows_part(&harness, "errorType");
        assert!(answered, "{name}: no result and no explanation on screen");
    }
    common::forget_local_keys(harness);
}

// --- photos larger than one request ---------------------------------------------------------

/// How many times [`camera_photo`] enlarges the test face.
const ENLARGED: u32 = 4;
/// A face from `../shared/testdata/faces`, 1480×832.
const FACE: &str = "obama/4.jpg";

/// A camera-sized photo: [`FACE`] enlarged [`ENLARGED`] times (5920×3328) and saved as PNG,
/// larger than a request to either back end may be.
fn camera_photo(dir: &Path) -> PathBuf {
    let face = image::open(common::face(FACE))
        .expect("the test face")
        .to_rgb8();
    let (width, height) = face.dimensions();
    let photo = image::imageops::resize(
        &face,
        width * ENLARGED,
        height * ENLARGED,
        image::imageops::FilterType::Triangle,
    );
    // Lightly compressed, as a camera's or an editor's export is: a file of tens of megabytes.
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(
        photo.as_raw(),
        photo.width(),
        photo.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("the photo is encoded");
    let path = dir.join("camera.png");
    std::fs::write(&path, png).expect("the photo is written");
    path
}

/// `rect`, measured on the test face, on the enlarged photo.
fn enlarged(rect: necid::FaceRect) -> necid::FaceRect {
    let k = ENLARGED as i32;
    necid::FaceRect {
        left: rect.left * k,
        top: rect.top * k,
        right: rect.right * k,
        bottom: rect.bottom * k,
    }
}

/// Each side of `found` within `percent` of the face's width of `expected`'s.
fn assert_near(found: necid::FaceRect, expected: necid::FaceRect, percent: i32, what: &str) {
    let tolerance = expected.width() * percent / 100;
    for (side, got, want) in [
        ("left", found.left, expected.left),
        ("top", found.top, expected.top),
        ("right", found.right, expected.right),
        ("bottom", found.bottom, expected.bottom),
    ] {
        assert!(
            (got - want).abs() <= tolerance,
            "{what}: {side} {got}, expected {want} ± {tolerance} ({found:?} vs {expected:?})"
        );
    }
}

/// The embedded service with the real engine, accepting bodies up to 64 MiB, on 127.0.0.1,
/// started through the server's door; it runs until the returned handle is dropped.
#[allow(clippy::disallowed_methods)] // no UI here: the test itself starts and waits
fn serve_local(runtime: &tokio::runtime::Runtime, data_dir: &Path) -> necid_server::Running {
    let mut options = necid_testkit::local_options(data_dir);
    options.limits = necid_server::Limits {
        max_body_bytes: 64 << 20,
        max_image_bytes: 48 << 20,
        ..necid_server::Limits::default()
    };
    runtime
        .block_on(necid_server::LocalService::start(options))
        .expect("the local service starts")
}

#[test]
#[allow(clippy::disallowed_methods)] // no UI here: the test drives the client and waits
fn a_photo_over_the_request_limit_is_extracted_from_a_copy_with_its_face_in_place() {
    let root = tempfile::tempdir().expect("temp dir");
    let runtime = common::runtime();
    let service = serve_local(&runtime, &root.path().join("service"));
    let (base, credentials) = (
        service.base_url.clone(),
        necid::Credentials::new(
            service.credentials().access_key_id.clone(),
            service.credentials().secret_access_key.clone(),
        ),
    );
    let client = |limit: usize| {
        necid::Client::builder()
            .base_url(&base)
            .credentials(credentials.clone())
            .max_request_bytes(limit)
            .build()
            .expect("a client")
    };
    let nec_cloud = client(necid::NEC_MAX_REQUEST_BYTES);
    let photo = necid::FaceImage::from_path(camera_photo(root.path())).expect("a valid photo");
    assert!(
        photo.base64_len() > necid::NEC_MAX_REQUEST_BYTES,
        "the photo ({} bytes) makes too large a request",
        photo.bytes().len()
    );

    // What is sent, both sizes told.
    let copy = nec_cloud.fit_images(&[&photo]).expect("a copy").remove(0);
    let made = *copy.copy_of().expect("a smaller copy");
    assert_eq!(made.original_bytes, photo.bytes().len());
    assert_eq!(made.copy_bytes, copy.bytes().len());
    assert_eq!(made.original_size, photo.dimensions());
    assert!(copy.base64_len() < necid::NEC_MAX_REQUEST_BYTES);
    eprintln!("{made} ({:?} → {:?})", made.original_size, made.copy_size);

    // The client makes the same copy itself, and answers on the original's pixels.
    let found = runtime
        .block_on(nec_cloud.extract(&photo))
        .expect("extracted");
    assert_eq!(found.faces.len(), 1, "{found:?}");
    let face = found.faces[0].attributes.face_area;

    // On the copy as sent, the face is where the client says, scaled down.
    let unmapped = necid::FaceImage::from_bytes(copy.bytes().to_vec()).expect("the copy");
    let on_copy = runtime
        .block_on(nec_cloud.extract(&unmapped))
        .expect("the copy extracted")
        .faces[0]
        .attributes
        .clone();
    let mut mapped = on_copy.clone();
    made.map_to_original(&mut mapped);
    assert_eq!(mapped.face_area, face);
    assert!(
        face.width() > on_copy.face_area.width(),
        "mapped onto the larger photo"
    );

    // And where the face is on the original: the test face's own, enlarged.
    let small = necid::FaceImage::from_path(common::face(FACE)).expect("the test face");
    let reference = runtime
        .block_on(nec_cloud.extract(&small))
        .expect("the test face extracted")
        .faces[0]
        .attributes
        .face_area;
    assert_near(face, enlarged(reference), 5, "faceArea on the photo");
}

/// The faceArea the face engine finds on a test face, asked of a local service of its own
/// through the API (the console's tests reach the engine only that way).
#[allow(clippy::disallowed_methods)] // no UI here: the test itself waits
fn engine_face_area(runtime: &tokio::runtime::Runtime, face: &str) -> necid::FaceRect {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let service = serve_local(runtime, data_dir.path());
    let image = necid::FaceImage::from_path(common::face(face)).expect("the test face");
    runtime
        .block_on(necid_testkit::client(&service).extract(&image))
        .expect("the test face extracted")
        .faces[0]
        .attributes
        .face_area
}

#[test]
fn a_camera_photo_on_the_face_pane_is_sent_as_a_copy_and_its_face_drawn_in_place() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let photo = camera_photo(root.path());
    let photo_bytes = std::fs::metadata(&photo).expect("the photo").len();
    // The Local profile's limit is the embedded service's.
    let limit = necid_server::Limits::default().max_body_bytes as u64;
    assert!(
        photo_bytes.div_ceil(3) * 4 > limit,
        "the photo ({photo_bytes} bytes) makes too large a request"
    );
    let mut harness = face_pane(&paths, &runtime);

    common::drop_file(&mut harness, &photo);
    common::wait_secs(&mut harness, 120, "the faces", |h| {
        !busy(h) && common::shows_part(h, "face found.")
    });
    let told = format!("{:.1} MB photo sent as a ", photo_bytes as f64 / 1e6);
    assert!(
        common::shows_part(&harness, &told) && common::shows_part(&harness, " MB copy"),
        "the pane says “{told}… MB copy”"
    );
    // The faceArea listed (and drawn) is on the original's pixels.
    let text = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
        node.value().or_else(|| node.label()).unwrap_or_default()
    };
    let listed = harness
        .query_all_by(|node| text(node).contains(") – ("))
        .next()
        .map(|node| text(&node.accesskit_node()))
        .expect("the faceArea is listed");
    let numbers: Vec<i32> = listed
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .filter_map(|n| n.parse().ok())
        .collect();
    let [left, top, right, bottom, ..] = numbers[..] else {
        panic!("a faceArea: {listed}");
    };
    let shown = necid::FaceRect {
        left,
        top,
        right,
        bottom,
    };
    assert_near(
        shown,
        enlarged(engine_face_area(&runtime, FACE)),
        5,
        "faceArea shown",
    );
    common::forget_local_keys(harness);
}

#[test]
fn an_extract_copied_as_curl_runs_with_the_local_keys_and_writes_the_image_body_to_its_file() {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let runtime = common::runtime();
    let mut harness = face_pane(&paths, &runtime);
    common::drop_file(&mut harness, &common::face("obama/1.jpg"));
    common::wait_secs(&mut harness, 60, "the face", |h| {
        !busy(h) && common::shows_part(h, "found.")
    });
    let entry = harness
        .state()
        .activity()
        .iter()
        .rev()
        .find(|entry| entry.method == "POST" && entry.path().contains("extract"))
        .expect("the extract request in the activity log")
        .clone();
    assert_eq!(entry.status, Some(200));
    let curl = entry.as_curl();
    assert!(
        curl.starts_with("cat > necid-request-body.json <<'NECID_REQUEST_BODY'\n"),
        "an image body goes through a file the command writes"
    );

    // What an admin does: the Local profile's keys (Settings shows them) in AK and SK, then
    // the copied command, in a shell, in an empty folder.
    let profile_id = harness
        .state()
        .remembered()
        .active_profile_id
        .clone()
        .expect("the Local profile");
    let secrets = necid_console::credentials::load_profile_secrets(&profile_id)
        .expect("keyring")
        .expect("the Local keys");
    let shell_dir = tempfile::tempdir().expect("a folder for the shell");
    // Pasted into a shell: the script comes on its standard input (an argument that long is
    // more than the kernel takes, which is why the body goes through a here-document).
    let mut shell = std::process::Command::new("sh")
        .current_dir(shell_dir.path())
        .env("AK", &secrets.access_key)
        .env("SK", &secrets.secret_key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sh runs");
    {
        use std::io::Write as _;
        let mut stdin = shell.stdin.take().expect("the shell's input");
        writeln!(stdin, "{curl} --silent --show-error --fail-with-body").expect("the script");
    }
    let answer = shell.wait_with_output().expect("the shell ends");
    assert!(
        answer.status.success(),
        "the copied curl failed: {}{}",
        String::from_utf8_lossy(&answer.stderr),
        String::from_utf8_lossy(&answer.stdout)
    );
    let body = std::fs::read(shell_dir.path().join("necid-request-body.json")).expect("body file");
    assert_eq!(
        body.len(),
        entry.body_bytes + 1,
        "the body, and the here-document's newline"
    );
    let answer: serde_json::Value = serde_json::from_slice(&answer.stdout).expect("a JSON answer");
    let faces = answer["faces"].as_array().map_or(0, Vec::len);
    assert_eq!(faces, 1, "the same one face the pane found: {answer}");
    common::forget_local_keys(harness);
}
