//! The console against a back end that misbehaves (`necid_testkit::FaultServer`), one flow per
//! fault: the UI keeps drawing frames while the request is pending (the pane can be switched),
//! the message names the action and the cause in plain words (no HTML page, no HTTP library's
//! chain, no parser wording), and Retry works once the server is fixed. A huge answer is
//! refused by the client's size cap without the process's memory growing with it.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use necid_console::credentials;
use necid_console::profiles::{Profile, ProfileId, ProfileKind};
use necid_console::{AppPaths, ConsoleApp};
use necid_testkit::{FaultMode, FaultServer};

use crate::common;

/// Text that must never reach the screen: an HTML page, hyper's or reqwest's wording, serde's.
const RAW: [&str; 6] = [
    "<html",
    "<!doctype",
    "hyper",
    "invalid type",
    "expected",
    "error sending request",
];

/// The longest a frame may take while a request is pending.
const MAX_FRAME: Duration = Duration::from_millis(500);

/// A console whose only profile points at `server`, with `request_timeout_secs`.
struct FaultConsole<'a> {
    harness: Harness<'a, ConsoleApp>,
    profile_id: ProfileId,
    _root: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl Drop for FaultConsole<'_> {
    fn drop(&mut self) {
        let _ = credentials::delete_profile_secrets(&self.profile_id);
    }
}

fn console_on(server: &FaultServer, request_timeout_secs: u64) -> FaultConsole<'static> {
    common::require_keyring();
    let root = tempfile::tempdir().expect("temp dir");
    let paths = AppPaths::under(root.path());
    let profile = Profile {
        profile_id: ProfileId::new_random(),
        name: "Faulty".to_owned(),
        kind: ProfileKind::Custom,
        api_base_url: server.base_url().to_owned(),
        portal_base_url: server.base_url().to_owned(),
        region: "ap-southeast-2".to_owned(),
        badge_rgb: [200, 120, 40],
        connect_timeout_secs: 2,
        request_timeout_secs,
    };
    common::save_only_profile(&paths, &profile);
    let runtime = common::runtime();
    let harness = common::harness(&paths, &runtime, None);
    FaultConsole {
        harness,
        profile_id: profile.profile_id,
        _root: root,
        _runtime: runtime,
    }
}

/// Every text on screen (values and labels).
fn screen_text(harness: &Harness<'_, ConsoleApp>) -> Vec<String> {
    harness
        .query_all_by(|node| node.value().is_some() || node.label().is_some())
        .flat_map(|node| [node.value(), node.accesskit_node().label()])
        .flatten()
        .collect()
}

#[track_caller]
fn assert_no_raw_text(harness: &Harness<'_, ConsoleApp>) {
    for text in screen_text(harness) {
        let lower = text.to_lowercase();
        for raw in RAW {
            assert!(!lower.contains(raw), "“{raw}” is on screen: {text}");
        }
    }
}

/// Steps one frame and returns how long it took.
fn timed_step(harness: &mut Harness<'_, ConsoleApp>) -> Duration {
    let started = Instant::now();
    harness.step();
    started.elapsed()
}

/// Switches to `pane` and back to Galleries, checking each frame stays quick: the UI thread
/// does not wait for the request.
fn switch_panes_while_pending(harness: &mut Harness<'_, ConsoleApp>, pane: &str) {
    let mut slowest = Duration::ZERO;
    harness.get_by_role_and_label(Role::Button, pane).click();
    for _ in 0..3 {
        slowest = slowest.max(timed_step(harness));
    }
    assert_eq!(
        harness.state().pane().label(),
        pane,
        "the pane did not switch"
    );
    harness
        .get_by_role_and_label(Role::Button, "Galleries")
        .click();
    for _ in 0..3 {
        slowest = slowest.max(timed_step(harness));
    }
    assert_eq!(harness.state().pane().label(), "Galleries");
    assert!(
        slowest < MAX_FRAME,
        "a frame took {slowest:?} while a request was pending"
    );
}

/// Waits for the failed gallery list and returns its message (the text naming the action).
fn wait_for_failure(harness: &mut Harness<'_, ConsoleApp>, secs: u64) -> String {
    common::wait_secs(harness, secs, "the failed gallery list", |h| {
        h.query_by_role_and_label(Role::Button, "Retry").is_some()
    });
    screen_text(harness)
        .into_iter()
        .find(|t| t.starts_with("Listing the galleries failed: "))
        .expect("the message names the action")
}

