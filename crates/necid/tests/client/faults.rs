//! The client against a back end that misbehaves: each fault becomes a typed error whose words a
//! person can read, requests stay bounded in time and memory, idempotent ones are retried as the
//! server asks, and a dropped request closes its connection.

use crate::fault_server::{
    EventLog, FaultMode, FaultServer, StalledListener, assert_plain, builder, resident_mib,
    wait_until,
};
use necid::{
    CreateGallery, Error, ErrorKind, RequestEvent, RetryPolicy, TimeoutPhase, TransportFailure,
};
use std::time::{Duration, Instant};

fn host_of(server: &FaultServer) -> &str {
    server.base_url().trim_start_matches("http://")
}

fn new_gallery() -> CreateGallery {
    CreateGallery {
        name: "Staff".into(),
        description: String::new(),
        face_minimum_quality_score: 0.5,
        size: 10,
    }
}

#[tokio::test]
async fn a_server_that_answers_normally_lists_its_galleries() {
    let server = FaultServer::start(FaultMode::Ok);
    let client = builder(server.base_url()).build().expect("a client");
    let galleries = client.galleries().list().await.expect("the list");
    assert_eq!(galleries.len(), 3);
    assert_eq!(client.health().await.expect("health").status, "OK");
}

#[tokio::test]
async fn a_server_that_hangs_is_no_answer_within_the_request_timeout_and_is_not_retried() {
    let server = FaultServer::start(FaultMode::Hang);
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()).request_timeout(Duration::from_millis(400)))
        .build()
        .expect("a client");
    let clock = Instant::now();
    let error = client.galleries().list().await.expect_err("no answer");
    assert!(
        clock.elapsed() < Duration::from_secs(3),
        "{:?}",
        clock.elapsed()
    );
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: TimeoutPhase::Answer,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.human(),
        format!("no answer from {} within 1 s", host_of(&server))
    );
    assert!(error.is_retryable());
    assert_eq!(server.request_count(), 1, "a time-out is not retried");
    let record = log.finished().remove(0);
    assert_eq!(record.error.as_deref(), Some(error.human().as_str()));
    assert!(!record.cancelled);
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_read() {
    let server = FaultServer::start(FaultMode::Delay(Duration::from_millis(300)));
    let client = builder(server.base_url()).build().expect("a client");
    let clock = Instant::now();
    let galleries = client.galleries().list().await.expect("a late answer");
    assert!(clock.elapsed() >= Duration::from_millis(300));
    assert_eq!(galleries.len(), 3);
}

#[tokio::test]
async fn an_html_502_is_an_internal_error_without_the_page_and_retry_works_once_fixed() {
    let server = FaultServer::start(FaultMode::Html5xx);
    let client = builder(server.base_url()).build().expect("a client");
    let error = client.galleries().list().await.expect_err("a 502");
    assert_eq!(error.kind(), ErrorKind::ServerError);
    assert_eq!(error.status(), Some(502));
    assert_eq!(error.human(), "the server had an internal error (HTTP 502)");
    assert_plain(&error.human());
    assert_eq!(error.server_message(), None, "the page is not a message");
    let detail = error.detail();
    assert!(detail.contains("text/html"), "{detail}");
    assert!(
        detail.contains("not shown") && !detail.contains("<"),
        "{detail}"
    );
    assert!(detail.contains("/api/galleries"), "{detail}");
    assert_eq!(
        server.request_count(),
        1,
        "a 502 is not retried by the client"
    );

    server.set_mode(FaultMode::Ok);
    let galleries = client.galleries().list().await.expect("the fixed server");
    assert_eq!(galleries.len(), 3);
}

