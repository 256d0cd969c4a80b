//! The only place that starts background work.
//!
//! Panes push [`Command`]s into the frame's [`Outbox`]; the shell hands them to
//! [`Backend::execute`] once per frame, which runs each on the one tokio runtime ([`runtime`],
//! built by `main.rs`; blocking work such as the keyring on its blocking pool). Each command carries the sending
//! half of a `poll_promise` promise; the task fills it and asks egui for a repaint, and the pane
//! polls its [`crate::request::Request`] on the next frame. The UI thread never waits.
#![allow(clippy::disallowed_methods)] // spawning is what this module is for

pub mod face;
mod in_flight;
pub mod subjects;

use std::fmt;
use std::sync::{Arc, Mutex};

use necid::{
    Application, ApplicationId, CreateApplication, CreateGallery, CreatedGallery, GalleryId,
    GallerySummary, SortDirection, SubjectPage, TagName, UpdateApplication, UpdateGallery,
    UpdatedGallery,
};

use crate::connection::{
    ActivityEntry, ActivityEvent, ActivitySender, Connection, RequestInFlight,
};
use crate::credentials::{self, KeyringStatus, Secrets};
use crate::error::UiError;
use crate::paths::AppPaths;
use crate::profiles::{Profile, ProfileId, ProfileList};

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

pub use face::FaceCommand;
pub use subjects::SubjectsCommand;

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
    ListGalleries {
        client: necid::Client,
        reply: Reply<Vec<GallerySummary>>,
    },
    /// Create a gallery and file its API key in the keyring.
    CreateGallery {
        connection: Connection,
        gallery: CreateGallery,
        reply: Reply<CreatedGallery>,
    },
    UpdateGallery {
        client: necid::Client,
        gallery_id: GalleryId,
        change: UpdateGallery,
        reply: Reply<UpdatedGallery>,
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
    ListTags {
        gallery: necid::Gallery,
        reply: Reply<Vec<TagName>>,
    },
    CreateTag {
        gallery: necid::Gallery,
        name: TagName,
        reply: Reply<()>,
    },
    RenameTag {
        gallery: necid::Gallery,
        old_name: TagName,
        new_name: TagName,
        reply: Reply<()>,
    },
    DeleteTag {
        gallery: necid::Gallery,
        name: TagName,
        reply: Reply<()>,
    },
    /// Every application with its details (the list alone has no minimum quality).
    ListApplications {
        client: necid::Client,
        reply: Reply<Vec<Application>>,
    },
    CreateApplication {
        client: necid::Client,
        application: CreateApplication,
        reply: Reply<Application>,
    },
    UpdateApplication {
        client: necid::Client,
        application_id: ApplicationId,
        change: UpdateApplication,
        reply: Reply<Application>,
    },
    DeleteApplication {
        client: necid::Client,
        application_id: ApplicationId,
        reply: Reply<()>,
    },
    /// One page of List Subjects.
    ListSubjects {
        gallery: necid::Gallery,
        start: u64,
        length: u32,
        dir: SortDirection,
        reply: Reply<SubjectPage>,
    },
    /// The Face pane's work (see `backend/face.rs`).
    Face(FaceCommand),
    /// The Subjects and Jobs panes' work (see `backend/subjects.rs`).
    Subjects(SubjectsCommand),
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
            Self::ListGalleries { .. } => "listing the galleries",
            Self::CreateGallery { .. } => "creating the gallery",
            Self::UpdateGallery { .. } => "saving the gallery",
            Self::DeleteGallery { .. } => "deleting the gallery",
            Self::OpenGallery { .. } => "opening the gallery",
            Self::ListTags { .. } => "listing the tags",
            Self::CreateTag { .. } => "creating the tag",
            Self::RenameTag { .. } => "renaming the tag",
            Self::DeleteTag { .. } => "deleting the tag",
            Self::ListApplications { .. } => "listing the applications",
            Self::CreateApplication { .. } => "creating the application",
            Self::UpdateApplication { .. } => "saving the application",
            Self::DeleteApplication { .. } => "deleting the application",
            Self::ListSubjects { .. } => "listing the subjects",
            Self::Face(command) => command.name(),
            Self::Subjects(command) => command.name(),
        }
    }
}

