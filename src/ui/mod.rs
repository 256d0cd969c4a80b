//! The panes, one file each, and what the shell hands them every frame.

pub mod activity;
pub mod applications;
pub mod face;
pub mod galleries;
pub mod jobs;
pub mod settings;
pub mod subjects;
pub mod tags;

use serde::{Deserialize, Serialize};

use crate::backend::{OpenedGallery, Outbox};
use crate::connection::Connection;
use crate::error::UiError;
use crate::widgets::Toasts;

/// The left navigation's entries, in order; `Ctrl+1` … `Ctrl+8` select them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pane {
    #[default]
    Galleries,
    Applications,
    Subjects,
    Tags,
    Face,
    Jobs,
    Activity,
    Settings,
}

impl Pane {
    pub const ALL: [Pane; 8] = [
        Pane::Galleries,
        Pane::Applications,
        Pane::Subjects,
        Pane::Tags,
        Pane::Face,
        Pane::Jobs,
        Pane::Activity,
        Pane::Settings,
    ];

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            Pane::Galleries => "Galleries",
            Pane::Applications => "Applications",
            Pane::Subjects => "Subjects",
            Pane::Tags => "Tags",
            Pane::Face => "Face",
            Pane::Jobs => "Jobs",
            Pane::Activity => "Activity",
            Pane::Settings => "Settings",
        }
    }

    /// The digit key of its shortcut.
    pub fn shortcut_key(self) -> egui::Key {
        match self {
            Pane::Galleries => egui::Key::Num1,
            Pane::Applications => egui::Key::Num2,
            Pane::Subjects => egui::Key::Num3,
            Pane::Tags => egui::Key::Num4,
            Pane::Face => egui::Key::Num5,
            Pane::Jobs => egui::Key::Num6,
            Pane::Activity => egui::Key::Num7,
            Pane::Settings => egui::Key::Num8,
        }
    }

    pub fn shortcut(self) -> egui::KeyboardShortcut {
        egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, self.shortcut_key())
    }
}

/// What a pane asks of the shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellAction {
    /// Make this gallery the one the gallery-scoped panes work on (its id, and its name for
    /// the messages).
    OpenGallery(necid::GalleryId, String),
    /// This gallery is gone; stop using it.
    ForgetGallery(necid::GalleryId),
    /// Build the active profile's client again.
    Reconnect,
}

/// The active profile's connection as the panes see it.
#[derive(Clone, Copy, Debug)]
pub enum ConnectionState<'a> {
    NoProfile,
    Connecting,
    Failed(&'a UiError),
    Ready(&'a Connection),
}

/// What every pane may use while drawing: where to send commands and where to report.
#[derive(Debug)]
pub struct PaneContext<'a> {
    pub outbox: &'a mut Outbox,
    pub toasts: &'a mut Toasts,
    pub actions: &'a mut Vec<ShellAction>,
    pub connection: ConnectionState<'a>,
    /// The gallery opened in Galleries, with its API key.
    pub gallery: Option<&'a OpenedGallery>,
    /// Set while the shell is opening a gallery.
    pub opening_gallery: bool,
    /// The console's data folder (thumbnails live under it); for paths handed to commands,
    /// never read here.
    pub data_dir: &'a std::path::Path,
}

impl PaneContext<'_> {
    /// The connection, or a line saying why there is none (with a Retry where it helps).
    pub fn connection_ui(&mut self, ui: &mut egui::Ui) -> Option<Connection> {
        match self.connection {
            ConnectionState::Ready(connection) => Some(connection.clone()),
            ConnectionState::NoProfile => {
                ui.label("No profile is active: create one in Settings.");
                None
            }
            ConnectionState::Connecting => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Connecting…");
                });
                None
            }
            ConnectionState::Failed(error) => {
                let mut error = error.clone();
                error.retryable = true;
                if crate::widgets::error_label(ui, &error) {
                    self.actions.push(ShellAction::Reconnect);
                }
                None
            }
        }
    }

    /// The opened gallery, or a line saying how to open one.
    pub fn gallery_ui(&mut self, ui: &mut egui::Ui) -> Option<OpenedGallery> {
        self.connection_ui(ui)?;
        match self.gallery {
            Some(gallery) => Some(gallery.clone()),
            None if self.opening_gallery => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Opening the gallery…");
                });
                None
            }
            None => {
                ui.label("Open a gallery in Galleries first: this pane works on one gallery.");
                None
            }
        }
    }
}

/// A pane's title line and one sentence on what it is for.
pub fn pane_header(ui: &mut egui::Ui, title: &str, purpose: &str) {
    ui.heading(title);
    ui.label(egui::RichText::new(purpose).weak());
    ui.separator();
}
