//! An error shown where the data would have been: what failed and why in the error colour, what
//! to do below it, the server's requested wait when it asked for one, a Retry button when
//! retrying can help, and the technical detail behind a "Details" disclosure.

use egui::{Label, RichText, Ui};

use crate::error::UiError;

/// Shows `error`; returns true when the user clicked Retry.
pub fn error_label(ui: &mut Ui, error: &UiError) -> bool {
    let mut retry = false;
    ui.vertical(|ui| {
        let color = ui.visuals().error_fg_color;
        ui.add(Label::new(RichText::new(&error.message).color(color)).wrap());
        let hint = error.wait_hint();
        // The hint says when to try again, better than the advice's fixed "in 30 s".
        if let Some(advice) = error.advice()
            && hint.is_none()
        {
            ui.add(Label::new(RichText::new(advice).weak()).wrap());
        }
        if let Some(hint) = &hint {
            ui.label(RichText::new(hint).weak());
            if error.wait_left().is_some() {
                // The countdown moves on while nothing else happens.
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(500));
            }
        }
        if error.retryable {
            // Enabled at once even while the server's wait runs: the hint says how long it
            // asked for, and a person may know the server is back.
            let button = ui.button("Retry");
            let button = match error.wait_left() {
                Some(_) => {
                    button.on_hover_text("The server may still refuse it until the wait is over")
                }
                None => button,
            };
            if button.clicked() {
                retry = true;
            }
        }
        details_ui(ui, error);
    });
    retry
}

/// The technical account of `error`, closed by default.
pub fn details_ui(ui: &mut Ui, error: &UiError) {
    if error.detail().is_none() && error.codes().is_none() {
        return;
    }
    egui::CollapsingHeader::new("Details")
        .id_salt(("error_details", &error.message))
        .default_open(false)
        .show(ui, |ui| {
            // A request's detail holds its status and codes already.
            match (error.detail(), error.codes()) {
                (Some(detail), _) => {
                    ui.add(Label::new(RichText::new(detail).monospace().small()).wrap());
                }
                (None, Some(codes)) => {
                    ui.label(RichText::new(codes).small());
                }
                (None, None) => {}
            }
        });
}
