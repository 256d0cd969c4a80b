//! The Settings pane: connection profiles, the OS keyring's status, and the theme.
//!
//! A profile's AccessKey and SecretKey are typed here and go straight to the keyring through a
//! [`Command::StoreSecrets`]; the form forgets them once sent, and nothing here is persisted.

use std::fmt;

use egui::{Grid, RichText, TextEdit, Ui};
use serde::{Deserialize, Serialize};

use super::{PaneContext, pane_header};
use crate::backend::Command;
use crate::credentials::{self, KeyringStatus, Secrets};
use crate::profiles::{
    self, NEC_API_BASE_URL, NEC_PORTAL_BASE_URL, NEC_REGION, Profile, ProfileBook, ProfileId,
    ProfileKind,
};
use crate::request::{Finished, Phase, Request};
use crate::widgets::{Confirm, ConfirmOutcome, badge, error_label};

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

/// The profile being created or edited.
struct ProfileForm {
    profile_id: ProfileId,
    is_new: bool,
    kind: ProfileKind,
    name: String,
    api_base_url: String,
    portal_base_url: String,
    region: String,
    badge_rgb: [u8; 3],
    connect_timeout_secs: u64,
    request_timeout_secs: u64,
    access_key: String,
    secret_key: String,
}

impl fmt::Debug for ProfileForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileForm")
            .field("profile_id", &self.profile_id)
            .field("name", &self.name)
            .field("keys", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ProfileForm {
    fn new_custom() -> Self {
        Self {
            profile_id: ProfileId::new_random(),
            is_new: true,
            kind: ProfileKind::Custom,
            name: String::new(),
            api_base_url: NEC_API_BASE_URL.to_owned(),
            portal_base_url: NEC_PORTAL_BASE_URL.to_owned(),
            region: NEC_REGION.to_owned(),
            badge_rgb: [0x2e, 0x9e, 0x5b],
            connect_timeout_secs: profiles::DEFAULT_CONNECT_TIMEOUT_SECS,
            request_timeout_secs: profiles::DEFAULT_REQUEST_TIMEOUT_SECS,
            access_key: String::new(),
            secret_key: String::new(),
        }
    }

    fn edit(profile: &Profile) -> Self {
        Self {
            profile_id: profile.profile_id.clone(),
            is_new: false,
            kind: profile.kind,
            name: profile.name.clone(),
            api_base_url: profile.api_base_url.clone(),
            portal_base_url: profile.portal_base_url.clone(),
            region: profile.region.clone(),
            badge_rgb: profile.badge_rgb,
            connect_timeout_secs: profile.connect_timeout_secs,
            request_timeout_secs: profile.request_timeout_secs,
            access_key: String::new(),
            secret_key: String::new(),
        }
    }

    fn profile(&self) -> Profile {
        Profile {
            profile_id: self.profile_id.clone(),
            name: self.name.trim().to_owned(),
            kind: self.kind,
            api_base_url: self.api_base_url.trim().trim_end_matches('/').to_owned(),
            portal_base_url: self.portal_base_url.trim().trim_end_matches('/').to_owned(),
            region: self.region.trim().to_owned(),
            badge_rgb: self.badge_rgb,
            connect_timeout_secs: self.connect_timeout_secs,
            request_timeout_secs: self.request_timeout_secs,
        }
    }

    /// The keys typed, if both were; `Err` if only one was.
    fn typed_secrets(&self) -> Result<Option<Secrets>, String> {
        let access_key = self.access_key.trim();
        let secret_key = self.secret_key.trim();
        match (access_key.is_empty(), secret_key.is_empty()) {
            (true, true) => Ok(None),
            (false, false) => Ok(Some(Secrets {
                access_key: access_key.to_owned(),
                secret_key: secret_key.to_owned(),
            })),
            _ => Err(
                "Enter both the AccessKey and the SecretKey (or neither, to keep the stored ones)."
                    .to_owned(),
            ),
        }
    }

    fn forget_secrets(&mut self) {
        self.access_key.clear();
        self.secret_key.clear();
    }
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
    confirm_delete: Option<ProfileId>,
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

    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, shell: SettingsShell<'_>) {
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
        ui.horizontal(|ui| {
            let label = ui.label("Models folder");
            ui.add(TextEdit::singleline(text).desired_width(420.0))
                .labelled_by(label.id);
        });
        let typed = text.trim().to_owned();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !typed.is_empty() && typed != current,
                    egui::Button::new("Use this folder"),
                )
                .clicked()
            {
                *local.models_dir = Some(std::path::PathBuf::from(&typed));
            }
            self.models_folder
                .button_ui(ui, cx.outbox, "Folder of the face models");
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
    pub fn poll(&mut self, toasts: &mut crate::widgets::Toasts) {
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
            self.problems.clear();
            self.saved = false;
            self.keys_present.reset();
            self.store_keys.reset();
        }
        ui.add_space(8.0);
        self.form_ui(ui, cx, book, active_profile_id);
        self.confirm_delete_ui(ui, cx, book, active_profile_id);
    }

    fn form_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        book: &mut ProfileBook,
        active_profile_id: &mut Option<ProfileId>,
    ) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        let mut close = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.strong(if form.is_new {
                "New profile"
            } else {
                "Edit profile"
            });
            let mut changed = false;
            Grid::new("profile_form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    changed |= text_row(ui, "Name", &mut form.name, false);
                    changed |= text_row(ui, "API base URL", &mut form.api_base_url, false);
                    changed |= text_row(ui, "Portal base URL", &mut form.portal_base_url, false);
                    changed |= text_row(ui, "Region", &mut form.region, false);
                    let label = ui.label("Badge colour");
                    changed |= ui
                        .color_edit_button_srgb(&mut form.badge_rgb)
                        .labelled_by(label.id)
                        .changed();
                    ui.end_row();
                    changed |= seconds_row(ui, "Connect timeout", &mut form.connect_timeout_secs);
                    changed |= seconds_row(ui, "Request timeout", &mut form.request_timeout_secs);
                    changed |= text_row(ui, "AccessKey", &mut form.access_key, false);
                    changed |= text_row(ui, "SecretKey", &mut form.secret_key, true);
                });
            if changed {
                self.saved = false;
            }
            keys_note_ui(ui, form, &self.keys_present);
            if form.kind == ProfileKind::Local {
                self.local_keys.ui(ui, cx.outbox, &form.profile_id);
            }
            if form.kind != ProfileKind::Local && ui.button("Use the NEC ID cloud hosts").clicked()
            {
                form.api_base_url = NEC_API_BASE_URL.to_owned();
                form.portal_base_url = NEC_PORTAL_BASE_URL.to_owned();
                form.region = NEC_REGION.to_owned();
            }
            for problem in &self.problems {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
            ui.horizontal(|ui| {
                if ui.button("Save profile").clicked() {
                    self.problems = profiles::validate(
                        &form.name,
                        &form.api_base_url,
                        &form.portal_base_url,
                        &form.region,
                    );
                    let secrets = match form.typed_secrets() {
                        Ok(secrets) => secrets,
                        Err(problem) => {
                            self.problems.push(problem);
                            None
                        }
                    };
                    if self.problems.is_empty() {
                        book.upsert(form.profile(), cx.outbox);
                        if let Some(secrets) = secrets {
                            let profile_id = form.profile_id.clone();
                            self.storing_keys_for = Some(profile_id.clone());
                            self.store_keys
                                .send(cx.outbox, |reply| Command::StoreSecrets {
                                    profile_id,
                                    secrets,
                                    reply,
                                });
                        }
                        form.forget_secrets();
                        form.is_new = false;
                        if active_profile_id.is_none() {
                            *active_profile_id = Some(form.profile_id.clone());
                        }
                        self.saved = true;
                    }
                }
                let known = book.find(&form.profile_id).is_some();
                if known
                    && active_profile_id.as_ref() != Some(&form.profile_id)
                    && ui.button("Use this profile").clicked()
                {
                    *active_profile_id = Some(form.profile_id.clone());
                }
                if known
                    && form.kind != ProfileKind::Local
                    && ui.button("Delete profile…").clicked()
                {
                    self.confirm_delete = Some(form.profile_id.clone());
                }
                if ui.button("Close").clicked() {
                    close = true;
                }
            });
            if self.saved {
                save_status_ui(ui, book, &self.store_keys);
            }
        });
        if close {
            self.form = None;
            self.local_keys.forget();
        }
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        book: &mut ProfileBook,
        active_profile_id: &mut Option<ProfileId>,
    ) {
        let Some(profile_id) = self.confirm_delete.clone() else {
            return;
        };
        let Some(profile) = book.find(&profile_id) else {
            self.confirm_delete = None;
            return;
        };
        let title = format!("Delete the profile “{}”?", profile.name);
        let consequences = format!(
            "Its settings ({}) and its AccessKey, SecretKey and any API keys stored in the OS \
             keyring for it will be removed from this computer. Nothing on the server changes.",
            profile.api_base_url
        );
        match Confirm::new(
            egui::Id::unique("confirm_delete_profile"),
            &title,
            &consequences,
            "Delete profile",
        )
        .ui(ui)
        {
            ConfirmOutcome::Waiting => {}
            ConfirmOutcome::Cancelled => self.confirm_delete = None,
            ConfirmOutcome::Confirmed => {
                self.confirm_delete = None;
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
                cx.toasts.info("Profile deleted.");
            }
        }
    }
}

