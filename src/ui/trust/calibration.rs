//! Threshold calibration: a labelled folder (one sub-folder per person) is enrolled into a
//! scratch gallery and searched with, by `necid::calibration`, and its genuine and impostor
//! scores are shown as histograms and as false-accept / false-reject rates against the
//! threshold, with the threshold that keeps a target false-accept rate and that rate's 95 %
//! bound. The threshold can be applied as the console's search threshold for the open gallery,
//! and the figures exported as CSV and the rates plot as PNG (`plot_png.rs`).
//!
//! It runs on the Local service by default, whichever profile is active, so a cloud tenant is
//! sent nothing; through any other profile (no Local service running, or chosen) it asks first,
//! with the number of calls it makes (cloud calls are billed).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui::{RichText, Ui};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};
use necid::calibration::{
    self, CalibrationOptions, CancelFlag, Figures, LabelledFolder, Progress, Stage,
};

use super::plot_png;
use crate::connection::Connection;
use crate::error::UiError;
use crate::profiles::ProfileKind;
use crate::request::{Finished, Request};
use crate::ui::plural::count;
use crate::ui::{ConnectionState, PaneContext, ShellAction};
use crate::widgets::{ConfirmSlot, FolderPicker, FormFocus, FormKeys, error_label};

/// The histograms' bin width, in score points.
const BIN_WIDTH: u16 = 250;
/// The rates' step, in score points.
const CURVE_STEP: u16 = 50;

/// A finished calibration, as the view shows it.
#[derive(Clone, Debug)]
pub struct CalibrationOutcome {
    pub figures: Figures,
    pub people: usize,
    pub images: usize,
    pub unusable: usize,
    pub calls: u64,
}

/// The Calibration tab's view state.
pub(super) struct CalibrationView {
    folder: String,
    pick: FolderPicker,
    read: Request<LabelledFolder>,
    confirm: ConfirmSlot<LabelledFolder>,
    run: Request<CalibrationOutcome>,
    progress: Arc<Mutex<Option<Progress>>>,
    cancel: CancelFlag,
    /// The target false-accept rate, in percent, as typed.
    target_far: String,
    export_path: String,
    export: Request<()>,
    /// Off a Local profile: run through the active profile (asked first, its calls counted)
    /// instead of the Local service.
    through_active_profile: bool,
    /// Which service the last calibration ran on, for the figures' caption.
    ran_on: Option<String>,
    /// The folder's field takes the keyboard when the tab first shows; Enter calibrates.
    focus: FormFocus,
}

impl Default for CalibrationView {
    fn default() -> Self {
        Self {
            folder: String::new(),
            pick: FolderPicker::default(),
            read: Request::new(),
            confirm: ConfirmSlot::default(),
            run: Request::new(),
            progress: Arc::default(),
            cancel: CancelFlag::default(),
            target_far: "0.1".to_owned(),
            export_path: String::new(),
            export: Request::new(),
            through_active_profile: false,
            ran_on: None,
            focus: FormFocus::default(),
        }
    }
}

impl std::fmt::Debug for CalibrationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalibrationView")
            .field("folder", &self.folder)
            .field("run", &self.run)
            .finish_non_exhaustive()
    }
}