/// Fixes the server, presses Retry and waits for the list.
fn retry_once_fixed(harness: &mut Harness<'_, ConsoleApp>, server: &FaultServer) {
    server.set_mode(FaultMode::Ok);
    harness.get_by_role_and_label(Role::Button, "Retry").click();
    common::wait_secs(harness, 20, "the list after Retry", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 3")
            .is_some()
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Retry")
            .is_none(),
        "the error stays after a Retry that worked"
    );
}

/// The whole flow for a fault that fails the gallery list: responsive while pending, the
/// action and `cause` on screen, no raw text, Retry once fixed. Returns the message.
fn fails_in_words_and_recovers(mode: FaultMode, request_timeout_secs: u64, cause: &str) -> String {
    let server = FaultServer::start(mode);
    let mut console = console_on(&server, request_timeout_secs);
    let harness = &mut console.harness;
    // Sent (a refused one never reaches the server).
    common::wait_until(harness, "the gallery list's request", |h| {
        h.state().requests_in_flight().count() + h.state().activity().len() >= 1
    });
    switch_panes_while_pending(harness, "Settings");
    let message = wait_for_failure(harness, 20);
    assert!(
        message.contains(cause),
        "the message does not say “{cause}”: {message}"
    );
    assert_no_raw_text(harness);
    retry_once_fixed(harness, &server);
    message
}

#[test]
fn a_hanging_server_times_out_per_the_profile_and_activity_shows_the_request_in_flight() {
    let server = FaultServer::start(FaultMode::Hang);
    let mut console = console_on(&server, 3);
    let harness = &mut console.harness;
    common::wait_until(harness, "the request to reach the server", |_| {
        server.request_count() >= 1
    });
    // While it hangs, Activity lists the HTTP request with its method, path and a Cancel.
    harness
        .get_by_role_and_label(Role::Button, "Activity")
        .click();
    common::wait_until(harness, "the request in flight", |h| {
        common::shows(h, "/api/galleries") && common::shows(h, "GET")
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Cancel")
            .is_some()
    );
    let in_flight: Vec<_> = harness.state().requests_in_flight().cloned().collect();
    assert_eq!(in_flight.len(), 1);
    assert!(
        in_flight[0].owner.is_some(),
        "the request names its command"
    );
    switch_panes_while_pending(harness, "Settings");
    let started = Instant::now();
    let message = wait_for_failure(harness, 20);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the profile's 3 s timeout was not applied"
    );
    assert!(
        message.contains("no answer from 127.0.0.1:") && message.contains("within 3 s"),
        "{message}"
    );
    common::assert_shows(
        harness,
        "Try again; if it keeps happening, check the network or raise the profile's timeout.",
    );
    assert_no_raw_text(harness);
    assert_eq!(harness.state().requests_in_flight().count(), 0);
    retry_once_fixed(harness, &server);
}

