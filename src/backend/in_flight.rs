//! What runs in the background right now, and how it stops when nobody wants its answer.
//!
//! A pane's [`Pending`] and the task that fills its [`Reply`] share a link. Dropping the pending
//! half (a superseded refresh, a Cancel, a pane that forgets its request because its profile
//! changed) aborts the task when the command only reads: tokio drops the future, and reqwest
//! drops the connection with it, so repeated clicks never pile up requests on a slow server.
//! A write runs to its end even when its answer is no longer wanted: stopping it half-way
//! (a gallery created but its API key not filed) is worse than an answer nobody reads.
//!
//! [`InFlight`] lists the commands running now, with when they started, for the Activity pane.
//! The UI thread only copies that list or flags one entry: the lock is never held across an
//! await or a request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::task::AbortHandle;

use crate::error::UiError;

/// The sending half a command's task fills in.
pub struct Reply<T: Send + 'static> {
    sender: poll_promise::Sender<Result<T, UiError>>,
    link: TaskLink,
}

impl<T: Send + 'static> Reply<T> {
    /// Hands the answer to the pane; an answer nobody waits for any more is dropped.
    pub fn send(self, result: Result<T, UiError>) {
        self.sender.send(result);
    }

    pub(super) fn link(&self) -> &TaskLink {
        &self.link
    }
}

impl<T: Send + 'static> std::fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

/// The half a pane polls. Dropping it before the answer arrives aborts a reading task.
pub struct Pending<T: Send + 'static> {
    /// `None` only while [`Pending::try_take`] hands the answer over.
    promise: Option<poll_promise::Promise<Result<T, UiError>>>,
    link: TaskLink,
}

impl<T: Send + 'static> Pending<T> {
    /// A reply and the pending answer it fills.
    #[allow(clippy::new_ret_no_self)] // the two halves of one promise, like `Promise::new`
    pub fn new() -> (Reply<T>, Self) {
        let (sender, promise) = poll_promise::Promise::new();
        let link = TaskLink::default();
        (
            Reply {
                sender,
                link: link.clone(),
            },
            Self {
                promise: Some(promise),
                link,
            },
        )
    }

    /// The answer if it has arrived, else the pending request back.
    pub fn try_take(mut self) -> Result<Result<T, UiError>, Self> {
        let Some(promise) = self.promise.take() else {
            return Err(self);
        };
        match promise.try_take() {
            Ok(answer) => Ok(answer),
            Err(promise) => {
                self.promise = Some(promise);
                Err(self)
            }
        }
    }
}

impl<T: Send + 'static> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl<T: Send + 'static> Drop for Pending<T> {
    fn drop(&mut self) {
        // After the answer arrived this aborts a finished task, which does nothing.
        self.link.unwanted();
    }
}

/// Shared by a [`Reply`] and its [`Pending`]: whether the answer is still wanted, and how to
/// abort the task that computes it.
#[derive(Clone, Default)]
pub(super) struct TaskLink(Arc<Mutex<LinkState>>);

#[derive(Default)]
struct LinkState {
    abort: Option<AbortHandle>,
    unwanted: bool,
}

impl TaskLink {
    fn state(&self) -> MutexGuard<'_, LinkState> {
        // A poisoned lock only means a panic elsewhere while flagging; the flags are still right.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets the link abort `task`; aborts it at once when the answer is already unwanted.
    pub(super) fn attach(&self, task: AbortHandle) {
        let mut state = self.state();
        if state.unwanted {
            task.abort();
        } else {
            state.abort = Some(task);
        }
    }

    /// Nobody wants the answer: abort the task if one is attached.
    fn unwanted(&self) {
        let mut state = self.state();
        state.unwanted = true;
        if let Some(task) = state.abort.take() {
            task.abort();
        }
    }
}

/// Identifies one running command in [`InFlight`].
pub type InFlightId = u64;

/// One command running in the background, as the Activity pane lists it.
#[derive(Clone, Debug)]
pub struct InFlightTask {
    pub id: InFlightId,
    /// What it does, in words (`"listing the galleries"`); never its arguments.
    pub what: &'static str,
    pub started: Instant,
    /// Whether Cancel can stop it (reads only).
    pub cancellable: bool,
}

/// The commands running now.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<InFlightTasks>>);

#[derive(Default)]
struct InFlightTasks {
    next_id: InFlightId,
    tasks: BTreeMap<InFlightId, (InFlightTask, Option<TaskLink>)>,
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InFlight({})", self.tasks().tasks.len())
    }
}

impl InFlight {
    fn tasks(&self) -> MutexGuard<'_, InFlightTasks> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lists a command until the returned guard is dropped; `link` makes it cancellable.
    pub(super) fn start(&self, what: &'static str, link: Option<TaskLink>) -> InFlightGuard {
        let mut tasks = self.tasks();
        tasks.next_id += 1;
        let id = tasks.next_id;
        let task = InFlightTask {
            id,
            what,
            started: Instant::now(),
            cancellable: link.is_some(),
        };
        tasks.tasks.insert(id, (task, link));
        InFlightGuard {
            in_flight: self.clone(),
            id,
        }
    }

    /// The commands running now, oldest first.
    pub fn snapshot(&self) -> Vec<InFlightTask> {
        self.tasks()
            .tasks
            .values()
            .map(|(task, _)| task.clone())
            .collect()
    }

    /// Aborts a running read; its pane is told it was cancelled. False when it is not running
    /// any more or cannot be cancelled.
    pub fn cancel(&self, id: InFlightId) -> bool {
        let link = self
            .tasks()
            .tasks
            .get(&id)
            .and_then(|(_, link)| link.clone());
        match link {
            Some(link) => {
                link.unwanted();
                true
            }
            None => false,
        }
    }
}

/// Removes its command from [`InFlight`] when dropped.
pub(super) struct InFlightGuard {
    in_flight: InFlight,
    id: InFlightId,
}

impl InFlightGuard {
    /// The command's id in [`InFlight`].
    pub(super) fn id(&self) -> InFlightId {
        self.id
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.in_flight.tasks().tasks.remove(&self.id);
    }
}

/// What a pane is told when its read was cancelled from Activity.
pub(super) fn cancelled(what: &str) -> UiError {
    UiError::new(format!("{} was cancelled.", sentence_case(what))).retryable()
}

/// A command's name as the start of a sentence: "listing the galleries" → "Listing the
/// galleries".
pub fn sentence_case(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect::<String>())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_command_says_what_was_cancelled() {
        assert_eq!(
            cancelled("listing the galleries").message,
            "Listing the galleries was cancelled."
        );
    }

    #[test]
    fn dropping_the_pending_half_aborts_the_attached_task() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (reply, pending) = Pending::<()>::new();
        let task = runtime.spawn(std::future::pending::<()>());
        reply.link().attach(task.abort_handle());
        drop(pending);
        let outcome = runtime.block_on(task);
        assert!(outcome.is_err_and(|e| e.is_cancelled()));
    }

    #[test]
    fn a_task_attached_after_its_answer_was_dropped_is_aborted_at_once() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (reply, pending) = Pending::<()>::new();
        drop(pending);
        let task = runtime.spawn(std::future::pending::<()>());
        reply.link().attach(task.abort_handle());
        let outcome = runtime.block_on(task);
        assert!(outcome.is_err_and(|e| e.is_cancelled()));
    }
}