impl CalibrationView {
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>) {
        if let Some(path) = self.pick.poll() {
            self.folder = path.display().to_string();
            self.read_folder(cx);
        }
        if let Some(Finished::Succeeded(folder)) = self.read.poll() {
            let folder = folder.clone();
            match (cx.connection, cx.local) {
                (ConnectionState::Ready(active), _)
                    if active.profile.kind == ProfileKind::Local =>
                {
                    self.start(cx, folder, active.clone());
                }
                (_, Some(local)) if !self.through_active_profile => {
                    self.start(cx, folder, local.clone());
                }
                _ => self.confirm.ask(folder),
            }
        }
        self.run.poll();
        if let Some(Finished::Succeeded(())) = self.export.poll() {
            cx.toasts.info("The figures and the plot were written.");
        }
    }

    fn read_folder(&mut self, cx: &mut PaneContext<'_>) {
        let dir = PathBuf::from(self.folder.trim());
        self.read.read(
            cx.outbox,
            "reading the labelled folder",
            move |worker| async move {
                worker
                    .blocking("reading the labelled folder", move || {
                        let folder = LabelledFolder::read(&dir)
                            .map_err(|error| UiError::new(format!("The folder {error}")))?;
                        if folder.people.len() < 2 {
                            return Err(UiError::new(
                                "A calibration needs at least two people: one sub-folder \
                                 of images per person.",
                            ));
                        }
                        Ok(folder)
                    })
                    .await
            },
        );
    }

    fn start(&mut self, cx: &mut PaneContext<'_>, folder: LabelledFolder, on: Connection) {
        self.ran_on = Some(on.profile.name.clone());
        let client = on.client.clone();
        self.cancel = CancelFlag::default();
        let options = CalibrationOptions {
            cancel: self.cancel.clone(),
            ..CalibrationOptions::default()
        };
        let progress = Arc::clone(&self.progress);
        *progress.lock().unwrap_or_else(|p| p.into_inner()) = None;
        // Creates and deletes a scratch gallery: a write, which runs to its end.
        self.run
            .write(cx.outbox, "calibrating the threshold", move |_| {
                run_calibration(client, folder, options, progress)
            });
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if cx.connection_ui(ui).is_none() {
            return;
        }
        ui.label(
            "Point at a labelled folder (one sub-folder of images per person): every image is \
             enrolled in a scratch gallery, searched with, and the gallery deleted.",
        );
        ui.horizontal(|ui| {
            let label = ui.label("Labelled folder");
            let mut keys = FormKeys::new(&mut self.focus);
            let field = egui::TextEdit::singleline(&mut self.folder)
                .id_salt("calibration_folder")
                .desired_width(360.0)
                .hint_text("one sub-folder of images per person");
            let field = keys.add(ui, field, label.id);
            let entered = keys.entered();
            if self.pick.wants_field_focus() {
                field.request_focus();
            }
            self.pick.button_ui(
                ui,
                cx.outbox,
                "Choose a labelled folder (one sub-folder per person)",
                crate::backend::dialogs::Picker::CalibrationFolder,
            );
            let idle = !self.run.is_pending() && !self.read.is_pending();
            if ui
                .add_enabled(
                    idle && !self.folder.trim().is_empty(),
                    egui::Button::new("Calibrate"),
                )
                .clicked()
                || (entered && idle && !self.folder.trim().is_empty())
            {
                self.read_folder(cx);
            }
            if self.run.is_pending() && ui.button("Cancel").clicked() {
                self.cancel.cancel();
            }
        });
        let off_local = matches!(
            cx.connection,
            ConnectionState::Ready(active) if active.profile.kind != ProfileKind::Local
        );
        if off_local && let Some(local) = cx.local {
            ui.checkbox(
                &mut self.through_active_profile,
                "Run through this profile instead of the Local service",
            )
            .on_hover_text(format!(
                "By default the scratch gallery lives on the Local service (\"{}\"), so the \
                 active profile's back end is sent nothing.",
                local.profile.name
            ));
        }
        if let Some(on) = &self.ran_on
            && (self.run.is_pending() || self.run.data().is_some())
        {
            ui.weak(format!("Calibrated on \"{on}\"."));
        }
        for error in [self.read.error(), self.run.error()].into_iter().flatten() {
            error_label(ui, error);
        }
        self.confirm_ui(ui, cx);
        if self.run.is_pending() {
            self.progress_ui(ui);
            return;
        }
        let Some(outcome) = self.run.data().cloned() else {
            return;
        };
        self.figures_ui(ui, cx, &outcome);
    }

    fn confirm_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let confirmed = self.confirm.ui(ui, "confirm_calibration", |folder| {
            (
                "Calibrate through this profile?".to_owned(),
                format!(
                    "This profile is not the Local service: the calibration makes up to {} \
                     ({} of {}, each enrolled and searched with, and a scratch gallery created \
                     and deleted), which the back end may bill.",
                    count(folder.planned_calls(), "API call", "API calls"),
                    count(folder.images(), "image", "images"),
                    count(folder.people.len(), "person", "people")
                ),
                "Run the calibration",
            )
        });
        if let Some(folder) = confirmed
            && let ConnectionState::Ready(active) = cx.connection
        {
            self.start(cx, folder, active.clone());
        }
    }

    fn progress_ui(&self, ui: &mut Ui) {
        let progress = *self.progress.lock().unwrap_or_else(|p| p.into_inner());
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(match progress {
                None => "Starting…".to_owned(),
                Some(p) => format!(
                    "{} {} of {} images · {} calls",
                    match p.stage {
                        Stage::CreatingGallery => "Creating the scratch gallery:",
                        Stage::Enrolling => "Enrolling",
                        Stage::Searching => "Searching with",
                        Stage::DeletingGallery => "Deleting the scratch gallery:",
                    },
                    p.done,
                    p.total,
                    p.calls
                ),
            });
        });
        ui.ctx().request_repaint_after(Duration::from_millis(200));
    }

    fn figures_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, outcome: &CalibrationOutcome) {
        let figures = &outcome.figures;
        let default = figures.rates_at(necid::MatchScore::DEFAULT_THRESHOLD.get());
        ui.label(format!(
            "{}, {} ({} unusable), {}: {} genuine and {} impostor pairs.",
            count(outcome.people, "person", "people"),
            count(outcome.images, "image", "images"),
            outcome.unusable,
            count(outcome.calls, "call", "calls"),
            figures.genuine.len(),
            figures.impostor.len()
        ));
        ui.label(format!(
            "At 7000: false accepts {:.3} % ({} of {}), false rejects {:.3} % ({} of {}).",
            default.far() * 100.0,
            default.false_accepts,
            default.impostor_pairs,
            default.frr() * 100.0,
            default.false_rejects,
            default.genuine_pairs
        ));
        ui.horizontal(|ui| {
            let label = ui.label("Target false-accept rate (%)");
            ui.add(egui::TextEdit::singleline(&mut self.target_far).desired_width(80.0))
                .labelled_by(label.id);
        });
        let target = self
            .target_far
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|percent| *percent > 0.0 && *percent <= 100.0);
        let choice = target.and_then(|percent| figures.threshold_for_far(percent / 100.0));
        match &choice {
            None if target.is_none() => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "Type the target rate in percent, above 0 and at most 100.",
                );
            }
            Some(choice) => {
                ui.label(
                    RichText::new(format!(
                        "Threshold {}: false accepts {:.3} % (95 % bound {:.3} %), false rejects \
                         {:.3} %.",
                        choice.threshold,
                        choice.rates.far() * 100.0,
                        choice.far_upper_95 * 100.0,
                        choice.rates.frr() * 100.0
                    ))
                    .strong(),
                );
            }
            None => {
                ui.label(
                    "No threshold reaches that rate with 95 % confidence: the folder has too few \
                     impostor pairs for it.",
                );
            }
        }
        ui.horizontal(|ui| {
            if let (Some(choice), Some(gallery)) = (&choice, cx.gallery) {
                let opened = gallery.opened();
                if ui
                    .button(format!("Apply {} to “{}”", choice.threshold, opened.name))
                    .on_hover_text("Make it the console's search threshold for this gallery")
                    .clicked()
                {
                    cx.actions.push(ShellAction::ApplyThreshold(
                        opened.gallery_id.clone(),
                        choice.threshold,
                    ));
                }
            }
            let label = ui.label("Export to");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.export_path)
                        .desired_width(240.0)
                        .hint_text("/path/to/calibration (…-rates.csv, .png)"),
                )
                .labelled_by(label.id);
            let entered = crate::widgets::form::entered(ui, &field);
            let can_export = !self.export_path.trim().is_empty() && !self.export.is_pending();
            if ui
                .add_enabled(can_export, egui::Button::new("Export CSV and PNG"))
                .clicked()
                || (entered && can_export)
            {
                self.export(cx, figures, choice.as_ref().map(|c| c.threshold));
            }
        });
        if let Some(error) = self.export.error() {
            error_label(ui, error);
        }
        rates_plot(ui, figures, choice.as_ref());
        histogram_plot(ui, figures);
    }

    fn export(&mut self, cx: &mut PaneContext<'_>, figures: &Figures, chosen: Option<u16>) {
        let base = PathBuf::from(self.export_path.trim());
        let figures = figures.clone();
        self.export.write(
            cx.outbox,
            "exporting the calibration",
            move |worker| async move {
                worker
                    .blocking("writing the calibration's files", move || {
                        let with = |suffix: &str| {
                            let mut name = base.clone().into_os_string();
                            name.push(suffix);
                            PathBuf::from(name)
                        };
                        let write = |path: PathBuf, bytes: &[u8]| {
                            std::fs::write(&path, bytes).map_err(|error| {
                                UiError::new(format!(
                                    "{} cannot be written: {error}",
                                    path.display()
                                ))
                            })
                        };
                        write(with("-rates.csv"), figures.rates_csv(CURVE_STEP).as_bytes())?;
                        write(
                            with("-histogram.csv"),
                            figures.histogram_csv(BIN_WIDTH).as_bytes(),
                        )?;
                        let png = plot_png::rates_png(&figures, CURVE_STEP, chosen)?;
                        write(with(".png"), &png)
                    })
                    .await
            },
        );
    }
}

