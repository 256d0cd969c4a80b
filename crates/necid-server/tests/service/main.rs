//! The local service's integration tests, in one binary (one link, one load of the models): a
//! real SQLite file in a temporary folder, the real face engine, a listener on 127.0.0.1, driven
//! through the client crate or signed requests.
//!
//! Tests run two at a time in this one process. The few that watch something of the whole
//! process (the log, the count of bulk workers) run alone in a child process
//! (`necid_testkit::in_a_process_of_its_own`); the soak (`concurrency`) is named to start early.

mod bad_files;
mod calibration;
mod common;
mod concurrency;
mod door_restarts;
mod end_to_end;
mod gallery_audit;
mod hardening;
mod http_rules;
mod integrity;
mod kill9;
mod replicas;
mod sigv4_suite;
