//! An error shown where the data would have been: the message in the error colour, the API's
//! errorType/errorCode below it, and a Retry button when retrying can help.

use egui::{RichText, Ui};

use crate::error::UiError;

/// Shows `error`; returns true when the user clicked Retry.
pub fn error_label(ui: &mut Ui, error: &UiError) -> bool {
    let mut retry = false;
    ui.vertical(|ui| {
        let color = ui.visuals().error_fg_color;
        ui.label(RichText::new(&error.message).color(color));
        if let Some(codes) = error.codes() {
            ui.label(RichText::new(codes).small().color(color));
        }
        if error.retryable && ui.button("Retry").clicked() {
            retry = true;
        }
    });
    retry
}
