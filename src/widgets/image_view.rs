//! An image with the faces found in it drawn over it, and an inspector of the selected face.
//!
//! Reusable by any pane that shows a photo with faces (the Face pane now, the Subjects pane's
//! enrolment preview later). Zoom with the wheel, the buttons or "Fit"; pan by dragging. Each
//! face gets its faceArea and headArea rectangles, both eye centres (the subject's right eye is
//! on the image's left), the 68 landmarks when known, and a "Face N" label; hovering a face shows
//! all its attributes, clicking selects it for the inspector (pose angles and scores as gauges).
//! Coordinates are the original image's pixels, even when the texture was scaled down.

use egui::{
    Align2, Color32, FontId, Pos2, ProgressBar, Rect, RichText, Sense, Stroke, TextureHandle, Ui,
    Vec2, pos2, vec2,
};
use necid::{FaceAttributes, FaceRect};

/// Zoom limits, as screen pixels per image pixel.
const MIN_ZOOM: f32 = 0.05;
const MAX_ZOOM: f32 = 16.0;
/// The inspector's width beside the image.
const INSPECTOR_WIDTH: f32 = 230.0;

/// One face's overlay: its attributes and, when the engine was run locally, its 68 landmarks
/// (original image pixels).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaceOverlay {
    pub attributes: FaceAttributes,
    pub landmarks: Vec<[f32; 2]>,
}

/// The view state: zoom, pan and the selected face.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageView {
    /// `None` fits the image to the space; otherwise screen pixels per image pixel.
    zoom: Option<f32>,
    /// Offset of the image centre from the canvas centre, in screen pixels.
    pan: Vec2,
    selected: Option<usize>,
    /// Where the image was last drawn and at what scale (screen pixels per image pixel).
    drawn: Option<(Rect, f32)>,
}

impl Default for ImageView {
    fn default() -> Self {
        Self {
            zoom: None,
            pan: Vec2::ZERO,
            selected: Some(0),
            drawn: None,
        }
    }
}

/// The faceArea colour, headArea colour, and eye/landmark colour.
fn colours(index: usize) -> (Color32, Color32) {
    const FACE: [Color32; 4] = [
        Color32::from_rgb(0x22, 0xc5, 0x5e),
        Color32::from_rgb(0x3b, 0x82, 0xf6),
        Color32::from_rgb(0xf5, 0x9e, 0x0b),
        Color32::from_rgb(0xec, 0x48, 0x99),
    ];
    let face = FACE[index % FACE.len()];
    (face, face.gamma_multiply(0.6))
}

impl ImageView {
    /// Back to "fit", no pan, the first face selected (for a new image).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Where an image pixel was on screen in the last frame (for pointing at a face).
    pub fn to_screen(&self, x: f32, y: f32) -> Option<Pos2> {
        self.drawn
            .map(|(image_rect, scale)| image_rect.min + vec2(x, y) * scale)
    }

