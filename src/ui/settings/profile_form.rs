//! The Settings pane's profile form: a profile created or edited, its URLs, region and timeouts
//! checked before saving, and its AccessKey and SecretKey sent straight to the keyring.

use std::fmt;

use egui::{Grid, RichText, TextEdit, Ui};

use super::{SettingsPane, save_status_ui};
use crate::backend::Command;
use crate::credentials::Secrets;
use crate::profiles::{
    self, NEC_API_BASE_URL, NEC_PORTAL_BASE_URL, NEC_REGION, Profile, ProfileBook, ProfileId,
    ProfileKind,
};
use crate::request::{Phase, Request};
use crate::ui::PaneContext;
use crate::widgets::{FormFocus, FormKeys, error_label};

/// The profile being created or edited.
pub(super) struct ProfileForm {
    pub(super) profile_id: ProfileId,
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
    focus: FormFocus,
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
    pub(super) fn new_custom() -> Self {
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
            focus: FormFocus::default(),
        }
    }

    pub(super) fn edit(profile: &Profile) -> Self {
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
            focus: FormFocus::default(),
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

impl SettingsPane {
    pub(super) fn form_ui(
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
        crate::widgets::form::frame(ui, "profile_form", |ui| {
            ui.strong(if form.is_new {
                "New profile"
            } else {
                "Edit profile"
            });
            let mut changed = false;
            let mut keys = FormKeys::new(&mut form.focus);
            Grid::new("profile_form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let keys = &mut keys;
                    changed |= text_row(ui, keys, "Name", &mut form.name, false);
                    changed |= text_row(ui, keys, "API base URL", &mut form.api_base_url, false);
                    changed |= text_row(
                        ui,
                        keys,
                        "Portal base URL",
                        &mut form.portal_base_url,
                        false,
                    );
                    changed |= text_row(ui, keys, "Region", &mut form.region, false);
                    let label = ui.label("Badge colour");
                    changed |= ui
                        .color_edit_button_srgb(&mut form.badge_rgb)
                        .labelled_by(label.id)
                        .changed();
                    ui.end_row();
                    changed |=
                        seconds_row(ui, keys, "Connect timeout", &mut form.connect_timeout_secs);
                    changed |=
                        seconds_row(ui, keys, "Request timeout", &mut form.request_timeout_secs);
                    changed |= text_row(ui, keys, "AccessKey", &mut form.access_key, false);
                    changed |= text_row(ui, keys, "SecretKey", &mut form.secret_key, true);
                });
            let (entered, escaped) = (keys.entered(), keys.escaped());
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
                if ui.button("Save profile").clicked() || entered {
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
                    self.confirm_delete.ask(form.profile_id.clone());
                }
                if ui.button("Close").clicked() || escaped {
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
}

/// One labelled text field in a two-column grid; returns whether it changed.
fn text_row(
    ui: &mut Ui,
    keys: &mut FormKeys<'_>,
    label: &str,
    value: &mut String,
    password: bool,
) -> bool {
    let label = ui.label(label);
    let field = TextEdit::singleline(value)
        .password(password)
        .desired_width(360.0);
    let changed = keys.add(ui, field, label.id).changed();
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

/// A labelled number of seconds (1 s to an hour); true when it changed.
fn seconds_row(ui: &mut Ui, keys: &mut FormKeys<'_>, label: &str, secs: &mut u64) -> bool {
    let label = ui.label(label);
    let field = egui::DragValue::new(secs)
        .range(1..=profiles::MAX_TIMEOUT_SECS)
        .suffix(" s");
    let changed = keys.add(ui, field, label.id).changed();
    ui.end_row();
    changed
}
