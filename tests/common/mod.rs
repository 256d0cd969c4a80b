//! Helpers shared by the console tests: a runtime, a console over a temporary folder, a
//! harness, and waiting for background work.
#![allow(dead_code)] // each test binary uses a different part

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

/// A multi-thread runtime like the one `main.rs` builds.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
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

/// Steps the UI until `done` holds, for at most ten seconds of real time.
pub fn wait_until(
    harness: &mut Harness<'_, ConsoleApp>,
    what: &str,
    done: impl Fn(&Harness<'_, ConsoleApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
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