/// One labelled text field in a two-column grid; returns whether it changed.
fn text_row(ui: &mut Ui, label: &str, value: &mut String, password: bool) -> bool {
    let label = ui.label(label);
    let changed = ui
        .add(
            TextEdit::singleline(value)
                .password(password)
                .desired_width(360.0),
        )
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    changed
}

fn keys_note_ui(ui: &mut Ui, form: &ProfileForm, keys_present: &Request<bool>) {
    let text = if form.is_new {
        "The keys go to the OS keyring, never to a file. Leave both empty to add them later."
    } else {
        match (keys_present.phase(), keys_present.data()) {
            (Phase::Pending, _) => "Looking up the stored keys…",
            (_, Some(true)) => "Keys are stored in the OS keyring. Type new ones to replace them.",
            (_, Some(false)) => "No keys are stored for this profile yet.",
            _ => "",
        }
    };
    if !text.is_empty() {
        ui.label(RichText::new(text).weak());
    }
    if let Some(error) = keys_present.error() {
        error_label(ui, error);
    }
}

fn save_status_ui(ui: &mut Ui, book: &ProfileBook, store_keys: &Request<()>) {
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

/// A labelled number of seconds (1 s to an hour); true when it changed.
fn seconds_row(ui: &mut Ui, label: &str, secs: &mut u64) -> bool {
    let label = ui.label(label);
    let changed = ui
        .add(
            egui::DragValue::new(secs)
                .range(1..=profiles::MAX_TIMEOUT_SECS)
                .suffix(" s"),
        )
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    changed
}
