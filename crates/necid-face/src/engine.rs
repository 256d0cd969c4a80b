//! [`FaceEngine`]: loads the five nets and runs the package's pipeline (SPEC.md §11) on decoded
//! images. Model code lives in one file per net; this module owns the crop rules and the glue.

use std::path::Path;

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::age_gender::AgeGenderNet;
use crate::attributes::{self, FaceAttributes};
use crate::error::EngineError;
use crate::expression::ExpressionNet;
use crate::landmarks::{self, LandmarkNet};
use crate::matching::{self, Descriptor, MatchScore};
use crate::ops;
use crate::preprocess::{CropRect, FACE_MEAN, Norm, to_input};
use crate::recognition::{self, RecognitionNet};
use crate::ssd::{self, Ssd};
use crate::weights;

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Column.
    pub x: f64,
    /// Row.
    pub y: f64,
}

/// A detector box in image pixels (f64, as the package computes it; it may extend past the
/// image, crops clip it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl BoundingBox {
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.width
    }
    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }
    /// Intersection over union with `other`.
    pub fn iou(&self, other: &BoundingBox) -> f64 {
        let iw = (self.right().min(other.right()) - self.x.max(other.x)).max(0.0);
        let ih = (self.bottom().min(other.bottom()) - self.y.max(other.y)).max(0.0);
        let inter = iw * ih;
        let union = self.width * self.height + other.width * other.height - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }
}

/// One detected face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// Detector box.
    pub bbox: BoundingBox,
    /// Detector confidence, 0..1.
    pub score: f32,
    /// The 68 iBUG landmarks in image pixels.
    pub landmarks: Vec<Point>,
    /// The NEC attributes.
    pub attributes: FaceAttributes,
}

impl Face {
    /// The crop fed to the landmark net: the box clipped to the image, floored (SPEC.md §11.1).
    pub fn landmark_crop(&self, img_w: u32, img_h: u32) -> Option<CropRect> {
        let b = &self.bbox;
        CropRect::from_box(b.x, b.y, b.width, b.height, img_w, img_h)
    }

    /// The crop fed to the expression and age/gender nets: the landmarks' bounding box grown by
    /// 20 % (SPEC.md §11.2).
    pub fn aligned_crop(&self, img_w: u32, img_h: u32) -> Option<CropRect> {
        if self.landmarks.is_empty() {
            return None;
        }
        let min_x = self
            .landmarks
            .iter()
            .map(|p| p.x)
            .fold(f64::INFINITY, f64::min);
        let min_y = self
            .landmarks
            .iter()
            .map(|p| p.y)
            .fold(f64::INFINITY, f64::min);
        let max_x = self.landmarks.iter().map(|p| p.x).fold(0.0, f64::max);
        let max_y = self.landmarks.iter().map(|p| p.y).fold(0.0, f64::max);
        let (bw, bh) = (max_x - min_x, max_y - min_y);
        let (w, h) = (f64::from(img_w), f64::from(img_h));
        // The package round-trips through relative coordinates.
        let x = (min_x - 0.1 * bw) / w * w;
        let y = (min_y - 0.1 * bh) / h * h;
        let rw = (1.2 * bw) / w * w;
        let rh = (1.2 * bh) / h * h;
        CropRect::from_box(x, y, rw, rh, img_w, img_h)
    }

