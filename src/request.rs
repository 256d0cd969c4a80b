//! A request as the UI sees it: not requested, pending, ready or failed, each keeping the last
//! good data so a refresh does not make the pane flicker.

use crate::backend::{Access, Call, Command, Outbox, Pending, Reply, Worker};
use crate::error::UiError;

/// Which of the four states a [`Request`] is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    NotRequested,
    Pending,
    Ready,
    Failed,
}

/// One request's state and its latest data.
pub struct Request<T: Send + 'static> {
    data: Option<T>,
    error: Option<UiError>,
    pending: Option<Pending<T>>,
    requested: bool,
}

impl<T: Send + 'static> std::fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The data may be secret (keys) or large (pages of subjects): show only the state.
        f.debug_struct("Request")
            .field("phase", &self.phase())
            .field("has_data", &self.data.is_some())
            .finish()
    }
}

impl<T: Send + 'static> Default for Request<T> {
    fn default() -> Self {
        Self {
            data: None,
            error: None,
            pending: None,
            requested: false,
        }
    }
}

/// What [`Request::poll`] saw finish this frame.
#[derive(Debug)]
pub enum Finished<'a, T> {
    Succeeded(&'a T),
    Failed(&'a UiError),
}

impl<T: Send + 'static> Request<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends the command built by `make` and waits for its reply; the previous data stays.
    /// A request that is still pending is superseded (its answer is dropped).
    pub fn send(&mut self, outbox: &mut Outbox, make: impl FnOnce(Reply<T>) -> Command) {
        let (reply, pending) = Pending::new();
        outbox.push(make(reply));
        self.pending = Some(pending);
        self.requested = true;
    }

    /// Runs an API call that only reads: `work` gets a [`Worker`] for blocking steps and
    /// returns the answer; `what` names the action ("listing the tags") for Activity and for
    /// the error. A superseded or cancelled read is aborted (see `backend::in_flight`).
    pub fn read<E, F, Fut>(&mut self, outbox: &mut Outbox, what: &'static str, work: F)
    where
        E: Into<UiError>,
        F: FnOnce(Worker) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + Send + 'static,
    {
        self.send(outbox, |reply| {
            Command::Call(Call::new(what, Access::Read, reply, work))
        });
    }

    /// Runs an API call that changes something; it runs to its end even if nobody waits for
    /// the answer any more.
    pub fn write<E, F, Fut>(&mut self, outbox: &mut Outbox, what: &'static str, work: F)
    where
        E: Into<UiError>,
        F: FnOnce(Worker) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, E>> + Send + 'static,
    {
        self.send(outbox, |reply| {
            Command::Call(Call::new(what, Access::Write, reply, work))
        });
    }

    /// Takes the reply if it has arrived; call once per frame before drawing.
    /// Returns what finished, so the caller can react exactly once.
    pub fn poll(&mut self) -> Option<Finished<'_, T>> {
        let pending = self.pending.take()?;
        match pending.try_take() {
            Err(still_pending) => {
                self.pending = Some(still_pending);
                None
            }
            Ok(Ok(data)) => {
                self.error = None;
                self.data = Some(data);
                self.data.as_ref().map(Finished::Succeeded)
            }
            Ok(Err(error)) => {
                self.error = Some(error);
                self.error.as_ref().map(Finished::Failed)
            }
        }
    }

    pub fn phase(&self) -> Phase {
        if self.pending.is_some() {
            Phase::Pending
        } else if self.error.is_some() {
            Phase::Failed
        } else if self.requested {
            Phase::Ready
        } else {
            Phase::NotRequested
        }
    }

    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Never asked, so the pane should ask.
    pub fn is_not_requested(&self) -> bool {
        !self.requested
    }

    /// The latest data that arrived, even while a refresh is pending or failed.
    pub fn data(&self) -> Option<&T> {
        self.data.as_ref()
    }

    pub fn data_mut(&mut self) -> Option<&mut T> {
        self.data.as_mut()
    }

    /// The error of the latest attempt, if it failed.
    pub fn error(&self) -> Option<&UiError> {
        self.error.as_ref()
    }

    /// Stops waiting for the pending answer, keeping the data and error from before. A read's
    /// task is aborted with it, which closes its connection (see `backend::in_flight`).
    pub fn cancel(&mut self) {
        self.pending = None;
    }

    /// Back to "not requested", dropping data, error and any pending answer.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}
