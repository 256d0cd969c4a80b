//! The shell: navigation, the active profile, toasts, and the once-per-frame hand-over of the
//! panes' commands to the backend.

use std::collections::HashMap;

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, Command, OpenedGallery, Outbox};
use crate::connection::{ActivityEntry, ActivityReceiver, ActivitySender, Connection};
use crate::credentials::KeyringStatus;
use crate::paths::AppPaths;
use crate::profiles::{ProfileBook, ProfileId};
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
    /// The gallery the gallery-scoped panes work on, and the profile it belongs to.
    gallery: Option<(ProfileId, OpenedGallery)>,
    opening_gallery: Request<OpenedGallery>,
    actions: Vec<ShellAction>,
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
            gallery: None,
            opening_gallery: Request::new(),
            actions: Vec::new(),
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

        self.apply_actions();
        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
    }

    /// The requests made so far, oldest first.
    pub fn activity(&self) -> &[ActivityEntry] {
        &self.activity
    }

    /// The gallery the gallery-scoped panes work on.
    pub fn open_gallery(&self) -> Option<&OpenedGallery> {
        self.gallery.as_ref().map(|(_, gallery)| gallery)
    }

    fn active_connection(&self) -> ConnectionState<'_> {
        connection_state(
            &self.connections,
            self.remembered.active_profile_id.as_ref(),
        )
    }

    /// Starts building the active profile's client if there is none, or if the profile
    /// changed since it was built.
    fn connect_active(&mut self) {
        let Some(profile) = self
            .remembered
            .active_profile_id
            .as_ref()
            .and_then(|id| self.book.find(id))
            .cloned()
        else {
            return;
        };
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
            request.send(&mut self.outbox, |reply| Command::Connect {
                profile,
                activity,
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
                ShellAction::OpenGallery(gallery_id) => {
                    if let ConnectionState::Ready(connection) = self.active_connection() {
                        let connection = connection.clone();
                        self.opening_gallery
                            .send(&mut self.outbox, |reply| Command::OpenGallery {
                                connection,
                                gallery_id,
                                reply,
                            });
                    }
                }
            }
        }
    }

    fn poll(&mut self) {
        self.activity.extend(self.activity_receiver.try_iter());
        if self.activity.len() > ACTIVITY_CAP {
            let excess = self.activity.len() - ACTIVITY_CAP;
            self.activity.drain(..excess);
        }
        for request in self.connections.values_mut() {
            request.poll();
        }
        match self.opening_gallery.poll() {
            Some(Finished::Succeeded(opened)) => {
                if let Some(profile_id) = &self.remembered.active_profile_id {
                    self.gallery = Some((profile_id.clone(), opened.clone()));
                }
            }
            Some(Finished::Failed(error)) => {
                self.toasts
                    .error(format!("Could not open the gallery: {error}"));
            }
            None => {}
        }
        // A gallery belongs to the profile it was opened with.
        if self
            .gallery
            .as_ref()
            .is_some_and(|(owner, _)| Some(owner) != self.remembered.active_profile_id.as_ref())
        {
            self.gallery = None;
        }
        self.panes.settings.poll(&mut self.toasts);
        if let Some(profile_id) = self.panes.settings.take_keys_saved() {
            self.connections.remove(&profile_id);
        }
        if let Some(Finished::Failed(error)) = self.keyring.poll() {
            self.toasts
                .error(format!("Could not check the OS keyring: {error}"));
        }
        if let Some(error) = self.book.poll() {
            self.toasts
                .error(format!("The profiles were not saved: {error}"));
        }
    }

    fn shortcuts(&mut self, ui: &Ui) {
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
                ui.label(RichText::new(&profile.api_base_url).weak());
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
        );
        let mut cx = PaneContext {
            outbox: &mut self.outbox,
            toasts: &mut self.toasts,
            actions: &mut self.actions,
            connection,
            gallery: self.gallery.as_ref().map(|(_, gallery)| gallery),
            opening_gallery: self.opening_gallery.is_pending(),
        };
        let panes = &mut self.panes;
        match self.remembered.pane {
            Pane::Galleries => panes.galleries.ui(ui, &mut cx),
            Pane::Applications => panes.applications.ui(ui, &mut cx),
            Pane::Subjects => panes.subjects.ui(ui, &mut cx),
            Pane::Tags => panes.tags.ui(ui, &mut cx),
            Pane::Face => panes.face.ui(ui, &mut cx),
            Pane::Jobs => panes.jobs.ui(ui, &mut cx),
            Pane::Activity => panes.activity.ui(ui, &mut cx, &self.activity),
            Pane::Settings => panes.settings.ui(
                ui,
                &mut cx,
                SettingsShell {
                    book: &mut self.book,
                    active_profile_id: &mut self.remembered.active_profile_id,
                    keyring: &mut self.keyring,
                    theme: &mut self.remembered.theme,
                },
            ),
        }
    }
}

fn connection_state<'a>(
    connections: &'a HashMap<ProfileId, Request<Connection>>,
    active_profile_id: Option<&ProfileId>,
) -> ConnectionState<'a> {
    let Some(profile_id) = active_profile_id else {
        return ConnectionState::NoProfile;
    };
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
