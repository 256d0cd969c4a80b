//! The Settings pane: connection profiles, the OS keyring's status and which store keeps the
//! keys, the theme, and the Local service's models folder.
//!
//! A profile's AccessKey and SecretKey are typed here and go straight to the keyring through a
//! [`Command::StoreSecrets`]; the form forgets them once sent, and nothing here is persisted.

use egui::{Grid, RichText, TextEdit, Ui};
use serde::{Deserialize, Serialize};

use super::{Pane, PaneContext, PaneId, pane_header};
use crate::backend::Command;
use crate::credentials::{self, KeyringStatus};
use crate::profiles::{Profile, ProfileBook, ProfileId};
use crate::request::{Finished, Phase, Request};
use crate::widgets::{ConfirmSlot, badge, error_label};

mod profile_form;

use profile_form::ProfileForm;

/// The colour theme, remembered across starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// What Settings may change that belongs to the shell.
#[derive(Debug)]
pub struct SettingsShell<'a> {
    pub book: &'a mut ProfileBook,
    pub active_profile_id: &'a mut Option<ProfileId>,
    pub keyring: &'a mut Request<KeyringStatus>,
    pub theme: &'a mut Theme,
    /// The Local service's settings, when the console runs one.
    pub local: Option<LocalShell<'a>>,
}

/// The Local service's models folder: the default, and the override Settings may set.
#[derive(Debug)]
pub struct LocalShell<'a> {
    pub default_models_dir: &'a std::path::Path,
    /// `None` uses the default; the shell restarts the service when this changes.
    pub models_dir: &'a mut Option<std::path::PathBuf>,
    pub status: Phase,
}

/// The Settings pane's view state.
#[derive(Debug, Default)]
pub struct SettingsPane {
    form: Option<ProfileForm>,
    problems: Vec<String>,
    keys_present: Request<bool>,
    store_keys: Request<()>,
    delete_keys: Request<()>,
    /// The profile whose deletion waits for confirmation.
    confirm_delete: ConfirmSlot<ProfileId>,
    /// Set after Save until the form changes, to say what happened.
    saved: bool,
    /// The profile whose keys `store_keys` is storing.
    storing_keys_for: Option<ProfileId>,
    /// A profile whose new keys arrived in the keyring, for the shell to reconnect.
    keys_saved: Option<ProfileId>,
    /// The models folder as typed, before "Use this folder".
    models_dir_text: Option<String>,
    /// "Choose folder…" for the models folder.
    models_folder: crate::widgets::FolderPicker,
    /// The Local profile's keys, viewable in its form.
    local_keys: crate::widgets::KeysView,
}

impl Pane for SettingsPane {
    fn id(&self) -> PaneId {
        PaneId::Settings
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>) {
        self.poll_requests(cx.toasts);
    }

    /// Draws nothing when the pane is drawn without a shell (`cx.shell` is `None`).
    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if let Some(shell) = cx.shell.take() {
            self.settings_ui(ui, cx, shell.settings);
        }
    }
}

impl SettingsPane {
    /// Opens the editor on a profile (the shell uses this to show a profile's settings).
    pub fn edit(&mut self, profile: &Profile, cx: &mut PaneContext<'_>) {
        self.form = Some(ProfileForm::edit(profile));
        self.local_keys.forget();
        self.problems.clear();
        self.saved = false;
        self.store_keys.reset();
        let profile_id = profile.profile_id.clone();
        self.keys_present
            .send(cx.outbox, |reply| Command::SecretsPresent {
                profile_id,
                reply,
            });
    }

