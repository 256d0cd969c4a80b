//! Images sent as faces and probes.
//!
//! The API takes images as base64 strings. Checking an image before it is sent (it decodes, it is
//! not absurdly large) turns a round trip and a terse server error into an immediate message that
//! names the file and the problem.
//!
//! A phone or camera photo is often larger than a back end accepts in one request (the NEC
//! cloud's gateway takes 10 MB of JSON), while faces are found at a small fraction of its
//! resolution. [`FaceImage::fit_within`] makes a smaller JPEG copy that remembers the photo it
//! came from ([`ScaledCopy`]), so the coordinates a back end measures on the copy can be mapped
//! back onto the original.

use base64::Engine as _;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use necid_wire::{FaceAttributes, Landmark};
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Bounds on what [`FaceImage`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest encoded file.
    pub max_bytes: usize,
    /// Largest width × height, checked from the header before any pixel is decoded.
    pub max_pixels: u64,
}

impl Default for ImageLimits {
    /// 64 MiB and 120 megapixels: a 108-megapixel phone photo or a 102-megapixel medium-format
    /// camera's JPEG fits, far below what a decompression bomb claims. Such a photo is larger
    /// than a request may be; [`FaceImage::fit_within`] makes the copy that is sent.
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_pixels: 120_000_000,
        }
    }
}

/// The longest side of a copy made by [`FaceImage::fit_within`]: faces are found on images far
/// smaller, so pixels beyond it only cost bytes.
pub const MAX_COPY_SIDE: u32 = 4096;
/// The shortest longest side [`FaceImage::fit_within`] goes down to before giving up: below it a
/// face in a group photo is too small to be found.
pub const MIN_COPY_SIDE: u32 = 320;
/// The JPEG quality of a copy: no visible loss, a fraction of a PNG's or a camera's bytes.
const COPY_JPEG_QUALITY: u8 = 90;

/// Why an image cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The file could not be read.
    #[error("cannot read {}: {message}", .path.display())]
    Read { path: PathBuf, message: String },
    /// Zero bytes.
    #[error("the image is empty")]
    Empty,
    /// Over [`ImageLimits::max_bytes`].
    #[error("the image is {bytes} bytes; the limit is {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    /// Not JPEG, PNG, GIF, WebP, BMP or TIFF.
    #[error("not a supported image (JPEG, PNG, GIF, WebP, BMP or TIFF)")]
    UnknownFormat,
    /// The header declares more pixels than [`ImageLimits::max_pixels`].
    #[error("the image is {width}x{height} pixels; the limit is {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    /// The data is damaged or truncated.
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    /// Even a copy [`MIN_COPY_SIDE`] pixels long is larger than a request can carry.
    #[error(
        "the image is {bytes} bytes and even a {MIN_COPY_SIDE}-pixel copy of it is over the \
         {limit} bytes a request can carry"
    )]
    CannotFit { bytes: usize, limit: usize },
}

/// How a copy made by [`FaceImage::fit_within`] relates to the photo it was made from.
///
/// Both sizes are upright (the EXIF orientation applied, as the face engine decodes), so the
/// coordinates a back end returns for the copy map onto the original by a plain scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaledCopy {
    /// The original file's size in bytes.
    pub original_bytes: usize,
    /// The copy's size in bytes: what was sent.
    pub copy_bytes: usize,
    /// The original's width and height in pixels.
    pub original_size: (u32, u32),
    /// The copy's width and height in pixels.
    pub copy_size: (u32, u32),
}

impl ScaledCopy {
    /// Original pixels per copy pixel, across and down (1 when only re-encoded).
    pub fn scale(&self) -> (f64, f64) {
        (
            f64::from(self.original_size.0) / f64::from(self.copy_size.0.max(1)),
            f64::from(self.original_size.1) / f64::from(self.copy_size.1.max(1)),
        )
    }

    /// Maps attributes measured on the copy onto the original's pixels.
    ///
    /// ```
    /// # let copy = necid::ScaledCopy { original_bytes: 12_300_000, copy_bytes: 2_100_000,
    /// #     original_size: (6000, 4000), copy_size: (3000, 2000) };
    /// let mut face = necid::FaceAttributes::default();
    /// face.face_area.right = 100;
    /// copy.map_to_original(&mut face);
    /// assert_eq!(face.face_area.right, 200);
    /// ```
    pub fn map_to_original(&self, attributes: &mut FaceAttributes) {
        let (across, down) = self.scale();
        attributes.scale_coordinates(across, down);
    }

