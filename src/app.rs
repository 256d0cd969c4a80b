//! The shell: navigation, the active profile, toasts, and the once-per-frame hand-over of the
//! panes' commands to the backend.
//!
//! Every handle follows its profile: the shell numbers each client it builds
//! ([`Connection::generation`]), and a change to the active profile's URLs, keys or region
//! builds a new one. The open gallery remembers the client it was opened with; panes only see it
//! while that client is the current one, and when it no longer is the shell closes it (other
//! servers: with a notification saying so) or opens it again through the new client (same
//! servers). Panes compare generations, not profile ids, to know when what they fetched is stale.

use std::collections::HashMap;

use egui::Ui;

use crate::backend::{Backend, Command, OpenedGallery, Outbox};
use crate::connection::{
    ActivityEntry, ActivityEvent, ActivityReceiver, ActivitySender, Connection, RequestInFlight,
};
use crate::credentials::KeyringStatus;
use crate::local::{LocalService, LocalSettings};
use crate::open_gallery::GalleryCache;
use crate::paths::AppPaths;
use crate::profiles::ProfileKind;
use crate::profiles::{ProfileBook, ProfileId};
use crate::request::{Finished, Request};
use crate::ui::settings::SettingsShell;
use crate::ui::{self, ConnectionState, Pane, PaneContext, PaneId, ShellAction, ShellParts};
use crate::widgets::Toasts;

mod bars;
mod follow;
mod local;
mod remembered;
mod theme;

pub use remembered::{Remembered, RememberedGallery};

use local::local_failure;

/// One of each pane.
#[derive(Debug, Default)]
struct Panes {
    galleries: ui::galleries::GalleriesPane,
    applications: ui::applications::ApplicationsPane,
    subjects: ui::subjects::SubjectsPane,
    tags: ui::tags::TagsPane,
    face: ui::face::FacePane,
    jobs: ui::jobs::JobsPane,
    activity: ui::activity::ActivityPane,
    settings: ui::settings::SettingsPane,
    trust: ui::trust::TrustPane,
}

impl Panes {
    /// The pane shown for `id`.
    fn get(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Galleries => &mut self.galleries,
            PaneId::Applications => &mut self.applications,
            PaneId::Subjects => &mut self.subjects,
            PaneId::Tags => &mut self.tags,
            PaneId::Face => &mut self.face,
            PaneId::Jobs => &mut self.jobs,
            PaneId::Activity => &mut self.activity,
            PaneId::Settings => &mut self.settings,
            PaneId::Trust => &mut self.trust,
        }
    }

    /// Every pane, in the navigation's order.
    fn all(&mut self) -> [&mut dyn Pane; 9] {
        [
            &mut self.galleries,
            &mut self.applications,
            &mut self.subjects,
            &mut self.tags,
            &mut self.face,
            &mut self.jobs,
            &mut self.activity,
            &mut self.settings,
            &mut self.trust,
        ]
    }
}

/// The console.
#[derive(Debug)]
pub struct ConsoleApp {
    remembered: Remembered,
    /// What was last handed to eframe's storage.
    saved_remembered: Remembered,
    backend: Backend,
    outbox: Outbox,
    book: ProfileBook,
    keyring: Request<KeyringStatus>,
    toasts: Toasts,
    panes: Panes,
    first_frame: bool,
    /// One client per profile that was used, so switching back is instant.
    connections: HashMap<ProfileId, Request<Connection>>,
    activity_sender: ActivitySender,
    activity_receiver: ActivityReceiver,
    /// Every request made since start, oldest first (capped).
    activity: Vec<ActivityEntry>,
    /// The requests sent and not ended yet.
    requests_in_flight: std::collections::BTreeMap<necid::RequestId, RequestInFlight>,
    /// The gallery the gallery-scoped panes work on, with what they show of it (its tags), and
    /// the client it was opened with.
    gallery: Option<(Connection, GalleryCache)>,
    opening_gallery: Request<OpenedGallery>,
    /// The client `opening_gallery` was sent with: an answer for another one is dropped.
    opening_on: Option<Connection>,
    /// The name of the gallery being opened, for the message when it fails.
    opening_name: Option<String>,
    /// The number of the last client built (see [`Connection::generation`]).
    connection_generation: u64,
    actions: Vec<ShellAction>,
    /// Where the Local profile's service lives, when the console runs one.
    local: Option<LocalSettings>,
    /// The models folder used when Settings does not override it.
    default_models_dir: Option<std::path::PathBuf>,
    local_service: Request<LocalService>,
    /// The window title, naming the profile and the open gallery.
    title: crate::desktop::TitleKeeper,
    /// "Choose folder…" for the models, offered when the Local service cannot start.
    models_folder: crate::widgets::FolderPicker,
    /// Whether the Local service fetches missing models into the default folder.
    fetch_default_models: bool,
    /// The profile and client whose remembered gallery was last opened again (or found
    /// missing), so it is done once each time a profile becomes the active one.
    restored_for: Option<(ProfileId, u64)>,
}

