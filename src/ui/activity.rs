//! The Activity pane: every request this console made.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Activity pane's view state.
#[derive(Debug, Default)]
pub struct ActivityPane {}

impl ActivityPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Activity", "every request this console made.");
        ui.label("Will list each request with time, method, path, status, latency and error, with copy as curl (never including a secret).");
        ui.label(egui::RichText::new("Not connected yet: this pane has no back end in this build.").italics());
    }
}