    /// Maps landmarks measured on the copy onto the original's pixels.
    pub fn map_landmarks_to_original(&self, landmarks: &mut [Landmark]) {
        let (across, down) = self.scale();
        for landmark in landmarks {
            *landmark = landmark.scale(across, down);
        }
    }
}

impl fmt::Display for ScaledCopy {
    /// "12.3 MB photo sent as a 2.1 MB copy" (decimal megabytes, as file managers show them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} MB photo sent as a {:.1} MB copy",
            self.original_bytes as f64 / 1e6,
            self.copy_bytes as f64 / 1e6
        )
    }
}

/// An image decoded for display by [`FaceImage::decode_for_display`].
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayPixels {
    /// 8-bit RGBA, unpremultiplied, row by row: `size.0 × size.1 × 4` bytes.
    pub rgba: Vec<u8>,
    /// Width and height of `rgba`, in pixels.
    pub size: (u32, u32),
    /// Width and height of the whole upright image: the space of the coordinates a back end
    /// returns (faces, eyes, landmarks).
    pub upright_size: (u32, u32),
}

impl fmt::Debug for DisplayPixels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DisplayPixels({}x{} of {}x{})",
            self.size.0, self.size.1, self.upright_size.0, self.upright_size.1
        )
    }
}

/// A checked image, ready to send as `face`, `faces` or `probe`.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    format: ImageFormat,
    /// Set on a copy made by [`FaceImage::fit_within`].
    copy_of: Option<ScaledCopy>,
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FaceImage({:?} {}x{}, {} bytes",
            self.format,
            self.width,
            self.height,
            self.bytes.len()
        )?;
        if let Some(copy) = &self.copy_of {
            write!(f, ", a copy of {} bytes", copy.original_bytes)?;
        }
        f.write_str(")")
    }
}

