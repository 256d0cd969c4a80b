//! The Face pane's Search tab: the open gallery searched with a probe, candidates ranked with
//! the thumbnails this console kept of their events.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{RichText, TextureHandle, Ui};
use necid::{EventId, FaceAttributes, GalleryId, MatchScore, ScaledCopy, SubjectId, TagName};

use super::{
    PASS_COLOUR, PASS_SCORE, Picture, drop_hint_ui, fit_for_request, overlays, sent_copy_ui,
};
use crate::backend::files::color_image;
use crate::error::UiError;
use crate::request::{Finished, Request};
use crate::thumbnails::Thumbnails;
use crate::ui::PaneContext;
use crate::widgets::error_label;
use crate::widgets::image_input::Picker;
use crate::widgets::image_view::{FaceOverlay, ImageView};

/// One search candidate's event with the thumbnail this console kept of it, if any.
#[derive(Clone, Debug)]
pub struct FoundEvent {
    pub event_id: EventId,
    pub score: MatchScore,
    pub thumbnail: Option<Arc<egui::ColorImage>>,
}

/// One ranked candidate.
#[derive(Clone, Debug)]
pub struct FoundSubject {
    pub subject_id: SubjectId,
    pub score: MatchScore,
    pub events: Vec<FoundEvent>,
}

/// Search's answer: no candidate at or above the threshold is an answer too.
#[derive(Clone, Debug, Default)]
pub struct SearchOutcome {
    pub candidates: Vec<FoundSubject>,
    pub probe_face: Option<FaceAttributes>,
    /// Set when the probe was too large for a request and a smaller copy was sent.
    pub sent_copy: Option<ScaledCopy>,
}

/// The Search tab's view state.
pub(super) struct SearchView {
    pub(super) probe: Picture,
    search: Request<SearchOutcome>,
    view: ImageView,
    threshold: u16,
    limit: u32,
    /// The tags the search is limited to, and the gallery they are of.
    tag_filter: Vec<TagName>,
    filter_of: Option<GalleryId>,
    /// The gallery's threshold last taken into `threshold` (a calibrated one, or 7000).
    threshold_of: Option<MatchScore>,
    thumbnails: HashMap<EventId, TextureHandle>,
    /// The probe (its [`Picture`] version) the candidates on screen are for.
    candidates_for: u64,
}

impl std::fmt::Debug for SearchView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchView")
            .field("probe", &self.probe)
            .field("search", &self.search)
            .finish_non_exhaustive()
    }
}

impl Default for SearchView {
    fn default() -> Self {
        Self {
            probe: Picture::default(),
            search: Request::new(),
            view: ImageView::default(),
            threshold: PASS_SCORE,
            limit: 10,
            tag_filter: Vec::new(),
            filter_of: None,
            threshold_of: None,
            thumbnails: HashMap::new(),
            candidates_for: 0,
        }
    }
}

impl SearchView {
    /// A tag in the filter renamed elsewhere stays in the filter under its new name.
    pub(super) fn rename_tag(&mut self, from: &TagName, to: &TagName) {
        for tag in &mut self.tag_filter {
            if tag == from {
                *tag = to.clone();
            }
        }
    }

    pub(super) fn poll(&mut self, ctx: &egui::Context, cx: &mut PaneContext<'_>) {
        if self.probe.poll(ctx) {
            self.view.reset();
            self.search.reset();
            self.run(cx);
        }
        if let Some(Finished::Succeeded(outcome)) = self.search.poll() {
            self.thumbnails.clear();
            for event in outcome.candidates.iter().flat_map(|c| &c.events) {
                if let Some(pixels) = &event.thumbnail {
                    let texture = ctx.load_texture(
                        format!("thumbnail-{}", event.event_id),
                        (**pixels).clone(),
                        egui::TextureOptions::LINEAR,
                    );
                    self.thumbnails.insert(event.event_id.clone(), texture);
                }
            }
        }
    }

