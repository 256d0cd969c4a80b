//! The Face pane's Extract tab: every face of an image, drawn over it, with its attributes (and,
//! from the Local service, its 68 landmarks). Each face offers *Enrol this face…* and *Search
//! with this face*: the face is cut out of the photo (`crop.rs`) and handed to the enrolment
//! form or to Search, so one face of a group photo can be used.

use egui::{RichText, Ui};
use necid::{ExtractedFace, FaceImage, ScaledCopy};

use super::crop::{FaceCut, face_cut};
use super::{Picture, drop_hint_ui, fit_for_request, sent_copy_ui};
use crate::backend::files::ImageSource;
use crate::request::{Finished, Request};
use crate::ui::{ConnectionState, PaneContext};
use crate::widgets::error_label;
use crate::widgets::image_input::Picker;
use crate::widgets::image_view::{FaceOverlay, ImageView};

/// Shown under Extract's answer when every face came with its landmarks (the Local service).
pub const LANDMARKS_NOTE: &str = "68 landmarks on each face, from the Local service.";

/// Extract's answer: the faces from left to right, on the original image's pixels, with their
/// landmarks when they were asked for and the back end offers them.
#[derive(Clone, Debug, Default)]
pub struct ExtractOutcome {
    pub faces: Vec<ExtractedFace>,
    /// Set when the image was too large for a request and a smaller copy was sent.
    pub sent_copy: Option<ScaledCopy>,
}

/// What one face of the photo is cut out for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FaceUse {
    Enrol,
    Search,
}

/// The Extract tab's view state.
#[derive(Debug, Default)]
pub(super) struct ExtractView {
    pub(super) image: Picture,
    extract: Request<ExtractOutcome>,
    view: ImageView,
    /// One face being cut out, which one (from 0) and what for.
    cut: Request<FaceCut>,
    cut_for: Option<(usize, FaceUse)>,
}

impl ExtractView {
    /// Takes what finished; returns a face cut out this frame and what it is for.
    pub(super) fn poll(
        &mut self,
        ctx: &egui::Context,
        cx: &mut PaneContext<'_>,
    ) -> Option<(FaceUse, ImageSource)> {
        if self.image.poll(ctx) {
            self.view.reset();
            self.extract.reset();
            self.cut.reset();
            self.cut_for = None;
            self.run(cx);
        }
        self.extract.poll();
        match self.cut.poll() {
            Some(Finished::Succeeded(cut)) => {
                let (_, face_use) = self.cut_for?;
                Some((face_use, cut.source.clone()))
            }
            _ => None,
        }
    }

    /// Cuts face `index` out of the photo for `face_use`.
    fn cut_out(&mut self, cx: &mut PaneContext<'_>, index: usize, face_use: FaceUse) {
        let (Some(image), Some(extracted), ConnectionState::Ready(connection)) =
            (self.image.image(), self.extract.data(), cx.connection)
        else {
            return;
        };
        let client = connection.client.clone();
        let (name, photo) = (image.name.clone(), image.face.clone());
        let faces: Vec<_> = extracted
            .faces
            .iter()
            .map(|face| face.attributes.clone())
            .collect();
        self.cut_for = Some((index, face_use));
        self.cut
            .read(cx.outbox, "cutting out one face", move |worker| async move {
                face_cut(&worker, &client, &name, &photo, faces, index).await
            });
    }

    fn run(&mut self, cx: &mut PaneContext<'_>) {
        let (Some(image), ConnectionState::Ready(connection)) = (self.image.image(), cx.connection)
        else {
            return;
        };
        let client = connection.client.clone();
        let image = image.face.clone();
        // Only the Local service offers landmarks (a local extension of Extract); the NEC
        // cloud would refuse the whole request.
        let landmarks = connection.profile.kind == crate::profiles::ProfileKind::Local;
        self.extract.read(
            cx.outbox,
            "extracting the faces",
            move |worker| async move {
                let [image]: [FaceImage; 1] = fit_for_request(&worker, &client, [image]).await?;
                let extracted = if landmarks {
                    client.extract_with_landmarks(&image).await
                } else {
                    client.extract(&image).await
                }?;
                Ok::<_, crate::error::UiError>(ExtractOutcome {
                    faces: left_to_right(extracted.faces),
                    sent_copy: image.copy_of().copied(),
                })
            },
        );
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if cx.connection_ui(ui).is_none() {
            return;
        }
        ui.horizontal(|ui| {
            self.image
                .input_ui(ui, cx, Picker::ExtractImage, "Pick image…");
            let ready = self.image.image().is_some() && !self.extract.is_pending();
            if ui
                .add_enabled(ready, egui::Button::new("Extract again"))
                .clicked()
            {
                self.run(cx);
            }
            if let Some(image) = self.image.image() {
                ui.label(RichText::new(&image.name).weak());
            }
        });
        if !self.image.status_ui(ui) {
            if self.image.loading.is_not_requested() {
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
            self.run(cx);
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
        if let (Some(image), Some(texture)) = (self.image.image(), &self.image.texture) {
            let size = image.original_size;
            let texture = texture.clone();
            self.view.ui(ui, &texture, size, &faces);
        }
        if !faces.is_empty() {
            ui.add_space(8.0);
            ui.strong("Faces");
            self.cut_status_ui(ui);
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
                // Under its face's header, open or not, so each face can be used at a glance.
                ui.indent(("extract_face_actions", index), |ui| {
                    self.face_actions_ui(ui, cx, index);
                });
            }
        }
    }
}

impl ExtractView {
    /// *Enrol this face…* and *Search with this face* for face `index`.
    fn face_actions_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, index: usize) {
        let idle = !self.cut.is_pending() && !self.extract.is_pending();
        let mut chosen = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new("Enrol this face…").small())
                .on_hover_text(format!(
                    "Cut face {} out of the photo and open the enrolment form with it",
                    index + 1
                ))
                .clicked()
            {
                chosen = Some(FaceUse::Enrol);
            }
            if ui
                .add_enabled(idle, egui::Button::new("Search with this face").small())
                .on_hover_text(format!(
                    "Cut face {} out of the photo and search the open gallery with it",
                    index + 1
                ))
                .clicked()
            {
                chosen = Some(FaceUse::Search);
            }
            if self.cut.is_pending() && self.cut_for.is_some_and(|(i, _)| i == index) {
                ui.spinner();
                ui.label("Cutting out the face and checking it holds one face…");
            }
        });
        if let Some(face_use) = chosen {
            self.cut_out(cx, index, face_use);
        }
    }

    /// Why the last face could not be cut out, where the faces are listed.
    fn cut_status_ui(&mut self, ui: &mut Ui) {
        if let Some(error) = self.cut.error().cloned()
            && error_label(ui, &error)
        {
            // Retrying needs the pane's context: the user clicks the face's button again.
            self.cut.reset();
        }
    }
}

/// The faces as a person reads a photo: from the left, the higher one first when two start at
/// the same place. The API's own order (by detection) would number them 3, 4, 2, 1; the
/// overlay labels, the list and the face cut out by its number all follow this order.
pub fn left_to_right(mut faces: Vec<ExtractedFace>) -> Vec<ExtractedFace> {
    faces.sort_by_key(|face| {
        (
            face.attributes.face_area.left,
            face.attributes.face_area.top,
        )
    });
    faces
}

/// Extract's faces as overlays, with their landmarks when the back end returned them.
fn extracted_overlays(faces: &[ExtractedFace]) -> Vec<FaceOverlay> {
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
