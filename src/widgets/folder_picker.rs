//! "Choose folder…": the desktop's folder dialog, asked for by the backend so the UI never
//! waits on it, opened in the folder this picker last chose. Without a dialog (no display, no
//! portal, no zenity) the button says so beside it, and the typed folder field near it still
//! works (its owner gives it the keyboard, see [`FolderPicker::wants_field_focus`]).

use std::path::PathBuf;

use egui::Ui;

use crate::backend::dialogs::Picker;
use crate::backend::{Command, FileCommand, Outbox};
use crate::request::{Finished, Request};
use crate::widgets::error_label;

/// A "Choose folder…" button and the dialog it opened.
#[derive(Debug, Default)]
pub struct FolderPicker {
    picking: Request<Option<PathBuf>>,
    /// Set when the dialog could not open, until the owner moved the keyboard to its field.
    focus_field: bool,
}

impl FolderPicker {
    /// The button, disabled while its dialog is open, and why the dialog could not open when
    /// it could not.
    pub fn button_ui(
        &mut self,
        ui: &mut Ui,
        outbox: &mut Outbox,
        title: &'static str,
        picker: Picker,
    ) {
        let button = ui.add_enabled(
            !self.picking.is_pending(),
            egui::Button::new("Choose folder…"),
        );
        if button.clicked() {
            self.picking.send(outbox, |reply| {
                Command::Files(FileCommand::PickFolder {
                    title,
                    picker,
                    reply,
                })
            });
        }
        if let Some(error) = self.picking.error() {
            error_label(ui, error);
        }
    }

    /// The folder chosen since the last call, once.
    pub fn poll(&mut self) -> Option<PathBuf> {
        match self.picking.poll() {
            Some(Finished::Succeeded(Some(folder))) => Some(folder.clone()),
            Some(Finished::Failed(_)) => {
                self.focus_field = true;
                None
            }
            _ => None,
        }
    }

    /// True once after the dialog could not open: the owner's typed folder field should take
    /// the keyboard.
    pub fn wants_field_focus(&mut self) -> bool {
        std::mem::take(&mut self.focus_field)
    }
}