    fn settings_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, shell: SettingsShell<'_>) {
        pane_header(
            ui,
            "Settings",
            "Connection profiles, the OS keyring that holds their keys, and the theme.",
        );
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.keyring_ui(ui, cx, shell.keyring);
            ui.add_space(12.0);
            self.profiles_ui(ui, cx, shell.book, shell.active_profile_id);
            ui.add_space(12.0);
            theme_ui(ui, shell.theme);
            if let Some(local) = shell.local {
                ui.add_space(12.0);
                self.local_ui(ui, cx, local);
            }
        });
    }

    /// The Local service's models folder.
    fn local_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, local: LocalShell<'_>) {
        ui.strong("Local service");
        if let Some(folder) = self.models_folder.poll() {
            self.models_dir_text = Some(folder.display().to_string());
            *local.models_dir = Some(folder);
        }
        let current = local
            .models_dir
            .as_deref()
            .unwrap_or(local.default_models_dir)
            .display()
            .to_string();
        let text = self.models_dir_text.get_or_insert_with(|| current.clone());
        let entered = ui
            .horizontal(|ui| {
                let label = ui.label("Models folder");
                let field = ui
                    .add(TextEdit::singleline(text).desired_width(420.0))
                    .labelled_by(label.id);
                if self.models_folder.wants_field_focus() {
                    field.request_focus();
                }
                crate::widgets::form::entered(ui, &field)
            })
            .inner;
        let typed = text.trim().to_owned();
        ui.horizontal(|ui| {
            let usable = !typed.is_empty() && typed != current;
            if ui
                .add_enabled(usable, egui::Button::new("Use this folder"))
                .clicked()
                || (entered && usable)
            {
                *local.models_dir = Some(std::path::PathBuf::from(&typed));
            }
            self.models_folder.button_ui(
                ui,
                cx.outbox,
                "Folder of the face models",
                crate::backend::dialogs::Picker::ModelsFolder,
            );
            if ui
                .add_enabled(
                    local.models_dir.is_some(),
                    egui::Button::new("Use the default"),
                )
                .on_hover_text(local.default_models_dir.display().to_string())
                .clicked()
            {
                *local.models_dir = None;
                self.models_dir_text = Some(local.default_models_dir.display().to_string());
            }
            if local.status == Phase::Pending {
                ui.spinner();
                ui.label("Loading face models…");
            }
        });
        ui.label(
            RichText::new(
                "The face models the built-in Local profile's service loads. In the default \
                 folder a first run fetches them itself (with npm). Changing it restarts the \
                 service.",
            )
            .weak(),
        );
    }

    /// A profile whose keys were just replaced, once.
    pub fn take_keys_saved(&mut self) -> Option<ProfileId> {
        self.keys_saved.take()
    }

    /// Takes what finished in the background; the shell calls this every frame, shown or not.
    fn poll_requests(&mut self, toasts: &mut crate::widgets::Toasts) {
        self.keys_present.poll();
        if let Some(Finished::Succeeded(())) = self.store_keys.poll() {
            self.keys_saved = self.storing_keys_for.take();
        }
        if let Some(Finished::Failed(error)) = self.delete_keys.poll() {
            toasts.error(format!(
                "The profile was deleted but its keys were not: {error}"
            ));
        }
    }

    fn keyring_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        keyring: &mut Request<KeyringStatus>,
    ) {
        ui.strong("OS keyring");
        ui.horizontal(|ui| {
            match (keyring.phase(), keyring.data()) {
                (Phase::Pending, _) => {
                    ui.spinner();
                    ui.label("Checking the OS keyring…");
                }
                (_, Some(KeyringStatus::Works)) => {
                    badge(ui, [0x2e, 0x9e, 0x5b]);
                    ui.label(format!(
                        "Works: keys are stored under the service “{}”.",
                        credentials::SERVICE
                    ));
                }
                (_, Some(KeyringStatus::Unavailable { reason })) => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("Unavailable: {reason}"),
                    );
                }
                (_, None) => {
                    if let Some(error) = keyring.error() {
                        error_label(ui, error);
                    } else {
                        ui.label("Not checked yet.");
                    }
                }
            }
            if !keyring.is_pending() && ui.button("Check again").clicked() {
                keyring.send(cx.outbox, |reply| Command::ProbeKeyring { reply });
            }
        });
        // Always one line, so the pane does not move when the check answers.
        let store = match (keyring.data(), credentials::store_in_use()) {
            (Some(KeyringStatus::Works), Some(store)) => {
                format!("They are kept in {}.", store.description())
            }
            (Some(KeyringStatus::Unavailable { .. }), _) => {
                "No key can be kept until the keyring works.".to_owned()
            }
            _ => "Which store keeps the keys shows once the keyring answers.".to_owned(),
        };
        ui.label(RichText::new(store).weak());
    }

    fn profiles_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        book: &mut ProfileBook,
        active_profile_id: &mut Option<ProfileId>,
    ) {
        ui.strong("Profiles");
        if let Some(error) = book.load_error() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("{error}. Saving a profile will replace that file."),
            );
        }
        if let Some(error) = book.save_request().error() {
            error_label(ui, error);
        }
        let mut open = None;
        Grid::new("profile_list")
            .num_columns(4)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                for profile in book.profiles() {
                    let editing = self
                        .form
                        .as_ref()
                        .is_some_and(|f| f.profile_id == profile.profile_id);
                    ui.horizontal(|ui| {
                        badge(ui, profile.badge_rgb);
                        if ui.selectable_label(editing, &profile.name).clicked() {
                            open = Some(profile.clone());
                        }
                    });
                    ui.label(RichText::new(profile.kind.label()).weak());
                    ui.label(RichText::new(&profile.api_base_url).weak());
                    if active_profile_id.as_ref() == Some(&profile.profile_id) {
                        ui.label("active");
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        if let Some(profile) = open {
            self.edit(&profile, cx);
        }
        if ui.button("New profile").clicked() {
            self.form = Some(ProfileForm::new_custom());
            self.local_keys.forget();
            self.problems.clear();
            self.saved = false;
            self.keys_present.reset();
            self.store_keys.reset();
        }
        ui.add_space(8.0);
        self.form_ui(ui, cx, book, active_profile_id);
        self.confirm_delete_ui(ui, cx, book, active_profile_id);
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        book: &mut ProfileBook,
        active_profile_id: &mut Option<ProfileId>,
    ) {
        if self
            .confirm_delete
            .waiting()
            .is_some_and(|profile_id| book.find(profile_id).is_none())
        {
            self.confirm_delete = ConfirmSlot::default();
        }
        let confirmed = self.confirm_delete.ui(ui, "confirm_delete_profile", |profile_id| {
            let (name, url) = book.find(profile_id).map_or_else(Default::default, |p| {
                (p.name.clone(), p.api_base_url.clone())
            });
            (
                format!("Delete the profile “{name}”?"),
                format!(
                    "Its settings ({url}) and its AccessKey, SecretKey and any API keys stored in \
                     the OS keyring for it will be removed from this computer. Nothing on the \
                     server changes."
                ),
                "Delete profile",
            )
        });
        let Some(profile_id) = confirmed else {
            return;
        };
        book.remove(&profile_id, cx.outbox);
        let id = profile_id.clone();
        self.delete_keys
            .send(cx.outbox, |reply| Command::DeleteSecrets {
                profile_id: id,
                reply,
            });
        if active_profile_id.as_ref() == Some(&profile_id) {
            *active_profile_id = book.profiles().first().map(|p| p.profile_id.clone());
        }
        self.form = None;
        self.local_keys.forget();
        cx.toasts.info("Profile deleted.");
    }
}

pub(super) fn save_status_ui(ui: &mut Ui, book: &ProfileBook, store_keys: &Request<()>) {
    let saving = book.save_request().is_pending() || store_keys.is_pending();
    if saving {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Saving…");
        });
        return;
    }
    if let Some(error) = store_keys.error() {
        ui.label("The profile was saved, but its keys were not:");
        error_label(ui, error);
        return;
    }
    if book.save_request().error().is_some() {
        return; // shown above the list
    }
    let text = if store_keys.phase() == Phase::Ready {
        "Saved. The keys are in the OS keyring."
    } else {
        "Saved."
    };
    ui.label(text);
}

fn theme_ui(ui: &mut Ui, theme: &mut Theme) {
    ui.strong("Theme");
    ui.horizontal(|ui| {
        let before = *theme;
        ui.radio_value(theme, Theme::System, "Follow the system");
        ui.radio_value(theme, Theme::Light, "Light");
        ui.radio_value(theme, Theme::Dark, "Dark");
        if *theme != before {
            ui.ctx().set_theme(theme.preference());
        }
    });
}
