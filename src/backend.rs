//! The only place that starts background work.
//!
//! Panes push [`Command`]s into the frame's [`Outbox`]; the shell hands them to
//! [`Backend::execute`] once per frame, which runs each on the one tokio runtime ([`runtime`],
//! built by `main.rs`; blocking work such as the keyring on its blocking pool). Each command carries the sending
//! half of a `poll_promise` promise; the task fills it and asks egui for a repaint, and the pane
//! polls its [`crate::request::Request`] on the next frame. The UI thread never waits.
//!
//! An API call has no command of its own: a pane hands [`Command::Call`] a future built from the
//! client (see [`crate::request::Request::read`]), and this module runs it like any other task
//! (request events owned by it, listed in Activity, aborted when unwanted if it only reads).
//! Named commands remain only for what is more than a call: the keyring, files and dialogs
//! (`backend/files.rs`, `backend/dialogs.rs`), the profile file and the Local service.
#![allow(clippy::disallowed_methods)] // spawning is what this module is for

mod call;
pub mod dialogs;
pub mod files;
mod gallery_keys;
mod in_flight;

use std::fmt;
use std::sync::{Arc, Mutex};

use necid::{CreateGallery, CreatedGallery, GalleryId};

use crate::connection::{ActivitySender, Connection};
use crate::credentials::{self, KeyringStatus, Secrets};
use crate::error::UiError;
use crate::local::{LocalService, LocalSettings};
use crate::paths::AppPaths;
use crate::profiles::{Profile, ProfileId, ProfileList};

pub use call::{Access, Call, Worker};
pub use files::FileCommand;
pub use gallery_keys::OpenedGallery;
pub use in_flight::{InFlight, InFlightId, InFlightTask, Pending, Reply, sentence_case};

tokio::task_local! {
    /// The command a task runs for, so that the client's request events (reported on the task
    /// that makes the request) name the command that owns each request.
    static OWNER: InFlightId;
}

/// The command the current task runs for, when it runs one (see [`OWNER`]).
pub fn current_owner() -> Option<InFlightId> {
    OWNER.try_with(|owner| *owner).ok()
}

/// The console's one tokio runtime, which every background task runs on. Two workers match the
/// machines this runs on; blocking work (keyring, files) has its own pool.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("necid-backend")
        .enable_all()
        .build()
}

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
    /// Build a client for a profile from its keys in the keyring. `generation` tells this
    /// client from every other one the shell built (see [`Connection::generation`]).
    Connect {
        profile: Profile,
        generation: u64,
        activity: ActivitySender,
        /// The Local service's bucket folder (the Jobs pane copies images there).
        bucket_dir: Option<std::path::PathBuf>,
        reply: Reply<Connection>,
    },
    /// Create a gallery and file its API key in the keyring.
    CreateGallery {
        connection: Connection,
        gallery: CreateGallery,
        reply: Reply<CreatedGallery>,
    },
    /// Delete a gallery and its API key in the keyring.
    DeleteGallery {
        connection: Connection,
        gallery_id: GalleryId,
        reply: Reply<()>,
    },
    /// Find an API key for a gallery (its applications', else the keyring's) and hand back a
    /// gallery handle.
    OpenGallery {
        connection: Connection,
        gallery_id: GalleryId,
        reply: Reply<OpenedGallery>,
    },
    /// Fetch the models on a first run without them ([`crate::local::prepare`]), find the keys
    /// and start the Local service (models, store, listener on 127.0.0.1).
    StartLocal {
        settings: LocalSettings,
        reply: Reply<LocalService>,
    },
    /// A dialog, or a file read or written (see `backend/files.rs`).
    Files(FileCommand),
    /// One API call, or a few in a row, built by a pane (see [`Call`]).
    Call(Call),
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
            Self::Connect { .. } => "connecting",
            Self::CreateGallery { .. } => "creating the gallery",
            Self::DeleteGallery { .. } => "deleting the gallery",
            Self::OpenGallery { .. } => "opening the gallery",
            Self::StartLocal { .. } => "starting the Local service",
            Self::Files(command) => command.name(),
            Self::Call(call) => call.what(),
        }
    }
}

impl Command {
    /// Whether the command only reads, so that stopping it half-way loses nothing: its task is
    /// aborted when nobody wants the answer any more, and Activity offers to cancel it.
    pub fn only_reads(&self) -> bool {
        match self {
            Self::OpenGallery { .. } => true,
            Self::Call(call) => call.access() == Access::Read,
            _ => false,
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
    /// The commands running now.
    in_flight: InFlight,
    /// Whether the command being started only reads, so dropping its answer may abort it.
    cancellable: bool,
    /// Where each picker's dialog opens.
    last_folders: dialogs::LastFolders,
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
            in_flight: InFlight::default(),
            cancellable: false,
            last_folders: dialogs::LastFolders::default(),
        }
    }

