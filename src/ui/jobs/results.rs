//! The shown job's results: a row per file of the folder in a table, the reasons of the
//! failures in full below it (a table cell cuts a long reason at the width of a small window),
//! and the results exported as CSV.

use std::path::PathBuf;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::JobsPane;
use super::records::{ResultRow, result_rows, results_csv};
use crate::backend::{Command, FileCommand};
use crate::ui::PaneContext;
use crate::widgets::error_label;

/// How many failures are listed with their reasons below the table; the CSV has them all.
const FAILURES_LISTED: usize = 50;

impl JobsPane {
    /// Every result of the shown job as CSV, one row per file of its folder; `None` before a
    /// job.
    pub fn csv(&self) -> Option<String> {
        let job = self.job.as_ref()?;
        let records = job.records.data().map_or(&[][..], |r| r.records.as_slice());
        // Before the first records arrive, a file with no record is only not read yet.
        let files = if job.records.data().is_some() {
            &job.plan.files[..]
        } else {
            &[]
        };
        let rows = result_rows(records, files, &job.plan.skipped);
        Some(results_csv(&rows, &job.plan.files))
    }

    pub(super) fn results_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(job) = &self.job else {
            return;
        };
        let Some(records) = job.records.data() else {
            return;
        };
        let (mut export, mut write) = (false, false);
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} in {}",
                crate::ui::plural::count(records.records.len(), "record", "records"),
                crate::ui::plural::count(records.pages, "page", "pages")
            ));
            export = ui
                .add_enabled(!self.export.is_pending(), egui::Button::new("Export CSV…"))
                .clicked();
            let label = ui.label("or write to");
            ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .desired_width(220.0)
                    .hint_text("/path/to/results.csv"),
            )
            .labelled_by(label.id);
            write = ui
                .add_enabled(
                    !self.export_path.trim().is_empty() && !self.write.is_pending(),
                    egui::Button::new("Write CSV"),
                )
                .clicked();
            if self.export.is_pending() || self.write.is_pending() {
                ui.spinner();
            }
        });
        if export && let Some(text) = self.csv() {
            let suggested_name = job.batch_id.as_ref().map_or_else(
                || "bulk-job.csv".to_owned(),
                |b| format!("bulk-{}.csv", b.as_str()),
            );
            self.export.send(cx.outbox, |reply| {
                Command::Files(FileCommand::ExportCsv {
                    picker: crate::backend::dialogs::Picker::JobsExport,
                    suggested_name,
                    text,
                    reply,
                })
            });
        }
        if write && let Some(text) = self.csv() {
            let path = PathBuf::from(self.export_path.trim());
            self.write.send(cx.outbox, |reply| {
                Command::Files(FileCommand::WriteFile { path, text, reply })
            });
        }
        if let Some(error) = self.export.error() {
            error_label(ui, error);
        }
        if let Some(error) = self.write.error() {
            error_label(ui, error);
        }
        let rows = result_rows(&records.records, &job.plan.files, &job.plan.skipped);
        let by_object = job.by_object();
        let error_color = ui.visuals().error_fg_color;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        TableBuilder::new(ui)
            .id_salt("job_records")
            .striped(true)
            .resizable(true)
            .max_scroll_height(240.0)
            .column(Column::initial(160.0).at_least(80.0).clip(true))
            .column(Column::initial(100.0).clip(true))
            .column(Column::exact(80.0))
            .column(Column::exact(70.0))
            .column(Column::initial(200.0).clip(true))
            .column(Column::exact(60.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in [
                    "File",
                    "Identity",
                    "Status",
                    "Result",
                    "Subject ID",
                    "Quality",
                    "Reason",
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let result = rows[row.index()];
                    let failed = result.failed();
                    let coloured = |text: &str| {
                        if failed {
                            RichText::new(text).color(error_color)
                        } else {
                            RichText::new(text)
                        }
                    };
                    row.col(|ui| {
                        ui.label(result.file());
                    });
                    row.col(|ui| {
                        ui.label(result.identity(&by_object));
                    });
                    row.col(|ui| {
                        ui.label(result.status());
                    });
                    row.col(|ui| {
                        ui.label(coloured(result.result()));
                    });
                    row.col(|ui| {
                        ui.label(result.subject_id());
                    });
                    row.col(|ui| {
                        ui.label(result.quality());
                    });
                    row.col(|ui| {
                        ui.label(coloured(result.reason()));
                    });
                });
            });
        failures_ui(ui, &rows);
    }
}

/// Each failure with its reason in full, wrapped to the pane's width.
fn failures_ui(ui: &mut Ui, rows: &[ResultRow<'_>]) {
    let failures: Vec<&ResultRow<'_>> = rows.iter().filter(|r| r.failed()).collect();
    if failures.is_empty() {
        return;
    }
    let error_color = ui.visuals().error_fg_color;
    ui.add_space(4.0);
    ui.strong(match failures.len() {
        1 => "Why 1 file failed".to_owned(),
        n => format!("Why {n} files failed"),
    });
    egui::ScrollArea::vertical()
        .id_salt("job_failures")
        .max_height(120.0)
        .show(ui, |ui| {
            for failure in failures.iter().take(FAILURES_LISTED) {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{}: {}", failure.file(), failure.reason()))
                            .color(error_color),
                    )
                    .wrap(),
                );
            }
            if failures.len() > FAILURES_LISTED {
                ui.label(
                    RichText::new(format!(
                        "and {} more: the CSV has every reason",
                        failures.len() - FAILURES_LISTED
                    ))
                    .weak(),
                );
            }
        });
}
