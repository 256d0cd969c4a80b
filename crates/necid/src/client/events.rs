//! What the observers hear about each request ([`RequestEvent`], [`RequestRecord`]) and the
//! [`Report`] that tells them: `Started`, any `Retrying`, then exactly one `Finished`, also when
//! the request's future is dropped. An activity log lists requests in flight from these.

use super::{Call, Inner, Surface};
use crate::error::{Error, RequestLine};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Identifies one request (all its tries) across its [`RequestEvent`]s; unique in the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number, for display and logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A request that has just started, for an activity log's "in flight" list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestStart {
    pub id: RequestId,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub surface: Surface,
    pub sent_api_key: bool,
    pub body_bytes: usize,
}

/// What the client did for one request (all its tries), for an activity log. Never holds a
/// secret: the API key is reduced to whether one was sent, and the body is kept only when small.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The same id as the request's [`RequestEvent::Started`].
    pub id: RequestId,
    pub started: SystemTime,
    pub method: &'static str,
    pub url: String,
    pub surface: Surface,
    pub sent_api_key: bool,
    /// The JSON body, images included (shared, not copied again per observer); an observer
    /// that keeps many records should drop the large ones.
    pub body: Option<Arc<str>>,
    pub body_bytes: usize,
    /// The last answer's status, when one came.
    pub status: Option<u16>,
    /// The size of the last answer's body as read (at most the size limit).
    pub response_bytes: usize,
    /// From the start to the end of the last try, back-off waits included.
    pub latency: Duration,
    /// How many times the request was sent: 1 unless it was retried.
    pub attempts: u32,
    /// The error as a person reads it ([`Error::human`]), when the request failed. A 2xx whose
    /// body could not be read is a failure too.
    pub error: Option<String>,
    /// The technical account of the error ([`Error::detail`]).
    pub error_detail: Option<String>,
    /// The caller dropped the request before it finished; `error` says so too.
    pub cancelled: bool,
}

/// What an event observer hears about each request, in this order: `Started`, any number of
/// `Retrying`, then exactly one `Finished` (also when the request is cancelled).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RequestEvent {
    /// The request is about to be sent for the first time.
    Started(RequestStart),
    /// A try failed in a way worth repeating; the next try starts after `wait`.
    Retrying {
        id: RequestId,
        /// The number of the try about to start: 2 for the first retry.
        attempt: u32,
        wait: Duration,
        /// Why the last try failed ([`Error::human`]).
        reason: String,
    },
    /// The request ended: answered, failed, or cancelled by its caller.
    Finished(RequestRecord),
}

impl RequestEvent {
    /// The request this event is about.
    pub fn id(&self) -> RequestId {
        match self {
            Self::Started(start) => start.id,
            Self::Retrying { id, .. } => *id,
            Self::Finished(record) => record.id,
        }
    }
}

/// Receives a [`RequestRecord`] after every request.
pub type RequestObserver = Arc<dyn Fn(RequestRecord) + Send + Sync>;

/// Receives every [`RequestEvent`]. It is called on the task making the request: keep it quick
/// (send the event down a channel).
pub type RequestEventObserver = Arc<dyn Fn(RequestEvent) + Send + Sync>;

/// Tells the observers about one request: `Started` when made, `Finished` exactly once, also
/// when the request's future is dropped before it ends (then as cancelled).
pub(super) struct Report {
    observer: Option<RequestObserver>,
    event_observer: Option<RequestEventObserver>,
    /// `None` once finished, or when nobody observes.
    record: Option<RequestRecord>,
    clock: Instant,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl Report {
    pub fn start(inner: &Inner, call: &Call, request: &RequestLine) -> Self {
        let observed = inner.observer.is_some() || inner.event_observer.is_some();
        let record = observed.then(|| RequestRecord {
            id: RequestId::next(),
            started: SystemTime::now(),
            method: request.method,
            url: request.url.clone(),
            surface: call.surface,
            sent_api_key: call.api_key.is_some(),
            body: call
                .body
                .as_ref()
                .map(|b| Arc::<str>::from(String::from_utf8_lossy(b).as_ref())),
            body_bytes: call.body.as_ref().map_or(0, Vec::len),
            status: None,
            response_bytes: 0,
            latency: Duration::ZERO,
            attempts: 1,
            error: None,
            error_detail: None,
            cancelled: false,
        });
        if let (Some(events), Some(record)) = (&inner.event_observer, &record) {
            events(RequestEvent::Started(RequestStart {
                id: record.id,
                started: record.started,
                method: record.method,
                url: record.url.clone(),
                surface: record.surface,
                sent_api_key: record.sent_api_key,
                body_bytes: record.body_bytes,
            }));
        }
        Self {
            observer: inner.observer.clone(),
            event_observer: inner.event_observer.clone(),
            record,
            clock: Instant::now(),
        }
    }

    pub fn set_attempts(&mut self, attempts: u32) {
        if let Some(record) = &mut self.record {
            record.attempts = attempts;
        }
    }

    pub fn retrying(&self, attempt: u32, wait: Duration, reason: &Error) {
        if let (Some(events), Some(record)) = (&self.event_observer, &self.record) {
            events(RequestEvent::Retrying {
                id: record.id,
                attempt,
                wait,
                reason: reason.human(),
            });
        }
    }

    pub fn finish(mut self, status: Option<u16>, response_bytes: usize, error: Option<&Error>) {
        if let Some(mut record) = self.record.take() {
            record.status = status.or_else(|| error.and_then(Error::status));
            record.response_bytes = response_bytes;
            record.error = error.map(Error::human);
            record.error_detail = error.map(Error::detail);
            self.emit(record);
        }
    }

    fn emit(&self, mut record: RequestRecord) {
        record.latency = self.clock.elapsed();
        if let Some(events) = &self.event_observer {
            events(RequestEvent::Finished(record.clone()));
        }
        if let Some(observer) = &self.observer {
            observer(record);
        }
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.cancelled = true;
            record.error = Some("the request was cancelled".to_owned());
            self.emit(record);
        }
    }
}
