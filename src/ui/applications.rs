//! The Applications pane: the API keys that use a gallery.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Applications pane's view state.
#[derive(Debug, Default)]
pub struct ApplicationsPane {}

impl ApplicationsPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Applications", "the API keys that use a gallery.");
        ui.label("Will list applications, create one for a gallery, edit its minimum quality, delete it, and reveal or copy its API key.");
        ui.label(egui::RichText::new("Not connected yet: this pane has no back end in this build.").italics());
    }
}
