//! The Face pane's Verify tab: a probe against a subject of the open gallery, or against a
//! second image; pass or fail at 7000.

use egui::{RichText, Ui};
use necid::{MatchScore, ScaledCopy, SubjectId};

use super::{PASS_COLOUR, PASS_SCORE, Picture, drop_hint_ui, fit_for_request, sent_copy_ui};
use crate::error::UiError;
use crate::request::Request;
use crate::ui::PaneContext;
use crate::widgets::error_label;
use crate::widgets::image_input::Picker;

/// Verify's answer: the score when it reached 7000 (the API says only "below" otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub score: Option<MatchScore>,
    /// Set when the probe was too large for a request and a smaller copy was sent.
    pub probe_copy: Option<ScaledCopy>,
    /// The same for the second image, when verifying two images.
    pub face_copy: Option<ScaledCopy>,
}

/// What a verdict is about: another mode, subject, image or pass mark makes it stale.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Asked {
    against_subject: bool,
    subject_id: String,
    probe: u64,
    second: u64,
    pass_mark: u16,
}

/// The Verify tab's view state.
#[derive(Debug)]
pub(super) struct VerifyView {
    pub(super) probe: Picture,
    second: Picture,
    against_subject: bool,
    subject_id: String,
    verify: Request<VerifyOutcome>,
    /// What the verdict on screen (or on its way) is about.
    asked: Option<Asked>,
}

impl Default for VerifyView {
    fn default() -> Self {
        Self {
            probe: Picture::default(),
            second: Picture::default(),
            against_subject: true,
            subject_id: String::new(),
            verify: Request::new(),
            asked: None,
        }
    }
}

impl VerifyView {
    pub(super) fn poll(&mut self, ctx: &egui::Context, cx: &mut PaneContext<'_>) {
        let probe_new = self.probe.poll(ctx);
        let second_new = self.second.poll(ctx);
        if probe_new || second_new {
            self.verify.reset();
            self.run(cx);
        }
        self.verify.poll();
    }

    fn run(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(probe), Some(opened)) = (self.probe.image(), cx.gallery) else {
            return;
        };
        let gallery = opened.gallery.clone();
        let probe = probe.face.clone();
        if self.against_subject {
            let subject_id = self.subject_id.trim();
            if subject_id.is_empty() {
                return;
            }
            let subject_id = SubjectId::new(subject_id);
            self.verify.read(
                cx.outbox,
                "verifying against the subject",
                move |worker| async move {
                    let [probe] = fit_for_request(&worker, gallery.client(), [probe]).await?;
                    let verified = gallery.verify_subject(&probe, &subject_id).await?;
                    Ok::<_, UiError>(VerifyOutcome {
                        score: verified.map(|v| v.score),
                        probe_copy: probe.copy_of().copied(),
                        face_copy: None,
                    })
                },
            );
        } else {
            let Some(face) = self.second.image().map(|i| i.face.clone()) else {
                return;
            };
            self.verify.read(
                cx.outbox,
                "verifying the two faces",
                move |worker| async move {
                    let [face, probe] =
                        fit_for_request(&worker, gallery.client(), [face, probe]).await?;
                    let verified = gallery.verify_faces(&face, &probe).await?;
                    Ok::<_, UiError>(VerifyOutcome {
                        score: verified.map(|v| v.score),
                        probe_copy: probe.copy_of().copied(),
                        face_copy: face.copy_of().copied(),
                    })
                },
            );
        }
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(opened) = cx.gallery_ui(ui) else {
            return;
        };
        ui.label(format!("Verifying in the gallery “{}”.", opened.name));
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.against_subject, true, "Against a subject");
            ui.selectable_value(&mut self.against_subject, false, "Against a second image");
        });
        if self.against_subject {
            ui.horizontal(|ui| {
                let label = ui.label("Subject ID to verify");
                ui.add(egui::TextEdit::singleline(&mut self.subject_id).desired_width(280.0))
                    .labelled_by(label.id);
            });
        }
        if !self.against_subject {
            ui.horizontal(|ui| {
                self.second
                    .input_ui(ui, cx, Picker::VerifySecond, "Pick second image…");
                if let Some(image) = self.second.image() {
                    ui.label(RichText::new(&image.name).weak());
                }
            });
            self.second.status_ui(ui);
        }
        ui.horizontal(|ui| {
            self.probe
                .input_ui(ui, cx, Picker::VerifyProbe, "Pick probe…");
            let target_ready = if self.against_subject {
                !self.subject_id.trim().is_empty()
            } else {
                self.second.image().is_some()
            };
            let ready = target_ready && self.probe.image().is_some() && !self.verify.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Verify probe"))
                .clicked()
            {
                self.run(cx);
            }
            if let Some(image) = self.probe.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        self.forget_a_stale_verdict(cx.threshold().get());
        if self.verify.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Verifying…");
            });
        } else if let Some(error) = self.verify.error() {
            if error_label(ui, error) {
                self.run(cx);
            }
        } else if let Some(outcome) = self.verify.data() {
            verdict_ui(ui, *outcome, cx.threshold().get());
            sent_copy_ui(ui, outcome.probe_copy.as_ref());
            sent_copy_ui(ui, outcome.face_copy.as_ref());
        }
        if !self.probe.status_ui(ui) {
            if self.probe.loading.is_not_requested() {
                drop_hint_ui(ui, "Drop a probe image here to verify it.");
            }
            return;
        }
        ui.columns(2, |columns| {
            for (column, picture) in [&self.probe, &self.second].into_iter().enumerate() {
                if column == 1 && self.against_subject {
                    break;
                }
                if let (Some(image), Some(texture)) = (picture.image(), &picture.texture) {
                    columns[column].label(RichText::new(&image.name).weak());
                    columns[column].add(
                        egui::Image::new(texture)
                            .max_size(egui::vec2(360.0, 360.0))
                            .maintain_aspect_ratio(true),
                    );
                }
            }
        });
    }
}

impl VerifyView {
    /// A verdict is about one mode, subject, pair of images and pass mark: when any of them
    /// changed (an image as soon as another is asked for, even if it then fails to load), no
    /// old “Pass” stays behind.
    fn forget_a_stale_verdict(&mut self, pass_mark: u16) {
        let now = Asked {
            against_subject: self.against_subject,
            subject_id: self.subject_id.trim().to_owned(),
            probe: self.probe.version,
            second: self.second.version,
            pass_mark,
        };
        if self.asked.as_ref() != Some(&now) {
            if self.asked.is_some() {
                self.verify.reset();
            }
            self.asked = Some(now);
        }
    }
}

/// Pass or fail against `pass_mark`, the gallery's threshold (7000, or one calibrated for it).
fn verdict_ui(ui: &mut Ui, outcome: VerifyOutcome, pass_mark: u16) {
    let fail = ui.visuals().error_fg_color;
    let (text, colour) = match outcome.score {
        Some(score) if score.get() >= pass_mark => (
            format!("Pass: score {} ≥ {pass_mark}", score.get()),
            PASS_COLOUR,
        ),
        Some(score) => (format!("Fail: score {} < {pass_mark}", score.get()), fail),
        None => (format!("Fail: the score is below {PASS_SCORE}"), fail),
    };
    ui.label(RichText::new(text).color(colour).size(18.0).strong());
}