    /// The folder each picker was last used in.
    pub fn last_folders(&self) -> &dialogs::LastFolders {
        &self.last_folders
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    /// The commands running now, for the Activity pane (which may cancel the reads).
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// Starts `command`; its reply arrives through the promise it carries.
    pub fn execute(&self, command: Command, ctx: &egui::Context) {
        let backend = Self {
            cancellable: command.only_reads(),
            ..self.clone()
        };
        backend.start(command, ctx);
    }

    fn start(&self, command: Command, ctx: &egui::Context) {
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
            Command::Connect {
                profile,
                generation,
                activity,
                bucket_dir,
                reply,
            } => {
                let repaint = ctx.clone();
                self.blocking(ctx, what, reply, move || {
                    gallery_keys::connect(profile, generation, activity, repaint, bucket_dir)
                });
            }
            Command::CreateGallery {
                connection,
                gallery,
                reply,
            } => {
                let worker = self.worker();
                self.task(ctx, what, reply, async move {
                    gallery_keys::create_gallery(connection, gallery, worker).await
                });
            }
            Command::DeleteGallery {
                connection,
                gallery_id,
                reply,
            } => {
                let worker = self.worker();
                self.task(ctx, what, reply, async move {
                    gallery_keys::delete_gallery(connection, gallery_id, worker).await
                });
            }
            Command::OpenGallery {
                connection,
                gallery_id,
                reply,
            } => {
                let worker = self.worker();
                self.task(ctx, what, reply, async move {
                    gallery_keys::open_gallery(connection, gallery_id, worker).await
                });
            }
            Command::StartLocal { settings, reply } => {
                let worker = self.worker();
                self.task(ctx, what, reply, async move {
                    let prepared = settings.clone();
                    let keys = worker
                        .blocking(what, move || crate::local::prepare(&prepared))
                        .await?;
                    crate::local::start(settings, keys).await
                });
            }
            Command::Files(command) => command.execute(self, ctx),
            Command::Call(call) => call.start(self, ctx),
        }
    }

    /// What a pane's call may use besides the client: the blocking pool.
    pub(crate) fn worker(&self) -> Worker {
        Worker::new(self.runtime.clone())
    }

    /// Runs blocking `work` on the blocking pool, then fills `reply` and repaints. A panic in
    /// `work` becomes an error reply instead of a dropped promise (which would panic the UI).
    pub(crate) fn blocking<T: Send + 'static>(
        &self,
        ctx: &egui::Context,
        what: &'static str,
        reply: Reply<T>,
        work: impl FnOnce() -> Result<T, UiError> + Send + 'static,
    ) {
        // Work on the blocking pool cannot be stopped once it runs: listed, not cancellable.
        let listed = self.in_flight.start(what, None);
        let handle = self.runtime.spawn_blocking(work);
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let result = handle
                .await
                .unwrap_or_else(|_| Err(UiError::task_lost(what)))
                .map_err(|error| error.or_during(&sentence_case(what)));
            if let Err(error) = &result {
                tracing::debug!(command = what, %error, "failed");
            }
            reply.send(result);
            drop(listed);
            ctx.request_repaint();
        });
    }

    /// Runs `work` on the runtime, then fills `reply` and repaints; a panic becomes an error.
    /// A read is aborted when its answer is no longer wanted (see [`in_flight`]).
    pub(crate) fn task<T: Send + 'static>(
        &self,
        ctx: &egui::Context,
        what: &'static str,
        reply: Reply<T>,
        work: impl std::future::Future<Output = Result<T, UiError>> + Send + 'static,
    ) {
        let link = self.cancellable.then(|| reply.link().clone());
        let listed = self.in_flight.start(what, link.clone());
        let handle = self.runtime.spawn(OWNER.scope(listed.id(), work));
        if let Some(link) = link {
            link.attach(handle.abort_handle());
        }
        let ctx = ctx.clone();
        self.runtime.spawn(async move {
            let result = match handle.await {
                Ok(result) => result.map_err(|error| error.or_during(&sentence_case(what))),
                Err(error) if error.is_cancelled() => Err(in_flight::cancelled(what)),
                Err(_) => Err(UiError::task_lost(what)),
            };
            if let Err(error) = &result {
                tracing::debug!(command = what, %error, "failed");
            }
            reply.send(result);
            drop(listed);
            ctx.request_repaint();
        });
    }
}

pub(crate) fn keyring_error(error: credentials::CredentialError) -> UiError {
    UiError::new(error.to_string())
}
