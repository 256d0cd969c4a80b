//! Images sent as faces and probes.
//!
//! The API takes images as base64 strings. Checking an image before it is sent (it decodes, it is
//! not absurdly large) turns a round trip and a terse server error into an immediate message that
//! names the file and the problem.

use base64::Engine as _;
use image::{ImageFormat, ImageReader, Limits};
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
    /// 10 MiB and 40 megapixels: larger than any camera photo a person would enrol, far below
    /// what a decompression bomb claims.
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
        }
    }
}

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
}

/// A checked image, ready to send as `face`, `faces` or `probe`.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceImage {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    format: ImageFormat,
}

impl fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FaceImage({:?} {}x{}, {} bytes)",
            self.format,
            self.width,
            self.height,
            self.bytes.len()
        )
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
        let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
        let mut decode_limits = Limits::default();
        decode_limits.max_image_width = Some(width);
        decode_limits.max_image_height = Some(height);
        decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(16));
        reader.limits(decode_limits);
        reader
            .decode()
            .map_err(|e| ImageError::Undecodable(e.to_string()))?;
        Ok(Self {
            bytes,
            width,
            height,
            format,
        })
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
}