/// How many requests the Activity pane keeps.
const ACTIVITY_CAP: usize = 10_000;

impl ConsoleApp {
    /// Builds the console over `paths`, running background work on `runtime`, restoring what
    /// eframe remembered in `storage`.
    pub fn new(
        paths: AppPaths,
        runtime: tokio::runtime::Handle,
        storage: Option<&dyn eframe::Storage>,
    ) -> Self {
        let remembered: Remembered = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let book = ProfileBook::load(&paths.profiles_file());
        let (activity_sender, activity_receiver) = std::sync::mpsc::channel();
        let mut app = Self {
            saved_remembered: remembered.clone(),
            remembered,
            backend: Backend::new(runtime, paths),
            outbox: Outbox::default(),
            book,
            keyring: Request::new(),
            toasts: Toasts::default(),
            panes: Panes::default(),
            first_frame: true,
            connections: HashMap::new(),
            activity_sender,
            activity_receiver,
            activity: Vec::new(),
            requests_in_flight: std::collections::BTreeMap::new(),
            gallery: None,
            opening_gallery: Request::new(),
            opening_on: None,
            opening_name: None,
            connection_generation: 0,
            actions: Vec::new(),
            local: None,
            default_models_dir: None,
            local_service: Request::new(),
            title: crate::desktop::TitleKeeper::default(),
            models_folder: crate::widgets::FolderPicker::default(),
            fetch_default_models: false,
            restored_for: None,
        };
        let active_known = app
            .remembered
            .active_profile_id
            .as_ref()
            .is_some_and(|id| app.book.find(id).is_some());
        if !active_known {
            app.remembered.active_profile_id =
                app.book.profiles().first().map(|p| p.profile_id.clone());
        }
        app.backend
            .last_folders()
            .restore(app.remembered.last_folders.clone());
        app
    }

    /// The state eframe saves.
    pub fn remembered(&self) -> &Remembered {
        &self.remembered
    }

    pub fn paths(&self) -> &AppPaths {
        self.backend.paths()
    }

    /// The selected pane.
    pub fn pane(&self) -> PaneId {
        self.remembered.pane
    }

    /// The keyring's status as last checked.
    pub fn keyring_status(&self) -> Option<&KeyringStatus> {
        self.keyring.data()
    }

    /// True while any write the shell started (profile file) is still running.
    pub fn is_saving(&self) -> bool {
        self.book.save_request().is_pending()
    }

    /// The whole window's UI; [`eframe::App::ui`] calls this, and so do the tests.
    pub fn shell_ui(&mut self, ui: &mut Ui) {
        if self.first_frame {
            self.first_frame = false;
            theme::set_up(ui.ctx());
            ui.ctx().set_theme(self.remembered.theme.preference());
            self.keyring
                .send(&mut self.outbox, |reply| Command::ProbeKeyring { reply });
            self.book.save_first_start(&mut self.outbox);
            self.start_local();
        }
        self.poll();
        self.connect_active();
        self.shortcuts(ui);

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(150.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| self.pane_ui(ui));
        self.toasts.ui(ui);
        self.title.update(ui.ctx(), self.window_title_now());

        self.apply_actions();
        if let Some((_, gallery)) = &mut self.gallery {
            gallery.update(&mut self.outbox);
        }
        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
        if let Some(folders) = self.backend.last_folders().take_changed() {
            self.remembered.last_folders = folders;
        }
    }

    /// The requests made so far, oldest first.
    pub fn activity(&self) -> &[ActivityEntry] {
        &self.activity
    }

    /// The requests sent and not ended yet, oldest first.
    pub fn requests_in_flight(&self) -> impl Iterator<Item = &RequestInFlight> {
        self.requests_in_flight.values()
    }

