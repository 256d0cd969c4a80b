//! A back end that misbehaves on demand.
//!
//! The NEC cloud cannot be used in tests, and the local service (`necid-server`) is written to
//! behave. [`FaultServer`] is a real HTTP/1.1 listener on 127.0.0.1 that answers like the NEC API
//! for the few routes a console needs to show galleries ([`FaultMode::Ok`]) and, on request,
//! hangs, answers late, sends an HTML 502, malformed, wrong-typed or huge JSON, cuts the
//! connection in the middle of an answer, rate-limits, or refuses connections. The mode can be
//! switched while the server runs ([`FaultServer::set_mode`]), so a test can "fix the server"
//! and then press Retry. The server records every request it sees and counts its connections,
//! so a test can check retries, cancellation and that nothing was sent at all.
//!
//! The server runs on its own thread with its own tokio runtime: every method is synchronous
//! and works the same from a `#[tokio::test]` and from a plain `#[test]` that drives an egui
//! harness. Dropping the server stops it and closes every connection it holds.
//!
//! The server never signs or checks signatures: it is about transport and shape, not security.
//!
//! This file holds the server: its modes, its shared state and what a test asks of it;
//! `answers` reads each request and answers it as the mode says.

mod answers;

use answers::handle;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How the [`FaultServer`] answers the requests that arrive while the mode is set.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultMode {
    /// Answers like the NEC API: `GET /api/galleries`, `GET /api/galleries/{id}` (with one
    /// application and its key), `GET /api/applications`, `GET /v1.1/health`,
    /// `GET /v1.1/subjects` (empty) and `GET /v1.1/tags` (empty); any other route is a JSON 404.
    Ok,
    /// Accepts the connection, reads the request and never answers; the connection stays open
    /// until the client closes it.
    Hang,
    /// Waits this long, then answers as [`FaultMode::Ok`].
    Delay(Duration),
    /// `502 Bad Gateway` with an HTML page, as a proxy in front of a dead service sends.
    Html5xx,
    /// `200` with a body that is not JSON (an object that stops half-way).
    Malformed,
    /// `200` with JSON of the right shape but a field of the wrong type: the fourth gallery's
    /// `id` is a number (`galleries[3].id`); Health's `status` is a number.
    WrongType,
    /// `200` streaming a valid-looking gallery list of about this many bytes, in chunked
    /// encoding (no `content-length`), generated as it is sent: the server never holds it.
    Huge(u64),
    /// Sends the headers of a `200` with its `content-length`, half of the body, then closes.
    CutOff,
    /// Answers the next `then_ok_after` requests with `429 Too Many Requests` and
    /// `Retry-After: retry_after_secs`, then as [`FaultMode::Ok`]. Setting the mode again
    /// restarts the count.
    RateLimit {
        retry_after_secs: u64,
        then_ok_after: u32,
    },
    /// Like [`FaultMode::RateLimit`] with `503 Service Unavailable`, and a `Retry-After` only
    /// when `retry_after_secs` is given.
    Unavailable {
        retry_after_secs: Option<u64>,
        then_ok_after: u32,
    },
    /// Nothing listens on the port: connections are refused. Switching to another mode listens
    /// on the same port again.
    Refuse,
}

/// One request the server read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// When its head had arrived.
    pub at: Instant,
    /// Whether it carried an `x-api-key` header (its value is not kept).
    pub had_api_key: bool,
}

#[derive(Debug)]
struct Shared {
    mode: FaultMode,
    /// Requests refused so far under the current `RateLimit` or `Unavailable` mode.
    refused_in_mode: u32,
    gallery_count: usize,
    seen: Vec<SeenRequest>,
    accepted: usize,
    open: usize,
    max_open: usize,
}

#[derive(Debug)]
enum Command {
    SetMode(FaultMode, std::sync::mpsc::Sender<()>),
}

