//! A profile's AccessKey and SecretKey, read from the keyring on request and shown masked, with
//! Reveal and Copy: what a copied "curl --aws-sigv4 … --user $AK:$SK" needs to run, for the
//! Local profile whose keys the console made itself and nobody ever typed.
//!
//! The keys stay in this widget's memory only while it shows them ([`KeysView::forget`]).

use egui::{RichText, Ui};

use crate::backend::{Command, Outbox};
use crate::credentials::Secrets;
use crate::profiles::ProfileId;
use crate::request::Request;
use crate::widgets::error_label;

/// What a masked key shows instead of its characters.
const MASK: &str = "••••••••••••••••";

/// The keys of one profile, once asked for.
#[derive(Debug, Default)]
pub struct KeysView {
    keys: Request<Option<Secrets>>,
    revealed: bool,
    /// The name of the key copied last, to say so.
    copied: Option<&'static str>,
}

impl KeysView {
    /// Drops the keys from memory and masks them again.
    pub fn forget(&mut self) {
        self.keys.reset();
        self.revealed = false;
        self.copied = None;
    }

    pub fn ui(&mut self, ui: &mut Ui, outbox: &mut Outbox, profile_id: &ProfileId) {
        self.keys.poll();
        if self.keys.is_not_requested() {
            if ui.button("Show the keys").clicked() {
                let profile_id = profile_id.clone();
                self.keys
                    .send(outbox, |reply| Command::LoadSecrets { profile_id, reply });
            }
            return;
        }
        if self.keys.is_pending() {
            ui.spinner();
            return;
        }
        if let Some(error) = self.keys.error() {
            error_label(ui, error);
            return;
        }
        let Some(Some(secrets)) = self.keys.data() else {
            ui.label("No keys are stored for this profile.");
            return;
        };
        let rows = [
            ("AccessKey", secrets.access_key.clone()),
            ("SecretKey", secrets.secret_key.clone()),
        ];
        // The buttons before the key, so a revealed key's length never moves them.
        for (name, secret) in rows {
            ui.horizontal(|ui| {
                let label = ui.add_sized([72.0, 18.0], egui::Label::new(name));
                if ui.button(format!("Copy {name}")).clicked() {
                    ui.ctx().copy_text(secret.clone());
                    self.copied = Some(name);
                }
                let shown = if self.revealed { secret.as_str() } else { MASK };
                ui.label(RichText::new(shown).monospace())
                    .labelled_by(label.id);
            });
        }
        ui.horizontal(|ui| {
            let toggle = if self.revealed { "Hide" } else { "Reveal" };
            if ui.button(toggle).clicked() {
                self.revealed = !self.revealed;
            }
            if let Some(name) = self.copied {
                ui.label(format!("{name} copied to the clipboard."));
            }
        });
        ui.label(
            RichText::new(
                "For a copied curl command: export AK='<AccessKey>' SK='<SecretKey>' before \
                 running it.",
            )
            .weak(),
        );
    }
}
