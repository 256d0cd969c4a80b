//! A profile's colour badge: a filled dot before its name.

use egui::{Color32, Response, Sense, Ui, Vec2};

/// Draws a small dot in `rgb`.
pub fn badge(ui: &mut Ui, rgb: [u8; 3]) -> Response {
    let size = ui.text_style_height(&egui::TextStyle::Body) * 0.7;
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    ui.painter().circle_filled(
        rect.center(),
        size / 2.0,
        Color32::from_rgb(rgb[0], rgb[1], rgb[2]),
    );
    response
}