    /// The gallery the gallery-scoped panes work on.
    pub fn open_gallery(&self) -> Option<&OpenedGallery> {
        self.gallery.as_ref().map(|(_, gallery)| gallery.opened())
    }

    /// The names the console gives the open gallery's subjects.
    pub fn subject_names(&self) -> Option<&crate::subject_names::SubjectNames> {
        self.gallery.as_ref().map(|(_, gallery)| gallery.names())
    }

    /// The Subjects pane (what it shows, in which order).
    pub fn subjects_pane(&self) -> &ui::subjects::SubjectsPane {
        &self.panes.subjects
    }

    /// The messages shown as toasts so far, oldest first (the last 100).
    pub fn notifications(&self) -> impl Iterator<Item = &crate::widgets::Notification> {
        self.toasts.history()
    }

    /// The commands running in the background now.
    pub fn in_flight(&self) -> Vec<crate::backend::InFlightTask> {
        self.backend.in_flight().snapshot()
    }

    fn active_connection(&self) -> ConnectionState<'_> {
        connection_state(
            &self.connections,
            self.remembered.active_profile_id.as_ref(),
            self.local_failure(),
        )
    }

    fn poll(&mut self) {
        for event in self.activity_receiver.try_iter() {
            match event {
                ActivityEvent::Started(request) => {
                    self.requests_in_flight.insert(request.request_id, request);
                }
                ActivityEvent::Retrying {
                    request_id,
                    attempt,
                    wait,
                    reason,
                } => {
                    if let Some(request) = self.requests_in_flight.get_mut(&request_id) {
                        request.attempt = attempt;
                        request.retrying_because =
                            Some(format!("{reason}; trying again in {} s", wait.as_secs()));
                    }
                }
                ActivityEvent::Finished(entry) => {
                    if let Some(request_id) = entry.request_id {
                        self.requests_in_flight.remove(&request_id);
                    }
                    self.activity.push(entry);
                    crate::connection::let_go_of_old_large_bodies(&mut self.activity);
                }
            }
        }
        if self.activity.len() > ACTIVITY_CAP {
            let excess = self.activity.len() - ACTIVITY_CAP;
            self.activity.drain(..excess);
        }
        for request in self.connections.values_mut() {
            request.poll();
        }
        match self.local_service.poll() {
            Some(Finished::Succeeded(service)) => {
                let elapsed_ms = crate::PROCESS_STARTED
                    .get()
                    .map(|started| started.elapsed().as_millis());
                tracing::info!(
                    elapsed_ms,
                    models_load_ms = service.models_load.as_millis(),
                    base_url = %service.base_url,
                    "Local service ready"
                );
                if service.rekeyed {
                    self.toasts.info(
                        "The Local service's keys were missing from the OS keyring (on Linux it \
                         is emptied at logout): it was given new ones and keeps its galleries.",
                    );
                }
            }
            Some(Finished::Failed(error)) => {
                tracing::warn!(%error, "the Local service did not start");
            }
            None => {}
        }
        let current = match self.active_connection() {
            ConnectionState::Ready(current) => Some(current.generation),
            _ => None,
        };
        match self.opening_gallery.poll() {
            Some(Finished::Succeeded(opened)) => {
                // Only an answer through the active profile's current client is used: another
                // one went to servers, or with keys, that the profile no longer names.
                if let Some(opened_on) = self.opening_on.take()
                    && Some(opened_on.generation) == current
                {
                    let names_file = crate::subject_names::SubjectNames::file(
                        &self.backend.paths().data_dir,
                        &opened_on.profile_id,
                        &opened.gallery_id,
                    );
                    let mut cache = GalleryCache::new(opened.clone()).keeping_names_in(names_file);
                    cache.set_threshold(
                        self.remembered
                            .thresholds
                            .get(opened.gallery_id.as_str())
                            .and_then(|t| necid::MatchScore::new(*t)),
                    );
                    let opened = opened.clone();
                    self.remember_gallery(&opened_on.profile_id, &opened);
                    self.gallery = Some((opened_on, cache));
                }
            }
            Some(Finished::Failed(error)) => {
                // A remembered gallery that cannot be opened is not tried again.
                if let Some(opened_on) = &self.opening_on {
                    let profile_id = opened_on.profile_id.clone();
                    self.remembered
                        .open_galleries
                        .retain(|g| g.profile_id != profile_id);
                }
                self.opening_on = None;
                let error = match self.opening_name.take() {
                    Some(name) => error.clone().during(format!("Opening gallery “{name}”")),
                    None => error.clone(),
                };
                self.toasts.failure(&error);
            }
            None => {}
        }
        self.follow_profile();
        self.restore_gallery();
        self.follow_models_folder();
        if let Some(profile_id) = self.panes.settings.take_keys_saved() {
            self.connections.remove(&profile_id);
        }
        if let Some(Finished::Failed(error)) = self.keyring.poll() {
            self.toasts
                .failure(&error.clone().during("Checking the OS keyring"));
        }
        if let Some(error) = self.book.poll() {
            self.toasts
                .failure(&error.clone().during("Saving the profiles"));
        }
    }

    fn shortcuts(&mut self, ui: &Ui) {
        if ui.input_mut(|i| i.consume_shortcut(&crate::desktop::copy_status_shortcut())) {
            ui.ctx().copy_text(self.status_line());
        }
        for pane in PaneId::ALL {
            if ui.input_mut(|i| i.consume_shortcut(&pane.shortcut())) {
                self.remembered.pane = pane;
            }
        }
    }

    /// Lets every pane take its answers (see [`ui::Pane::poll`]), then draws the selected one.
    fn pane_ui(&mut self, ui: &mut Ui) {
        let connection = connection_state(
            &self.connections,
            self.remembered.active_profile_id.as_ref(),
            local_failure(
                self.remembered.active_profile_id.as_ref(),
                self.local.as_ref(),
                &self.local_service,
            ),
        );
        let local = self
            .book
            .profiles()
            .iter()
            .find(|profile| profile.kind == ProfileKind::Local)
            .and_then(|profile| self.connections.get(&profile.profile_id))
            .and_then(|request| request.data());
        let mut cx = PaneContext {
            outbox: &mut self.outbox,
            toasts: &mut self.toasts,
            actions: &mut self.actions,
            connection,
            local,
            gallery: self
                .gallery
                .as_ref()
                .filter(|(opened_on, _)| match connection {
                    ConnectionState::Ready(current) => current.generation == opened_on.generation,
                    _ => false,
                })
                .map(|(_, gallery)| gallery),
            opening_gallery: self.opening_gallery.is_pending(),
            data_dir: &self.backend.paths().data_dir,
            shell: None,
        };
        for pane in self.panes.all() {
            pane.poll(&mut cx);
        }
        cx.shell = Some(ShellParts {
            activity: &self.activity,
            in_flight: self.backend.in_flight(),
            requests_in_flight: &self.requests_in_flight,
            settings: SettingsShell {
                book: &mut self.book,
                active_profile_id: &mut self.remembered.active_profile_id,
                keyring: &mut self.keyring,
                theme: &mut self.remembered.theme,
                local: self.default_models_dir.as_deref().map(|default| {
                    crate::ui::settings::LocalShell {
                        default_models_dir: default,
                        models_dir: &mut self.remembered.models_dir,
                        status: self.local_service.phase(),
                    }
                }),
            },
        });
        self.panes.get(self.remembered.pane).ui(ui, &mut cx);
    }
}

