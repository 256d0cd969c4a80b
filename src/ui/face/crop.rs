//! One face of many: the console cuts one face out of a group photo so that it can be enrolled
//! or searched with, which the API refuses for an image with several faces (MultipleFaces,
//! 2003).
//!
//! The cut is the face's head area plus a margin; the other faces that reach into it are
//! painted over, and the cut is then checked through Extract, the same face finder the API's
//! enrolment and search use, to hold exactly one face, where the chosen one was. A tighter cut
//! is tried when a wider one fails; a face that cannot be cut out on its own is an error, never
//! a request that the API would refuse.

use std::io::Cursor;
use std::sync::Arc;

use image::{DynamicImage, GenericImageView, Rgb, RgbImage};
use necid::{FaceAttributes, FaceImage, FaceRect};

use super::fit_for_request;
use crate::backend::Worker;
use crate::backend::files::ImageSource;
use crate::error::UiError;

/// The margins tried around the head area, as a share of its width and height, widest first.
const MARGINS: [f64; 3] = [0.35, 0.15, 0.0];

/// A cut's shorter side is scaled up to at least this many pixels, so that a small face of a
/// large group photo is not sent as a thumbnail.
const MIN_SIDE: u32 = 240;

/// The grey the other faces are painted over with.
const COVER: Rgb<u8> = Rgb([128, 128, 128]);

/// A rectangle in pixels, right and bottom excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl PixelRect {
    /// `rect` grown by `margin` of its size on every side, within a `width`×`height` image.
    fn around(rect: &FaceRect, margin: f64, width: u32, height: u32) -> Self {
        let grow_x = f64::from(rect.width()) * margin;
        let grow_y = f64::from(rect.height()) * margin;
        let clamp = |value: f64, max: u32| value.round().clamp(0.0, f64::from(max)) as u32;
        Self {
            left: clamp(f64::from(rect.left) - grow_x, width),
            top: clamp(f64::from(rect.top) - grow_y, height),
            right: clamp(f64::from(rect.right) + grow_x, width),
            bottom: clamp(f64::from(rect.bottom) + grow_y, height),
        }
    }

    fn width(&self) -> u32 {
        self.right.saturating_sub(self.left)
    }

    fn height(&self) -> u32 {
        self.bottom.saturating_sub(self.top)
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        x >= f64::from(self.left)
            && x < f64::from(self.right)
            && y >= f64::from(self.top)
            && y < f64::from(self.bottom)
    }
}

/// The pixels of the cut around face `chosen` of `faces` (all found on `image`), with the other
/// faces inside it painted over; `None` when the cut would be empty.
pub fn cut_out(
    image: &DynamicImage,
    faces: &[FaceAttributes],
    chosen: usize,
    margin: f64,
) -> Option<(RgbImage, PixelRect)> {
    let face = faces.get(chosen)?;
    let (width, height) = image.dimensions();
    let cut = PixelRect::around(&face.head_area, margin, width, height);
    if cut.width() == 0 || cut.height() == 0 {
        return None;
    }
    let mut pixels = image
        .crop_imm(cut.left, cut.top, cut.width(), cut.height())
        .to_rgb8();
    let keep = PixelRect::around(&face.face_area, 0.0, width, height);
    for (index, other) in faces.iter().enumerate() {
        if index == chosen {
            continue;
        }
        // The other face's own box, a little grown, minus the chosen face's.
        let cover = PixelRect::around(&other.face_area, 0.1, width, height);
        for y in cover.top.max(cut.top)..cover.bottom.min(cut.bottom) {
            for x in cover.left.max(cut.left)..cover.right.min(cut.right) {
                if !keep.contains(f64::from(x), f64::from(y)) {
                    pixels.put_pixel(x - cut.left, y - cut.top, COVER);
                }
            }
        }
    }
    let shorter = pixels.width().min(pixels.height());
    if shorter < MIN_SIDE {
        let scale = f64::from(MIN_SIDE) / f64::from(shorter);
        let size = |side: u32| (f64::from(side) * scale).round() as u32;
        pixels = image::imageops::resize(
            &pixels,
            size(pixels.width()),
            size(pixels.height()),
            image::imageops::FilterType::CatmullRom,
        );
    }
    Some((pixels, cut))
}

/// A face cut out of a photo and checked to hold exactly that face.
#[derive(Clone, Debug)]
pub struct FaceCut {
    /// "group.jpg, face 2": what the enrolment form and Search show.
    pub source: ImageSource,
}

