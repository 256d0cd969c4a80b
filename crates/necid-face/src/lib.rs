//! `necid-face`: the face engine of the NEC ID console's local service, in pure Rust: NHWC
//! kernels of its own on the `gemm` matrix product and `rayon` (no tensor framework).
//!
//! It runs the pretrained networks of the npm package `@vladmandic/face-api@1.7.15` (MIT):
//! the SSD MobileNet v1 detector, the 68-point landmark net, the 128-D recognition net, and the
//! age/gender and expression nets, reproducing the package's numbers (see
//! `../shared/face-models/SPEC.md` and the golden tests), and computes the NEC face attributes.
//!
//! # Models
//! `scripts/fetch-models` downloads the package with npm and installs its `model/` files, checked
//! against pinned SHA-256 values, into [`default_models_dir`]: `$NECID_MODELS_DIR` if set, else
//! `${XDG_DATA_HOME:-$HOME/.local/share}/necid/models`. A missing file gives
//! [`EngineError::ModelMissing`] naming the file and the command.
//!
//! # Use
//! ```no_run
//! use necid_face::{decode_image, DecodeLimits, FaceEngine};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = FaceEngine::load_default()?;               // Send + Sync: share it in an Arc
//! let image = decode_image(&std::fs::read("a.jpg")?, &DecodeLimits::default())?;
//! let faces = engine.detect(&image)?;                     // ≤ 20, largest first
//! if let Some(face) = faces.first() {
//!     let d = engine.descriptor(&image, face)?;
//!     let score = engine.compare(&d, &d);                 // MatchScore(0..=9999)
//!     println!("{:?} {:?}", face.attributes, score);
//! }
//! # Ok(()) }
//! ```
//!
//! # The pipeline
//! Detection runs SSD on the image padded to a square at 512×512 (minimum confidence 0.5).
//! When it finds nothing, it runs again on the image centred on a black square canvas 2×, then
//! 1.5×, then 3× its longer side ([`DetectOptions::retry_on_canvas`]): in tight passport-style
//! crops the face fills the frame, beyond the detector's largest anchors, and shrinking it into
//! the canvas brings it back into range (174 of 174 `testdata/faces` images then give one face,
//! against 105 without). Boxes are mapped back to the image and clipped. Landmarks, descriptors,
//! expressions and age/gender then use the package's crop rules (SPEC.md §11).
//!
//! The NEC attributes and their formulas are documented on [`FaceAttributes`]. The match score
//! ([`compare`], [`score_for_distance`]) is `round(9999·σ((c − d)/0.08))` of the Euclidean
//! descriptor distance `d`, with `c` placing 7000 at `d = DISTANCE_AT_7000` (0.565), calibrated on
//! every pair of `testdata/faces`: at 7000, 0.069 % of impostor pairs and 98.7 % of genuine pairs
//! are accepted. Measurements and timings are in `docs/face-engine.md`.
//!
//! # Threads
//! Every call is synchronous and CPU-bound; the engine is `Send + Sync`, so one instance serves
//! any number of threads (run it under `spawn_blocking` in async code). Inside a call, the nets'
//! matrix products and depthwise kernels use rayon's threads (with several faces, one face per
//! thread instead); `RAYON_NUM_THREADS` bounds them.

mod age_gender;
mod attributes;
mod decode;
mod engine;
mod error;
mod expression;
mod extractor;
mod landmarks;
mod matching;
mod ops;
mod preprocess;
mod recognition;
mod ssd;
mod weights;

use std::path::PathBuf;

pub use attributes::{FaceAttributes, IPoint, Rect};
pub use decode::{DecodeLimits, decode_image, decode_image_stored_orientation};
pub use engine::{
    AgeGender, BoundingBox, BoxDetection, DetectOptions, Expressions, Face, FaceEngine, Gender,
    Point, StageMacs,
};
pub use error::{EngineError, ImageError};
pub use matching::{DISTANCE_AT_7000, Descriptor, MatchScore, compare, score_for_distance};
pub use preprocess::CropRect;

/// The npm package whose `model/` files are the models (`scripts/fetch-models` and the console's
/// first run fetch it).
pub const MODELS_PACKAGE: &str = "@vladmandic/face-api@1.7.15";

/// The pinned SHA-256 of every file fetched from [`MODELS_PACKAGE`], as `sha256sum` lines
/// (`<hex>  <file>`; the demo photos under `demo/`). The one source of truth: `scripts/fetch-models`
/// checks against this file, and the console's first run against this text.
pub const MODEL_PINS: &str = include_str!("../models.sha256");

/// Where the models live: `$NECID_MODELS_DIR` if set and non-empty, else
/// `${XDG_DATA_HOME:-$HOME/.local/share}/necid/models`. `None` only when no home is known.
pub fn default_models_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("NECID_MODELS_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/share")))?;
    Some(data.join("necid").join("models"))
}
