//! The only place that starts background work.
//!
//! Panes push [`Command`]s into the frame's [`Outbox`]; the shell hands them to
//! [`Backend::execute`] once per frame, which runs each on the tokio runtime built in `main.rs`
//! (blocking work such as the keyring on its blocking pool). Each command carries the sending
//! half of a `poll_promise` promise; the task fills it and asks egui for a repaint, and the pane
//! polls its [`crate::request::Request`] on the next frame. The UI thread never waits.
#![allow(clippy::disallowed_methods)] // spawning is what this module is for

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::credentials::{self, KeyringStatus, Secrets};
use crate::error::UiError;
use crate::paths::AppPaths;
use crate::profiles::{ProfileId, ProfileList};

/// The sending half a command's task fills in.
pub type Reply<T> = poll_promise::Sender<Result<T, UiError>>;
/// The half a pane polls.
pub type Pending<T> = poll_promise::Promise<Result<T, UiError>>;

/// Something the UI wants done in the background.
#[non_exhaustive]
pub enum Command {
    /// Write, read back and remove a throw-away keyring entry.
    ProbeKeyring { reply: Reply<KeyringStatus> },
    /// Store a profile's AccessKey and SecretKey in the keyring.
    StoreSecrets {
        profile_id: ProfileId,
        secrets: Secrets,
        reply: Reply<()>,
    },
    /// Read a profile's AccessKey and SecretKey from the keyring.
    LoadSecrets {
        profile_id: ProfileId,
        reply: Reply<Option<Secrets>>,
    },
    /// Whether a profile has both keys in the keyring (without handing them to the UI).
    SecretsPresent {
        profile_id: ProfileId,
        reply: Reply<bool>,
    },
    /// Remove a profile's keys and API keys from the keyring.
    DeleteSecrets {
        profile_id: ProfileId,
        reply: Reply<()>,
    },
    /// Write the profile file. `generation` orders concurrent saves: an older list never
    /// overwrites a newer one.
    SaveProfiles {
        profiles: ProfileList,
        generation: u64,
        reply: Reply<()>,
    },
}

impl Command {
    /// A short name for logs and errors; never includes arguments (they may be secret).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ProbeKeyring { .. } => "checking the OS keyring",
            Self::StoreSecrets { .. } => "storing the keys in the OS keyring",
            Self::LoadSecrets { .. } => "reading the keys from the OS keyring",
            Self::SecretsPresent { .. } => "looking up the keys in the OS keyring",
            Self::DeleteSecrets { .. } => "removing the keys from the OS keyring",
            Self::SaveProfiles { .. } => "saving the profile list",
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Command").field(&self.name()).finish()
    }
}

/// The commands the panes issued during one frame.
#[derive(Debug, Default)]
pub struct Outbox {
    commands: Vec<Command>,
}

impl Outbox {
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    pub fn drain(&mut self) -> std::vec::Drain<'_, Command> {
        self.commands.drain(..)
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// Runs commands on the tokio runtime.
#[derive(Clone)]
pub struct Backend {
    runtime: tokio::runtime::Handle,
    paths: AppPaths,
    /// The newest profile-list generation written to disk.
    profiles_written: Arc<Mutex<u64>>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

impl Backend {
    pub fn new(runtime: tokio::runtime::Handle, paths: AppPaths) -> Self {
        Self {
            runtime,
            paths,
            profiles_written: Arc::new(Mutex::new(0)),
        }
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    /// Starts `command`; its reply arrives through the promise it carries.
    pub fn execute(&self, command: Command, ctx: &egui::Context) {
        let what = command.name();
        tracing::debug!(command = what, "starting");
        match command {
            Command::ProbeKeyring { reply } => {
                self.blocking(ctx, what, reply, || Ok(credentials::probe()));
            }
            Command::StoreSecrets {
                profile_id,
                secrets,
                reply,
            } => self.blocking(ctx, what, reply, move || {
                credentials::store_profile_secrets(&profile_id, &secrets).map_err(keyring_error)
            }),
            Command::LoadSecrets { profile_id, reply } => {
                self.blocking(ctx, what, reply, move || {
                    credentials::load_profile_secrets(&profile_id).map_err(keyring_error)
                });
            }
            Command::SecretsPresent { profile_id, reply } => {
                self.blocking(ctx, what, reply, move || {
                    credentials::load_profile_secrets(&profile_id)
                        .map(|secrets| secrets.is_some())
                        .map_err(keyring_error)
                });
            }
            Command::DeleteSecrets { profile_id, reply } => {
                self.blocking(ctx, what, reply, move || {
                    credentials::delete_profile_secrets(&profile_id).map_err(keyring_error)
                });
            }
            Command::SaveProfiles {
                profiles,
                generation,
                reply,
            } => {
                let path = self.paths.profiles_file();
                let written = Arc::clone(&self.profiles_written);
                self.blocking(ctx, what, reply, move || {
                    // A poisoned lock only means an earlier save panicked; the number is
                    // still right.
                    let mut newest = written.lock().unwrap_or_else(|e| e.into_inner());
                    if generation <= *newest {
                        return Ok(());
                    }
                    profiles
                        .save(&path)
                        .map_err(|error| UiError::new(format!("{error:#}")).retryable())?;
                    *newest = generation;
                    Ok(())
                });
            }
        }
    }

    /// Runs blocking `work` on the blocking pool, then fills `reply` and repaints. A panic in
    /// `work` becomes an error reply instead of a dropped promise (which would panic the UI).
    fn blocking<T: Send + 'static>(
        &self,
        ctx: &egui::Context,
        what: &'static str,
        reply: Reply<T>,
        work: impl FnOnce() -> Result<T, UiError> + Send + 'static,
    ) {
        let handle = self.runtime.spawn_blocking(work);
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let result = handle.await.unwrap_or_else(|_| Err(UiError::task_lost(what)));
            if let Err(error) = &result {
                tracing::debug!(command = what, %error, "failed");
            }
            reply.send(result);
            ctx.request_repaint();
        });
    }
}

fn keyring_error(error: credentials::CredentialError) -> UiError {
    UiError::new(error.to_string())
}