/// Cuts face `chosen` (numbered from 0) out of `photo`, whose `faces` Extract found, and checks
/// through Extract that the cut holds exactly that face, trying tighter cuts when it does not.
pub async fn face_cut(
    worker: &Worker,
    client: &necid::Client,
    name: &str,
    photo: &FaceImage,
    faces: Vec<FaceAttributes>,
    chosen: usize,
) -> Result<FaceCut, UiError> {
    let number = chosen + 1;
    let decoded = {
        let bytes = photo.bytes().to_vec();
        worker
            .blocking("decoding the photo", move || {
                image::load_from_memory(&bytes)
                    .map(Arc::new)
                    .map_err(|error| UiError::new(format!("The photo cannot be decoded: {error}")))
            })
            .await?
    };
    let Some(face) = faces.get(chosen).cloned() else {
        return Err(UiError::new(format!("The photo has no face {number}.")));
    };
    let mut last_count = 0;
    for margin in MARGINS {
        let (decoded, faces) = (decoded.clone(), faces.clone());
        let cut = worker
            .blocking("cutting out the face", move || {
                let Some((pixels, area)) = cut_out(&decoded, &faces, chosen, margin) else {
                    return Ok(None);
                };
                let mut jpeg = Vec::new();
                DynamicImage::ImageRgb8(pixels.clone())
                    .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
                    .map_err(|error| UiError::new(format!("The cut cannot be encoded: {error}")))?;
                Ok(Some((jpeg, pixels.dimensions(), area)))
            })
            .await?;
        let Some((jpeg, (cut_width, cut_height), area)) = cut else {
            continue;
        };
        let image = FaceImage::from_bytes(jpeg.clone())
            .map_err(|error| UiError::new(format!("The cut cannot be used: {error}")))?;
        let [image] = fit_for_request(worker, client, [image]).await?;
        let found = match client.extract(&image).await {
            Ok(found) => found.faces,
            Err(error) if error.error_type() == Some("NoFace") => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        last_count = found.len();
        if let [found] = found.as_slice() {
            // The face found must be the chosen one: its centre, back on the photo's pixels,
            // inside the chosen face's box.
            let scale_x = f64::from(area.width()) / f64::from(cut_width);
            let scale_y = f64::from(area.height()) / f64::from(cut_height);
            let box_ = &found.attributes.face_area;
            let centre_x = f64::from(area.left) + f64::from(box_.left + box_.right) / 2.0 * scale_x;
            let centre_y = f64::from(area.top) + f64::from(box_.top + box_.bottom) / 2.0 * scale_y;
            let chosen_box = PixelRect::around(&face.face_area, 0.25, u32::MAX, u32::MAX);
            if chosen_box.contains(centre_x, centre_y) {
                return Ok(FaceCut {
                    source: ImageSource::Bytes {
                        name: format!("{name}, face {number}"),
                        bytes: Arc::from(jpeg),
                    },
                });
            }
        }
    }
    Err(UiError::new(format!(
        "Face {number} cannot be cut out on its own: the closest cut around it holds \
         {}, and the API takes exactly one.",
        crate::ui::plural::count(last_count, "face", "faces")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(left: i32, top: i32, right: i32, bottom: i32) -> FaceAttributes {
        FaceAttributes {
            face_area: FaceRect {
                left,
                top,
                right,
                bottom,
            },
            head_area: FaceRect {
                left: left - 10,
                top: top - 10,
                right: right + 10,
                bottom: bottom + 10,
            },
            ..FaceAttributes::default()
        }
    }

    #[test]
    fn the_cut_holds_the_head_and_margin_and_paints_over_a_neighbour() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 200, Rgb([10, 200, 10])));
        // Two faces side by side: the neighbour's box reaches into the chosen one's cut.
        let faces = [face(100, 50, 160, 110), face(190, 50, 250, 110)];
        let (pixels, area) = cut_out(&image, &faces, 0, 0.5).expect("a cut");
        assert_eq!(
            area,
            PixelRect {
                left: 50,
                top: 0,
                right: 210,
                bottom: 160
            }
        );
        // Scaled up to the minimum side: 160 → 240.
        assert_eq!(pixels.height(), MIN_SIDE);
        let scale = f64::from(MIN_SIDE) / 160.0;
        let at = |x: u32, y: u32| {
            *pixels.get_pixel(
                (f64::from(x - area.left) * scale) as u32,
                (f64::from(y - area.top) * scale) as u32,
            )
        };
        assert_eq!(at(130, 80), Rgb([10, 200, 10]), "the chosen face is kept");
        assert_eq!(at(200, 80), COVER, "the neighbour is painted over");
    }

    #[test]
    fn a_face_number_out_of_range_gives_no_cut() {
        let image = DynamicImage::ImageRgb8(RgbImage::new(50, 50));
        assert!(cut_out(&image, &[face(10, 10, 20, 20)], 1, 0.2).is_none());
    }
}