    /// The crop fed to the recognition net: dlib's alignment rectangle from the eyes and mouth
    /// (SPEC.md §11.3), axis-aligned.
    pub fn descriptor_crop(&self, img_w: u32, img_h: u32) -> Option<CropRect> {
        if self.landmarks.len() < 68 {
            return None;
        }
        let lc = self.landmark_crop(img_w, img_h)?;
        let mean = |r: std::ops::Range<usize>| {
            let n = r.len() as f64;
            let (sx, sy) = self.landmarks[r]
                .iter()
                .fold((0.0, 0.0), |(a, b), p| (a + p.x, b + p.y));
            (sx / n, sy / n)
        };
        let (le, re, mo) = (mean(36..42), mean(42..48), mean(48..68));
        let dist =
            |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let d = (dist(mo, le) + dist(mo, re)) / 2.0;
        let size = (d / 0.45).floor();
        let rx = (le.0 + re.0 + mo.0) / 3.0;
        let ry = (le.1 + re.1 + mo.1) / 3.0;
        let x = (rx - 0.5 * size).max(0.0).floor();
        let y = (ry - 0.43 * size).max(0.0).floor();
        let w = size.min(f64::from(lc.width) + x);
        let h = size.min(f64::from(lc.height) + y);
        CropRect::from_box(x, y, w, h, img_w, img_h)
    }
}

/// A detector result before landmarks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoxDetection {
    /// Box in image pixels.
    pub bbox: BoundingBox,
    /// Confidence.
    pub score: f32,
}

/// Detection settings; [`Default`] is what [`FaceEngine::detect`] uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectOptions {
    /// SSD minimum confidence (strict), default 0.5 as in the package.
    pub min_confidence: f32,
    /// At most this many faces are returned (default 20).
    pub max_faces: usize,
    /// Detect again on a 2× canvas when the first pass finds nothing (default true).
    pub retry_on_canvas: bool,
    /// Largest box first (default true); false keeps the detector's descending-score order.
    pub largest_first: bool,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            max_faces: 20,
            retry_on_canvas: true,
            largest_first: true,
        }
    }
}

/// Gender as the age/gender net reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// `p_male > 0.5`.
    Male,
    /// Otherwise.
    Female,
}

/// Age and gender of a face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AgeGender {
    /// Years (an unclamped regression).
    pub age: f32,
    /// The more probable gender.
    pub gender: Gender,
    /// Probability of `gender`, 0.5..1.
    pub gender_probability: f32,
}

/// Expression probabilities (softmax, summing to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Expressions {
    pub neutral: f32,
    pub happy: f32,
    pub sad: f32,
    pub angry: f32,
    pub fearful: f32,
    pub disgusted: f32,
    pub surprised: f32,
}

impl Expressions {
    /// `(name, probability)` in the package's order.
    pub fn as_pairs(&self) -> [(&'static str, f32); 7] {
        [
            ("neutral", self.neutral),
            ("happy", self.happy),
            ("sad", self.sad),
            ("angry", self.angry),
            ("fearful", self.fearful),
            ("disgusted", self.disgusted),
            ("surprised", self.surprised),
        ]
    }
}

/// Multiply-adds of one forward pass of each net.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct StageMacs {
    pub detect: u64,
    pub landmarks: u64,
    pub descriptor: u64,
    pub age_gender: u64,
    pub expression: u64,
}

/// The loaded nets. `Send + Sync`: one engine serves many threads at once.
#[derive(Debug)]
pub struct FaceEngine {
    ssd: Ssd,
    landmarks: LandmarkNet,
    recognition: RecognitionNet,
    age_gender: AgeGenderNet,
    expression: ExpressionNet,
}

const FACE_NORM: Norm = Norm::Mean(FACE_MEAN);

/// Canvas sizes (× the image's longer side) tried in turn when a pass finds no face.
const CANVAS_SCALES: &[f64] = &[2.0, 1.5, 3.0];
/// Largest canvas side built for the retry, in pixels (SSD resizes it to 512 anyway).
const MAX_CANVAS_SIDE: f64 = 2048.0;

impl FaceEngine {
    /// Loads every model from `models_dir` (see [`crate::default_models_dir`]).
    pub fn load(models_dir: impl AsRef<Path>) -> Result<Self, EngineError> {
        let dir = models_dir.as_ref();
        Ok(Self {
            ssd: Ssd::new(&weights::load(dir, "ssd_mobilenetv1_model")?)?,
            landmarks: LandmarkNet::new(&weights::load(dir, "face_landmark_68_model")?)?,
            recognition: RecognitionNet::new(&weights::load(dir, "face_recognition_model")?)?,
            age_gender: AgeGenderNet::new(&weights::load(dir, "age_gender_model")?)?,
            expression: ExpressionNet::new(&weights::load(dir, "face_expression_model")?)?,
        })
    }

