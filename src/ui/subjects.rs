//! The Subjects pane: the people enrolled in a gallery and their events.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Subjects pane's view state.
#[derive(Debug, Default)]
pub struct SubjectsPane {}

impl SubjectsPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Subjects", "the people enrolled in a gallery and their events.");
        ui.label("Will page through every subject in a virtualised table, register subjects and events by dropping an image, and update or unregister them.");
        ui.label(egui::RichText::new("Not connected yet: this pane has no back end in this build.").italics());
    }
}