    fn run(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(image), Some(opened)) = (self.probe.image(), cx.gallery) else {
            return;
        };
        let gallery = opened.gallery.clone();
        let probe = image.face.clone();
        let threshold = MatchScore::new(self.threshold).unwrap_or(MatchScore::DEFAULT_THRESHOLD);
        let limit = self.limit.clamp(1, 50);
        let tags = self.tag_filter.clone();
        // Where the Subjects pane kept the thumbnails of what this console enrolled.
        let thumbnails = Thumbnails::new(cx.data_dir);
        self.search.read(
            cx.outbox,
            "searching the gallery",
            move |worker| async move {
                let [probe] = fit_for_request(&worker, gallery.client(), [probe]).await?;
                let sent_copy = probe.copy_of().copied();
                let found = gallery
                    .search(&probe)
                    .threshold(threshold)
                    .limit(limit)
                    .tags(tags)
                    .send()
                    .await?;
                let Some(found) = found else {
                    return Ok(SearchOutcome {
                        sent_copy,
                        ..SearchOutcome::default()
                    });
                };
                // Thumbnails are files: read and decode them off the async threads.
                let outcome = worker
                    .blocking("reading the thumbnails", move || {
                        Ok(with_thumbnails(found, &thumbnails))
                    })
                    .await?;
                Ok::<_, UiError>(SearchOutcome {
                    sent_copy,
                    ..outcome
                })
            },
        );
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(opened) = cx.gallery_ui(ui) else {
            return;
        };
        let tags = cx.gallery.map(|g| g.tags());
        if self.filter_of.as_ref() != Some(&opened.gallery_id) {
            self.filter_of = Some(opened.gallery_id.clone());
            self.tag_filter.clear();
        }
        // A threshold calibrated for this gallery becomes the slider's value when applied.
        if self.threshold_of != Some(cx.threshold()) {
            self.threshold_of = Some(cx.threshold());
            self.threshold = cx.threshold().get();
        }
        // A tag deleted elsewhere leaves the filter with it.
        if let Some(names) = tags.and_then(|t| t.data()) {
            self.tag_filter.retain(|t| names.contains(t));
        }
        ui.label(format!("Searching the gallery “{}”.", opened.name));
        egui::Grid::new("search_parameters")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Threshold");
                ui.add(egui::Slider::new(&mut self.threshold, 0..=9999))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Limit");
                ui.add(egui::DragValue::new(&mut self.limit).range(1..=50))
                    .labelled_by(label.id);
                ui.end_row();
                ui.label("Tags");
                ui.horizontal_wrapped(|ui| match tags.map(|t| (t.data(), t)) {
                    Some((Some(names), _)) if !names.is_empty() => {
                        for tag in names {
                            let mut on = self.tag_filter.contains(tag);
                            if ui.checkbox(&mut on, tag.as_str()).changed() {
                                if on {
                                    self.tag_filter.push(tag.clone());
                                } else {
                                    self.tag_filter.retain(|t| t != tag);
                                }
                            }
                        }
                    }
                    Some((Some(_), _)) => {
                        ui.label(RichText::new("The gallery has no tags: all subjects.").weak());
                    }
                    Some((None, request)) if request.is_pending() => {
                        ui.spinner();
                    }
                    Some((None, request)) => {
                        if let Some(error) = request.error() {
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                format!("The tags could not be listed: {error}"),
                            );
                        }
                    }
                    None => {}
                });
                ui.end_row();
            });
        ui.horizontal(|ui| {
            self.probe
                .input_ui(ui, cx, Picker::SearchProbe, "Pick probe…");
            // Candidates are about one probe: another, picked, typed, dropped or handed over
            // by Extract, clears them at once, even if it then cannot be read.
            if self.candidates_for != self.probe.version {
                self.candidates_for = self.probe.version;
                self.search.reset();
                self.thumbnails.clear();
            }
            let ready = self.probe.image().is_some() && !self.search.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Search gallery"))
                .clicked()
            {
                self.run(cx);
            }
            if let Some(image) = self.probe.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        if !self.probe.status_ui(ui) {
            if self.probe.loading.is_not_requested() {
                drop_hint_ui(ui, "Drop a probe image here to search the gallery with it.");
            }
            return;
        }
        ui.columns(2, |columns| {
            let probe_faces: Vec<FaceOverlay> = self
                .search
                .data()
                .filter(|_| self.search.error().is_none())
                .and_then(|o| o.probe_face.clone())
                .map(|a| overlays(std::slice::from_ref(&a)))
                .unwrap_or_default();
            if let (Some(image), Some(texture)) = (self.probe.image(), &self.probe.texture) {
                let size = image.original_size;
                let texture = texture.clone();
                self.view.ui(&mut columns[0], &texture, size, &probe_faces);
            }
            self.candidates_ui(&mut columns[1], cx);
        });
    }

    fn candidates_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        ui.strong("Candidates");
        if self.search.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Searching…");
            });
            return;
        }
        if let Some(error) = self.search.error() {
            if error_label(ui, error) {
                self.run(cx);
            }
            return;
        }
        let Some(outcome) = self.search.data() else {
            return;
        };
        sent_copy_ui(ui, outcome.sent_copy.as_ref());
        if outcome.candidates.is_empty() {
            ui.label(format!("Nobody scored {} or more.", self.threshold));
            return;
        }
        for (rank, candidate) in outcome.candidates.iter().enumerate() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                // The id last on its line: its width varies, and nothing should move with it.
                ui.horizontal(|ui| {
                    ui.strong(format!("#{}", rank + 1));
                    score_label(ui, candidate.score.get());
                    if let Some(name) = cx.subject_name(&candidate.subject_id) {
                        ui.strong(name);
                    }
                    if ui
                        .link("Show")
                        .on_hover_text("This subject in Subjects")
                        .clicked()
                    {
                        let subject_id = candidate.subject_id.clone();
                        cx.actions
                            .push(crate::ui::ShellAction::ShowSubject(subject_id));
                    }
                    ui.label(format!("Subject {}", candidate.subject_id));
                });
                ui.horizontal_wrapped(|ui| {
                    for (index, event) in candidate.events.iter().enumerate() {
                        ui.vertical(|ui| {
                            match self.thumbnails.get(&event.event_id) {
                                Some(texture) => thumbnail_ui(ui, texture, index),
                                None => {
                                    ui.label(RichText::new("no thumbnail").weak().small())
                                        .on_hover_text(
                                            "Only events enrolled through this console have one.",
                                        );
                                }
                            }
                            // Event ids are random: shown on hover, so the list reads the same
                            // every time.
                            ui.label(format!("Event {} · {}", index + 1, event.score.get()))
                                .on_hover_text(format!("eventId {}", event.event_id));
                        });
                    }
                });
            });
        }
    }
}