    /// Loads from [`crate::default_models_dir`].
    pub fn load_default() -> Result<Self, EngineError> {
        Self::load(crate::default_models_dir().ok_or(EngineError::NoModelsDir)?)
    }

    /// Multiply-adds per forward pass of each net.
    pub fn macs(&self) -> StageMacs {
        StageMacs {
            detect: self.ssd.macs(),
            landmarks: self.landmarks.macs(),
            descriptor: self.recognition.macs(),
            age_gender: self.age_gender.macs(),
            expression: self.expression.macs(),
        }
    }

    /// Faces with landmarks and NEC attributes, at most 20, largest first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        self.detect_with(image, &DetectOptions::default())
    }

    /// [`FaceEngine::detect`] with explicit options.
    pub fn detect_with(
        &self,
        image: &RgbImage,
        options: &DetectOptions,
    ) -> Result<Vec<Face>, EngineError> {
        let boxes = self.detect_boxes(image, options)?;
        self.faces_from_boxes(image, &boxes)
    }

    /// [`FaceEngine::face_from_box`] for each box, in parallel; boxes whose crop is empty are
    /// left out.
    pub fn faces_from_boxes(
        &self,
        image: &RgbImage,
        boxes: &[BoxDetection],
    ) -> Result<Vec<Face>, EngineError> {
        let faces = per_face(boxes, |b| self.face_from_box(image, b))?;
        Ok(faces.into_iter().flatten().collect())
    }

    /// The detector alone: boxes and scores, ordered and limited by `options`.
    pub fn detect_boxes(
        &self,
        image: &RgbImage,
        options: &DetectOptions,
    ) -> Result<Vec<BoxDetection>, EngineError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let mut found = self.run_ssd(image, options.min_confidence)?;
        if options.retry_on_canvas {
            for &scale in CANVAS_SCALES {
                if !found.is_empty() {
                    break;
                }
                found = self.detect_on_canvas(image, options.min_confidence, scale)?;
            }
        }
        if options.largest_first {
            // Stable: equal areas keep the score order.
            found.sort_by(|a, b| {
                (b.bbox.width * b.bbox.height).total_cmp(&(a.bbox.width * a.bbox.height))
            });
        }
        found.truncate(options.max_faces);
        Ok(found)
    }

    fn run_ssd(
        &self,
        image: &RgbImage,
        min_confidence: f32,
    ) -> Result<Vec<BoxDetection>, EngineError> {
        let input = to_input(
            image,
            CropRect::full(image),
            ssd::INPUT_SIZE,
            false,
            Norm::Ssd,
        );
        let raw = ops::run_net(|| self.ssd.forward(&input))?;
        Ok(
            ssd::postprocess(&raw, min_confidence, 100, image.width(), image.height())
                .into_iter()
                .map(|d| BoxDetection {
                    bbox: BoundingBox {
                        x: d.x,
                        y: d.y,
                        width: d.w,
                        height: d.h,
                    },
                    score: d.score,
                })
                .collect(),
        )
    }

    /// The tight-crop fix: the image centred on a black square canvas `scale` times its longer
    /// side, detected, and the boxes mapped back and clipped to the image.
    fn detect_on_canvas(
        &self,
        image: &RgbImage,
        min_confidence: f32,
        scale: f64,
    ) -> Result<Vec<BoxDetection>, EngineError> {
        let (w, h) = image.dimensions();
        // SSD sees 512×512 whatever the canvas: shrink a large image first so that the canvas
        // stays small (a 16k-pixel image must not allocate a 48k-pixel canvas).
        let long = f64::from(w.max(h));
        let shrink = (MAX_CANVAS_SIDE / (scale * long)).min(1.0);
        let small;
        let src = if shrink < 1.0 {
            let sw = ((f64::from(w) * shrink).round() as u32).max(1);
            let sh = ((f64::from(h) * shrink).round() as u32).max(1);
            small = image::imageops::resize(image, sw, sh, image::imageops::FilterType::Triangle);
            &small
        } else {
            image
        };
        let (iw, ih) = src.dimensions();
        let side = (scale * f64::from(iw.max(ih))).round() as u32;
        let (ox, oy) = ((side - iw) / 2, (side - ih) / 2);
        let mut canvas = RgbImage::new(side, side);
        image::imageops::replace(&mut canvas, src, i64::from(ox), i64::from(oy));
        let (fw, fh) = (f64::from(w), f64::from(h));
        // Canvas pixels → original image pixels.
        let (kx, ky) = (fw / f64::from(iw), fh / f64::from(ih));
        Ok(self
            .run_ssd(&canvas, min_confidence)?
            .into_iter()
            .filter_map(|d| {
                let x0 = ((d.bbox.x - f64::from(ox)) * kx).max(0.0);
                let y0 = ((d.bbox.y - f64::from(oy)) * ky).max(0.0);
                let x1 = ((d.bbox.right() - f64::from(ox)) * kx).min(fw);
                let y1 = ((d.bbox.bottom() - f64::from(oy)) * ky).min(fh);
                (x1 - x0 >= 1.0 && y1 - y0 >= 1.0).then_some(BoxDetection {
                    bbox: BoundingBox {
                        x: x0,
                        y: y0,
                        width: x1 - x0,
                        height: y1 - y0,
                    },
                    score: d.score,
                })
            })
            .collect())
    }

    /// Landmarks and attributes for one detector box; `None` if its crop is empty.
    pub fn face_from_box(
        &self,
        image: &RgbImage,
        det: &BoxDetection,
    ) -> Result<Option<Face>, EngineError> {
        let b = det.bbox;
        let Some(crop) =
            CropRect::from_box(b.x, b.y, b.width, b.height, image.width(), image.height())
        else {
            return Ok(None);
        };
        let landmarks = self.landmarks_in_crop(image, crop, (b.x, b.y))?;
        let attributes = attributes::compute(image, &b, det.score, &landmarks);
        Ok(Some(Face {
            bbox: b,
            score: det.score,
            landmarks,
            attributes,
        }))
    }

    /// The landmark net on `crop`; points are returned in image pixels as crop-relative output ×
    /// crop size + `origin` (the package adds the unfloored box origin, SPEC.md §7).
    pub fn landmarks_in_crop(
        &self,
        image: &RgbImage,
        crop: CropRect,
        origin: (f64, f64),
    ) -> Result<Vec<Point>, EngineError> {
        check_crop(image, crop)?;
        let input = to_input(image, crop, landmarks::INPUT_SIZE, true, FACE_NORM);
        let rel = ops::run_net(|| self.landmarks.forward(&input, crop.width, crop.height))?;
        let (w, h) = (f64::from(crop.width), f64::from(crop.height));
        Ok(rel
            .iter()
            .map(|p| Point {
                x: p[0] * w + origin.0,
                y: p[1] * h + origin.1,
            })
            .collect())
    }

    /// The descriptor of a detected face.
    pub fn descriptor(&self, image: &RgbImage, face: &Face) -> Result<Descriptor, EngineError> {
        let crop = face
            .descriptor_crop(image.width(), image.height())
            .ok_or(EngineError::FaceOutsideImage)?;
        self.descriptor_of_crop(image, crop)
    }

    /// Descriptors of several faces of one image, computed in parallel.
    pub fn descriptors(
        &self,
        image: &RgbImage,
        faces: &[Face],
    ) -> Result<Vec<Descriptor>, EngineError> {
        per_face(faces, |f| self.descriptor(image, f))
    }

    /// The recognition net on an explicit crop (e.g. a pre-aligned chip).
    pub fn descriptor_of_crop(
        &self,
        image: &RgbImage,
        crop: CropRect,
    ) -> Result<Descriptor, EngineError> {
        check_crop(image, crop)?;
        let input = to_input(image, crop, recognition::INPUT_SIZE, true, FACE_NORM);
        let v = ops::run_net(|| self.recognition.forward(&input))?;
        let arr: [f32; 128] = v.try_into().map_err(|_| {
            EngineError::Compute("the recognition net did not give 128 values".into())
        })?;
        Ok(Descriptor(arr))
    }

    /// Age and gender of a detected face.
    pub fn age_gender(&self, image: &RgbImage, face: &Face) -> Result<AgeGender, EngineError> {
        let crop = face
            .aligned_crop(image.width(), image.height())
            .ok_or(EngineError::FaceOutsideImage)?;
        self.age_gender_of_crop(image, crop)
    }

    /// The age/gender net on an explicit crop.
    pub fn age_gender_of_crop(
        &self,
        image: &RgbImage,
        crop: CropRect,
    ) -> Result<AgeGender, EngineError> {
        check_crop(image, crop)?;
        let input = to_input(image, crop, 112, true, FACE_NORM);
        let (age, p_male) = ops::run_net(|| self.age_gender.forward(&input))?;
        let male = p_male > 0.5;
        Ok(AgeGender {
            age,
            gender: if male { Gender::Male } else { Gender::Female },
            gender_probability: if male { p_male } else { 1.0 - p_male },
        })
    }

    /// Expression probabilities of a detected face.
    pub fn expressions(&self, image: &RgbImage, face: &Face) -> Result<Expressions, EngineError> {
        let crop = face
            .aligned_crop(image.width(), image.height())
            .ok_or(EngineError::FaceOutsideImage)?;
        self.expressions_of_crop(image, crop)
    }

    /// The expression net on an explicit crop.
    pub fn expressions_of_crop(
        &self,
        image: &RgbImage,
        crop: CropRect,
    ) -> Result<Expressions, EngineError> {
        check_crop(image, crop)?;
        let input = to_input(image, crop, 112, true, FACE_NORM);
        let p = ops::run_net(|| self.expression.forward(&input))?;
        let g = |i: usize| p.get(i).copied().unwrap_or(0.0);
        Ok(Expressions {
            neutral: g(0),
            happy: g(1),
            sad: g(2),
            angry: g(3),
            fearful: g(4),
            disgusted: g(5),
            surprised: g(6),
        })
    }

    /// The match score of two descriptors (same as [`crate::compare`]).
    pub fn compare(&self, a: &Descriptor, b: &Descriptor) -> MatchScore {
        matching::compare(a, b)
    }
}

/// `work` on each face: one face uses every thread inside its nets' layers; several faces go one
/// per thread, each net kept on its thread ([`ops::serial`]), which splits the work better than
/// the small layers of a face net do.
fn per_face<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> Result<R, EngineError> + Sync,
) -> Result<Vec<R>, EngineError> {
    if items.len() <= 1 {
        items.iter().map(work).collect()
    } else {
        items
            .par_iter()
            .map(|item| ops::serial(|| work(item)))
            .collect()
    }
}

fn check_crop(image: &RgbImage, c: CropRect) -> Result<(), EngineError> {
    let ok = c.width > 0
        && c.height > 0
        && u64::from(c.x) + u64::from(c.width) <= u64::from(image.width())
        && u64::from(c.y) + u64::from(c.height) <= u64::from(image.height());
    if ok {
        Ok(())
    } else {
        Err(EngineError::FaceOutsideImage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn the_engine_can_be_shared_between_threads() {
        assert_send_sync::<FaceEngine>();
    }
}
