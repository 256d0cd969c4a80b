//! The Tags pane: labels for subjects, up to 64 per gallery.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Tags pane's view state.
#[derive(Debug, Default)]
pub struct TagsPane {}

impl TagsPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Tags", "labels for subjects, up to 64 per gallery.");
        ui.label("Will list, create, rename and delete a gallery's tags, with a gauge of the 64-tag limit.");
        ui.label(egui::RichText::new("Not connected yet: this pane has no back end in this build.").italics());
    }
}
