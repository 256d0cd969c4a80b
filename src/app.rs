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

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, Command, FaceCommand, OpenedGallery, Outbox};
use crate::connection::{
    ActivityEntry, ActivityEvent, ActivityReceiver, ActivitySender, Connection, RequestInFlight,
};
use crate::credentials::KeyringStatus;
use crate::local::{LocalService, LocalSettings};
use crate::paths::AppPaths;
use crate::profiles::{ProfileBook, ProfileId, ProfileKind};
use crate::request::{Finished, Request};
use crate::ui::settings::{SettingsShell, Theme};
use crate::ui::{self, ConnectionState, Pane, PaneContext, ShellAction};
use crate::widgets::{Toasts, badge};

/// What eframe remembers between starts. Nothing secret and no request state lives here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Remembered {
    pub pane: Pane,
    pub active_profile_id: Option<ProfileId>,
    pub theme: Theme,
    /// The Local service's models folder when Settings overrides the default (not secret).
    pub models_dir: Option<std::path::PathBuf>,
}

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
    /// The gallery the gallery-scoped panes work on, and the client it was opened with.
    gallery: Option<(Connection, OpenedGallery)>,
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
        app
    }

    /// Also runs the Local profile's service (`crates/necid-server`, in-process on 127.0.0.1),
    /// with its face models from `default_models_dir` unless Settings chose another folder. On
    /// a first start the Local profile is added first and made active.
    pub fn with_local_service(mut self, default_models_dir: std::path::PathBuf) -> Self {
        let existing = self
            .book
            .profiles()
            .iter()
            .find(|p| p.kind == ProfileKind::Local)
            .map(|p| p.profile_id.clone());
        let profile_id = match existing {
            Some(profile_id) => profile_id,
            None => {
                let first_start = self.book.is_first_start();
                let profile = crate::profiles::Profile::local();
                let profile_id = profile.profile_id.clone();
                self.book.insert_first(profile, &mut self.outbox);
                if first_start {
                    self.remembered.active_profile_id = Some(profile_id.clone());
                }
                profile_id
            }
        };
        let models_dir = self
            .remembered
            .models_dir
            .clone()
            .unwrap_or_else(|| default_models_dir.clone());
        self.default_models_dir = Some(default_models_dir);
        self.local = Some(LocalSettings {
            profile_id,
            console_data_dir: self.backend.paths().data_dir.clone(),
            models_dir,
            fetch_models: false,
            models_progress: crate::models::FetchProgress::default(),
        });
        self
    }

    /// Lets the Local service fetch its models (npm, checked by SHA-256) into the default
    /// folder when they are not there: the first run of an installed console. Not into a folder
    /// Settings chose.
    pub fn fetching_missing_models(mut self) -> Self {
        self.fetch_default_models = true;
        if let Some(local) = &mut self.local {
            local.fetch_models = self.remembered.models_dir.is_none();
        }
        self
    }

    /// The Local service, once it runs.
    pub fn local_service(&self) -> Option<&LocalService> {
        self.local_service.data()
    }

    /// The Local service's status as the top bar shows it, if the console runs one.
    pub fn local_status(&self) -> Option<String> {
        self.local.as_ref()?;
        Some(if self.local_service.is_pending() {
            self.local
                .as_ref()
                .and_then(|local| local.models_progress.step())
                .map_or_else(|| "Loading face models…".to_owned(), |step| step.what)
        } else if let Some(error) = self.local_service.error() {
            format!("Local service failed: {}", error.message)
        } else if let Some(service) = self.local_service.data() {
            if service.rekeyed {
                "Local service ready (its keys were missing from the OS keyring, so it has new \
                 ones; the galleries are kept)"
                    .to_owned()
            } else {
                "Local service ready".to_owned()
            }
        } else {
            "Local service not started".to_owned()
        })
    }

    /// (Re)starts the Local service with the current settings.
    fn start_local(&mut self) {
        let Some(settings) = self.local.clone() else {
            return;
        };
        self.connections.remove(&settings.profile_id);
        if self
            .gallery
            .as_ref()
            .is_some_and(|(opened_on, _)| opened_on.profile_id == settings.profile_id)
        {
            self.gallery = None;
        }
        self.local_service.reset();
        self.local_service.send(&mut self.outbox, |reply| {
            Command::Face(FaceCommand::StartLocal { settings, reply })
        });
    }

    /// The state eframe saves.
    pub fn remembered(&self) -> &Remembered {
        &self.remembered
    }

    pub fn paths(&self) -> &AppPaths {
        self.backend.paths()
    }

    /// The selected pane.
    pub fn pane(&self) -> Pane {
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
        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
    }

    /// The window title as last sent to the window.
    pub fn window_title(&self) -> Option<&str> {
        self.title.shown()
    }

    fn window_title_now(&self) -> String {
        let profile = (self.remembered.active_profile_id.as_ref())
            .and_then(|id| self.book.find(id))
            .map(|profile| profile.name.as_str());
        let gallery = self.open_gallery().map(|gallery| gallery.name.as_str());
        crate::desktop::window_title(profile, gallery)
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
        self.gallery.as_ref().map(|(_, gallery)| gallery)
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

    /// Why the Local service is not running, when the active profile is Local and it failed.
    fn local_failure(&self) -> Option<&crate::error::UiError> {
        local_failure(
            self.remembered.active_profile_id.as_ref(),
            self.local.as_ref(),
            &self.local_service,
        )
    }

    /// Starts building the active profile's client if there is none, or if the profile
    /// changed since it was built.
    fn connect_active(&mut self) {
        let Some(mut profile) = self
            .remembered
            .active_profile_id
            .as_ref()
            .and_then(|id| self.book.find(id))
            .cloned()
        else {
            return;
        };
        let mut bucket_dir = None;
        if profile.kind == ProfileKind::Local {
            // The Local profile's address is wherever its service runs this time; its bulk
            // jobs read from the service's bucket folder.
            let Some(service) = self.local_service.data() else {
                return;
            };
            profile.api_base_url = service.base_url.clone();
            profile.portal_base_url = service.base_url.clone();
            bucket_dir = Some(service.bucket_dir.clone());
        }
        let request = self
            .connections
            .entry(profile.profile_id.clone())
            .or_default();
        let stale = request.data().is_some_and(|c| c.profile != profile);
        if request.is_not_requested() || (stale && !request.is_pending()) {
            if stale {
                request.reset();
            }
            let activity = self.activity_sender.clone();
            self.connection_generation += 1;
            let generation = self.connection_generation;
            request.send(&mut self.outbox, |reply| Command::Connect {
                profile,
                generation,
                activity,
                bucket_dir,
                reply,
            });
        }
    }

    fn apply_actions(&mut self) {
        for action in std::mem::take(&mut self.actions) {
            match action {
                ShellAction::Reconnect => {
                    if let Some(id) = &self.remembered.active_profile_id {
                        self.connections.remove(id);
                    }
                    if self.local_failure().is_some() {
                        self.start_local();
                    }
                }
                ShellAction::ForgetGallery(gallery_id) => {
                    if self
                        .gallery
                        .as_ref()
                        .is_some_and(|(_, g)| g.gallery_id == gallery_id)
                    {
                        self.gallery = None;
                    }
                }
                ShellAction::OpenGallery(gallery_id, name) => {
                    if let ConnectionState::Ready(connection) = self.active_connection() {
                        let connection = connection.clone();
                        self.opening_name = Some(name);
                        self.open_gallery_on(connection, gallery_id);
                    }
                }
            }
        }
    }

    fn open_gallery_on(&mut self, connection: Connection, gallery_id: necid::GalleryId) {
        self.opening_on = Some(connection.clone());
        self.opening_gallery
            .send(&mut self.outbox, |reply| Command::OpenGallery {
                connection,
                gallery_id,
                reply,
            });
    }

    /// Keeps the open gallery on the active profile's current client. Another profile closes
    /// it; the same profile pointed at other servers closes it and says so; the same servers
    /// with other keys or region open it again through the new client (which checks that the
    /// gallery is there for those keys), so no request goes out with the old client.
    fn follow_profile(&mut self) {
        let Some((opened_on, _)) = &self.gallery else {
            return;
        };
        if Some(&opened_on.profile_id) != self.remembered.active_profile_id.as_ref() {
            self.gallery = None;
            return;
        }
        let ConnectionState::Ready(current) = self.active_connection() else {
            // Reconnecting: the panes get no gallery until the new client is ready.
            return;
        };
        if current.generation == opened_on.generation {
            return;
        }
        let current = current.clone();
        let Some((opened_on, gallery)) = self.gallery.take() else {
            return;
        };
        if current.same_servers(&opened_on) {
            tracing::info!("the profile's keys or region changed: opening the gallery again");
            self.opening_name = Some(gallery.name.clone());
            self.open_gallery_on(current, gallery.gallery_id);
        } else {
            let servers = if current.profile.kind == ProfileKind::Local {
                "another Local service".to_owned()
            } else {
                current.profile.api_base_url.clone()
            };
            self.toasts.info(format!(
                "Profile “{}” now points to {servers}: the open gallery “{}” was closed.",
                current.profile.name, gallery.name
            ));
        }
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
                    self.gallery = Some((opened_on, opened.clone()));
                }
            }
            Some(Finished::Failed(error)) => {
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
        self.panes.settings.poll(&mut self.toasts);
        if let Some(local) = &mut self.local {
            let wanted = self
                .remembered
                .models_dir
                .clone()
                .or_else(|| self.default_models_dir.clone());
            if let Some(wanted) = wanted
                && wanted != local.models_dir
            {
                local.models_dir = wanted;
                local.fetch_models =
                    self.fetch_default_models && self.remembered.models_dir.is_none();
                self.start_local();
            }
        }
        if let Some(folder) = self.models_folder.poll() {
            self.remembered.models_dir = Some(folder);
        }
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

    /// The window title and the Local service's status in one line, what
    /// [`crate::desktop::copy_status_shortcut`] copies.
    pub fn status_line(&self) -> String {
        let active_is_local = (self.remembered.active_profile_id.as_ref())
            .and_then(|id| self.book.find(id))
            .is_some_and(|profile| profile.kind == ProfileKind::Local);
        crate::desktop::status_line(
            &self.window_title_now(),
            self.local_status().filter(|_| active_is_local).as_deref(),
        )
    }

    fn shortcuts(&mut self, ui: &Ui) {
        if ui.input_mut(|i| i.consume_shortcut(&crate::desktop::copy_status_shortcut())) {
            ui.ctx().copy_text(self.status_line());
        }
        for pane in Pane::ALL {
            if ui.input_mut(|i| i.consume_shortcut(&pane.shortcut())) {
                self.remembered.pane = pane;
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.strong(crate::APP_TITLE);
            ui.separator();
            let active = self
                .remembered
                .active_profile_id
                .as_ref()
                .and_then(|id| self.book.find(id))
                .cloned();
            if let Some(profile) = &active {
                badge(ui, profile.badge_rgb);
            }
            let label = ui.label("Profile");
            let selected_text = active
                .as_ref()
                .map_or_else(|| "none".to_owned(), |p| p.name.clone());
            egui::ComboBox::from_id_salt("active_profile")
                .selected_text(selected_text)
                .show_ui(ui, |ui| {
                    for profile in self.book.profiles() {
                        ui.horizontal(|ui| {
                            badge(ui, profile.badge_rgb);
                            ui.selectable_value(
                                &mut self.remembered.active_profile_id,
                                Some(profile.profile_id.clone()),
                                &profile.name,
                            );
                        });
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(profile) = &active {
                if profile.kind == ProfileKind::Local {
                    // The port changes at every start: on hover only, so the bar stays the same.
                    let url = self
                        .local_service
                        .data()
                        .map_or(profile.api_base_url.as_str(), |s| s.base_url.as_str());
                    ui.label(RichText::new("embedded service").weak())
                        .on_hover_text(url);
                } else {
                    ui.label(RichText::new(&profile.api_base_url).weak());
                }
            }
            match self.active_connection() {
                ConnectionState::Connecting => {
                    ui.spinner();
                }
                ConnectionState::Failed(error) => {
                    ui.colored_label(ui.visuals().error_fg_color, "not connected")
                        .on_hover_text(error.to_string());
                }
                ConnectionState::Ready(_) | ConnectionState::NoProfile => {}
            }
            if let Some((_, gallery)) = &self.gallery {
                ui.separator();
                ui.label(format!("Gallery: {}", gallery.name));
            }
            if active
                .as_ref()
                .is_some_and(|p| p.kind == ProfileKind::Local)
                && let Some(status) = self.local_status()
            {
                ui.separator();
                if self.local_service.is_pending() {
                    ui.spinner();
                    if let Some(step) = self.local.as_ref().and_then(|l| l.models_progress.step()) {
                        ui.add(
                            egui::ProgressBar::new(step.done)
                                .desired_width(120.0)
                                .text(format!("models {:.0} %", step.done * 100.0)),
                        );
                    }
                    ui.label(status);
                } else if self.local_service.error().is_some() {
                    self.models_folder
                        .button_ui(ui, &mut self.outbox, "Folder of the face models");
                    ui.colored_label(ui.visuals().error_fg_color, status);
                } else {
                    ui.label(status);
                }
            }
            ui.with_layout(
                egui::Layout::right_to_left(egui::Align::Center),
                |ui| match self.keyring.data() {
                    Some(KeyringStatus::Works) => {
                        ui.label(RichText::new("keyring works").weak());
                    }
                    Some(KeyringStatus::Unavailable { reason }) => {
                        ui.colored_label(ui.visuals().error_fg_color, "keyring unavailable")
                            .on_hover_text(reason);
                    }
                    None => {}
                },
            );
        });
    }

    fn navigation_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        for pane in Pane::ALL {
            let selected = self.remembered.pane == pane;
            let shortcut = ui.ctx().format_shortcut(&pane.shortcut());
            let response = ui
                .add_sized(
                    [ui.available_width(), 28.0],
                    egui::Button::selectable(selected, pane.label()),
                )
                .on_hover_text(shortcut);
            if response.clicked() {
                self.remembered.pane = pane;
            }
        }
    }

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
        let mut cx = PaneContext {
            outbox: &mut self.outbox,
            toasts: &mut self.toasts,
            actions: &mut self.actions,
            connection,
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
        };
        let panes = &mut self.panes;
        match self.remembered.pane {
            Pane::Galleries => panes.galleries.ui(ui, &mut cx),
            Pane::Applications => panes.applications.ui(ui, &mut cx),
            Pane::Subjects => panes.subjects.ui(ui, &mut cx),
            Pane::Tags => panes.tags.ui(ui, &mut cx),
            Pane::Face => panes.face.ui(ui, &mut cx),
            Pane::Jobs => panes.jobs.ui(ui, &mut cx),
            Pane::Activity => {
                panes.activity.ui(
                    ui,
                    &mut cx,
                    &self.activity,
                    self.backend.in_flight(),
                    &self.requests_in_flight,
                );
            }
            Pane::Settings => panes.settings.ui(
                ui,
                &mut cx,
                SettingsShell {
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
            ),
        }
    }
}

/// Why the Local service is not running, when `active` is the Local profile and it failed.
fn local_failure<'a>(
    active: Option<&ProfileId>,
    local: Option<&LocalSettings>,
    service: &'a Request<LocalService>,
) -> Option<&'a crate::error::UiError> {
    if local?.profile_id != *active? || service.is_pending() {
        return None;
    }
    service.error()
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
