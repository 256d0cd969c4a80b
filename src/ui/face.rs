//! The Face pane: extract every face of an image, search the open gallery with a probe, and
//! verify a probe against a subject or a second image.
//!
//! Images come by drag and drop onto the pane or through "Pick image…" (the file dialog runs in
//! the backend); reading, checking and decoding them happens there too, so this file only turns
//! finished pixels into textures. Results are drawn over the image with
//! [`crate::widgets::ImageView`]. Errors appear where the user acted, with the API's errorType and
//! errorCode; a file that is not a usable image is an error line, never a panic.

use std::collections::HashMap;

use egui::{Color32, RichText, TextureHandle, Ui};
use necid::{FaceAttributes, MatchScore, SubjectId, TagName};

use super::{PaneContext, pane_header};
use crate::backend::face::{
    ExtractOutcome, ImageSource, LoadedImage, SearchOutcome, VerifyOutcome,
};
use crate::backend::{Command, FaceCommand};
use crate::request::{Finished, Request};
use crate::thumbnails::Thumbnails;
use crate::widgets::error_label;
use crate::widgets::image_view::{FaceOverlay, ImageView};

/// The score both Search's default threshold and Verify's pass mark are.
const PASS_SCORE: u16 = necid::MatchScore::DEFAULT_THRESHOLD.get();
/// Shown under Extract's answer when every face came with its landmarks (the Local service).
pub const LANDMARKS_NOTE: &str = "68 landmarks on each face, from the Local service.";

/// The pane's three tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaceMode {
    #[default]
    Extract,
    Search,
    Verify,
}

/// Which picture a picked or dropped file goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Extract,
    SearchProbe,
    VerifyProbe,
    VerifySecond,
}

/// An image being loaded or shown, with its texture once decoded.
#[derive(Default)]
struct Picture {
    loading: Request<LoadedImage>,
    texture: Option<TextureHandle>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture")
            .field("loading", &self.loading)
            .field("has_texture", &self.texture.is_some())
            .finish()
    }
}

impl Picture {
    fn load(&mut self, cx: &mut PaneContext<'_>, source: ImageSource) {
        self.loading.send(cx.outbox, |reply| {
            Command::Face(FaceCommand::LoadImage { source, reply })
        });
    }

    /// Takes a finished load; true when a new image arrived this frame.
    fn poll(&mut self, ctx: &egui::Context) -> bool {
        match self.loading.poll() {
            Some(Finished::Succeeded(image)) => {
                self.texture = Some(ctx.load_texture(
                    format!("face-{}", image.name),
                    (*image.pixels).clone(),
                    egui::TextureOptions::LINEAR,
                ));
                true
            }
            Some(Finished::Failed(_)) => {
                self.texture = None;
                false
            }
            None => false,
        }
    }

    /// The image, unless the latest load failed.
    fn image(&self) -> Option<&LoadedImage> {
        if self.loading.error().is_some() {
            return None;
        }
        self.loading.data()
    }

    /// Spinner, error, or nothing; returns whether an image is ready.
    fn status_ui(&self, ui: &mut Ui) -> bool {
        if self.loading.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the image…");
            });
            return false;
        }
        if let Some(error) = self.loading.error() {
            error_label(ui, error);
            return false;
        }
        self.image().is_some() && self.texture.is_some()
    }
}

/// The Face pane's view state.
pub struct FacePane {
    mode: FaceMode,
    pick: Request<Option<std::path::PathBuf>>,
    pick_slot: Option<Slot>,

    extract_image: Picture,
    extract: Request<ExtractOutcome>,
    extract_view: ImageView,

    search_probe: Picture,
    search: Request<SearchOutcome>,
    search_view: ImageView,
    threshold: u16,
    limit: u32,
    /// The gallery's tags, and which the search is limited to.
    tags: Request<Vec<TagName>>,
    tags_of: Option<necid::GalleryId>,
    tag_filter: Vec<TagName>,
    thumbnails: HashMap<necid::EventId, TextureHandle>,

    verify_probe: Picture,
    verify_second: Picture,
    verify_against_subject: bool,
    subject_id: String,
    verify: Request<VerifyOutcome>,
}

