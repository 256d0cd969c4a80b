//! The Galleries pane: face collections, their size and minimum quality.
//!
//! Until its back end is wired through `crates/necid` the pane says what it will do and shows
//! no data (never invented rows).

use super::{PaneContext, pane_header};

/// The Galleries pane's view state.
#[derive(Debug, Default)]
pub struct GalleriesPane {}

impl GalleriesPane {
    pub fn ui(&mut self, ui: &mut egui::Ui, _cx: &mut PaneContext<'_>) {
        pane_header(ui, "Galleries", "face collections, their size and minimum quality.");
        ui.label("Will list galleries with count and size bars, and create, edit (size can only grow) and delete them; a new gallery's API key goes to the OS keyring.");
        ui.label(egui::RichText::new("Not connected yet: this pane has no back end in this build.").italics());
    }
}
