//! The NEC ID admin console: an eframe/egui desktop program over `crates/necid`.
//!
//! The binary in `main.rs` only sets up logging, the tokio runtime and the window; everything
//! else lives in this library so that the console-level tests in `tests/` can drive the same
//! [`app::ConsoleApp`] headless with `egui_kittest`.

pub mod app;
pub mod backend;
pub mod connection;
pub mod credentials;
pub mod desktop;
pub mod error;
pub mod job_history;
pub mod local;
pub mod models;
pub mod open_gallery;
pub mod paths;
pub mod profiles;
pub mod request;
pub mod subject_names;
pub mod thumbnails;
pub mod ui;
pub mod widgets;

pub use app::ConsoleApp;
pub use paths::AppPaths;

/// When the process started (set first thing in `main`), for the "ready in N ms" log line.
pub static PROCESS_STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The window title, also used as eframe's app id.
pub const APP_TITLE: &str = "NEC ID Console";
