//! What the crates' tests share, so that each has one copy: the shared test data
//! ([`testdata`], [`face`], [`shared`]), the AWS SigV4 suites ([`sigv4_suite`]), running a test
//! alone in a process of its own ([`in_a_process_of_its_own`]), a back end that misbehaves
//! ([`FaultServer`], below), and behind features the local service started for a test
//! (`service`: [`Service`], [`local_options`], [`engine`]) and a stand-in tenant served by axum
//! (`tenant`: [`FakeTenant`]).
//!
//! # A back end that misbehaves on demand
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
//! [`StalledListener`] is the other half of "the server is unreachable": a port that accepts no
//! connection at all (its backlog is full), so a client's connect timeout can be tested without
//! leaving the loopback interface.
//!
//! The server never signs or checks signatures: it is about transport and shape, not security.
//!
//! [`Postgres`] starts a private PostgreSQL server from the Debian package for the service's
//! PostgreSQL back end.

mod postgres;

pub use postgres::Postgres;

mod alone;
#[cfg(feature = "service")]
mod service;
pub mod sigv4_suite;
#[cfg(feature = "tenant")]
mod tenant;
mod testdata;

pub use alone::in_a_process_of_its_own;
#[cfg(feature = "service")]
pub use service::{Service, client, engine, local_options, models_dir};
#[cfg(feature = "tenant")]
pub use tenant::FakeTenant;
pub use testdata::{face, shared, testdata};

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

struct Request {
    method: String,
    /// Path and query.
    path: String,
    had_api_key: bool,
}

async fn handle(mut socket: TcpStream, connection: OpenConnection) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let mode = {
        let mut state = lock(&connection.0);
        state.seen.push(SeenRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            at: Instant::now(),
            had_api_key: request.had_api_key,
        });
        state.mode.clone()
    };
    let shared = &connection.0;
    let _ = answer(&mut socket, &request, mode, shared).await;
    let _ = socket.shutdown().await;
}

/// Reads one request's head and body; `None` when the client closes first or sends no HTTP.
async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut length = 0usize;
    let mut had_api_key = false;
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        } else if name.eq_ignore_ascii_case("x-api-key") {
            had_api_key = true;
        }
    }
    let mut received = buffer.len() - (head_end + 4);
    while received < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        received += n;
    }
    Some(Request {
        method,
        path,
        had_api_key,
    })
}

async fn answer(
    socket: &mut TcpStream,
    request: &Request,
    mode: FaultMode,
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    match mode {
        FaultMode::Ok | FaultMode::Refuse => answer_ok(socket, request, shared).await,
        FaultMode::Hang => {
            // Read (and drop) whatever comes until the client closes the connection.
            let mut sink = [0u8; 1024];
            while socket.read(&mut sink).await? > 0 {}
            Ok(())
        }
        FaultMode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            answer_ok(socket, request, shared).await
        }
        FaultMode::Html5xx => {
            let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
                        <body><center><h1>502 Bad Gateway</h1></center><hr>\
                        <center>nginx/1.25.3</center></body></html>\n";
            write_answer(socket, 502, "text/html; charset=utf-8", &[], page).await
        }
        FaultMode::Malformed => {
            let body = r#"{"galleries": [{"id": "g1", "name": "Lobby", "size": 10,, ]"#;
            write_answer(socket, 200, "application/json", &[], body).await
        }
        FaultMode::WrongType => {
            let body = if request.path.starts_with("/v1.1/health") {
                serde_json::json!({"status": 5})
            } else {
                let mut galleries = galleries_json(3);
                galleries.push(serde_json::json!({
                    "id": 5, "name": "Wrong", "description": "", "size": 10, "count": 0
                }));
                serde_json::json!({ "galleries": galleries })
            };
            write_answer(socket, 200, "application/json", &[], &body.to_string()).await
        }
        FaultMode::Huge(bytes) => write_huge(socket, bytes).await,
        FaultMode::CutOff => {
            let (_, body) = ok_body(&request.method, &request.path, 3);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body.as_bytes()[..body.len() / 2]).await?;
            socket.flush().await
        }
        FaultMode::RateLimit {
            retry_after_secs,
            then_ok_after,
        } => {
            if take_refusal(shared, then_ok_after) {
                let body = r#"{"message": "Too Many Requests"}"#;
                let wait = retry_after_secs.to_string();
                write_answer(
                    socket,
                    429,
                    "application/json",
                    &[("retry-after", &wait)],
                    body,
                )
                .await
            } else {
                answer_ok(socket, request, shared).await
            }
        }
        FaultMode::Unavailable {
            retry_after_secs,
            then_ok_after,
        } => {
            if take_refusal(shared, then_ok_after) {
                let body = r#"{"message": "Service Unavailable"}"#;
                let wait = retry_after_secs.map(|s| s.to_string());
                let headers: Vec<(&str, &str)> =
                    wait.iter().map(|w| ("retry-after", w.as_str())).collect();
                write_answer(socket, 503, "application/json", &headers, body).await
            } else {
                answer_ok(socket, request, shared).await
            }
        }
    }
}

