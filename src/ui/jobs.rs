//! The Jobs pane: bulk registration from a folder of images.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Jobs pane's view state.
#[derive(Debug, Default)]
pub struct JobsPane {}

impl JobsPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Jobs", "bulk registration from a folder of images.");
        ui.label("Will copy a folder's images into the bucket, start a bulk register job, show its progress and page its results, exportable as CSV.");
        ui.label(
            egui::RichText::new("Not connected yet: this pane has no back end in this build.")
                .italics(),
        );
    }
}
