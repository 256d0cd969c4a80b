//! A modal confirmation that names what will be lost.

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