/// Whether this request is one of the first `limit` refused in the current mode.
fn take_refusal(shared: &Mutex<Shared>, limit: u32) -> bool {
    let mut state = lock(shared);
    if state.refused_in_mode < limit {
        state.refused_in_mode += 1;
        true
    } else {
        false
    }
}

async fn answer_ok(
    socket: &mut TcpStream,
    request: &Request,
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    let count = lock(shared).gallery_count;
    let (status, body) = ok_body(&request.method, &request.path, count);
    write_answer(socket, status, "application/json", &[], &body).await
}

fn galleries_json(count: usize) -> Vec<serde_json::Value> {
    (1..=count)
        .map(|n| {
            serde_json::json!({
                "id": format!("g{n}"),
                "name": format!("Gallery {n}"),
                "description": format!("Fault server gallery {n}"),
                "size": 1000,
                "count": n % 1000,
            })
        })
        .collect()
}

/// What the NEC API would answer to a well-formed request, for the routes a console needs.
fn ok_body(method: &str, target: &str, gallery_count: usize) -> (u16, String) {
    let path = target.split('?').next().unwrap_or(target);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = match (method, segments.as_slice()) {
        ("GET", ["v1.1", "health"]) => serde_json::json!({"status": "OK"}),
        ("GET", ["api", "galleries"]) => {
            serde_json::json!({ "galleries": galleries_json(gallery_count) })
        }
        ("GET", ["api", "galleries", id]) => serde_json::json!({
            "id": id,
            "name": format!("Gallery {}", id.trim_start_matches('g')),
            "description": "",
            "size": 1000,
            "count": 0,
            "applications": [{"id": format!("app-{id}"), "name": "Default", "apiKey": format!("key-{id}")}],
        }),
        ("GET", ["api", "applications"]) => serde_json::json!({"applications": []}),
        ("GET", ["v1.1", "subjects"]) => serde_json::json!({"subjects": [], "total": 0}),
        ("GET", ["v1.1", "tags"]) => serde_json::json!([]),
        _ => {
            return (
                404,
                serde_json::json!({"message": "the fault server has no such route"}).to_string(),
            );
        }
    };
    (200, body.to_string())
}

async fn write_answer(
    socket: &mut TcpStream,
    status: u16,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Answer",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         connection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.flush().await
}

/// Streams `{"galleries":[...]}` of about `bytes` bytes in 64 KiB chunks, made as they go out.
async fn write_huge(socket: &mut TcpStream, bytes: u64) -> std::io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    socket.write_all(head.as_bytes()).await?;
    let mut sent = 0u64;
    let mut next_id = 0u64;
    let mut block = Vec::with_capacity(70 * 1024);
    write_chunk(socket, b"{\"galleries\":[").await?;
    while sent < bytes {
        block.clear();
        while block.len() < 64 * 1024 {
            if next_id > 0 {
                block.push(b',');
            }
            next_id += 1;
            let _ = write!(
                block,
                r#"{{"id":"g{next_id:08}","name":"Gallery {next_id:08}","description":"","size":1000,"count":0}}"#
            );
        }
        write_chunk(socket, &block).await?;
        sent += block.len() as u64;
    }
    write_chunk(socket, b"]}").await?;
    socket.write_all(b"0\r\n\r\n").await?;
    socket.flush().await
}

async fn write_chunk(socket: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    socket
        .write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    socket.write_all(data).await?;
    socket.write_all(b"\r\n").await
}

/// A port on 127.0.0.1 that never completes a connection: its listener has a backlog of one,
/// that backlog is full and nothing accepts, so the kernel drops new connection attempts and a
/// client waits until its connect timeout.
#[derive(Debug)]
pub struct StalledListener {
    base_url: String,
    _listener: std::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
}

impl StalledListener {
    /// Listens and fills the backlog.
    ///
    /// # Panics
    /// When no loopback port can be had, or the backlog cannot be filled.
    pub fn start() -> Self {
        // tokio's socket is the one at hand that sets a backlog; it needs a runtime of its own,
        // made on a thread of its own so that this works inside a caller's runtime too.
        let listener = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("a runtime to make the socket");
            runtime.block_on(async {
                let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
                socket
                    .bind("127.0.0.1:0".parse().expect("an address"))
                    .expect("a free port on 127.0.0.1");
                socket
                    .listen(1)
                    .expect("a listener")
                    .into_std()
                    .expect("a plain listener")
            })
        })
        .join()
        .expect("the socket was made");
        let address = listener.local_addr().expect("the listener's address");
        let mut fillers = Vec::new();
        for _ in 0..16 {
            match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
                Ok(stream) => fillers.push(stream),
                Err(_) => {
                    return Self {
                        base_url: format!("http://{address}"),
                        _listener: listener,
                        _fillers: fillers,
                    };
                }
            }
        }
        panic!("the listener's backlog could not be filled");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}