    /// The selected face's index, if any.
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Draws the toolbar, the image with `faces` over it, and the inspector. `original_size`
    /// is the image's size in pixels (the faces' coordinate space); the texture may be smaller.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        texture: &TextureHandle,
        original_size: [u32; 2],
        faces: &[FaceOverlay],
    ) {
        let image_size = vec2(original_size[0] as f32, original_size[1] as f32);
        // Something to inspect whenever there is a face: the first, until another is clicked.
        if self.selected.is_none_or(|i| i >= faces.len()) {
            self.selected = (!faces.is_empty()).then_some(0);
        }
        ui.horizontal(|ui| {
            let canvas_width = (ui.available_width() - INSPECTOR_WIDTH - 12.0).max(120.0);
            ui.vertical(|ui| {
                ui.set_width(canvas_width);
                self.toolbar_ui(ui);
                let height = ui.available_height().clamp(380.0, 560.0);
                self.canvas_ui(ui, texture, image_size, faces, vec2(canvas_width, height));
            });
            ui.vertical(|ui| {
                ui.set_width(INSPECTOR_WIDTH);
                self.inspector_ui(ui, faces);
            });
        });
    }

    fn toolbar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            if ui.small_button("−").on_hover_text("Zoom out").clicked() {
                self.zoom = Some((self.zoom.unwrap_or(1.0) / 1.25).max(MIN_ZOOM));
            }
            if ui.small_button("+").on_hover_text("Zoom in").clicked() {
                self.zoom = Some((self.zoom.unwrap_or(1.0) * 1.25).min(MAX_ZOOM));
            }
            if ui
                .small_button("Fit")
                .on_hover_text("Fit the image")
                .clicked()
            {
                self.zoom = None;
                self.pan = Vec2::ZERO;
            }
            if ui
                .small_button("1:1")
                .on_hover_text("Actual pixels")
                .clicked()
            {
                self.zoom = Some(1.0);
            }
            let shown = match self.zoom {
                None => "fit".to_owned(),
                Some(zoom) => format!("{:.0} %", zoom * 100.0),
            };
            ui.label(RichText::new(shown).weak());
        });
    }

    fn canvas_ui(
        &mut self,
        ui: &mut Ui,
        texture: &TextureHandle,
        image_size: Vec2,
        faces: &[FaceOverlay],
        size: Vec2,
    ) {
        let (canvas, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        let painter = ui.painter_at(canvas);
        painter.rect_filled(canvas, 2.0, ui.visuals().extreme_bg_color);
        let fit = (canvas.width() / image_size.x.max(1.0))
            .min(canvas.height() / image_size.y.max(1.0))
            .clamp(MIN_ZOOM, MAX_ZOOM);
        let mut scale = self.zoom.unwrap_or(fit);

        if response.dragged() {
            self.pan += response.drag_delta();
            self.zoom.get_or_insert(scale);
        }
        if response.hovered() {
            let wheel = ui.input(|i| i.smooth_scroll_delta.y);
            if wheel != 0.0 {
                let new_scale = (scale * (wheel / 200.0).exp()).clamp(MIN_ZOOM, MAX_ZOOM);
                // Keep the image point under the pointer where it is.
                if let Some(pointer) = response.hover_pos() {
                    let centre = canvas.center() + self.pan;
                    let from_centre = pointer - centre;
                    self.pan += from_centre - from_centre * (new_scale / scale);
                }
                scale = new_scale;
                self.zoom = Some(scale);
            }
        }

        let shown = image_size * scale;
        let image_rect = Rect::from_center_size(canvas.center() + self.pan, shown);
        self.drawn = Some((image_rect, scale));
        painter.image(
            texture.id(),
            image_rect,
            Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0)),
            Color32::WHITE,
        );
        let to_screen = |x: f32, y: f32| image_rect.min + vec2(x, y) * scale;
        let rect_on_screen = |r: &FaceRect| {
            Rect::from_two_pos(to_screen(r.left as f32, r.top as f32), {
                to_screen(r.right as f32, r.bottom as f32)
            })
        };

        let hover = response.hover_pos();
        let mut hovered = None;
        for (index, face) in faces.iter().enumerate() {
            let a = &face.attributes;
            let (colour, head_colour) = colours(index);
            let selected = self.selected == Some(index);
            let width = if selected { 2.5 } else { 1.5 };
            let face_rect = rect_on_screen(&a.face_area);
            let head_rect = rect_on_screen(&a.head_area);
            painter.rect_stroke(
                head_rect,
                0.0,
                Stroke::new(1.0, head_colour),
                egui::StrokeKind::Middle,
            );
            painter.rect_stroke(
                face_rect,
                0.0,
                Stroke::new(width, colour),
                egui::StrokeKind::Middle,
            );
            for point in &face.landmarks {
                painter.circle_filled(to_screen(point[0], point[1]), 1.5, colour);
            }
            let eye_radius = (face_rect.width() * 0.04).clamp(2.0, 6.0);
            for (eye, name) in [(&a.right_eye_center, "R"), (&a.left_eye_center, "L")] {
                let centre = to_screen(eye.x as f32, eye.y as f32);
                painter.circle_stroke(centre, eye_radius, Stroke::new(1.5, Color32::YELLOW));
                painter.text(
                    centre + vec2(0.0, -eye_radius - 1.0),
                    Align2::CENTER_BOTTOM,
                    name,
                    FontId::proportional(10.0),
                    Color32::YELLOW,
                );
            }
            let label_pos = pos2(face_rect.left(), face_rect.top() - 2.0);
            let galley = painter.layout_no_wrap(
                format!("Face {}", index + 1),
                FontId::proportional(12.0),
                Color32::BLACK,
            );
            let label_rect =
                Align2::LEFT_BOTTOM.anchor_size(label_pos, galley.size() + vec2(6.0, 2.0));
            painter.rect_filled(label_rect, 2.0, colour);
            painter.galley(label_rect.min + vec2(3.0, 1.0), galley, Color32::BLACK);
            if hover.is_some_and(|p| face_rect.contains(p)) {
                hovered = Some(index);
            }
        }
        if response.clicked() {
            self.selected = hovered.or(self.selected);
        }
        if let Some(index) = hovered {
            response.on_hover_ui_at_pointer(|ui| {
                ui.strong(format!("Face {}", index + 1));
                attributes_grid(ui, &faces[index].attributes, index);
            });
        }
    }

    fn inspector_ui(&mut self, ui: &mut Ui, faces: &[FaceOverlay]) {
        ui.strong("Inspector");
        if faces.is_empty() {
            ui.label(RichText::new("No face to inspect.").weak());
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for index in 0..faces.len() {
                if ui
                    .selectable_label(self.selected == Some(index), format!("Face {}", index + 1))
                    .clicked()
                {
                    self.selected = Some(index);
                }
            }
        });
        let Some(index) = self.selected else {
            ui.label(RichText::new("Click a face to inspect it.").weak());
            return;
        };
        let a = &faces[index].attributes;
        ui.add_space(4.0);
        ui.label(RichText::new("Pose").weak());
        for (name, degrees) in [
            ("Roll", a.face_roll),
            ("Pan", a.face_pan),
            ("Tilt", a.face_tilt),
        ] {
            // A gauge centred on 0°: half full is straight on.
            let fraction = ((degrees + 90.0) / 180.0).clamp(0.0, 1.0) as f32;
            ui.add(ProgressBar::new(fraction).text(format!("{name} {degrees:+.1}°")));
        }
        ui.add_space(4.0);
        ui.label(RichText::new("Scores").weak());
        for (name, score) in [
            ("faceScore", a.face_score),
            ("frontalFaceScore", a.frontal_face_score),
            ("faceQualityScore", a.face_quality_score),
        ] {
            let label = attribute_label(name);
            ui.add(
                ProgressBar::new(score.clamp(0.0, 1.0) as f32).text(format!("{label} {score:.3}")),
            )
            .on_hover_text(format!("{name} in the API"));
        }
    }
}