#[test]
fn a_slow_server_keeps_the_ui_responsive_and_its_answer_arrives() {
    let server = FaultServer::start(FaultMode::Delay(Duration::from_secs(2)));
    let mut console = console_on(&server, 60);
    let harness = &mut console.harness;
    common::wait_until(harness, "the request to reach the server", |_| {
        server.request_count() >= 1
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Cancel")
            .is_some(),
        "a pending list offers a Cancel"
    );
    switch_panes_while_pending(harness, "Activity");
    common::wait_secs(harness, 20, "the late list", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 3")
            .is_some()
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Retry")
            .is_none()
    );
    assert_no_raw_text(harness);
}

#[test]
fn an_html_502_is_a_server_error_in_words_without_the_page() {
    let message = fails_in_words_and_recovers(
        FaultMode::Html5xx,
        60,
        "the server had an internal error (HTTP 502)",
    );
    assert!(!message.contains("nginx") && !message.contains("Bad Gateway"));
}

#[test]
fn a_malformed_answer_is_not_understood_in_words() {
    fails_in_words_and_recovers(
        FaultMode::Malformed,
        60,
        "the answer to GET /api/galleries was not understood: it is not valid JSON",
    );
}

#[test]
fn a_wrong_typed_field_is_named_with_the_route() {
    fails_in_words_and_recovers(
        FaultMode::WrongType,
        60,
        "the answer to GET /api/galleries was not understood: field `galleries[3].id`",
    );
}

#[test]
fn a_connection_cut_off_mid_answer_says_so() {
    fails_in_words_and_recovers(
        FaultMode::CutOff,
        60,
        "was cut off in the middle of the answer",
    );
}

#[test]
fn a_refused_connection_says_the_server_could_not_be_reached() {
    let message = fails_in_words_and_recovers(FaultMode::Refuse, 60, "could not reach 127.0.0.1:");
    assert!(message.contains("the connection was refused"), "{message}");
}

#[test]
fn a_rate_limited_list_shows_the_wait_and_a_retry_at_once() {
    let server = FaultServer::start(FaultMode::RateLimit {
        retry_after_secs: 60,
        then_ok_after: 1000,
    });
    let mut console = console_on(&server, 60);
    let harness = &mut console.harness;
    common::wait_until(harness, "the request to reach the server", |_| {
        server.request_count() >= 1
    });
    switch_panes_while_pending(harness, "Settings");
    let message = wait_for_failure(harness, 20);
    assert!(
        message.contains("too many requests and asks to wait 1 min (HTTP 429)"),
        "{message}"
    );
    assert!(
        common::shows_part(harness, "The server asks to wait 1 min (about "),
        "no wait hint"
    );
    assert!(
        !harness
            .get_by_role_and_label(Role::Button, "Retry")
            .accesskit_node()
            .is_disabled(),
        "Retry is offered at once, beside the hint"
    );
    // The client did not wait a minute on its own, nor hammer the server.
    assert_eq!(server.request_count(), 1);
    assert_no_raw_text(harness);
    retry_once_fixed(harness, &server);
}

#[test]
fn a_short_rate_limit_is_waited_out_by_the_client_and_the_list_arrives() {
    let server = FaultServer::start(FaultMode::RateLimit {
        retry_after_secs: 1,
        then_ok_after: 1,
    });
    let mut console = console_on(&server, 60);
    let harness = &mut console.harness;
    common::wait_secs(harness, 20, "the list after the wait", |h| {
        h.query_by_role_and_label(Role::Button, "Gallery 3")
            .is_some()
    });
    assert_eq!(server.request_count(), 2);
    let entry = harness
        .state()
        .activity()
        .iter()
        .find(|e| e.path() == "/api/galleries")
        .expect("the request in Activity");
    assert_eq!(entry.attempts, 2);
    assert!(entry.error.is_none());
}

/// The resident set of this process, from `/proc/self/statm` (pages of 4 KiB).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("the resident page count");
    pages * 4096
}

#[test]
fn a_huge_answer_is_refused_by_the_cap_with_memory_bounded() {
    const LIMIT: u64 = 300 << 20;
    // The measure is of the whole process: alone, it is of this flow only.
    if !necid_testkit::in_a_process_of_its_own() {
        return;
    }
    let server = FaultServer::start(FaultMode::Huge(50 << 20));
    let mut console = console_on(&server, 60);
    let before = resident_bytes();
    let mut peak = before;
    let harness = &mut console.harness;
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness
        .query_by_role_and_label(Role::Button, "Retry")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the refusal"
        );
        let frame = timed_step(harness);
        assert!(
            frame < MAX_FRAME,
            "a frame took {frame:?} during the answer"
        );
        peak = peak.max(resident_bytes());
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.step();
    peak = peak.max(resident_bytes());
    let message = screen_text(harness)
        .into_iter()
        .find(|t| t.starts_with("Listing the galleries failed: "))
        .expect("the message names the action");
    assert!(
        message.contains("larger than the 16 MiB this client accepts"),
        "{message}"
    );
    eprintln!(
        "resident before {} MiB, peak {} MiB",
        before >> 20,
        peak >> 20
    );
    assert!(peak < LIMIT, "the process reached {} MiB", peak >> 20);
    assert!(
        peak - before < 64 << 20,
        "the answer grew the process by {} MiB",
        (peak - before) >> 20
    );
    assert_no_raw_text(harness);
    retry_once_fixed(harness, &server);
}
