//! The calibration's rates plot as a PNG file, drawn with the `image` crate rather than read back
//! from the screen, so that an export does not depend on the window (its size, its theme, a
//! frame being drawn): false accepts and false rejects against the threshold, on 0–9999 by
//! 0–100 %, with the chosen threshold as a vertical mark.

use std::io::Cursor;

use egui::Color32;
use image::{Rgb, RgbImage};
use necid::calibration::Figures;

use crate::error::UiError;

pub const FAR_COLOUR: Color32 = Color32::from_rgb(0xd0, 0x3a, 0x2f);
pub const FRR_COLOUR: Color32 = Color32::from_rgb(0x2f, 0x6f, 0xd0);
pub const BOUND_COLOUR: Color32 = Color32::from_rgb(0x22, 0x90, 0x40);

const WIDTH: u32 = 800;
const HEIGHT: u32 = 400;
const MARGIN: u32 = 30;

fn rgb(colour: Color32) -> Rgb<u8> {
    Rgb([colour.r(), colour.g(), colour.b()])
}

/// Where a threshold (0–9999) and a rate (0–1) fall in the picture.
fn to_pixel(threshold: f64, rate: f64) -> (f64, f64) {
    let plot_width = f64::from(WIDTH - 2 * MARGIN);
    let plot_height = f64::from(HEIGHT - 2 * MARGIN);
    (
        f64::from(MARGIN) + threshold / 9999.0 * plot_width,
        f64::from(HEIGHT - MARGIN) - rate.clamp(0.0, 1.0) * plot_height,
    )
}

/// A straight line, two pixels thick.
fn line(image: &mut RgbImage, from: (f64, f64), to: (f64, f64), colour: Rgb<u8>) {
    let steps = (to.0 - from.0)
        .abs()
        .max((to.1 - from.1).abs())
        .ceil()
        .max(1.0) as u32;
    for step in 0..=steps {
        let t = f64::from(step) / f64::from(steps);
        let x = from.0 + (to.0 - from.0) * t;
        let y = from.1 + (to.1 - from.1) * t;
        for (dx, dy) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)] {
            let (px, py) = ((x + dx) as u32, (y + dy) as u32);
            if px < WIDTH && py < HEIGHT {
                image.put_pixel(px, py, colour);
            }
        }
    }
}

/// The rates every `step` as a PNG, with `chosen` marked.
pub fn rates_png(figures: &Figures, step: u16, chosen: Option<u16>) -> Result<Vec<u8>, UiError> {
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let axis = Rgb([90, 90, 90]);
    line(&mut image, to_pixel(0.0, 0.0), to_pixel(9999.0, 0.0), axis);
    line(&mut image, to_pixel(0.0, 0.0), to_pixel(0.0, 1.0), axis);
    let curve = figures.curve(step);
    for pair in curve.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (ta, tb) = (f64::from(a.threshold), f64::from(b.threshold));
        line(
            &mut image,
            to_pixel(ta, a.far()),
            to_pixel(tb, b.far()),
            rgb(FAR_COLOUR),
        );
        line(
            &mut image,
            to_pixel(ta, a.frr()),
            to_pixel(tb, b.frr()),
            rgb(FRR_COLOUR),
        );
    }
    if let Some(threshold) = chosen {
        let x = f64::from(threshold);
        line(
            &mut image,
            to_pixel(x, 0.0),
            to_pixel(x, 1.0),
            rgb(BOUND_COLOUR),
        );
    }
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|error| UiError::new(format!("The plot cannot be encoded: {error}")))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use necid::calibration::PairScore;

    #[test]
    fn the_png_draws_both_rates_and_the_chosen_threshold() {
        let pair = |score| PairScore { score, exact: true };
        let figures = Figures {
            genuine: vec![pair(9000), pair(8000), pair(6000)],
            impostor: vec![pair(2000), pair(3000), pair(7500)],
        };
        let png = rates_png(&figures, 100, Some(5000)).expect("a png");
        let image = image::load_from_memory(&png).expect("decodes").to_rgb8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let count = |colour: Color32| image.pixels().filter(|p| **p == rgb(colour)).count();
        assert!(count(FAR_COLOUR) > 100, "the false-accept line is drawn");
        assert!(count(FRR_COLOUR) > 100, "the false-reject line is drawn");
        let (x, _) = to_pixel(5000.0, 0.5);
        assert_eq!(
            *image.get_pixel(x as u32, HEIGHT / 2),
            rgb(BOUND_COLOUR),
            "the chosen threshold is marked"
        );
    }
}