/// The side of a candidate's thumbnail, and of its enlarged copy on hover, in points.
const THUMBNAIL: f32 = 72.0;
const THUMBNAIL_ENLARGED: f32 = 320.0;

/// Event `index`'s thumbnail, enlarged on hover from the texture already loaded (no request).
fn thumbnail_ui(ui: &mut Ui, texture: &TextureHandle, index: usize) {
    let event = index + 1;
    ui.add(
        egui::Image::new(texture)
            .max_size(egui::vec2(THUMBNAIL, THUMBNAIL))
            .alt_text(format!("Thumbnail of event {event}")),
    )
    .on_hover_ui(|ui| {
        ui.add(
            egui::Image::new(texture)
                .fit_to_exact_size(egui::vec2(THUMBNAIL_ENLARGED, THUMBNAIL_ENLARGED))
                .maintain_aspect_ratio(true)
                .alt_text(format!("Event {event}, enlarged")),
        );
    });
}

/// A score coloured by whether it reaches 7000.
fn score_label(ui: &mut Ui, score: u16) {
    let colour = if score >= PASS_SCORE {
        PASS_COLOUR
    } else {
        ui.visuals().error_fg_color
    };
    ui.label(RichText::new(format!("score {score}")).color(colour));
}

/// Search's answer with the thumbnails this console kept of the candidates' events (read and
/// decoded here: call it on the blocking pool).
pub(crate) fn with_thumbnails(
    found: necid::SearchResponse,
    thumbnails: &Thumbnails,
) -> SearchOutcome {
    let candidates = found
        .candidates
        .into_iter()
        .map(|candidate| FoundSubject {
            subject_id: candidate.id,
            score: candidate.score,
            events: candidate
                .events
                .into_iter()
                .map(|event| {
                    let thumbnail = thumbnails
                        .load(&event.id)
                        .and_then(|jpeg| image::load_from_memory(&jpeg).ok())
                        .map(|decoded| Arc::new(color_image(&decoded)));
                    FoundEvent {
                        event_id: event.id,
                        score: event.score,
                        thumbnail,
                    }
                })
                .collect(),
        })
        .collect();
    SearchOutcome {
        candidates,
        probe_face: Some(found.attributes),
        sent_copy: None,
    }
}
