//! Helpers shared by the console tests: a runtime, a console over a temporary folder, a
//! harness, and waiting for background work.
#![allow(dead_code)] // each test binary uses a different part

pub mod tenant;

#[allow(unused_imports)] // each test binary uses a different part
pub use tenant::save_only_profile;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use necid_console::credentials::{self, KeyringStatus};
use necid_console::{AppPaths, ConsoleApp};

/// The message every keyring test fails with when there is no usable keyring.
pub fn require_keyring() {
    match credentials::probe() {
        KeyringStatus::Works => {}
        KeyringStatus::Unavailable { reason } => panic!(
            "the OS keyring is unreachable, so the credential tests cannot run: {reason}. \
             Run the tests as `keyctl session - cargo test --workspace` (Debian package keyutils)."
        ),
    }
}

/// The console's own background runtime, as `main.rs` builds it.
pub fn runtime() -> tokio::runtime::Runtime {
    necid_console::backend::runtime().expect("a tokio runtime")
}

/// eframe's key-value storage, kept in memory and written out like eframe's `app.ron`.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    pub values: HashMap<String, String>,
}

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.values.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.values.remove(key);
    }

    fn flush(&mut self) {}
}

impl MemoryStorage {
    /// Writes the values where eframe would keep them, so file scans see them.
    pub fn write_to(&self, paths: &AppPaths) {
        std::fs::create_dir_all(&paths.data_dir).expect("data dir");
        let text = serde_json::to_string_pretty(&self.values).expect("storage as text");
        std::fs::write(paths.eframe_state_file(), text).expect("write app state");
    }
}

/// A console over `paths`, with its UI in a headless harness.
pub fn harness<'a>(
    paths: &AppPaths,
    runtime: &tokio::runtime::Runtime,
    storage: Option<&MemoryStorage>,
) -> Harness<'a, ConsoleApp> {
    let app = ConsoleApp::new(
        paths.clone(),
        runtime.handle().clone(),
        storage.map(|s| s as &dyn eframe::Storage),
    );
    Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(|ui, app: &mut ConsoleApp| app.shell_ui(ui), app)
}

/// Steps the UI until `done` holds, for at most thirty seconds of real time (the binary's other
/// tests run face work beside it on the same cores).
pub fn wait_until(
    harness: &mut Harness<'_, ConsoleApp>,
    what: &str,
    done: impl Fn(&Harness<'_, ConsoleApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if done(harness) {
            // One more frame so what arrived is drawn.
            harness.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every file under `root` whose bytes contain `needle`.
pub fn files_containing(root: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found
}

/// How many files there are under `root`.
pub fn file_count(root: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    count
}

/// Whether some text on screen reads exactly `text`.
pub fn shows(harness: &Harness<'_, ConsoleApp>, text: &str) -> bool {
    use egui_kittest::kittest::Queryable as _;
    harness.query_all_by_value(text).next().is_some()
}

/// Fails the test, naming the text, unless it is on screen.
#[track_caller]
pub fn assert_shows(harness: &Harness<'_, ConsoleApp>, text: &str) {
    assert!(shows(harness, text), "expected to see “{text}”");
}

// --- the embedded Local service ------------------------------------------------------------

pub use necid_testkit::{face, models_dir, testdata};

/// A console over `paths` running its Local service with the models in `models_dir`.
pub fn local_harness<'a>(
    paths: &AppPaths,
    runtime: &tokio::runtime::Runtime,
    models_dir: std::path::PathBuf,
) -> Harness<'a, ConsoleApp> {
    let app = ConsoleApp::new(paths.clone(), runtime.handle().clone(), None)
        .with_local_service(models_dir);
    Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(|ui, app: &mut ConsoleApp| app.shell_ui(ui), app)
}