impl Command {
    /// Whether the command only reads, so that stopping it half-way loses nothing: its task is
    /// aborted when nobody wants the answer any more, and Activity offers to cancel it.
    pub fn only_reads(&self) -> bool {
        matches!(
            self,
            Self::ListGalleries { .. }
                | Self::OpenGallery { .. }
                | Self::ListTags { .. }
                | Self::ListApplications { .. }
                | Self::ListSubjects { .. }
                | Self::Subjects(
                    SubjectsCommand::ListEvents { .. } | SubjectsCommand::BulkRecords { .. },
                )
                | Self::Face(
                    FaceCommand::Extract { .. }
                        | FaceCommand::Search { .. }
                        | FaceCommand::VerifySubject { .. }
                        | FaceCommand::VerifyFaces { .. },
                )
        )
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
        }
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
                    connect(profile, generation, activity, repaint, bucket_dir)
                });
            }
            Command::ListGalleries { client, reply } => {
                self.task(ctx, what, reply, async move {
                    client.galleries().list().await.map_err(api_error)
                });
            }
            Command::CreateGallery {
                connection,
                gallery,
                reply,
            } => {
                let runtime = self.runtime.clone();
                self.task(ctx, what, reply, async move {
                    let created = connection
                        .client
                        .galleries()
                        .create(&gallery)
                        .await
                        .map_err(api_error)?;
                    let profile_id = connection.profile_id.clone();
                    let owner = gallery_owner(&created.id);
                    let api_key = created.api_key.clone();
                    runtime
                        .spawn_blocking(move || {
                            credentials::store_api_key(&profile_id, &owner, api_key.expose())
                        })
                        .await
                        .map_err(|_| UiError::task_lost("storing the API key"))?
                        .map_err(|error| {
                            UiError::new(format!(
                                "The gallery was created, but its API key could not be kept: {error}"
                            ))
                        })?;
                    Ok(created)
                });
            }
            Command::UpdateGallery {
                client,
                gallery_id,
                change,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    client
                        .galleries()
                        .update(&gallery_id, &change)
                        .await
                        .map_err(api_error)
                });
            }
            Command::DeleteGallery {
                connection,
                gallery_id,
                reply,
            } => {
                let runtime = self.runtime.clone();
                self.task(ctx, what, reply, async move {
                    connection
                        .client
                        .galleries()
                        .delete(&gallery_id)
                        .await
                        .map_err(api_error)?;
                    let profile_id = connection.profile_id.clone();
                    let owner = gallery_owner(&gallery_id);
                    // The gallery is gone either way; a key left behind is harmless and is
                    // overwritten if the id ever comes back.
                    let removed = runtime
                        .spawn_blocking(move || credentials::delete_api_key(&profile_id, &owner))
                        .await;
                    if let Ok(Err(error)) = removed {
                        tracing::warn!(%error, "the deleted gallery's API key stayed in the keyring");
                    }
                    Ok(())
                });
            }
            Command::OpenGallery {
                connection,
                gallery_id,
                reply,
            } => {
                let runtime = self.runtime.clone();
                self.task(ctx, what, reply, async move {
                    open_gallery(connection, gallery_id, runtime).await
                });
            }
            Command::ListTags { gallery, reply } => {
                self.task(ctx, what, reply, async move {
                    gallery.tags().await.map_err(api_error)
                });
            }
            Command::CreateTag {
                gallery,
                name,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    gallery.create_tag(&name).await.map_err(api_error)
                });
            }
            Command::RenameTag {
                gallery,
                old_name,
                new_name,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    gallery
                        .rename_tag(&old_name, &new_name)
                        .await
                        .map_err(api_error)
                });
            }
            Command::DeleteTag {
                gallery,
                name,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    gallery.delete_tag(&name).await.map_err(api_error)
                });
            }
            Command::ListApplications { client, reply } => {
                self.task(ctx, what, reply, async move {
                    let applications = client.applications();
                    let summaries = applications.list().await.map_err(api_error)?;
                    let mut details = Vec::with_capacity(summaries.len());
                    for summary in summaries {
                        details.push(applications.get(&summary.id).await.map_err(api_error)?);
                    }
                    Ok(details)
                });
            }
            Command::CreateApplication {
                client,
                application,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    client
                        .applications()
                        .create(&application)
                        .await
                        .map_err(api_error)
                });
            }
            Command::UpdateApplication {
                client,
                application_id,
                change,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    client
                        .applications()
                        .update(&application_id, &change)
                        .await
                        .map_err(api_error)
                });
            }
            Command::DeleteApplication {
                client,
                application_id,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    client
                        .applications()
                        .delete(&application_id)
                        .await
                        .map_err(api_error)
                });
            }
            Command::ListSubjects {
                gallery,
                start,
                length,
                dir,
                reply,
            } => {
                self.task(ctx, what, reply, async move {
                    gallery
                        .list_subjects()
                        .start(start)
                        .length(length)
                        .dir(dir)
                        .send()
                        .await
                        .map_err(api_error)
                });
            }
            Command::Face(command) => command.execute(self, ctx),
            Command::Subjects(command) => command.execute(self, ctx),
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
    fn task<T: Send + 'static>(
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