impl FaceImage {
    /// Reads and checks a file with the default limits.
    ///
    /// ```no_run
    /// let image = necid::FaceImage::from_path("passport.jpg")?;
    /// # Ok::<(), necid::ImageError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ImageError> {
        Self::from_path_with_limits(path, ImageLimits::default())
    }

    /// Reads and checks a file.
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: ImageLimits,
    ) -> Result<Self, ImageError> {
        let path = path.as_ref();
        let read_error = |message: String| ImageError::Read {
            path: path.to_owned(),
            message,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| read_error(e.to_string()))?
            .len();
        if size > limits.max_bytes as u64 {
            return Err(ImageError::TooLarge {
                bytes: usize::try_from(size).unwrap_or(usize::MAX),
                limit: limits.max_bytes,
            });
        }
        let bytes = std::fs::read(path).map_err(|e| read_error(e.to_string()))?;
        Self::from_bytes_with_limits(bytes, limits)
    }

    /// Checks bytes with the default limits.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, ImageError> {
        Self::from_bytes_with_limits(bytes, ImageLimits::default())
    }

    /// Checks bytes: not empty, not too large, a known format whose header declares a sane size,
    /// and pixels that decode.
    pub fn from_bytes_with_limits(
        bytes: impl Into<Vec<u8>>,
        limits: ImageLimits,
    ) -> Result<Self, ImageError> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(ImageError::Empty);
        }
        if bytes.len() > limits.max_bytes {
            return Err(ImageError::TooLarge {
                bytes: bytes.len(),
                limit: limits.max_bytes,
            });
        }
        let format = image::guess_format(&bytes).map_err(|_| ImageError::UnknownFormat)?;
        let (width, height) = ImageReader::with_format(Cursor::new(&bytes), format)
            .into_dimensions()
            .map_err(|e| ImageError::Undecodable(e.to_string()))?;
        if u64::from(width) * u64::from(height) > limits.max_pixels {
            return Err(ImageError::TooManyPixels {
                width,
                height,
                limit: limits.max_pixels,
            });
        }
        decode(&bytes, format, width, height, limits.max_pixels, false)?;
        Ok(Self {
            bytes,
            width,
            height,
            format,
            copy_of: None,
        })
    }

    /// This image when its file is at most `max_bytes`; otherwise a smaller JPEG copy that is,
    /// made from the upright pixels (EXIF orientation applied): the largest of a few sizes, from
    /// [`MAX_COPY_SIDE`] down, whose file fits. The copy's [`FaceImage::copy_of`] says what it
    /// was made from. A copy of a copy refers to the first original.
    ///
    /// Decoding and encoding a large photo takes a moment: keep it off async threads.
    ///
    /// ```no_run
    /// let photo = necid::FaceImage::from_path("camera.jpg")?;
    /// let sent = photo.fit_within(7_000_000)?;
    /// if let Some(copy) = sent.copy_of() {
    ///     println!("{copy}");
    /// }
    /// # Ok::<(), necid::ImageError>(())
    /// ```
    pub fn fit_within(&self, max_bytes: usize) -> Result<FaceImage, ImageError> {
        if self.bytes.len() <= max_bytes {
            return Ok(self.clone());
        }
        let cannot_fit = || ImageError::CannotFit {
            bytes: self.original_bytes(),
            limit: max_bytes,
        };
        let pixels = u64::from(self.width) * u64::from(self.height);
        let upright = decode(
            &self.bytes,
            self.format,
            self.width,
            self.height,
            pixels,
            true,
        )?;
        // JPEG has no alpha; the face engine reads colour only.
        let upright = DynamicImage::ImageRgb8(upright.into_rgb8());
        let (width, height) = (upright.width(), upright.height());
        let original_size = self.copy_of.map_or((width, height), |c| c.original_size);
        let longest = width.max(height);
        let mut side = longest.min(MAX_COPY_SIDE);
        while side >= MIN_COPY_SIDE.min(longest) {
            let copy_size = scaled_size(width, height, side);
            let resized = if copy_size == (width, height) {
                upright.clone()
            } else {
                upright.resize_exact(
                    copy_size.0,
                    copy_size.1,
                    image::imageops::FilterType::Triangle,
                )
            };
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, COPY_JPEG_QUALITY)
                .encode_image(&resized)
                .map_err(|e| ImageError::Undecodable(format!("cannot encode a copy: {e}")))?;
            if jpeg.len() <= max_bytes {
                let copy_of = ScaledCopy {
                    original_bytes: self.original_bytes(),
                    copy_bytes: jpeg.len(),
                    original_size,
                    copy_size,
                };
                return Ok(Self {
                    bytes: jpeg,
                    width: copy_size.0,
                    height: copy_size.1,
                    format: ImageFormat::Jpeg,
                    copy_of: Some(copy_of),
                });
            }
            if side <= MIN_COPY_SIDE {
                break;
            }
            // A JPEG's bytes grow with its area: aim just under the budget, and shrink by at
            // least a tenth so that the loop ends.
            let aimed = f64::from(side) * (max_bytes as f64 / jpeg.len() as f64).sqrt() * 0.95;
            side = (aimed as u32).min(side - side / 10 - 1).max(MIN_COPY_SIDE);
        }
        Err(cannot_fit())
    }

    /// The image's pixels for display: upright (the EXIF orientation applied, as the face engine
    /// decodes, so the coordinates a back end returns fall on the right pixels), as 8-bit RGBA,
    /// scaled down when its longest side is over `max_side` (never up).
    ///
    /// Decoding a large photo takes a moment: keep it off async threads and the UI thread.
    ///
    /// ```no_run
    /// let photo = necid::FaceImage::from_path("camera.jpg")?;
    /// let shown = photo.decode_for_display(2048)?;
    /// assert_eq!(shown.rgba.len(), (shown.size.0 * shown.size.1 * 4) as usize);
    /// # Ok::<(), necid::ImageError>(())
    /// ```
    pub fn decode_for_display(&self, max_side: u32) -> Result<DisplayPixels, ImageError> {
        let pixels = u64::from(self.width) * u64::from(self.height);
        let upright = decode(
            &self.bytes,
            self.format,
            self.width,
            self.height,
            pixels,
            true,
        )?;
        let upright_size = (upright.width(), upright.height());
        let shown = if upright_size.0.max(upright_size.1) > max_side.max(1) {
            upright.thumbnail(max_side.max(1), max_side.max(1))
        } else {
            upright
        };
        let size = (shown.width(), shown.height());
        Ok(DisplayPixels {
            rgba: shown.into_rgba8().into_raw(),
            size,
            upright_size,
        })
    }

    /// Set on a copy made by [`FaceImage::fit_within`]: the original it stands for.
    pub fn copy_of(&self) -> Option<&ScaledCopy> {
        self.copy_of.as_ref()
    }

    /// The size of the file this image is or stands for.
    fn original_bytes(&self) -> usize {
        self.copy_of
            .map_or(self.bytes.len(), |copy| copy.original_bytes)
    }

    /// The encoded bytes as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Width and height in pixels, as the header declares them.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The image's format.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// The bytes as standard base64, as the API expects.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.bytes)
    }

    /// The length of [`FaceImage::to_base64`], without encoding.
    pub fn base64_len(&self) -> usize {
        base64_len(self.bytes.len())
    }
}

