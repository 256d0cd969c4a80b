//! The Activity pane: what runs now (with its elapsed time and a Cancel for reads), the last
//! messages shown as toasts, and every request the console made, newest first, with its status,
//! latency and error, and "copy as curl" that signs with `--aws-sigv4` and never includes a
//! secret.
//!
//! What runs now is the shell's list of background commands (one command may make several
//! requests); the requests themselves appear in the table when they end.
// FOLLOW-UP (issue 15): once `necid`'s observer reports a request when it starts, list each
// HTTP request in flight here (method, path, elapsed) beside the command that made it.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::{PaneContext, pane_header};
use crate::backend::InFlight;
use crate::connection::ActivityEntry;
use crate::widgets::NotificationKind;

/// The Activity pane's view state.
#[derive(Debug, Default)]
pub struct ActivityPane {
    /// Index into the log of the selected request.
    selected: Option<usize>,
    only_failures: bool,
}

impl ActivityPane {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        log: &[ActivityEntry],
        in_flight: &InFlight,
    ) {
        pane_header(
            ui,
            "Activity",
            "Every request this console made, with its answer. Keys are never shown.",
        );
        in_flight_ui(ui, in_flight);
        notifications_ui(ui, cx);
        ui.horizontal(|ui| {
            ui.label(format!("{} requests", log.len()));
            ui.checkbox(&mut self.only_failures, "Only failures");
        });
        if log.is_empty() {
            ui.label("No request yet: the other panes' requests appear here as they are made.");
            return;
        }
        // Newest first; indices into `log` so a selection survives new entries.
        let rows: Vec<usize> = (0..log.len())
            .rev()
            .filter(|&i| !self.only_failures || log[i].error.is_some())
            .collect();
        let details_height = if self.selected.is_some() { 160.0 } else { 0.0 };
        let table_height = (ui.available_height() - details_height).max(120.0);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(table_height)
            .column(Column::exact(80.0))
            .column(Column::exact(60.0))
            .column(Column::initial(320.0).at_least(120.0).clip(true))
            .column(Column::exact(60.0))
            .column(Column::exact(70.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in ["Time", "Method", "Path", "Status", "Latency", "Error"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let index = rows[row.index()];
                    let entry = &log[index];
                    row.set_selected(self.selected == Some(index));
                    row.col(|ui| {
                        ui.label(clock_time(entry.started));
                    });
                    row.col(|ui| {
                        ui.label(entry.method);
                    });
                    row.col(|ui| {
                        ui.label(entry.path());
                    });
                    row.col(|ui| {
                        let status = entry.status.map_or("—".to_owned(), |s| s.to_string());
                        if entry.error.is_some() {
                            ui.colored_label(ui.visuals().error_fg_color, status);
                        } else {
                            ui.label(status);
                        }
                    });
                    row.col(|ui| {
                        ui.label(format!("{} ms", entry.latency.as_millis()));
                    });
                    row.col(|ui| {
                        if let Some(error) = &entry.error {
                            ui.colored_label(ui.visuals().error_fg_color, error);
                        }
                    });
                    if row.response().clicked() {
                        self.selected = Some(index);
                    }
                });
            });
        if let Some(entry) = self.selected.and_then(|i| log.get(i)) {
            ui.separator();
            ui.horizontal(|ui| {
                ui.strong(format!("{} {}", entry.method, entry.url));
                if ui.button("Copy as curl").clicked() {
                    ui.ctx().copy_text(entry.as_curl());
                    cx.toasts
                        .info("Copied; set AK, SK (and API_KEY) in the shell first.");
                }
            });
            ui.label(format!(
                "Profile “{}”, region {}; API key {}; body {} bytes.",
                entry.profile_name,
                entry.region,
                if entry.sent_api_key {
                    "sent"
                } else {
                    "not sent"
                },
                entry.body_bytes
            ));
            if let Some(error) = &entry.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            egui::ScrollArea::vertical()
                .id_salt("curl")
                .max_height(80.0)
                .show(ui, |ui| {
                    ui.label(RichText::new(entry.as_curl()).monospace());
                });
        }
    }
}

/// The commands running now, each with its elapsed time and, for a read, a Cancel.
fn in_flight_ui(ui: &mut Ui, in_flight: &InFlight) {
    let running = in_flight.snapshot();
    if running.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("In flight ({})", running.len()))
        .id_salt("in_flight")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("in_flight_scroll")
                .max_height(120.0)
                .show(ui, |ui| {
                    for task in &running {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(task.what);
                            ui.label(
                                RichText::new(format!(
                                    "{:.1} s",
                                    task.started.elapsed().as_secs_f32()
                                ))
                                .weak(),
                            );
                            if task.cancellable
                                && ui
                                    .small_button("Cancel")
                                    .on_hover_text("Stop waiting and close its connection")
                                    .clicked()
                            {
                                in_flight.cancel(task.id);
                            }
                        });
                    }
                });
        });
    // The elapsed times move on while nothing else happens.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}

/// The last messages shown as toasts, newest first.
fn notifications_ui(ui: &mut Ui, cx: &mut PaneContext<'_>) {
    let count = cx.toasts.history().len();
    if count == 0 {
        return;
    }
    egui::CollapsingHeader::new(format!("Notifications ({count})"))
        .id_salt("notifications")
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("notifications_scroll")
                .max_height(160.0)
                .show(ui, |ui| {
                    for notification in cx.toasts.history().rev() {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(clock_time(notification.at)).weak());
                            let text = RichText::new(&notification.text);
                            let text = match notification.kind {
                                NotificationKind::Info => text,
                                NotificationKind::Error => text.color(ui.visuals().error_fg_color),
                            };
                            ui.add(egui::Label::new(text).wrap());
                        });
                    }
                });
        });
}

/// `HH:MM:SS` in UTC.
fn clock_time(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day_seconds = seconds % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        day_seconds / 3600,
        day_seconds % 3600 / 60,
        day_seconds % 60
    )
}