/// A gallery ready for the gallery-scoped panes.
#[derive(Clone, Debug)]
pub struct OpenedGallery {
    pub gallery_id: GalleryId,
    pub name: String,
    pub size: u64,
    pub count: u64,
    pub gallery: necid::Gallery,
}

impl OpenedGallery {
    /// The same gallery over `client` (a profile's new keys or region on the same server): the
    /// handle keeps the gallery's API key and takes everything else from the new client.
    pub fn on_client(&self, client: &necid::Client) -> Self {
        Self {
            gallery: client.gallery(self.gallery.api_key().clone()),
            ..self.clone()
        }
    }
}

/// The keyring owner name of a gallery's API key.
fn gallery_owner(gallery_id: &GalleryId) -> String {
    format!("gallery/{gallery_id}")
}

fn connect(
    profile: Profile,
    generation: u64,
    activity: ActivitySender,
    repaint: egui::Context,
    bucket_dir: Option<std::path::PathBuf>,
) -> Result<Connection, UiError> {
    let secrets = credentials::load_profile_secrets(&profile.profile_id)
        .map_err(keyring_error)?
        .ok_or_else(|| {
            UiError::new(format!(
                "No AccessKey and SecretKey are stored for “{}”: add them in Settings.",
                profile.name
            ))
        })?;
    let observed = profile.clone();
    let observer: necid::RequestEventObserver = std::sync::Arc::new(move |event| {
        let event = match event {
            necid::RequestEvent::Started(start) => ActivityEvent::Started(RequestInFlight {
                request_id: start.id,
                // Events come on the task making the request: the command running there owns it.
                owner: current_owner(),
                method: start.method,
                url: start.url,
                started: std::time::Instant::now(),
                attempt: 1,
                retrying_because: None,
            }),
            necid::RequestEvent::Retrying {
                id,
                attempt,
                wait,
                reason,
            } => ActivityEvent::Retrying {
                request_id: id,
                attempt,
                wait,
                reason,
            },
            necid::RequestEvent::Finished(record) => {
                ActivityEvent::Finished(ActivityEntry::from_record(&observed, record))
            }
            // A newer client may report more; the log needs none of it.
            _ => return,
        };
        // The shell may be gone while a request finishes; then nobody needs the event.
        let _ = activity.send(event);
        repaint.request_repaint();
    });
    // The embedded service's own limit; a cloud profile keeps the client's, the NEC gateway's.
    let max_request_bytes = match profile.kind {
        crate::profiles::ProfileKind::Local => necid_server::Limits::default().max_body_bytes,
        _ => necid::NEC_MAX_REQUEST_BYTES,
    };
    let client = necid::Client::builder()
        .max_request_bytes(max_request_bytes)
        .api_base_url(profile.api_base_url.clone())
        .portal_base_url(profile.portal_base_url.clone())
        .region(profile.region.clone())
        .credentials(necid::Credentials::new(
            secrets.access_key,
            secrets.secret_key,
        ))
        .connect_timeout(profile.connect_timeout())
        .request_timeout(profile.request_timeout())
        .event_observer(observer)
        .build()
        .map_err(api_error)?;
    Ok(Connection {
        profile_id: profile.profile_id.clone(),
        profile,
        client,
        bucket_dir,
        generation,
    })
}

async fn open_gallery(
    connection: Connection,
    gallery_id: GalleryId,
    runtime: tokio::runtime::Handle,
) -> Result<OpenedGallery, UiError> {
    let detail = connection
        .client
        .galleries()
        .get(&gallery_id)
        .await
        .map_err(api_error)?;
    // The key filed when this console created the gallery, else its first application's.
    let profile_id = connection.profile_id.clone();
    let owner = gallery_owner(&gallery_id);
    let filed = runtime
        .spawn_blocking(move || credentials::load_api_key(&profile_id, &owner))
        .await
        .map_err(|_| UiError::task_lost("reading the API key"))?
        .map_err(keyring_error)?;
    let api_key = match (filed, detail.applications.first()) {
        (Some(key), _) => necid::ApiKey::new(key),
        (None, Some(application)) => application.api_key.clone(),
        (None, None) => {
            return Err(UiError::new(format!(
                "The gallery “{}” has no application, so there is no API key to use it with: \
                 create one in Applications.",
                detail.name
            )));
        }
    };
    Ok(OpenedGallery {
        gallery: connection.client.gallery(api_key),
        gallery_id,
        name: detail.name,
        size: detail.size,
        count: detail.count,
    })
}

/// The client's error as the UI shows it (see [`UiError::from_request`]); the backend names the
/// command's action when the task ends.
pub fn api_error(error: necid::Error) -> UiError {
    UiError::from_request(&error)
}

fn keyring_error(error: credentials::CredentialError) -> UiError {
    UiError::new(error.to_string())
}
