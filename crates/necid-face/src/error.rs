//! The engine's two error types: [`EngineError`] for models and inference, [`ImageError`] for
//! decoding untrusted image bytes.

use std::path::PathBuf;

/// Loading models or running them failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A model file is absent.
    #[error("model file {} is missing: run `scripts/fetch-models` (or set NECID_MODELS_DIR to the directory holding the models)", path.display())]
    ModelMissing {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// No models directory could be determined (neither `NECID_MODELS_DIR` nor a home directory).
    #[error("no models directory: set NECID_MODELS_DIR or HOME, then run `scripts/fetch-models`")]
    NoModelsDir,
    /// A model file is present but not what the engine expects.
    #[error("model `{model}` is corrupt ({reason}): run `scripts/fetch-models` to fetch it again")]
    ModelCorrupt {
        /// Model name, e.g. `ssd_mobilenetv1_model`.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// The image is unusable for this operation (e.g. a face crop with no pixels inside it).
    #[error("the face lies outside the image")]
    FaceOutsideImage,
    /// The tensor library failed; a bug rather than bad input.
    #[error("inference failed: {0}")]
    Compute(String),
}

/// Decoding image bytes failed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// No bytes at all.
    #[error("the image is empty (0 bytes)")]
    Empty,
    /// More bytes than [`crate::DecodeLimits::max_bytes`].
    #[error("the image is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The header declares more pixels (or a longer side) than allowed; refused before decoding.
    #[error(
        "the image declares {width}x{height} pixels, over the limit of {max_pixels} pixels or {max_side} px a side"
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Pixel limit.
        max_pixels: u64,
        /// Side limit.
        max_side: u32,
    },
    /// Not one of JPEG, PNG, GIF, WebP, BMP, TIFF.
    #[error("not a supported image format (JPEG, PNG, GIF, WebP, BMP or TIFF)")]
    UnsupportedFormat,
    /// The data is corrupt, truncated or uses an unsupported feature.
    #[error("the image data is corrupt or truncated: {0}")]
    Corrupt(String),
}
