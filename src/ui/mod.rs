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

use crate::backend::Outbox;
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

/// What every pane may use while drawing: where to send commands and where to report.
#[derive(Debug)]
pub struct PaneContext<'a> {
    pub outbox: &'a mut Outbox,
    pub toasts: &'a mut Toasts,
}

/// A pane's title line and one sentence on what it is for.
pub fn pane_header(ui: &mut egui::Ui, title: &str, purpose: &str) {
    ui.heading(title);
    ui.label(egui::RichText::new(purpose).weak());
    ui.separator();
}
