//! The listener loop: HTTP/1.1 connections with bounds, so that a slow or silent client costs a
//! bounded amount of time and nothing else.
//!
//! `axum::serve` keeps a connection as long as the client does: a half-sent request stays open
//! forever and any number of them are kept. Here each connection is watched:
//!
//! - a request head must arrive whole within `header_read_timeout` of the connection's start or
//!   of the first byte after a response (hyper's own header timer would also run while a
//!   keep-alive connection is idle, so the watchdog below keeps the two apart);
//! - a kept-alive connection that sends nothing for `idle_timeout` is closed;
//! - a request body that stalls for `body_read_timeout` fails with [`BodyReadTimedOut`], which
//!   the SigV4 layer (the one reader of bodies) answers with `408`;
//! - a request that takes longer than `request_timeout` in all is answered with the API's typed
//!   Timeout error (`1003`, status 504);
//! - at most `max_connections` connections are served at once; further ones wait in the
//!   listener's backlog until one closes.
//!
//! The service itself stays `app(state)`: these limits belong to a listener, so tests that drive
//! the router with `oneshot` see none of them, and the console and `necid-server serve` share them.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::error::ApiError;

/// How long a client may take, and how many may be served at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// Time for a whole request head, from the connection's start or from the first byte of a
    /// request on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Longest pause while a request body is being read.
    pub body_read_timeout: Duration,
    /// Longest silence on a kept-alive connection between a response and the next request.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listener's backlog.
    pub max_connections: usize,
    /// Longest time for a request, from its head to its response.
    pub request_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(75),
            max_connections: 512,
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// A request body paused for longer than [`ServeOptions::body_read_timeout`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body was not received in time")]
pub struct BodyReadTimedOut;

/// Serves `router` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, router: Router, options: ServeOptions) {
    serve_with_shutdown(listener, router, options, std::future::pending()).await;
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets every
/// connection finish the request it is in (each bounded by the options) and returns when all
/// are closed.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let stop = stop_rx.clone();
        connections.spawn(async move {
            serve_connection(stream, router, options, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
}

/// Connection errors concern one client; others (out of file descriptors) pass with time, so
/// the loop waits a little instead of spinning, as `axum::serve` does.
async fn accept_error(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    options: ServeOptions,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(WatchedStream {
        inner: stream,
        activity: activity.clone(),
    });
    let service_activity = activity.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let router = router.clone();
        let in_request = InRequest::begin(service_activity.clone());
        async move {
            let response = handle(router, req, options).await;
            drop(in_request);
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog times request heads (see the module doc).
    builder.header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let watchdog = activity.watchdog(options);
    tokio::pin!(watchdog);
    tokio::select! {
        result = connection.as_mut() => {
            log_connection_end(result);
            return;
        }
        () = &mut watchdog => {
            tracing::debug!("closing a connection that sent no complete request in time");
            return;
        }
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        result = connection.as_mut() => log_connection_end(result),
        () = &mut watchdog => {}
    }
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "a connection ended with an error");
    }
}

/// One request through the router, under the request time limit, its body under the read
/// timeout.
async fn handle(router: Router, req: Request<Incoming>, options: ServeOptions) -> Response {
    let req = req.map(|body| {
        Body::new(ReadTimeoutBody {
            inner: body,
            timeout: options.body_read_timeout,
            sleep: None,
        })
    });
    match tokio::time::timeout(options.request_timeout, router.oneshot(req)).await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => ApiError::Timeout(format!(
            "The request was not completed within the limit of {} s.",
            options.request_timeout.as_secs_f64()
        ))
        .into_response(),
    }
}

/// Where a connection is between requests; the watchdog's deadlines follow from it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for (the rest of) a request head since this instant.
    AwaitingHead(Instant),
    /// Kept alive after a response, nothing received since this instant.
    Idle(Instant),
    /// A request is being handled (its own limits apply).
    InRequest,
}

#[derive(Debug)]
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::AwaitingHead(Instant::now())),
            changed: Notify::new(),
        }
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = phase;
        self.changed.notify_one();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes arrived: an idle connection now has a request head on its way.
    fn received(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        if let Phase::Idle(_) = *phase {
            *phase = Phase::AwaitingHead(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// Resolves when the connection has waited too long for a request head or sat idle too long.
    async fn watchdog(&self, options: ServeOptions) {
        loop {
            let deadline = match self.phase() {
                Phase::AwaitingHead(since) => Some(since + options.header_read_timeout),
                Phase::Idle(since) => Some(since + options.idle_timeout),
                Phase::InRequest => None,
            };
            match deadline {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// Marks a connection busy for as long as its request is handled.
struct InRequest(Arc<Activity>);

impl InRequest {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.set(Phase::InRequest);
        Self(activity)
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.set(Phase::Idle(Instant::now()));
    }
}

/// The TCP stream, telling the watchdog when bytes arrive.
struct WatchedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that fails with [`BodyReadTimedOut`] when no frame arrives for `timeout`
/// while it is being read.
struct ReadTimeoutBody {
    inner: Incoming,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl hyper::body::Body for ReadTimeoutBody {
    type Data = hyper::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.sleep = None;
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let timeout = this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyReadTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
