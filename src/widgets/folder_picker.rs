//! "Choose folder…": the desktop's folder dialog, asked for by the backend so the UI never
//! waits on it. Without a dialog (no desktop portal) the answer is "nothing chosen", and the
//! typed folder field beside the button still works.

use std::path::PathBuf;

use egui::Ui;

use crate::backend::{Command, FileCommand, Outbox};
use crate::request::{Finished, Request};

/// A "Choose folder…" button and the dialog it opened.
#[derive(Debug, Default)]
pub struct FolderPicker {
    picking: Request<Option<PathBuf>>,
}

impl FolderPicker {
    /// The button; disabled while its dialog is open.
    pub fn button_ui(&mut self, ui: &mut Ui, outbox: &mut Outbox, title: &'static str) {
        let button = ui.add_enabled(
            !self.picking.is_pending(),
            egui::Button::new("Choose folder…"),
        );
        if button.clicked() {
            self.picking.send(outbox, |reply| {
                Command::Files(FileCommand::PickFolder { title, reply })
            });
        }
    }

    /// The folder chosen since the last call, once.
    pub fn poll(&mut self) -> Option<PathBuf> {
        match self.picking.poll() {
            Some(Finished::Succeeded(Some(folder))) => Some(folder.clone()),
            Some(Finished::Failed(error)) => {
                tracing::warn!(%error, "no folder dialog");
                None
            }
            _ => None,
        }
    }
}
