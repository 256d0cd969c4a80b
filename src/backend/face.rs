//! Background commands of the Face pane (extract, search, verify) and of the Local profile.
//!
//! Kept apart from the shell's commands in `backend.rs` so that the pane's work can grow
//! without touching them; [`Backend::execute`] hands every [`FaceCommand`] here.

use super::Backend;

/// Something the Face pane wants done in the background.
#[non_exhaustive]
pub enum FaceCommand {}

impl std::fmt::Debug for FaceCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FaceCommand").field(&self.name()).finish()
    }
}

impl FaceCommand {
    /// A short name for logs and errors; never includes arguments.
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(super) fn execute(self, _backend: &Backend, _ctx: &egui::Context) {
        match self {}
    }
}
