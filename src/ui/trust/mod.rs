//! The Trust pane: what keeps a gallery from lying. Calibration measures which threshold a
//! labelled folder supports (`calibration.rs`, with its plot as PNG in `plot_png.rs`); the audit
//! review goes through the Local service's audit of the open gallery and records every decision
//! in a journal (`audit.rs`, `journal.rs`).

mod audit;
mod calibration;
mod journal;
mod plot_png;

use egui::Ui;

use super::{Pane, PaneContext, PaneId, pane_header};

pub use calibration::CalibrationOutcome;
pub use journal::{Decision, Journal, JournalEntry};

/// The pane's two tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustMode {
    #[default]
    Calibration,
    Audit,
}

/// The Trust pane's view state: one struct per tab.
#[derive(Debug, Default)]
pub struct TrustPane {
    mode: TrustMode,
    calibration: calibration::CalibrationView,
    audit: audit::AuditView,
}

impl Pane for TrustPane {
    fn id(&self) -> PaneId {
        PaneId::Trust
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>) {
        self.calibration.poll(cx);
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        self.audit.poll(&ui.ctx().clone(), cx);
        pane_header(
            ui,
            "Trust",
            "Calibrate the search threshold on a labelled folder, and review the audit of the \
             open gallery: people enrolled twice, faces filed under someone else.",
        );
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, TrustMode::Calibration, "Calibration");
            ui.selectable_value(&mut self.mode, TrustMode::Audit, "Audit review");
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match self.mode {
                TrustMode::Calibration => self.calibration.ui(ui, cx),
                TrustMode::Audit => self.audit.ui(ui, cx),
            });
    }
}
