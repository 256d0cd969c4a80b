//! A modal confirmation that names what will be lost, and [`ConfirmSlot`], the one way a pane
//! asks for one: it holds what waits for the user's yes and hands it back once confirmed.

use egui::{Id, Modal, RichText, Ui};

/// What the user answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Waiting,
    Confirmed,
    Cancelled,
}

/// A question with a destructive answer.
#[derive(Debug)]
pub struct Confirm<'a> {
    id: Id,
    title: &'a str,
    consequences: &'a str,
    confirm_label: &'a str,
}

impl<'a> Confirm<'a> {
    pub fn new(id: Id, title: &'a str, consequences: &'a str, confirm_label: &'a str) -> Self {
        Self {
            id,
            title,
            consequences,
            confirm_label,
        }
    }

    pub fn ui(self, ui: &mut Ui) -> ConfirmOutcome {
        let mut outcome = ConfirmOutcome::Waiting;
        let modal = Modal::new(self.id).show(ui.ctx(), |ui| {
            ui.set_max_width(420.0);
            ui.heading(self.title);
            ui.label(self.consequences);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let danger = ui.visuals().error_fg_color;
                if ui
                    .button(RichText::new(self.confirm_label).color(danger))
                    .clicked()
                {
                    outcome = ConfirmOutcome::Confirmed;
                }
                if ui.button("Cancel").clicked() {
                    outcome = ConfirmOutcome::Cancelled;
                }
            });
        });
        if outcome == ConfirmOutcome::Waiting && modal.should_close() {
            outcome = ConfirmOutcome::Cancelled;
        }
        outcome
    }
}

/// A destructive step waiting for the user's yes: the pane [`ConfirmSlot::ask`]s with what it
/// will act on, and [`ConfirmSlot::ui`] shows the question each frame until the user answers,
/// returning the value once when they confirm.
#[derive(Debug)]
pub struct ConfirmSlot<T> {
    waiting: Option<T>,
}

impl<T> Default for ConfirmSlot<T> {
    fn default() -> Self {
        Self { waiting: None }
    }
}

impl<T> ConfirmSlot<T> {
    /// Asks for a confirmation to act on `value`, replacing any question still open.
    pub fn ask(&mut self, value: T) {
        self.waiting = Some(value);
    }

    /// What waits for an answer.
    pub fn waiting(&self) -> Option<&T> {
        self.waiting.as_ref()
    }

    /// Shows the question while one is open; `question` gives its title, what will be lost and
    /// the confirming button's label. Returns the value when the user confirms.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        id_salt: &str,
        question: impl FnOnce(&T) -> (String, String, &'static str),
    ) -> Option<T> {
        let value = self.waiting.as_ref()?;
        let (title, consequences, confirm_label) = question(value);
        match Confirm::new(Id::unique(id_salt), &title, &consequences, confirm_label).ui(ui) {
            ConfirmOutcome::Waiting => None,
            ConfirmOutcome::Cancelled => {
                self.waiting = None;
                None
            }
            ConfirmOutcome::Confirmed => self.waiting.take(),
        }
    }
}