#[tokio::test]
async fn malformed_json_is_an_answer_not_understood_naming_the_route_and_logged_as_a_failure() {
    let server = FaultServer::start(FaultMode::Malformed);
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()))
        .build()
        .expect("a client");
    let error = client.galleries().list().await.expect_err("not JSON");
    assert!(
        matches!(error, Error::InvalidResponse { status: 200, .. }),
        "{error:?}"
    );
    let human = error.human();
    assert!(
        human.starts_with(
            "the answer to GET /api/galleries was not understood: it is not valid JSON (line 1, column"
        ),
        "{human}"
    );
    assert_plain(&human);
    assert!(error.detail().contains("parser: "), "{}", error.detail());

    let record = log.finished().remove(0);
    assert_eq!(record.status, Some(200));
    assert_eq!(
        record.error.as_deref(),
        Some(human.as_str()),
        "a 200 that fails is a failure"
    );
    assert!(record.error_detail.is_some());
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named_by_its_path_in_plain_words() {
    let server = FaultServer::start(FaultMode::WrongType);
    let client = builder(server.base_url()).build().expect("a client");
    let error = client.galleries().list().await.expect_err("a wrong type");
    assert_eq!(
        error.human(),
        "the answer to GET /api/galleries was not understood: field `galleries[3].id` should be \
         text, not a number"
    );
    assert_plain(&error.human());
    assert!(
        error.detail().contains("invalid type"),
        "serde's words stay in the detail"
    );

    let error = client.health().await.expect_err("a wrong type");
    assert_eq!(
        error.human(),
        "the answer to GET /v1.1/health was not understood: field `status` should be text, not a \
         number"
    );
}

#[tokio::test]
async fn a_50_mb_answer_is_refused_by_the_cap_without_growing_memory() {
    let server = FaultServer::start(FaultMode::Huge(50_000_000));
    let client = builder(server.base_url())
        .request_timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    assert_eq!(
        client.max_response_bytes(),
        necid::DEFAULT_MAX_RESPONSE_BYTES
    );
    let (before, _) = resident_mib();
    let answer = client.galleries().list().await;
    let (after, peak) = resident_mib();
    let Err(error) = answer else {
        panic!("a 50 MB answer was accepted")
    };
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                limit: necid::DEFAULT_MAX_RESPONSE_BYTES,
                declared: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_too_large());
    assert_eq!(
        error.human(),
        "the answer is larger than the 16 MiB this client accepts"
    );
    eprintln!("resident memory: {before} MiB before, {after} MiB after, peak {peak} MiB");
    assert!(
        after < 300 && peak < 300,
        "{after} MiB now, {peak} MiB at the peak"
    );
    assert!(
        after.saturating_sub(before) < 64,
        "reading grew the process from {before} to {after} MiB"
    );
    assert_eq!(
        server.request_count(),
        1,
        "a large answer is not asked for again"
    );
}

