//! The console's look on top of egui's two themes. egui's light theme draws a text field as a
//! white box without a frame on an almost white panel, and a checkbox or a combo box as a pale
//! grey patch without an edge: an admin cannot see where to type. Here every input of the light
//! theme gets a frame; the dark theme, whose fields are darker than the panel, stays egui's.

use egui::{Color32, Stroke};

/// The frame of an input (text field, combo box, checkbox, button) at rest in the light theme:
/// about 3:1 against the panel, as WCAG asks of a control's boundary.
const LIGHT_INPUT_FRAME: Color32 = Color32::from_gray(140);

/// Sets the console's changes to both themes; the shell calls it on the first frame.
pub fn set_up(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |style| {
        let visuals = &mut style.visuals;
        visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, LIGHT_INPUT_FRAME);
        visuals.text_edit_bg_color = Some(Color32::WHITE);
    });
}
