//! The one generic command: an API call (or a few in a row) that a pane builds as a future, and
//! the backend runs like every other task.
//!
//! A pane never spawns; it writes what it wants as `async` code over its client or gallery
//! handle and hands it over as a [`Call`] (through [`crate::request::Request::read`] or
//! [`crate::request::Request::write`]). The backend runs it on the runtime with everything a
//! named command gets: the requests it makes are owned by it in Activity, a read is aborted when
//! nobody wants its answer any more (and can be cancelled from Activity), a write runs to its
//! end, and the client's error becomes the UI's [`UiError`] in one place (`From<necid::Error>`)
//! with the call's action named when it fails.

use std::future::Future;
use std::pin::Pin;

use super::{Backend, Reply};
use crate::error::UiError;

/// Whether stopping a call half-way loses nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Only reads: aborted when its answer is no longer wanted, cancellable from Activity.
    Read,
    /// Changes something: runs to its end even when nobody waits for the answer.
    Write,
}

type Starter = Box<dyn FnOnce(&Backend, &egui::Context) + Send>;

/// An API call a pane wants made, with the reply it fills.
pub struct Call {
    what: &'static str,
    access: Access,
    start: Starter,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("what", &self.what)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// `what` names the action in words for Activity and for the error ("listing the tags");
    /// `work` gets a [`Worker`] for anything blocking (decoding, files) and returns the answer.
    pub fn new<T, E, F, Fut>(what: &'static str, access: Access, reply: Reply<T>, work: F) -> Self
    where
        T: Send + 'static,
        E: Into<UiError>,
        F: FnOnce(Worker) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        Self {
            what,
            access,
            start: Box::new(move |backend, ctx| {
                let worker = backend.worker();
                backend.task(ctx, what, reply, async move {
                    work(worker).await.map_err(Into::into)
                });
            }),
        }
    }

    /// What the call does, in words; never its arguments.
    pub fn what(&self) -> &'static str {
        self.what
    }

    pub fn access(&self) -> Access {
        self.access
    }

    pub(super) fn start(self, backend: &Backend, ctx: &egui::Context) {
        (self.start)(backend, ctx);
    }
}

/// What a call may use besides its client: the runtime's blocking pool, for work that would
/// stall the async threads (decoding an image, reading a thumbnail).
#[derive(Clone)]
pub struct Worker {
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Worker")
    }
}

/// A boxed future of a blocking job's answer.
pub type BlockingAnswer<T> = Pin<Box<dyn Future<Output = Result<T, UiError>> + Send>>;

impl Worker {
    pub(super) fn new(runtime: tokio::runtime::Handle) -> Self {
        Self { runtime }
    }

    /// Runs `work` on the blocking pool; `what` names it if the job is lost (a panic).
    pub fn blocking<T: Send + 'static>(
        &self,
        what: &'static str,
        work: impl FnOnce() -> Result<T, UiError> + Send + 'static,
    ) -> BlockingAnswer<T> {
        let handle = self.runtime.spawn_blocking(work);
        Box::pin(async move {
            handle
                .await
                .unwrap_or_else(|_| Err(UiError::task_lost(what)))
        })
    }
}
