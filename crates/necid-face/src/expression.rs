//! The expression net (`face_expression_model`, SPEC.md §8): the dense feature extractor with
//! its own weights, one fully connected layer and a softmax over seven classes, in the order
//! neutral, happy, sad, angry, fearful, disgusted, surprised. Input: the aligned crop, centred-
//! padded, bilinear to 112, `(x − mean)/255`.

use crate::error::EngineError;
use crate::extractor::FeatureExtractor;
use crate::ops::{Dense, Fm, softmax};
use crate::weights::WeightMap;

#[derive(Debug)]
pub(crate) struct ExpressionNet {
    features: FeatureExtractor,
    fc: Dense,
}

impl ExpressionNet {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        Ok(Self {
            features: FeatureExtractor::new(wm)?,
            fc: Dense::new(
                wm.get("fc/weights", &[256, 7])?,
                Some(wm.get("fc/bias", &[7])?),
            ),
        })
    }

    pub fn macs(&self) -> u64 {
        self.features.macs() + 256 * 7
    }

    /// Seven probabilities.
    pub fn forward(&self, input: &Fm) -> Result<Vec<f32>, EngineError> {
        Ok(softmax(&self.fc.forward(&self.features.forward(input)?)))
    }
}