/// Every attribute of one face, as a two-column grid (tooltips and lists use it).
pub fn attributes_grid(ui: &mut Ui, a: &FaceAttributes, index: usize) {
    let rect = |r: &FaceRect| {
        format!(
            "({}, {}) – ({}, {}), {}×{}",
            r.left,
            r.top,
            r.right,
            r.bottom,
            r.width(),
            r.height()
        )
    };
    egui::Grid::new(("face_attributes", index))
        .num_columns(2)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            let rows = [
                ("faceArea", rect(&a.face_area)),
                ("headArea", rect(&a.head_area)),
                (
                    "rightEyeCenter",
                    format!("({}, {})", a.right_eye_center.x, a.right_eye_center.y),
                ),
                (
                    "leftEyeCenter",
                    format!("({}, {})", a.left_eye_center.x, a.left_eye_center.y),
                ),
                ("faceRoll", format!("{:+.1}°", a.face_roll)),
                ("facePan", format!("{:+.1}°", a.face_pan)),
                ("faceTilt", format!("{:+.1}°", a.face_tilt)),
                ("faceScore", format!("{:.3}", a.face_score)),
                ("frontalFaceScore", format!("{:.3}", a.frontal_face_score)),
                ("faceQualityScore", format!("{:.3}", a.face_quality_score)),
            ];
            for (name, value) in rows {
                ui.label(RichText::new(attribute_label(name)).weak())
                    .on_hover_text(format!("{name} in the API"));
                ui.label(value);
                ui.end_row();
            }
        });
}

