//! The console's integration tests, in one binary (one link, one start): the shell and its
//! panes driven headless with egui_kittest, against the embedded Local service with the real
//! face models, the test kit's stand-in tenant and its misbehaving back end, and the real OS
//! keyring. Run them as `keyctl session - cargo test --test console` (a session keyring; Debian
//! package keyutils). Snapshots are in `tests/snapshots/` (`UPDATE_SNAPSHOTS=1` writes them).
//!
//! Tests run two at a time in this one process: each has its own data folder, profile ids and
//! keyring entries. The one that measures the process's memory runs alone in a child process
//! (`necid_testkit::in_a_process_of_its_own`).

mod common;
mod common_jobs;
mod console_flow;
mod face_pickers;
mod fault_flows;
mod forms;
mod keyring;
mod local_face;
mod local_service;
mod panes;
mod shell;
mod subjects_jobs;
