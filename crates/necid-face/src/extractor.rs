//! The dense-block feature extractor shared (with separate weights) by the 68-point landmark net
//! and the expression net (SPEC.md §6). Input 112×112×3, `(x − mean)/255`; output a 256-vector.

use crate::error::EngineError;
use crate::ops::{Conv, Fm, Pad, SepConv};
use crate::weights::WeightMap;

#[derive(Debug)]
enum First {
    Conv(Conv),
    Sep(SepConv),
}

#[derive(Debug)]
struct DenseBlock {
    conv0: First,
    conv1: SepConv,
    conv2: SepConv,
    conv3: SepConv,
}

impl DenseBlock {
    fn load(wm: &WeightMap, j: usize) -> Result<Self, EngineError> {
        let p = format!("dense{j}");
        let conv0 = if j == 0 {
            First::Conv(Conv::load(
                wm,
                "dense0/conv0/filters",
                "dense0/conv0/bias",
                2,
                Pad::Same,
            )?)
        } else {
            First::Sep(SepConv::load(wm, &format!("{p}/conv0"), 2)?)
        };
        Ok(Self {
            conv0,
            conv1: SepConv::load(wm, &format!("{p}/conv1"), 1)?,
            conv2: SepConv::load(wm, &format!("{p}/conv2"), 1)?,
            conv3: SepConv::load(wm, &format!("{p}/conv3"), 1)?,
        })
    }

    fn macs(&self, s: usize) -> u64 {
        let o = s.div_ceil(2);
        let first = match &self.conv0 {
            First::Conv(c) => c.macs(s, s),
            First::Sep(c) => c.macs(s, s),
        };
        first + self.conv1.macs(o, o) + self.conv2.macs(o, o) + self.conv3.macs(o, o)
    }

    fn forward(&self, x: &Fm) -> Result<Fm, EngineError> {
        let out1 = match &self.conv0 {
            First::Conv(c) => c.forward(x)?,
            First::Sep(c) => c.forward(x)?,
        }
        .relu();
        let out2 = self.conv1.forward(&out1)?;
        let s12 = out1.clone().add(&out2);
        let out3 = self.conv2.forward(&s12.clone().relu())?;
        let s123 = s12.add(&out3);
        let out4 = self.conv3.forward(&s123.clone().relu())?;
        Ok(s123.add(&out4).relu())
    }
}

/// Four dense blocks, 112 → 7, then the 7×7 mean.
#[derive(Debug)]
pub(crate) struct FeatureExtractor {
    blocks: Vec<DenseBlock>,
}

impl FeatureExtractor {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        Ok(Self {
            blocks: (0..4)
                .map(|j| DenseBlock::load(wm, j))
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn macs(&self) -> u64 {
        let mut s = 112;
        let mut total = 0;
        for b in &self.blocks {
            total += b.macs(s);
            s = s.div_ceil(2);
        }
        total
    }

    /// `112×112×3` → 256 features.
    pub fn forward(&self, input: &Fm) -> Result<Vec<f32>, EngineError> {
        let mut x = self.blocks[0].forward(input)?; // 56×56×32
        for b in &self.blocks[1..] {
            x = b.forward(&x)?; // 28×28×64, 14×14×128, 7×7×256
        }
        Ok(x.spatial_mean()) // avg-pool 7×7 'valid' = the mean
    }
}
