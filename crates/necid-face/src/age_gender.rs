//! The age/gender net (`age_gender_model`, SPEC.md §9): a TinyXception with two middle blocks,
//! then a linear age regression (years, unclamped) and a 2-way gender softmax (`[male, female]`).
//! Input: the aligned crop, centred-padded, bilinear to 112, `(x − mean)/255`.

use crate::error::EngineError;
use crate::ops::{Act, Conv, Dense, Fm, Pad, SepConv, max_pool, softmax};
use crate::weights::WeightMap;

#[derive(Debug)]
struct Reduction {
    sep0: SepConv,
    sep1: SepConv,
    expansion: Conv,
    act_in: bool,
}

impl Reduction {
    fn load(wm: &WeightMap, p: &str, act_in: bool) -> Result<Self, EngineError> {
        Ok(Self {
            sep0: SepConv::load(wm, &format!("{p}/separable_conv0"), 1)?,
            sep1: SepConv::load(wm, &format!("{p}/separable_conv1"), 1)?,
            expansion: Conv::load(
                wm,
                &format!("{p}/expansion_conv/filters"),
                &format!("{p}/expansion_conv/bias"),
                2,
                Pad::Same,
            )?,
            act_in,
        })
    }

    fn macs(&self, s: usize) -> u64 {
        self.sep0.macs(s, s) + self.sep1.macs(s, s) + self.expansion.macs(s, s)
    }

    fn forward(&self, x: &Fm) -> Result<Fm, EngineError> {
        let a = if self.act_in {
            x.clone().relu()
        } else {
            x.clone()
        };
        let a = self.sep1.forward(&self.sep0.forward(&a)?.relu())?;
        let a = max_pool(&a, 3, 2, Pad::Same);
        Ok(a.add(&self.expansion.forward(x)?))
    }
}

#[derive(Debug)]
pub(crate) struct AgeGenderNet {
    conv_in: Conv,
    red0: Reduction,
    red1: Reduction,
    middle: Vec<[SepConv; 3]>,
    exit_red: Reduction,
    exit_sep: SepConv,
    age: Dense,
    gender: Dense,
}

impl AgeGenderNet {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        let middle = (0..2)
            .map(|b| {
                let p = format!("middle_flow/main_block_{b}");
                Ok([
                    SepConv::load(wm, &format!("{p}/separable_conv0"), 1)?,
                    SepConv::load(wm, &format!("{p}/separable_conv1"), 1)?,
                    SepConv::load(wm, &format!("{p}/separable_conv2"), 1)?,
                ])
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Self {
            conv_in: Conv::load(
                wm,
                "entry_flow/conv_in/filters",
                "entry_flow/conv_in/bias",
                2,
                Pad::Same,
            )?,
            red0: Reduction::load(wm, "entry_flow/reduction_block_0", false)?,
            red1: Reduction::load(wm, "entry_flow/reduction_block_1", true)?,
            middle,
            exit_red: Reduction::load(wm, "exit_flow/reduction_block", true)?,
            exit_sep: SepConv::load(wm, "exit_flow/separable_conv", 1)?,
            age: Dense::new(
                wm.get("fc/age/weights", &[512, 1])?,
                Some(wm.get("fc/age/bias", &[1])?),
            ),
            gender: Dense::new(
                wm.get("fc/gender/weights", &[512, 2])?,
                Some(wm.get("fc/gender/bias", &[2])?),
            ),
        })
    }

    pub fn macs(&self) -> u64 {
        let mid: u64 = self.middle.iter().flatten().map(|s| s.macs(14, 14)).sum();
        self.conv_in.macs(112, 112)
            + self.red0.macs(56)
            + self.red1.macs(28)
            + mid
            + self.exit_red.macs(14)
            + self.exit_sep.macs(7, 7)
            + 512 * 3
    }

    /// `(age, p_male)`.
    pub fn forward(&self, input: &Fm) -> Result<(f32, f32), EngineError> {
        let x = self.conv_in.forward_act(input, Act::Relu)?; // 56×56×32
        let x = self.red0.forward(&x)?; // 28×28×64
        let mut x = self.red1.forward(&x)?; // 14×14×128
        for [s0, s1, s2] in &self.middle {
            let y = s0.forward(&x.clone().relu())?;
            let y = s1.forward(&y.relu())?;
            let y = s2.forward(&y.relu())?;
            x = x.add(&y);
        }
        let x = self.exit_red.forward(&x)?; // 7×7×256
        let x = self.exit_sep.forward_act(&x, Act::Relu)?; // 7×7×512
        let v = x.spatial_mean(); // 512
        let age = self.age.forward(&v)[0];
        let g = softmax(&self.gender.forward(&v));
        Ok((age, g[0]))
    }
}