#[tokio::test]
async fn an_answer_announced_larger_than_the_cap_is_refused_before_it_is_read() {
    let server = FaultServer::start(FaultMode::Ok);
    server.set_gallery_count(100);
    let client = builder(server.base_url())
        .max_response_bytes(1024)
        .build()
        .expect("a client");
    let error = client.galleries().list().await.expect_err("too large");
    let Error::ResponseTooLarge {
        limit: 1024,
        declared: Some(declared),
        ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert!(declared > 1024);
    assert!(
        error
            .human()
            .ends_with("larger than the 1 KiB this client accepts"),
        "{}",
        error.human()
    );
}

#[tokio::test]
async fn a_connection_cut_in_the_middle_of_the_answer_is_cut_off_not_unreachable() {
    let server = FaultServer::start(FaultMode::CutOff);
    let client = builder(server.base_url()).build().expect("a client");
    let error = client.galleries().list().await.expect_err("cut off");
    assert!(
        matches!(
            error,
            Error::Transport {
                failure: TransportFailure::CutOff,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::CutOff);
    assert_eq!(
        error.human(),
        format!(
            "the connection to {} was cut off in the middle of the answer",
            host_of(&server)
        )
    );
    assert_plain(&error.human());
    assert!(error.is_retryable());
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_and_works_once_the_server_listens() {
    let server = FaultServer::start(FaultMode::Refuse);
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()))
        .build()
        .expect("a client");
    let error = client.galleries().list().await.expect_err("refused");
    assert!(
        matches!(
            error,
            Error::Transport {
                failure: TransportFailure::Refused,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.human(),
        format!(
            "could not reach {}: the connection was refused",
            host_of(&server)
        )
    );
    assert_plain(&error.human());
    assert_eq!(
        error.human().matches(host_of(&server)).count(),
        1,
        "the host is named once"
    );
    assert!(error.detail().contains("cause: "), "{}", error.detail());
    let events = log.events();
    let retries = events
        .iter()
        .filter(|e| matches!(e, RequestEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2, "three tries in all");
    assert_eq!(log.finished()[0].attempts, 3);

    server.set_mode(FaultMode::Ok);
    client
        .galleries()
        .list()
        .await
        .expect("the server listens again");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_name_not_found_and_not_retried() {
    // `.invalid` never resolves (RFC 2606), so nothing leaves this machine.
    let log = EventLog::default();
    let client = log
        .attach(builder("http://necid-faults.invalid"))
        .build()
        .expect("a client");
    let error = client.galleries().list().await.expect_err("no such name");
    assert!(error.is_transport(), "{error:?}");
    if let Error::Transport {
        failure: TransportFailure::NameNotFound,
        ..
    } = error
    {
        assert_eq!(
            error.human(),
            "could not reach necid-faults.invalid: the name was not found"
        );
        assert_eq!(log.finished()[0].attempts, 1);
    }
    assert_plain(&error.human());
}

#[tokio::test]
async fn a_get_is_retried_after_a_429_when_retry_after_says() {
    let server = FaultServer::start(FaultMode::RateLimit {
        retry_after_secs: 1,
        then_ok_after: 1,
    });
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()))
        .build()
        .expect("a client");
    let galleries = client.galleries().list().await.expect("the second try");
    assert_eq!(galleries.len(), 3);
    let seen = server.requests_seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_secs(1) && gap < Duration::from_millis(2500),
        "the retry came {gap:?} after the 429"
    );
    let events = log.events();
    assert!(matches!(
        &events[1],
        RequestEvent::Retrying { attempt: 2, wait, reason, .. }
            if *wait == Duration::from_secs(1) && reason.contains("HTTP 429")
    ));
    let record = log.finished().remove(0);
    assert_eq!(
        (record.attempts, record.status, record.error),
        (2, Some(200), None)
    );
}

#[tokio::test]
async fn a_post_is_never_retried_and_the_429_says_how_long_to_wait() {
    let server = FaultServer::start(FaultMode::RateLimit {
        retry_after_secs: 1,
        then_ok_after: 1,
    });
    let client = builder(server.base_url()).build().expect("a client");
    let error = client
        .galleries()
        .create(&new_gallery())
        .await
        .expect_err("a 429");
    assert_eq!(server.request_count(), 1, "a POST is sent once");
    assert!(error.is_rate_limited() && error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(
        error.human(),
        "the server is receiving too many requests and asks to wait 1 s (HTTP 429)"
    );
    assert_eq!(error.advice().as_deref(), Some("Try again in 1 s."));
}

#[tokio::test]
async fn a_retry_after_longer_than_the_cap_is_not_waited_but_returned_as_a_hint() {
    let server = FaultServer::start(FaultMode::RateLimit {
        retry_after_secs: 120,
        then_ok_after: 5,
    });
    let client = builder(server.base_url()).build().expect("a client");
    let clock = Instant::now();
    let error = client.galleries().list().await.expect_err("a 429");
    assert!(
        clock.elapsed() < Duration::from_secs(1),
        "{:?}",
        clock.elapsed()
    );
    assert_eq!(server.request_count(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert!(
        error.human().contains("asks to wait 2 min"),
        "{}",
        error.human()
    );
}

#[tokio::test]
async fn a_503_without_retry_after_is_retried_with_back_off_and_tries_are_capped() {
    let server = FaultServer::start(FaultMode::Unavailable {
        retry_after_secs: None,
        then_ok_after: 2,
    });
    let client = builder(server.base_url()).build().expect("a client");
    client.galleries().list().await.expect("the third try");
    let seen = server.requests_seen();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(50));
    assert!(
        seen[2].at - seen[1].at >= Duration::from_millis(100),
        "the back-off doubles"
    );

    server.set_mode(FaultMode::Unavailable {
        retry_after_secs: None,
        then_ok_after: 10,
    });
    let error = client.galleries().list().await.expect_err("still down");
    assert_eq!(server.request_count(), 6, "three more tries, no more");
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        error.human(),
        "the server is unavailable for now (HTTP 503)"
    );

    let once = builder(server.base_url())
        .retry_policy(RetryPolicy::NEVER)
        .build()
        .expect("a client");
    once.galleries().list().await.expect_err("still down");
    assert_eq!(server.request_count(), 7);
}

#[tokio::test]
async fn a_port_that_accepts_no_connection_fails_at_the_connect_timeout() {
    let stalled = StalledListener::start();
    let client = builder(stalled.base_url())
        .connect_timeout(Duration::from_millis(300))
        .build()
        .expect("a client");
    let clock = Instant::now();
    let error = client
        .galleries()
        .list()
        .await
        .expect_err("never connected");
    assert!(
        clock.elapsed() < Duration::from_secs(2),
        "{:?}",
        clock.elapsed()
    );
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: TimeoutPhase::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    let host = stalled.base_url().trim_start_matches("http://");
    assert_eq!(
        error.human(),
        format!("no answer: {host} did not accept a connection within 1 s")
    );
}

#[tokio::test]
async fn a_dropped_request_closes_its_connection_and_is_reported_cancelled() {
    let server = FaultServer::start(FaultMode::Hang);
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()))
        .build()
        .expect("a client");
    let galleries = client.galleries();
    for round in 1..=4 {
        let mut pending = Box::pin(galleries.list());
        let deadline = Instant::now() + Duration::from_secs(3);
        while server.request_count() < round {
            tokio::select! {
                result = &mut pending => panic!("a hanging server answered: {result:?}"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            assert!(Instant::now() < deadline, "the request did not arrive");
        }
        assert_eq!(server.open_connections(), 1);
        // Superseded: the caller drops it, as the console does when Refresh is pressed again.
        drop(pending);
        wait_until("the connection to close", Duration::from_secs(3), || {
            server.open_connections() == 0
        })
        .await;
    }
    assert_eq!(
        server.max_concurrent_connections(),
        1,
        "dropped requests do not pile up connections"
    );
    let records = log.finished();
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r.cancelled && r.status.is_none()));
}

#[tokio::test]
async fn a_request_in_flight_is_reported_when_it_starts_and_again_when_it_ends() {
    let server = FaultServer::start(FaultMode::Delay(Duration::from_millis(500)));
    let log = EventLog::default();
    let client = log
        .attach(builder(server.base_url()))
        .build()
        .expect("a client");
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.galleries().list().await }
    });
    wait_until("the request to start", Duration::from_secs(3), || {
        !log.events().is_empty()
    })
    .await;
    let RequestEvent::Started(start) = log.events().remove(0) else {
        panic!("the first event is Started")
    };
    assert_eq!(start.method, "GET");
    assert!(start.url.ends_with("/api/galleries"));
    assert!(log.finished().is_empty(), "still in flight");
    pending.await.expect("the task").expect("the answer");
    let finished = log.finished();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].id, start.id);
    assert_eq!(finished[0].started, start.started);
    assert!(finished[0].latency >= Duration::from_millis(500));
}

#[test]
fn a_client_is_bounded_by_default() {
    let client = necid::Client::builder()
        .credentials(necid::Credentials::new("AKIDFAULTS", "fault-secret"))
        .build()
        .expect("a client");
    assert_eq!(client.connect_timeout(), Duration::from_secs(10));
    assert_eq!(client.request_timeout(), Duration::from_secs(60));
    assert_eq!(client.max_response_bytes(), 16 << 20);
    let retry = client.retry_policy();
    assert_eq!(retry.max_attempts, 3);
    assert_eq!(retry.max_total_wait, Duration::from_secs(30));
}