/// Runs the calibration, reporting its progress into `progress`.
async fn run_calibration(
    client: necid::Client,
    folder: LabelledFolder,
    options: CalibrationOptions,
    progress: Arc<Mutex<Option<Progress>>>,
) -> Result<CalibrationOutcome, UiError> {
    let report = move |step: Progress| {
        *progress.lock().unwrap_or_else(|p| p.into_inner()) = Some(step);
    };
    let done = calibration::calibrate(&client, &folder, &options, report)
        .await
        .map_err(|error| match error {
            calibration::CalibrationError::Api(error) => UiError::from(error),
            other => UiError::new(format!("The calibration failed: {other}")),
        })?;
    Ok(CalibrationOutcome {
        figures: done.figures,
        people: folder.people.len(),
        images: folder.images(),
        unusable: done.unusable.len(),
        calls: done.calls,
    })
}

/// False accepts and false rejects (percent) against the threshold, with the chosen point and
/// its 95 % bound.
fn rates_plot(ui: &mut Ui, figures: &Figures, choice: Option<&calibration::ThresholdChoice>) {
    let curve = figures.curve(CURVE_STEP);
    let far: PlotPoints = curve
        .iter()
        .map(|r| [f64::from(r.threshold), r.far() * 100.0])
        .collect();
    let frr: PlotPoints = curve
        .iter()
        .map(|r| [f64::from(r.threshold), r.frr() * 100.0])
        .collect();
    Plot::new("calibration_rates")
        .height(220.0)
        .legend(Legend::default())
        .x_axis_label("threshold")
        .y_axis_label("rate (%)")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("false accepts (%)", far).color(plot_png::FAR_COLOUR));
            plot.line(Line::new("false rejects (%)", frr).color(plot_png::FRR_COLOUR));
            if let Some(choice) = choice {
                let x = f64::from(choice.threshold);
                plot.line(
                    Line::new(
                        "95 % bound",
                        PlotPoints::from(vec![
                            [x, choice.rates.far() * 100.0],
                            [x, choice.far_upper_95 * 100.0],
                        ]),
                    )
                    .color(plot_png::BOUND_COLOUR),
                );
                plot.points(
                    Points::new(
                        format!("threshold {}", choice.threshold),
                        PlotPoints::from(vec![[x, choice.rates.far() * 100.0]]),
                    )
                    .radius(4.0)
                    .color(plot_png::BOUND_COLOUR),
                );
            }
        });
}

/// The genuine and impostor scores, as histograms.
fn histogram_plot(ui: &mut Ui, figures: &Figures) {
    let bins = figures.histogram(BIN_WIDTH);
    let half = f64::from(BIN_WIDTH) / 2.0;
    let bars = |count: fn(&calibration::Bin) -> usize| -> Vec<Bar> {
        bins.iter()
            .map(|bin| {
                Bar::new(f64::from(bin.from) + half, count(bin) as f64).width(f64::from(BIN_WIDTH))
            })
            .collect()
    };
    Plot::new("calibration_histogram")
        .height(180.0)
        .legend(Legend::default())
        .x_axis_label("score")
        .y_axis_label("pairs")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("impostor pairs", bars(|b| b.impostor)).color(plot_png::FAR_COLOUR),
            );
            plot.bar_chart(
                BarChart::new("genuine pairs", bars(|b| b.genuine)).color(plot_png::FRR_COLOUR),
            );
        });
}
