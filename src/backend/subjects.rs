//! Background commands of the Subjects and Jobs panes: subjects, events, enrolment and bulk
//! registration.
//!
//! Kept apart from the shell's commands in `backend.rs`; [`Backend::execute`] hands every
//! [`SubjectsCommand`] here.

use super::Backend;

/// Something the Subjects or Jobs pane wants done in the background.
#[non_exhaustive]
pub enum SubjectsCommand {}

impl std::fmt::Debug for SubjectsCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SubjectsCommand")
            .field(&self.name())
            .finish()
    }
}

impl SubjectsCommand {
    /// A short name for logs and errors; never includes arguments.
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub(super) fn execute(self, _backend: &Backend, _ctx: &egui::Context) {
        match self {}
    }
}