/// The length of `bytes` bytes in padded base64.
pub(crate) fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3).saturating_mul(4)
}

/// The most file bytes whose base64 is at most `chars` long.
pub(crate) fn bytes_for_base64(chars: usize) -> usize {
    chars / 4 * 3
}

/// Decodes every pixel, within the declared size; `upright` turns the result as its EXIF
/// orientation says (as the face engine does), so coordinates on it are the back end's.
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    width: u32,
    height: u32,
    max_pixels: u64,
    upright: bool,
) -> Result<DynamicImage, ImageError> {
    let undecodable = |e: image::ImageError| ImageError::Undecodable(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    decode_limits.max_alloc = Some(max_pixels.saturating_mul(16));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    // A photo whose orientation cannot be read is used as stored, as the engine does.
    let orientation = upright.then(|| decoder.orientation().ok()).flatten();
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    if let Some(orientation) = orientation {
        decoded.apply_orientation(orientation);
    }
    Ok(decoded)
}

/// `width`×`height` scaled so that its longest side is `longest` (never up, never to zero).
fn scaled_size(width: u32, height: u32, longest: u32) -> (u32, u32) {
    let current = width.max(height);
    if longest >= current {
        return (width, height);
    }
    let scale = f64::from(longest) / f64::from(current);
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    (scaled(width), scaled(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use necid_wire::{FacePoint, FaceRect};

    /// A PNG of noise: it compresses badly, as a large photo's file is large.
    fn noisy_png(width: u32, height: u32) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        let pixels = image::RgbImage::from_fn(width, height, |x, y| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 24) as u8 / 4;
            image::Rgb([
                (x % 256) as u8 / 2 + noise,
                (y % 256) as u8 / 2 + noise,
                noise,
            ])
        });
        let mut png = Vec::new();
        pixels
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .expect("encode");
        png
    }

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/bad")
            .join(name)
    }

    #[test]
    fn an_image_within_the_budget_is_sent_as_it_is() {
        let image = FaceImage::from_bytes(noisy_png(64, 48)).expect("an image");
        let fitted = image.fit_within(image.bytes().len()).expect("fits");
        assert_eq!(fitted, image);
        assert_eq!(fitted.copy_of(), None);
    }

    #[test]
    fn a_photo_over_the_budget_becomes_a_smaller_jpeg_copy_that_remembers_its_original() {
        let png = noisy_png(1600, 1200);
        let original_bytes = png.len();
        let image = FaceImage::from_bytes(png).expect("an image");
        let budget = original_bytes / 8;
        let copy = image.fit_within(budget).expect("a copy fits");

        assert_eq!(copy.format(), ImageFormat::Jpeg);
        assert!(copy.bytes().len() <= budget, "{copy:?} within {budget}");
        let made = copy.copy_of().expect("the copy knows its original");
        assert_eq!(made.original_bytes, original_bytes);
        assert_eq!(made.copy_bytes, copy.bytes().len());
        assert_eq!(made.original_size, (1600, 1200));
        assert_eq!(made.copy_size, copy.dimensions());
        let (across, down) = made.scale();
        assert!(
            across >= 1.0 && (across - down).abs() < 0.01,
            "{across} {down}"
        );
        // The largest size that fits, not a needlessly small one.
        assert!(copy.bytes().len() > budget / 2, "{copy:?} for {budget}");
        FaceImage::from_bytes(copy.bytes().to_vec()).expect("the copy decodes");
    }

    #[test]
    fn a_copy_of_a_copy_stands_for_the_first_original() {
        let png = noisy_png(1200, 900);
        let original_bytes = png.len();
        let image = FaceImage::from_bytes(png).expect("an image");
        let first = image.fit_within(original_bytes / 4).expect("a copy");
        let second = first
            .fit_within(first.bytes().len() / 4)
            .expect("a smaller copy");
        let made = second.copy_of().expect("a copy");
        assert_eq!(made.original_bytes, original_bytes);
        assert_eq!(made.original_size, (1200, 900));
        assert!(made.copy_size.0 < first.dimensions().0);
    }

    /// A 900×600 photo stored sideways with EXIF orientation 6 (the test file's EXIF segment on a
    /// larger picture): the engine turns it upright, 600×900, before looking for faces.
    fn stored_sideways() -> FaceImage {
        let sideways = image::load_from_memory(&noisy_png(900, 600)).expect("pixels");
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 100)
            .encode_image(&sideways)
            .expect("encode");
        let tagged = std::fs::read(testdata("face_exif_orientation6.jpg")).expect("test file");
        let exif = &tagged[20..20 + 2 + 34];
        assert_eq!(&exif[..2], &[0xff, 0xe1], "the APP1 (EXIF) segment");
        jpeg.splice(2..2, exif.iter().copied());
        FaceImage::from_bytes(jpeg).expect("a photo")
    }

    #[test]
    fn a_copy_is_upright_as_the_face_engine_decodes_the_photo() {
        let photo = stored_sideways();
        assert_eq!(photo.dimensions(), (900, 600), "as stored");
        let copy = photo.fit_within(photo.bytes().len() / 3).expect("a copy");
        let made = copy.copy_of().expect("a copy");
        assert_eq!(made.original_size, (600, 900));
        assert_eq!(copy.dimensions(), made.copy_size);
        assert!(made.copy_size.1 > made.copy_size.0, "upright: {made:?}");
    }

    #[test]
    fn pixels_for_display_are_upright_as_the_face_engine_decodes_and_scaled_down() {
        let photo = stored_sideways();
        assert_eq!(photo.dimensions(), (900, 600), "as stored");

        let whole = photo.decode_for_display(4096).expect("decoded");
        assert_eq!(whole.upright_size, (600, 900), "turned upright");
        assert_eq!(whole.size, (600, 900), "not scaled up");
        assert_eq!(whole.rgba.len(), 600 * 900 * 4);

        let shown = photo.decode_for_display(300).expect("decoded");
        assert_eq!(shown.upright_size, (600, 900));
        assert_eq!(
            shown.size,
            (200, 300),
            "longest side at most 300, aspect kept"
        );
        assert_eq!(shown.rgba.len(), 200 * 300 * 4);
    }

    #[test]
    fn landmarks_measured_on_a_copy_are_mapped_onto_the_original() {
        let copy = ScaledCopy {
            original_bytes: 10,
            copy_bytes: 5,
            original_size: (6000, 4000),
            copy_size: (3000, 2000),
        };
        let mut landmarks = [Landmark { x: 10.5, y: 20.25 }, Landmark { x: 0.0, y: 1.0 }];
        copy.map_landmarks_to_original(&mut landmarks);
        assert_eq!(
            landmarks,
            [Landmark { x: 21.0, y: 40.5 }, Landmark { x: 0.0, y: 2.0 }]
        );
    }

    #[test]
    fn a_photo_that_no_copy_can_fit_is_a_typed_error() {
        let png = noisy_png(800, 600);
        let bytes = png.len();
        let image = FaceImage::from_bytes(png).expect("an image");
        assert_eq!(
            image.fit_within(2_000),
            Err(ImageError::CannotFit {
                bytes,
                limit: 2_000
            })
        );
    }

    #[test]
    fn a_copy_says_both_sizes_in_megabytes() {
        let copy = ScaledCopy {
            original_bytes: 12_345_678,
            copy_bytes: 2_080_000,
            original_size: (6000, 4500),
            copy_size: (4096, 3072),
        };
        assert_eq!(copy.to_string(), "12.3 MB photo sent as a 2.1 MB copy");
    }

    #[test]
    fn coordinates_on_a_copy_map_onto_the_original_by_each_axis_scale() {
        let copy = ScaledCopy {
            original_bytes: 1,
            copy_bytes: 1,
            original_size: (6000, 4500),
            copy_size: (3000, 2250),
        };
        let mut attributes = FaceAttributes {
            face_area: FaceRect {
                left: 100,
                top: 200,
                right: 301,
                bottom: 400,
            },
            head_area: FaceRect {
                left: 90,
                top: 150,
                right: 310,
                bottom: 420,
            },
            right_eye_center: FacePoint { x: 150, y: 250 },
            left_eye_center: FacePoint { x: 250, y: 251 },
            face_score: 0.9,
            ..FaceAttributes::default()
        };
        copy.map_to_original(&mut attributes);
        assert_eq!(
            attributes.face_area,
            FaceRect {
                left: 200,
                top: 400,
                right: 602,
                bottom: 800
            }
        );
        assert_eq!(
            attributes.head_area,
            FaceRect {
                left: 180,
                top: 300,
                right: 620,
                bottom: 840
            }
        );
        assert_eq!(attributes.right_eye_center, FacePoint { x: 300, y: 500 });
        assert_eq!(attributes.left_eye_center, FacePoint { x: 500, y: 502 });
        assert_eq!(attributes.face_score, 0.9, "scores are not coordinates");
    }
}
