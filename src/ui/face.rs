//! The Face pane: extract, search and verify faces.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Face pane's view state.
#[derive(Debug, Default)]
pub struct FacePane {}

impl FacePane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Face", "extract, search and verify faces.");
        ui.label("Will extract every face from a dropped image, search a gallery with a probe, and verify a probe against a subject or a second image.");
        ui.label(
            egui::RichText::new("Not connected yet: this pane has no back end in this build.")
                .italics(),
        );
    }
}