/// Like [`wait_until`], with a deadline of `secs` (model loading and face work take longer).
pub fn wait_secs(
    harness: &mut Harness<'_, ConsoleApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&Harness<'_, ConsoleApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        harness.step();
        if done(harness) {
            harness.step();
            return;
        }
        if Instant::now() >= deadline {
            // What was on screen, to see why (the render needs a GPU or llvmpipe; best effort).
            let shot = std::env::temp_dir().join("necid-console-timeout.png");
            if let Ok(image) = harness.render() {
                let _ = image.save(&shot);
            }
            panic!("timed out waiting for {what} (screen: {})", shot.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for the Local service and the (empty or not) gallery list of the Local profile.
pub fn wait_for_local_service(harness: &mut Harness<'_, ConsoleApp>) {
    wait_secs(harness, 120, "the Local service", |h| {
        h.state()
            .local_status()
            .is_some_and(|s| !s.starts_with("Loading"))
    });
    let status = harness.state().local_status().unwrap_or_default();
    assert!(
        status.starts_with("Local service ready"),
        "the Local service did not start: {status}"
    );
}

/// Closes the console and deletes its Local profile's keys from the keyring, which outlives the
/// test's temporary folders.
pub fn forget_local_keys(harness: Harness<'_, ConsoleApp>) {
    let profile_id = harness.state().remembered().active_profile_id.clone();
    drop(harness);
    if let Some(profile_id) = profile_id {
        necid_console::credentials::delete_profile_secrets(&profile_id).expect("clean up");
    }
}

/// Whether some text on screen contains `part`.
pub fn shows_part(harness: &Harness<'_, ConsoleApp>, part: &str) -> bool {
    use egui_kittest::kittest::Queryable as _;
    harness
        .query_all_by(|node| {
            node.value().is_some_and(|v| v.contains(part))
                || node.label().is_some_and(|l| l.contains(part))
        })
        .next()
        .is_some()
}

/// A file dropped on the window, as eframe hands it over (with its path).
#[derive(Debug)]
pub struct DroppedPath(pub std::path::PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops `path` on the window (the pane shown receives it on the next frame).
pub fn drop_file(harness: &mut Harness<'_, ConsoleApp>, path: &Path) {
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(path.to_path_buf())));
    harness.step();
}

/// Focuses the field labelled `field`, selects what it holds and types `text`.
pub fn type_into(harness: &mut Harness<'_, ConsoleApp>, field: &str, text: &str) {
    use egui_kittest::kittest::Queryable as _;
    harness.get_by_label(field).focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label(field).type_text(text);
    harness.step();
}

/// What a pane says while it waits for the background (next to a spinner, which animates).
const BUSY: [&str; 9] = [
    "Loading",
    "Finding the landmarks…",
    "Connecting…",
    "Opening the gallery…",
    "Reading the image…",
    "Extracting the faces…",
    "Searching…",
    "Verifying…",
    "Saving…",
];

/// Steps until no toast is on screen (they expire after a few seconds of UI time) and no
/// background work runs (a thumbnail still loading, a reload whose old rows stay on screen),
/// so a snapshot does not depend on how long the background work took.
pub fn settle(harness: &mut Harness<'_, ConsoleApp>) {
    use egui_kittest::kittest::Queryable as _;
    wait_secs(
        harness,
        30,
        "the toasts to expire and the panes to load",
        |h| {
            h.query_all_by_label("Dismiss").next().is_none()
                && !BUSY.iter().any(|b| shows_part(h, b))
                && h.state().in_flight().is_empty()
        },
    );
    // A field that took the keyboard when its form opened would show its cursor: what a
    // snapshot checks is the layout, not which field has the keyboard.
    harness.ctx.memory_mut(egui::Memory::stop_text_input);
    harness.remove_cursor();
    harness.step();
    harness.step();
}

/// Whether `text` holds something that changes from run to run: a UUID (subject, event and
/// batch ids the service makes), a date (event times) or a temporary folder's name.
pub fn varies_between_runs(text: &str) -> bool {
    // Temporary folders, the Local service's random port, and the models folder (under HOME).
    if text.contains("/.tmp") || text.contains("127.0.0.1:") || text.contains("necid/models") {
        return true;
    }
    let bytes = text.as_bytes();
    let uuid_at = |i: usize| {
        bytes.len() >= i + 36
            && (0..36).all(|k| match k {
                8 | 13 | 18 | 23 => bytes[i + k] == b'-',
                _ => bytes[i + k].is_ascii_hexdigit(),
            })
    };
    let date_at = |i: usize| {
        bytes.len() >= i + 10
            && (0..10).all(|k| match k {
                4 | 7 => bytes[i + k] == b'-',
                _ => bytes[i + k].is_ascii_digit(),
            })
    };
    (0..bytes.len()).any(|i| uuid_at(i) || date_at(i))
}

/// Whether `text` is a clock time (`12:34:56`) or a latency (`12 ms`): what the Activity log
/// shows of every request, different on each run.
pub fn varies_in_its_cell(text: &str) -> bool {
    let text = text.trim();
    let clock = text.len() == 8
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 2 || i == 5 {
                b == b':'
            } else {
                b.is_ascii_digit()
            }
        });
    let latency = text
        .strip_suffix(" ms")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    clock || latency
}

/// Covers every widget whose text [`varies_between_runs`] (to the window's right edge) or
/// [`varies_in_its_cell`] (just the widget), then writes or checks the snapshot
/// `tests/snapshots/<name>.png` (`UPDATE_SNAPSHOTS=1` writes it), pixel for pixel.
pub fn snapshot(harness: &mut Harness<'_, ConsoleApp>, name: &str) {
    snapshot_allowing(harness, name, 0);
}

/// [`snapshot`], allowing `max_failed_pixels` to differ: for a pane that sizes table columns
/// to the ids in them, so masked ids still move the column headers by a pixel or two.
pub fn snapshot_allowing(
    harness: &mut Harness<'_, ConsoleApp>,
    name: &str,
    max_failed_pixels: usize,
) {
    snapshot_covering(harness, name, max_failed_pixels, &|_| false);
}

/// [`snapshot_allowing`], also covering every widget whose text `also_cover` picks, to the
/// window's right edge: for lists whose rows arrive in an order that varies between runs.
pub fn snapshot_covering(
    harness: &mut Harness<'_, ConsoleApp>,
    name: &str,
    max_failed_pixels: usize,
    also_cover: &dyn Fn(&str) -> bool,
) {
    use egui_kittest::kittest::Queryable as _;
    settle(harness);
    let varying: Vec<egui::Rect> = harness
        .query_all_by(|node| {
            node.value()
                .is_some_and(|v| varies_between_runs(&v) || also_cover(&v))
                || node
                    .label()
                    .is_some_and(|l| varies_between_runs(&l) || also_cover(&l))
        })
        .map(|node| node.rect())
        .collect();
    // Times and latencies sit in fixed-width table cells: cover just the cell.
    let varying_cells: Vec<egui::Rect> = harness
        .query_all_by(|node| {
            node.value().is_some_and(|v| varies_in_its_cell(&v))
                || node.label().is_some_and(|l| varies_in_its_cell(&l))
        })
        .map(|node| node.rect())
        .collect();
    for rect in varying_cells {
        harness.mask(rect);
    }
    // To the window's right edge: an id's width varies with its characters (a proportional
    // font), and so does the position of whatever follows it on the same line.
    let right = harness.ctx.content_rect().right();
    for rect in varying {
        harness.mask(egui::Rect::from_min_max(
            rect.min,
            egui::pos2(right, rect.max.y),
        ));
    }
    harness.snapshot_options(
        name,
        &egui_kittest::SnapshotOptions::new().max_failed_pixels(max_failed_pixels),
    );
}