impl std::fmt::Debug for FacePane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacePane")
            .field("mode", &self.mode)
            .field("extract", &self.extract)
            .field("search", &self.search)
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

impl Default for FacePane {
    fn default() -> Self {
        Self {
            mode: FaceMode::default(),
            pick: Request::new(),
            pick_slot: None,
            extract_image: Picture::default(),
            extract: Request::new(),
            extract_view: ImageView::default(),
            search_probe: Picture::default(),
            search: Request::new(),
            search_view: ImageView::default(),
            threshold: PASS_SCORE,
            limit: 10,
            tags: Request::new(),
            tags_of: None,
            tag_filter: Vec::new(),
            thumbnails: HashMap::new(),
            verify_probe: Picture::default(),
            verify_second: Picture::default(),
            verify_against_subject: true,
            subject_id: String::new(),
            verify: Request::new(),
        }
    }
}

impl FacePane {
    /// The selected tab.
    pub fn mode(&self) -> FaceMode {
        self.mode
    }

    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        self.poll(ui.ctx(), cx);
        pane_header(
            ui,
            "Face",
            "Extract every face of an image, search the open gallery with a probe, or verify a \
             probe against a subject or a second image. Drop an image on the pane or pick one.",
        );
        ui.horizontal(|ui| {
            for (mode, label) in [
                (FaceMode::Extract, "Extract"),
                (FaceMode::Search, "Search"),
                (FaceMode::Verify, "Verify"),
            ] {
                ui.selectable_value(&mut self.mode, mode, label);
            }
        });
        ui.separator();
        let dropped = ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(path) = dropped {
            let slot = match self.mode {
                FaceMode::Extract => Slot::Extract,
                FaceMode::Search => Slot::SearchProbe,
                FaceMode::Verify => Slot::VerifyProbe,
            };
            self.load(cx, slot, ImageSource::Path(path));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match self.mode {
                FaceMode::Extract => self.extract_ui(ui, cx),
                FaceMode::Search => self.search_ui(ui, cx),
                FaceMode::Verify => self.verify_ui(ui, cx),
            });
    }

    fn picture(&mut self, slot: Slot) -> &mut Picture {
        match slot {
            Slot::Extract => &mut self.extract_image,
            Slot::SearchProbe => &mut self.search_probe,
            Slot::VerifyProbe => &mut self.verify_probe,
            Slot::VerifySecond => &mut self.verify_second,
        }
    }

    fn load(&mut self, cx: &mut PaneContext<'_>, slot: Slot, source: ImageSource) {
        self.picture(slot).load(cx, source);
    }

    fn poll(&mut self, ctx: &egui::Context, cx: &mut PaneContext<'_>) {
        match self.pick.poll() {
            Some(Finished::Succeeded(Some(path))) => {
                let path = path.clone();
                if let Some(slot) = self.pick_slot.take() {
                    self.load(cx, slot, ImageSource::Path(path));
                }
            }
            Some(Finished::Failed(error)) => {
                cx.toasts.error(format!("No image was chosen: {error}"));
            }
            _ => {}
        }
        if self.extract_image.poll(ctx) {
            self.extract_view.reset();
            self.extract.reset();
            self.run_extract(cx);
        }
        if self.search_probe.poll(ctx) {
            self.search_view.reset();
            self.search.reset();
            self.run_search(cx);
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
        let probe_new = self.verify_probe.poll(ctx);
        let second_new = self.verify_second.poll(ctx);
        if probe_new || second_new {
            self.verify.reset();
            self.run_verify(cx);
        }
        self.extract.poll();
        self.verify.poll();
        self.tags.poll();
    }

    fn pick_button_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, slot: Slot, label: &str) {
        let busy = self.pick.is_pending();
        if ui.add_enabled(!busy, egui::Button::new(label)).clicked() {
            self.pick_slot = Some(slot);
            self.pick.send(cx.outbox, |reply| {
                Command::Face(FaceCommand::PickImage { reply })
            });
        }
    }

    // --- Extract -------------------------------------------------------------------------

    fn run_extract(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(image), super::ConnectionState::Ready(connection)) =
            (self.extract_image.image(), cx.connection)
        else {
            return;
        };
        let client = connection.client.clone();
        let image = image.face.clone();
        // Only the Local service offers landmarks (a local extension of Extract); the NEC
        // cloud would refuse the whole request.
        let landmarks = connection.profile.kind == crate::profiles::ProfileKind::Local;
        self.extract.send(cx.outbox, |reply| {
            Command::Face(FaceCommand::Extract {
                client,
                image,
                landmarks,
                reply,
            })
        });
    }

    fn extract_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if cx.connection_ui(ui).is_none() {
            return;
        }
        ui.horizontal(|ui| {
            self.pick_button_ui(ui, cx, Slot::Extract, "Pick image…");
            let ready = self.extract_image.image().is_some() && !self.extract.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Extract again"))
                .clicked()
            {
                self.run_extract(cx);
            }
            if let Some(image) = self.extract_image.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        if !self.extract_image.status_ui(ui) {
            if self.extract_image.loading.is_not_requested() {
                drop_hint_ui(ui, "Drop an image here to find every face in it.");
            }
            return;
        }
        if self.extract.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Extracting the faces…");
            });
        }
        if let Some(error) = self.extract.error()
            && error_label(ui, error)
        {
            self.run_extract(cx);
        }
        let faces: Vec<FaceOverlay> = if self.extract.error().is_none() {
            self.extract
                .data()
                .map(|extracted| extracted_overlays(&extracted.faces))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        if let Some(found) = self.extract.data()
            && self.extract.error().is_none()
            && !self.extract.is_pending()
        {
            ui.horizontal(|ui| {
                ui.label(match found.faces.len() {
                    0 => "No face was found in this image.".to_owned(),
                    1 => "1 face found.".to_owned(),
                    n => format!("{n} faces found."),
                });
                sent_copy_ui(ui, found.sent_copy.as_ref());
                if !faces.is_empty()
                    && faces
                        .iter()
                        .all(|face| face.landmarks.len() == necid::LANDMARK_COUNT)
                {
                    ui.label(RichText::new(LANDMARKS_NOTE).weak())
                        .on_hover_text(
                            "The Local service returns each face's landmarks when asked \
                         (extract?landmarks=68, a local extension of the API); the NEC \
                         cloud does not offer them.",
                        );
                }
            });
        }
        if let (Some(image), Some(texture)) =
            (self.extract_image.image(), &self.extract_image.texture)
        {
            let size = image.original_size;
            let texture = texture.clone();
            self.extract_view.ui(ui, &texture, size, &faces);
        }
        if !faces.is_empty() {
            ui.add_space(8.0);
            ui.strong("Faces");
            for (index, face) in faces.iter().enumerate() {
                egui::CollapsingHeader::new(format!("Face {}", index + 1))
                    .id_salt(("extract_face", index))
                    .default_open(index == 0)
                    .show(ui, |ui| {
                        crate::widgets::image_view::attributes_grid(
                            ui,
                            &face.attributes,
                            1000 + index,
                        );
                    });
            }
        }
    }

    // --- Search --------------------------------------------------------------------------

    fn run_search(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(image), Some(opened)) = (self.search_probe.image(), cx.gallery) else {
            return;
        };
        let gallery = opened.gallery.clone();
        let probe = image.face.clone();
        let threshold = MatchScore::new(self.threshold).unwrap_or(MatchScore::DEFAULT_THRESHOLD);
        let limit = self.limit.clamp(1, 50);
        let tags = self.tag_filter.clone();
        let thumbnails = self.thumbnails_dir(cx);
        self.search.send(cx.outbox, |reply| {
            Command::Face(FaceCommand::Search {
                gallery,
                probe,
                threshold,
                limit,
                tags,
                thumbnails,
                reply,
            })
        });
    }

    /// Where the Subjects pane kept the thumbnails of what this console enrolled.
    fn thumbnails_dir(&self, cx: &PaneContext<'_>) -> Thumbnails {
        Thumbnails::new(cx.data_dir)
    }

    fn refresh_tags(&mut self, cx: &mut PaneContext<'_>, opened: &crate::backend::OpenedGallery) {
        if self.tags_of.as_ref() == Some(&opened.gallery_id) && !self.tags.is_not_requested() {
            return;
        }
        self.tags_of = Some(opened.gallery_id.clone());
        self.tag_filter.clear();
        let gallery = opened.gallery.clone();
        self.tags
            .send(cx.outbox, |reply| Command::ListTags { gallery, reply });
    }

    fn search_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(opened) = cx.gallery_ui(ui) else {
            return;
        };
        self.refresh_tags(cx, &opened);
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
                ui.horizontal_wrapped(|ui| match self.tags.data() {
                    Some(tags) if !tags.is_empty() => {
                        for tag in tags {
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
                    Some(_) => {
                        ui.label(RichText::new("The gallery has no tags: all subjects.").weak());
                    }
                    None if self.tags.is_pending() => {
                        ui.spinner();
                    }
                    None => {
                        if let Some(error) = self.tags.error() {
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                format!("The tags could not be listed: {error}"),
                            );
                        }
                    }
                });
                ui.end_row();
            });
        ui.horizontal(|ui| {
            self.pick_button_ui(ui, cx, Slot::SearchProbe, "Pick probe…");
            let ready = self.search_probe.image().is_some() && !self.search.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Search gallery"))
                .clicked()
            {
                self.run_search(cx);
            }
            if let Some(image) = self.search_probe.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        if !self.search_probe.status_ui(ui) {
            if self.search_probe.loading.is_not_requested() {
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
            if let (Some(image), Some(texture)) =
                (self.search_probe.image(), &self.search_probe.texture)
            {
                let size = image.original_size;
                let texture = texture.clone();
                self.search_view
                    .ui(&mut columns[0], &texture, size, &probe_faces);
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
                self.run_search(cx);
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
                    ui.label(format!("Subject {}", candidate.subject_id));
                });
                ui.horizontal_wrapped(|ui| {
                    for (index, event) in candidate.events.iter().enumerate() {
                        ui.vertical(|ui| {
                            match self.thumbnails.get(&event.event_id) {
                                Some(texture) => {
                                    ui.add(
                                        egui::Image::new(texture).max_size(egui::vec2(72.0, 72.0)),
                                    );
                                }
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

    // --- Verify --------------------------------------------------------------------------

    fn run_verify(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(probe), Some(opened)) = (self.verify_probe.image(), cx.gallery) else {
            return;
        };
        let gallery = opened.gallery.clone();
        let probe = probe.face.clone();
        if self.verify_against_subject {
            let subject_id = self.subject_id.trim();
            if subject_id.is_empty() {
                return;
            }
            let subject_id = SubjectId::new(subject_id);
            self.verify.send(cx.outbox, |reply| {
                Command::Face(FaceCommand::VerifySubject {
                    gallery,
                    probe,
                    subject_id,
                    reply,
                })
            });
        } else {
            let Some(face) = self.verify_second.image().map(|i| i.face.clone()) else {
                return;
            };
            self.verify.send(cx.outbox, |reply| {
                Command::Face(FaceCommand::VerifyFaces {
                    gallery,
                    face,
                    probe,
                    reply,
                })
            });
        }
    }

    fn verify_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(opened) = cx.gallery_ui(ui) else {
            return;
        };
        ui.label(format!("Verifying in the gallery “{}”.", opened.name));
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.verify_against_subject, true, "Against a subject");
            ui.selectable_value(
                &mut self.verify_against_subject,
                false,
                "Against a second image",
            );
        });
        if self.verify_against_subject {
            ui.horizontal(|ui| {
                let label = ui.label("Subject ID to verify");
                ui.add(egui::TextEdit::singleline(&mut self.subject_id).desired_width(280.0))
                    .labelled_by(label.id);
            });
        } else {
            ui.horizontal(|ui| {
                self.pick_button_ui(ui, cx, Slot::VerifySecond, "Pick second image…");
                if let Some(image) = self.verify_second.image() {
                    ui.label(RichText::new(&image.name).weak());
                }
            });
            self.verify_second.status_ui(ui);
        }
        ui.horizontal(|ui| {
            self.pick_button_ui(ui, cx, Slot::VerifyProbe, "Pick probe…");
            let target_ready = if self.verify_against_subject {
                !self.subject_id.trim().is_empty()
            } else {
                self.verify_second.image().is_some()
            };
            let ready =
                target_ready && self.verify_probe.image().is_some() && !self.verify.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Verify probe"))
                .clicked()
            {
                self.run_verify(cx);
            }
            if let Some(image) = self.verify_probe.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        if self.verify.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Verifying…");
            });
        } else if let Some(error) = self.verify.error() {
            if error_label(ui, error) {
                self.run_verify(cx);
            }
        } else if let Some(outcome) = self.verify.data() {
            verdict_ui(ui, *outcome);
            sent_copy_ui(ui, outcome.probe_copy.as_ref());
            sent_copy_ui(ui, outcome.face_copy.as_ref());
        }
        if !self.verify_probe.status_ui(ui) {
            if self.verify_probe.loading.is_not_requested() {
                drop_hint_ui(ui, "Drop a probe image here to verify it.");
            }
            return;
        }
        ui.columns(2, |columns| {
            for (column, picture) in [&self.verify_probe, &self.verify_second]
                .into_iter()
                .enumerate()
            {
                if column == 1 && self.verify_against_subject {
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

fn overlays(faces: &[FaceAttributes]) -> Vec<FaceOverlay> {
    faces
        .iter()
        .map(|attributes| FaceOverlay {
            attributes: attributes.clone(),
            landmarks: Vec::new(),
        })
        .collect()
}

/// Extract's faces as overlays, with their landmarks when the back end returned them.
fn extracted_overlays(faces: &[necid::ExtractedFace]) -> Vec<FaceOverlay> {
    faces
        .iter()
        .map(|face| FaceOverlay {
            attributes: face.attributes.clone(),
            landmarks: face
                .landmarks
                .iter()
                .flatten()
                .map(|point| [point.x as f32, point.y as f32])
                .collect(),
        })
        .collect()
}

/// "12.3 MB photo sent as a 2.1 MB copy", when the image was too large for one request.
pub(crate) fn sent_copy_ui(ui: &mut Ui, copy: Option<&necid::ScaledCopy>) {
    if let Some(copy) = copy {
        let (width, height) = copy.copy_size;
        ui.label(RichText::new(copy.to_string()).weak())
            .on_hover_text(format!(
                "The image is larger than the back end accepts in one request, so a \
                 {width}×{height} JPEG copy was sent; faces are drawn on the original."
            ));
    }
}

fn drop_hint_ui(ui: &mut Ui, text: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_min_size(egui::vec2(ui.available_width(), 120.0));
        ui.centered_and_justified(|ui| {
            ui.label(RichText::new(text).weak());
        });
    });
}

/// A score coloured by whether it reaches 7000.
fn score_label(ui: &mut Ui, score: u16) {
    let colour = if score >= PASS_SCORE {
        Color32::from_rgb(0x22, 0xa0, 0x4e)
    } else {
        ui.visuals().error_fg_color
    };
    ui.label(RichText::new(format!("score {score}")).color(colour));
}

fn verdict_ui(ui: &mut Ui, outcome: VerifyOutcome) {
    let pass = Color32::from_rgb(0x22, 0xa0, 0x4e);
    match outcome.score {
        Some(score) if score.get() >= PASS_SCORE => {
            ui.label(
                RichText::new(format!("Pass: score {} ≥ {PASS_SCORE}", score.get()))
                    .color(pass)
                    .size(18.0)
                    .strong(),
            );
        }
        Some(score) => {
            ui.label(
                RichText::new(format!("Fail: score {} < {PASS_SCORE}", score.get()))
                    .color(ui.visuals().error_fg_color)
                    .size(18.0)
                    .strong(),
            );
        }
        None => {
            ui.label(
                RichText::new(format!("Fail: the score is below {PASS_SCORE}"))
                    .color(ui.visuals().error_fg_color)
                    .size(18.0)
                    .strong(),
            );
        }
    }
}
