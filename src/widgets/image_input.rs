//! The one way a pane takes an image: "Pick…" (the file dialog, run by the backend), a typed
//! path, or a file dropped on the window, with its path or, when the drop carries none (an
//! image dragged from a browser), with its bytes.
//!
//! The widget only says where the image comes from ([`ImageSource`]); the pane decides what to
//! do with it (the Face pane decodes it for display, Subjects measures it before enrolment).
//! Which files count as images is [`IMAGE_EXTENSIONS`], the list the dialogs and the Jobs
//! pane's folder listing use too.
//!
//! Each input is one [`Picker`]: its dialog opens in the folder that input last took an image
//! from, picked or typed. When no dialog can open (no display, no portal, no zenity) the input
//! says so where it is and puts the keyboard in its path field, the way that still works.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{TextEdit, Ui};

pub use crate::backend::dialogs::Picker;
pub use crate::backend::files::{IMAGE_EXTENSIONS, ImageSource};
use crate::backend::{Command, FileCommand, Outbox};
use crate::request::{Finished, Request};
use crate::widgets::error_label;

/// A pick button and a path field for one image.
#[derive(Debug, Default)]
pub struct ImageInput {
    pick: Request<Option<PathBuf>>,
    typed: String,
}

impl ImageInput {
    /// Draws "Pick…" (labelled `pick_label`) and the path field on the current line; returns
    /// the image chosen this frame, picked or typed. `picker` says whose dialog this is (where
    /// it opens) and tells this input's field from another's on the same screen.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        outbox: &mut Outbox,
        picker: Picker,
        pick_label: &str,
    ) -> Option<ImageSource> {
        let (mut chosen, no_dialog) = match self.pick.poll() {
            Some(Finished::Succeeded(Some(path))) => (Some(ImageSource::Path(path.clone())), false),
            Some(Finished::Failed(_)) => (None, true),
            _ => (None, false),
        };
        if ui
            .add_enabled(!self.pick.is_pending(), egui::Button::new(pick_label))
            .on_hover_text("Choose a face image")
            .clicked()
        {
            self.pick.send(outbox, |reply| {
                Command::Files(FileCommand::PickImage { picker, reply })
            });
        }
        if self.pick.is_pending() {
            ui.spinner();
        }
        let field = ui.add(
            TextEdit::singleline(&mut self.typed)
                .id_salt(("image_path", picker.id_salt()))
                .desired_width(220.0)
                .hint_text("or type an image's path"),
        );
        if no_dialog {
            // The message beside the button points here: the field has the keyboard.
            field.request_focus();
        }
        let entered = super::form::entered(ui, &field);
        let typed = self.typed.trim();
        if ui
            .add_enabled(!typed.is_empty(), egui::Button::new("Open").small())
            .on_hover_text("Use the image at the typed path")
            .clicked()
            || (entered && !typed.is_empty())
        {
            let path = PathBuf::from(typed);
            outbox.push(Command::Files(FileCommand::UsedPath {
                picker,
                path: path.clone(),
            }));
            chosen = Some(ImageSource::Path(path));
        }
        chosen
    }

    /// Why the dialog could not be shown, if it could not; on a line of its own.
    pub fn error_ui(&self, ui: &mut Ui) {
        if let Some(error) = self.pick.error() {
            error_label(ui, error);
        }
    }

    /// The first file dropped on the window this frame, by path or, when the drop has none,
    /// by its bytes; an error when neither can be read.
    pub fn dropped(ui: &Ui) -> Option<Result<ImageSource, String>> {
        let file = ui.input(|i| i.raw.dropped_files.first().cloned())?;
        let path = file.path().to_owned();
        if !path.as_os_str().is_empty() {
            return Some(Ok(ImageSource::Path(path)));
        }
        // No path (e.g. dragged from a browser): the integration holds the bytes in memory.
        Some(match file.bytes() {
            Ok(bytes) => Ok(ImageSource::Bytes {
                name: "the dropped image".to_owned(),
                bytes: Arc::from(bytes),
            }),
            Err(error) => Err(format!("The dropped file cannot be read: {error}")),
        })
    }

    /// Whether a file is being dragged over the window.
    pub fn hovering(ui: &Ui) -> bool {
        ui.input(|i| !i.raw.hovered_files.is_empty())
    }
}
