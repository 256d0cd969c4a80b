//! The shell: navigation, the active profile, toasts, and the once-per-frame hand-over of the
//! panes' commands to the backend.

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, Command, Outbox};
use crate::credentials::KeyringStatus;
use crate::paths::AppPaths;
use crate::profiles::{ProfileBook, ProfileId};
use crate::request::{Finished, Request};
use crate::ui::settings::{SettingsShell, Theme};
use crate::ui::{self, Pane, PaneContext};
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
    backend: Backend,
    outbox: Outbox,
    book: ProfileBook,
    keyring: Request<KeyringStatus>,
    toasts: Toasts,
    panes: Panes,
    first_frame: bool,
}

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
        let mut app = Self {
            remembered,
            backend: Backend::new(runtime, paths),
            outbox: Outbox::default(),
            book,
            keyring: Request::new(),
            toasts: Toasts::default(),
            panes: Panes::default(),
            first_frame: true,
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
        }
        self.poll();
        self.shortcuts(ui);

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(150.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| self.pane_ui(ui));
        self.toasts.ui(ui);

        for command in self.outbox.drain() {
            self.backend.execute(command, ui.ctx());
        }
    }

    fn poll(&mut self) {
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
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                match self.keyring.data() {
                    Some(KeyringStatus::Works) => {
                        ui.label(RichText::new("keyring works").weak());
                    }
                    Some(KeyringStatus::Unavailable { reason }) => {
                        ui.colored_label(ui.visuals().error_fg_color, "keyring unavailable")
                            .on_hover_text(reason);
                    }
                    None => {}
                }
            });
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
        let mut cx = PaneContext {
            outbox: &mut self.outbox,
            toasts: &mut self.toasts,
        };
        let panes = &mut self.panes;
        match self.remembered.pane {
            Pane::Galleries => panes.galleries.ui(ui, &mut cx),
            Pane::Applications => panes.applications.ui(ui, &mut cx),
            Pane::Subjects => panes.subjects.ui(ui, &mut cx),
            Pane::Tags => panes.tags.ui(ui, &mut cx),
            Pane::Face => panes.face.ui(ui, &mut cx),
            Pane::Jobs => panes.jobs.ui(ui, &mut cx),
            Pane::Activity => panes.activity.ui(ui, &mut cx),
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

impl eframe::App for ConsoleApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.shell_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.remembered);
    }
}
