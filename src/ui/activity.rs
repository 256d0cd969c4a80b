//! The Activity pane: what runs now (with its elapsed time and a Cancel for reads), the last
//! messages shown as toasts, and every request the console made, newest first, with its status,
//! latency and error, and "copy as curl" that signs with `--aws-sigv4` and never includes a
//! secret.
//!
//! What runs now is the shell's list of background commands, each with the HTTP requests it
//! has in flight (method, path, elapsed time, the try it is on): the client reports a request
//! when it starts, so a request that hangs is seen from its first second, and Cancel stops the
//! command that owns it (a read; a write runs to its end). A request moves to the table when
//! it ends; a 200 whose answer could not be read is listed as the failure it is.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::plural::count;
use super::{Pane, PaneContext, PaneId, pane_header};
use crate::backend::{InFlight, InFlightTask};
use crate::connection::{ActivityEntry, RequestInFlight};
use crate::widgets::NotificationKind;

/// The Activity pane's view state.
#[derive(Debug, Default)]
pub struct ActivityPane {
    /// Index into the log of the selected request.
    selected: Option<usize>,
    only_failures: bool,
}

impl Pane for ActivityPane {
    fn id(&self) -> PaneId {
        PaneId::Activity
    }

    /// Draws nothing when the pane is drawn without a shell (`cx.shell` is `None`).
    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if let Some(shell) = cx.shell.take() {
            self.log_ui(
                ui,
                cx,
                shell.activity,
                shell.in_flight,
                shell.requests_in_flight,
            );
        }
    }
}

impl ActivityPane {
    fn log_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        log: &[ActivityEntry],
        in_flight: &InFlight,
        requests: &std::collections::BTreeMap<necid::RequestId, RequestInFlight>,
    ) {
        pane_header(
            ui,
            "Activity",
            "Every request this console made, with its answer. Keys are never shown.",
        );
        in_flight_ui(ui, in_flight, requests);
        notifications_ui(ui, cx);
        ui.horizontal(|ui| {
            ui.label(count(log.len(), "request", "requests"));
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
        // Text in a row is not selectable, so a click on it selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        // In a child of its own, so the resize lines end with the table's last row.
        ui.vertical(|ui| {
            TableBuilder::new(ui)
                .id_salt("activity_log")
                .striped(true)
                .sense(egui::Sense::click())
                .max_scroll_height(table_height)
                .column(Column::exact(80.0))
                .column(Column::exact(60.0))
                .column(
                    Column::initial(320.0)
                        .at_least(120.0)
                        .clip(true)
                        .resizable(true),
                )
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
                        let selected = self.selected == Some(index);
                        row.set_selected(selected);
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
                                error_cell(ui, status, selected);
                            } else {
                                ui.label(status);
                            }
                        });
                        row.col(|ui| {
                            ui.label(format!("{} ms", entry.latency.as_millis()));
                        });
                        row.col(|ui| {
                            if let Some(error) = &entry.error {
                                error_cell(ui, error.as_str(), selected);
                            }
                        });
                        if row.response().clicked() {
                            self.selected = Some(index);
                        }
                    });
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
            if entry.attempts > 1 {
                ui.label(format!("Sent {} times.", entry.attempts));
            }
            if let Some(detail) = &entry.error_detail {
                egui::CollapsingHeader::new("Details")
                    .id_salt("activity_error_details")
                    .show(ui, |ui| {
                        ui.label(RichText::new(detail).monospace().small());
                    });
            }
            egui::ScrollArea::vertical()
                .id_salt("curl")
                .max_height(80.0)
                .show(ui, |ui| {
                    ui.label(RichText::new(entry.as_curl_preview()).monospace());
                });
        }
    }
}

/// The commands running now, each with its elapsed time and the HTTP requests it has in
/// flight; a read has a Cancel (on each of its requests, or on the command while it has none).
fn in_flight_ui(
    ui: &mut Ui,
    in_flight: &InFlight,
    requests: &std::collections::BTreeMap<necid::RequestId, RequestInFlight>,
) {
    let running = in_flight.snapshot();
    let orphans: Vec<&RequestInFlight> = requests
        .values()
        .filter(|r| {
            r.owner
                .is_none_or(|owner| !running.iter().any(|t| t.id == owner))
        })
        .collect();
    if running.is_empty() && orphans.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("In flight ({})", running.len() + orphans.len()))
        .id_salt("in_flight")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("in_flight_scroll")
                .max_height(160.0)
                .show(ui, |ui| {
                    for task in &running {
                        let own: Vec<&RequestInFlight> = requests
                            .values()
                            .filter(|r| r.owner == Some(task.id))
                            .collect();
                        command_row_ui(ui, in_flight, task, own.is_empty());
                        for request in own {
                            ui.horizontal(|ui| {
                                ui.add_space(24.0);
                                request_row_ui(ui, request);
                                if task.cancellable
                                    && ui
                                        .small_button("Cancel")
                                        .on_hover_text(format!(
                                            "Stop {} and close its connection",
                                            task.what
                                        ))
                                        .clicked()
                                {
                                    in_flight.cancel(task.id);
                                }
                            });
                        }
                    }
                    for request in orphans {
                        ui.horizontal(|ui| request_row_ui(ui, request));
                    }
                });
        });
    // The elapsed times move on while nothing else happens.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}

/// One command: what it does and for how long; its Cancel when `with_cancel`.
fn command_row_ui(ui: &mut Ui, in_flight: &InFlight, task: &InFlightTask, with_cancel: bool) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(task.what);
        ui.label(RichText::new(elapsed(task.started)).weak());
        if with_cancel
            && task.cancellable
            && ui
                .small_button("Cancel")
                .on_hover_text("Stop waiting and close its connection")
                .clicked()
        {
            in_flight.cancel(task.id);
        }
    });
}

/// One HTTP request: method, path, elapsed time, and the try it is on.
fn request_row_ui(ui: &mut Ui, request: &RequestInFlight) {
    ui.label(RichText::new(request.method).monospace());
    ui.label(RichText::new(request.path()).monospace());
    ui.label(RichText::new(elapsed(request.started)).weak());
    if request.attempt > 1 {
        let note = match &request.retrying_because {
            Some(reason) => format!("try {}: {reason}", request.attempt),
            None => format!("try {}", request.attempt),
        };
        ui.label(RichText::new(note).weak());
    }
}

/// Seconds since `started`, to a tenth.
fn elapsed(started: std::time::Instant) -> String {
    format!("{:.1} s", started.elapsed().as_secs_f32())
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
                            ui.vertical(|ui| {
                                ui.add(egui::Label::new(text).wrap());
                                if let Some(detail) = &notification.detail {
                                    egui::CollapsingHeader::new("Details")
                                        .id_salt(("notification_details", notification.at))
                                        .show(ui, |ui| {
                                            ui.label(RichText::new(detail).monospace().small());
                                        });
                                }
                            });
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

/// A failure in a table cell: in the error colour, except on the selected row, whose
/// background the error colour does not stand out from; there it is strong text in the
/// selection's own text colour.
fn error_cell(ui: &mut egui::Ui, text: impl Into<String>, selected: bool) {
    let text = egui::RichText::new(text.into());
    if selected {
        let on_selection = ui.visuals().selection.stroke.color;
        ui.label(text.strong().color(on_selection));
    } else {
        ui.label(text.color(ui.visuals().error_fg_color));
    }
}