fn connection_state<'a>(
    connections: &'a HashMap<ProfileId, Request<Connection>>,
    active_profile_id: Option<&ProfileId>,
    local_failure: Option<&'a crate::error::UiError>,
) -> ConnectionState<'a> {
    let Some(profile_id) = active_profile_id else {
        return ConnectionState::NoProfile;
    };
    if let Some(error) = local_failure {
        return ConnectionState::Failed(error);
    }
    match connections.get(profile_id) {
        None => ConnectionState::Connecting,
        Some(request) => match (request.data(), request.error()) {
            (_, Some(error)) if !request.is_pending() => ConnectionState::Failed(error),
            (Some(connection), _) => ConnectionState::Ready(connection),
            _ => ConnectionState::Connecting,
        },
    }
}

impl eframe::App for ConsoleApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        self.shell_ui(ui);
        // eframe saves on exit and on a timer that only runs while frames are drawn; save a
        // change of pane, profile or theme at once, so a console that is killed keeps it too.
        // (eframe's flush writes the file on a thread of its own.)
        if self.remembered != self.saved_remembered
            && let Some(storage) = frame.storage_mut()
        {
            eframe::set_value(storage, eframe::APP_KEY, &self.remembered);
            storage.flush();
            self.saved_remembered = self.remembered.clone();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.remembered);
        self.saved_remembered = self.remembered.clone();
    }
}
