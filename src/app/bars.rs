//! The shell's bars: the window's title (naming the profile and the open gallery, and with the
//! Local service's status the line Ctrl+Shift+C copies), the top bar (active profile,
//! connection, open gallery, Local service with its models' progress, keyring) and the
//! navigation on the left.

use egui::{RichText, Ui};

use super::ConsoleApp;
use crate::credentials::KeyringStatus;
use crate::profiles::ProfileKind;
use crate::ui::{ConnectionState, PaneId};
use crate::widgets::badge;

impl ConsoleApp {
    /// The window title as last sent to the window.
    pub fn window_title(&self) -> Option<&str> {
        self.title.shown()
    }

    pub(super) fn window_title_now(&self) -> String {
        let profile = (self.remembered.active_profile_id.as_ref())
            .and_then(|id| self.book.find(id))
            .map(|profile| profile.name.as_str());
        let gallery = self.open_gallery().map(|gallery| gallery.name.as_str());
        crate::desktop::window_title(profile, gallery)
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

    pub(super) fn top_bar_ui(&mut self, ui: &mut Ui) {
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
                    self.models_folder.button_ui(
                        ui,
                        &mut self.outbox,
                        "Folder of the face models",
                        crate::backend::dialogs::Picker::ModelsFolder,
                    );
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

    pub(super) fn navigation_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        for pane in PaneId::ALL {
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
}
