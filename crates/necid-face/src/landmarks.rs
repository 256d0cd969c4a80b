//! The 68-point landmark net (`face_landmark_68_model`, SPEC.md §7): the dense feature extractor
//! plus one fully connected layer giving 68 interleaved `(x, y)` in the padded 112×112 input's
//! normalised frame. Input: the landmark crop, centred-padded, bilinear to 112, `(x − mean)/255`.

use crate::error::EngineError;
use crate::extractor::FeatureExtractor;
use crate::ops::{Dense, Fm};
use crate::weights::WeightMap;

pub(crate) const INPUT_SIZE: usize = 112;

#[derive(Debug)]
pub(crate) struct LandmarkNet {
    features: FeatureExtractor,
    fc: Dense,
}

impl LandmarkNet {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        Ok(Self {
            features: FeatureExtractor::new(wm)?,
            fc: Dense::new(
                wm.get("fc/weights", &[256, 136])?,
                Some(wm.get("fc/bias", &[136])?),
            ),
        })
    }

    pub fn macs(&self) -> u64 {
        self.features.macs() + 256 * 136
    }

    /// 68 points relative to a `crop_w × crop_h` crop (0..1 inside it), undoing the centred
    /// padding the way the package does (symmetric `|w−h|/2`, SPEC.md §7 step 3 and §15 item 2).
    pub fn forward(
        &self,
        input: &Fm,
        crop_w: u32,
        crop_h: u32,
    ) -> Result<Vec<[f64; 2]>, EngineError> {
        let o = self.fc.forward(&self.features.forward(input)?); // [136]
        let (w, h) = (f64::from(crop_w), f64::from(crop_h));
        let size = INPUT_SIZE as f64;
        let s = size / w.max(h);
        let (sw, sh) = (w * s, h * s);
        let px = if sw < sh { (sh - sw) / 2.0 } else { 0.0 };
        let py = if sh < sw { (sw - sh) / 2.0 } else { 0.0 };
        Ok(o.chunks_exact(2)
            .map(|p| {
                [
                    (f64::from(p[0]) * size - px) / sw,
                    (f64::from(p[1]) * size - py) / sh,
                ]
            })
            .collect())
    }
}
