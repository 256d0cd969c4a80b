//! The misbehaving back end the client's tests run against, and what they measure it with.
//!
//! The server itself lives in `necid-testkit` so that the console's tests drive the very same
//! one; this module adds the client's side: a client aimed at it, a log of request events, and
//! the process's memory.

pub use necid_testkit::{FaultMode, FaultServer, StalledListener};

use necid::{Client, ClientBuilder, Credentials, RequestEvent, RetryPolicy};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A client for `base_url` with short waits, so that a failing test fails quickly.
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .credentials(Credentials::new("AKIDFAULTS", "fault-secret"))
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            max_total_wait: Duration::from_secs(5),
        })
}

/// Every request event a client reported, in order.
#[derive(Clone, Default)]
pub struct EventLog(Arc<Mutex<Vec<RequestEvent>>>);

impl EventLog {
    /// Attaches the log to a client being built.
    pub fn attach(&self, builder: ClientBuilder) -> ClientBuilder {
        let log = self.0.clone();
        builder.event_observer(Arc::new(move |event| {
            log.lock().expect("the event log").push(event);
        }))
    }

    pub fn events(&self) -> Vec<RequestEvent> {
        self.0.lock().expect("the event log").clone()
    }

    /// The records of the requests that finished.
    pub fn finished(&self) -> Vec<necid::RequestRecord> {
        self.events()
            .into_iter()
            .filter_map(|event| match event {
                RequestEvent::Finished(record) => Some(record),
                _ => None,
            })
            .collect()
    }
}

/// Waits (without blocking the runtime) until `done` holds, or panics naming `what`.
pub async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The process's resident memory now and at its peak, in MiB (`/proc/self/status`).
pub fn resident_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib / 1024)
            .expect("a memory figure")
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What no message for a person may contain: HTML, the HTTP library's words, serde's words.
pub fn assert_plain(text: &str) {
    let lowered = text.to_ascii_lowercase();
    for banned in [
        "<",
        "html",
        "hyper",
        "reqwest",
        "invalid type",
        "expected",
        "error sending request",
        "os error",
        "tcp connect",
        "client error",
    ] {
        assert!(
            !lowered.contains(banned),
            "{banned:?} in the message {text:?}"
        );
    }
}