/// A local HTTP server that misbehaves as its [`FaultMode`] says. See the crate docs.
///
/// ```no_run
/// use necid_testkit::{FaultMode, FaultServer};
/// let server = FaultServer::start(FaultMode::Html5xx);
/// // ... point a client at server.base_url(), see it fail ...
/// server.set_mode(FaultMode::Ok);
/// // ... Retry, see it work ...
/// assert_eq!(server.requests_seen().len(), 2);
/// ```
#[derive(Debug)]
pub struct FaultServer {
    base_url: String,
    shared: Arc<Mutex<Shared>>,
    control: Option<mpsc::UnboundedSender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Starts listening on a free port of 127.0.0.1 (or only reserves one, for
    /// [`FaultMode::Refuse`]).
    ///
    /// # Panics
    /// When no loopback port or thread can be had: a test cannot run without them.
    pub fn start(mode: FaultMode) -> Self {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let address = listener.local_addr().expect("the listener's address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let listener = (mode != FaultMode::Refuse).then_some(listener);
        let shared = Arc::new(Mutex::new(Shared {
            mode,
            refused_in_mode: 0,
            gallery_count: 3,
            seen: Vec::new(),
            accepted: 0,
            open: 0,
            max_open: 0,
        }));
        let (control, commands) = mpsc::unbounded_channel();
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fault-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the fault server");
                runtime.block_on(serve(address, listener, commands, serving));
                // Dropping the runtime drops every connection task, closing their sockets.
            })
            .expect("a thread for the fault server");
        Self {
            base_url: format!("http://{address}"),
            shared,
            control: Some(control),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: both the API's and the portal's base.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Changes how the following requests are answered; a request already being answered
    /// finishes in its old mode. Returns once the change is in force (for
    /// [`FaultMode::Refuse`], once the port is closed; leaving it, once it listens again).
    ///
    /// # Panics
    /// When the port was taken by someone else while it was closed.
    pub fn set_mode(&self, mode: FaultMode) {
        let (done, wait) = std::sync::mpsc::channel();
        if let Some(control) = &self.control
            && control.send(Command::SetMode(mode, done)).is_ok()
        {
            wait.recv().expect("the fault server changed its mode");
        }
    }

    /// The current mode.
    pub fn mode(&self) -> FaultMode {
        self.lock().mode.clone()
    }

    /// How many galleries [`FaultMode::Ok`] lists (default 3).
    pub fn set_gallery_count(&self, count: usize) {
        self.lock().gallery_count = count;
    }

    /// Every request read so far, in order of arrival.
    pub fn requests_seen(&self) -> Vec<SeenRequest> {
        self.lock().seen.clone()
    }

    /// How many requests were read so far.
    pub fn request_count(&self) -> usize {
        self.lock().seen.len()
    }

    /// How many connections were accepted so far.
    pub fn connections_accepted(&self) -> usize {
        self.lock().accepted
    }

    /// How many connections are open now: accepted, and not yet closed by either side.
    pub fn open_connections(&self) -> usize {
        self.lock().open
    }

    /// The most connections that were open at the same time.
    pub fn max_concurrent_connections(&self) -> usize {
        self.lock().max_open
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        lock(&self.shared)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.control = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panicking test thread must not hide the server's state from the others.
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn serve(
    address: SocketAddr,
    listener: Option<std::net::TcpListener>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Mutex<Shared>>,
) {
    let mut listener =
        listener.map(|l| TcpListener::from_std(l).expect("the listener joins the runtime"));
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(Command::SetMode(mode, done)) = command else { return };
                let refuse = mode == FaultMode::Refuse;
                {
                    let mut state = lock(&shared);
                    state.mode = mode;
                    state.refused_in_mode = 0;
                }
                if refuse {
                    listener = None;
                } else if listener.is_none() {
                    listener = Some(
                        TcpListener::bind(address)
                            .await
                            .expect("the fault server's port is free again"),
                    );
                }
                let _ = done.send(());
            }
            accepted = accept(listener.as_ref()) => {
                if let Ok((socket, _)) = accepted {
                    let guard = OpenConnection::new(Arc::clone(&shared));
                    tokio::spawn(handle(socket, guard));
                }
            }
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Counts a connection as open from its accept until its task ends (the socket is closed then).
struct OpenConnection(Arc<Mutex<Shared>>);

impl OpenConnection {
    fn new(shared: Arc<Mutex<Shared>>) -> Self {
        {
            let mut state = lock(&shared);
            state.accepted += 1;
            state.open += 1;
            state.max_open = state.max_open.max(state.open);
        }
        Self(shared)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        lock(&self.0).open -= 1;
    }
}
