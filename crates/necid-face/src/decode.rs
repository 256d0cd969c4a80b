//! Safe decoding of untrusted image bytes: size and pixel limits checked against the header
//! before any pixel buffer is allocated, decoder allocations capped, EXIF orientation applied,
//! and any panic inside a decoder turned into [`ImageError::Corrupt`].

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::error::ImageError;

/// Limits for [`decode_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: u64,
    /// Largest accepted `width × height` declared by the header.
    pub max_pixels: u64,
    /// Largest accepted width or height.
    pub max_side: u32,
}

impl Default for DecodeLimits {
    /// 20 MiB, 40 Mpx, 16384 px a side.
    fn default() -> Self {
        Self {
            max_bytes: 20 << 20,
            max_pixels: 40_000_000,
            max_side: 16_384,
        }
    }
}

/// Decodes JPEG, PNG, GIF (first frame), WebP, BMP or TIFF bytes to 8-bit RGB (alpha dropped,
/// grey expanded), applying the EXIF orientation so that the result is upright.
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, ImageError> {
    decode(bytes, limits, true)
}

/// As [`decode_image`] but ignores the EXIF orientation: the pixels as stored, which is what the
/// original JavaScript package analyses (SPEC.md §15 item 9).
pub fn decode_image_stored_orientation(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<RgbImage, ImageError> {
    decode(bytes, limits, false)
}

fn decode(bytes: &[u8], limits: &DecodeLimits, orient: bool) -> Result<RgbImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(ImageError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    // Decoders should not panic on bad input, but this is the trust boundary.
    std::panic::catch_unwind(|| decode_inner(bytes, limits, orient)).unwrap_or_else(|_| {
        Err(ImageError::Corrupt(
            "the decoder failed on this data".into(),
        ))
    })
}

fn decode_inner(bytes: &[u8], limits: &DecodeLimits, orient: bool) -> Result<RgbImage, ImageError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(ImageError::UnsupportedFormat);
    }
    if reader.format() == Some(image::ImageFormat::Jpeg) && !has_jpeg_eoi(bytes) {
        // zune-jpeg pads a truncated scan with grey and succeeds; a half image is not a photo.
        return Err(ImageError::Corrupt(
            "truncated JPEG (no end-of-image marker)".into(),
        ));
    }
    // 16-bit RGBA is the widest buffer a decoder makes: 8 bytes a pixel, plus slack.
    let mut header_limits = image::Limits::default();
    header_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(1 << 20));
    let mut image_limits = header_limits.clone();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    let mut reader = reader;
    // Only the header is read here; the declared size is checked below, before any pixels.
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels || w > limits.max_side || h > limits.max_side
    {
        return Err(ImageError::TooManyPixels {
            width: w,
            height: h,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        });
    }
    if w == 0 || h == 0 {
        return Err(ImageError::Corrupt("the image has no pixels".into()));
    }
    decoder.set_limits(image_limits).map_err(map_err)?;
    let orientation = if orient {
        decoder.orientation().ok()
    } else {
        None
    };
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_err)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img.to_rgb8())
}

/// Whether JPEG bytes contain an end-of-image marker. `FF D9` cannot occur inside entropy-coded
/// data (an `FF` there is always followed by `00` or a restart marker), so its absence means the
/// file was cut short.
fn has_jpeg_eoi(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn map_err(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Unsupported(u) => match u.kind() {
            image::error::UnsupportedErrorKind::Format(_) => ImageError::UnsupportedFormat,
            _ => ImageError::Corrupt(u.to_string()),
        },
        image::ImageError::Limits(l) => {
            ImageError::Corrupt(format!("over the decoding limits: {l}"))
        }
        other => ImageError::Corrupt(other.to_string()),
    }
}