/// What a person reads for an attribute the API names `api_name` (`faceQualityScore` is
/// “Face quality”); the API's name shows on hover.
pub fn attribute_label(api_name: &str) -> &str {
    match api_name {
        "faceArea" => "Face area",
        "headArea" => "Head area",
        "rightEyeCenter" => "Right eye",
        "leftEyeCenter" => "Left eye",
        "faceRoll" => "Roll",
        "facePan" => "Pan",
        "faceTilt" => "Tilt",
        "faceScore" => "Face score",
        "frontalFaceScore" => "Frontal",
        "faceQualityScore" => "Face quality",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use necid::{FacePoint, FaceRect};

    use super::*;

    struct State {
        view: ImageView,
        texture: Option<TextureHandle>,
        faces: Vec<FaceOverlay>,
    }

    fn face(left: i32, top: i32) -> FaceOverlay {
        FaceOverlay {
            attributes: FaceAttributes {
                face_area: FaceRect {
                    left,
                    top,
                    right: left + 100,
                    bottom: top + 100,
                },
                head_area: FaceRect {
                    left: left - 20,
                    top: top - 30,
                    right: left + 120,
                    bottom: top + 120,
                },
                right_eye_center: FacePoint {
                    x: left + 30,
                    y: top + 40,
                },
                left_eye_center: FacePoint {
                    x: left + 70,
                    y: top + 40,
                },
                frontal_face_score: 0.9,
                face_roll: 1.5,
                face_pan: -3.0,
                face_tilt: 2.0,
                face_score: 0.99,
                face_quality_score: 0.8,
            },
            landmarks: vec![[left as f32 + 50.0, top as f32 + 60.0]],
        }
    }

    fn harness() -> Harness<'static, State> {
        let state = State {
            view: ImageView::default(),
            texture: None,
            faces: vec![face(50, 50), face(300, 80)],
        };
        Harness::builder().with_size([900.0, 600.0]).build_ui_state(
            |ui, state: &mut State| {
                let texture = state
                    .texture
                    .get_or_insert_with(|| {
                        ui.ctx().load_texture(
                            "test",
                            egui::ColorImage::filled([40, 30], Color32::GRAY),
                            egui::TextureOptions::LINEAR,
                        )
                    })
                    .clone();
                state.view.ui(ui, &texture, [400, 300], &state.faces);
            },
            state,
        )
    }

    #[test]
    fn the_zoom_buttons_zoom_and_fit_goes_back() {
        let mut harness = harness();
        harness.run();
        let shows =
            |h: &Harness<'_, State>, text: &str| h.query_all_by_value(text).next().is_some();
        assert!(shows(&harness, "fit"));
        harness.get_by_label("+").click();
        harness.run();
        assert!(shows(&harness, "125 %"));
        harness.get_by_label("Fit").click();
        harness.run();
        assert!(shows(&harness, "fit"));
    }

    #[test]
    fn the_inspector_shows_the_clicked_face_and_its_gauges() {
        let mut harness = harness();
        harness.run();
        assert_eq!(harness.state().view.selected(), Some(0));
        harness.get_by_label("Face 2").click();
        harness.run();
        assert_eq!(harness.state().view.selected(), Some(1));
    }

    #[test]
    fn hovering_a_face_shows_all_its_attributes() {
        let mut harness = harness();
        harness.run();
        let centre = harness.state().view.to_screen(100.0, 100.0).expect("drawn");
        harness.hover_at(centre);
        harness.run();
        harness.get_by_value("Face quality");
        harness.get_by_value("Right eye");
    }
}
