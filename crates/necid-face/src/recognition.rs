//! The recognition net (`face_recognition_model`, SPEC.md §10): a dlib-style ResNet-29 giving an
//! unnormalised 128-D descriptor compared by Euclidean distance. Input: the dlib-aligned crop,
//! centred-padded, bilinear to 150, `(x − mean)/255`. The affine "scale" layers are folded into
//! the convolutions.

use crate::error::EngineError;
use crate::ops::{Act, Conv, Dense, Fm, Pad, avg_pool2, max_pool};
use crate::weights::WeightMap;

pub(crate) const INPUT_SIZE: usize = 150;

fn conv_layer(wm: &WeightMap, p: &str, stride: usize, pad: Pad) -> Result<Conv, EngineError> {
    Conv::from_parts(
        wm.any(&format!("{p}/conv/filters"))?,
        Some(wm.any(&format!("{p}/conv/bias"))?),
        Some((
            wm.any(&format!("{p}/scale/weights"))?,
            wm.any(&format!("{p}/scale/biases"))?,
        )),
        stride,
        pad,
    )
}

#[derive(Debug)]
struct Residual {
    conv1: Conv,
    conv2: Conv,
    down: bool,
}

impl Residual {
    fn load(wm: &WeightMap, p: &str, down: bool) -> Result<Self, EngineError> {
        let (s, pad) = if down {
            (2, Pad::Valid)
        } else {
            (1, Pad::Same)
        };
        Ok(Self {
            conv1: conv_layer(wm, &format!("{p}/conv1"), s, pad)?,
            conv2: conv_layer(wm, &format!("{p}/conv2"), 1, Pad::Same)?,
            down,
        })
    }

    fn macs(&self, s: usize) -> u64 {
        let o = if self.down { (s - 3) / 2 + 1 } else { s };
        self.conv1.macs(s, s) + self.conv2.macs(o, o)
    }

    fn forward(&self, x: &Fm) -> Result<Fm, EngineError> {
        let y = self.conv2.forward(&self.conv1.forward_act(x, Act::Relu)?)?;
        if !self.down {
            return Ok(y.add(x).relu());
        }
        let mut sc = avg_pool2(x);
        if sc.c != y.c {
            // Zero-pad the channels: [sc, zeros].
            let mut d = Vec::with_capacity(sc.h * sc.w * y.c);
            for px in sc.data.chunks_exact(sc.c) {
                d.extend_from_slice(px);
                d.extend(std::iter::repeat_n(0.0, y.c - sc.c));
            }
            sc = Fm {
                h: sc.h,
                w: sc.w,
                c: y.c,
                data: d,
            };
        }
        let y = if y.h != sc.h {
            // Zero-pad y by one row at the bottom and one column at the right.
            let mut p = Fm::zeros(sc.h, sc.w, y.c);
            for r in 0..y.h {
                let src = &y.data[r * y.w * y.c..(r + 1) * y.w * y.c];
                p.data[r * p.w * p.c..r * p.w * p.c + src.len()].copy_from_slice(src);
            }
            p
        } else {
            y
        };
        Ok(sc.add(&y).relu())
    }
}

#[derive(Debug)]
pub(crate) struct RecognitionNet {
    conv_in: Conv,
    blocks: Vec<Residual>,
    fc: Dense,
}

impl RecognitionNet {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        let names: [(&str, bool); 12] = [
            ("conv32_1", false),
            ("conv32_2", false),
            ("conv32_3", false),
            ("conv64_down", true),
            ("conv64_1", false),
            ("conv64_2", false),
            ("conv64_3", false),
            ("conv128_down", true),
            ("conv128_1", false),
            ("conv128_2", false),
            ("conv256_down", true),
            ("conv256_1", false),
        ];
        let mut blocks = names
            .iter()
            .map(|(n, d)| Residual::load(wm, n, *d))
            .collect::<Result<Vec<_>, _>>()?;
        blocks.push(Residual::load(wm, "conv256_2", false)?);
        blocks.push(Residual::load(wm, "conv256_down_out", true)?);
        Ok(Self {
            conv_in: conv_layer(wm, "conv32_down", 2, Pad::Valid)?,
            blocks,
            fc: Dense::new(wm.get("fc", &[256, 128])?, None),
        })
    }

    pub fn macs(&self) -> u64 {
        let mut total = self.conv_in.macs(150, 150);
        let mut s = 35;
        for b in &self.blocks {
            total += b.macs(s);
            if b.down {
                s /= 2;
            }
        }
        total + 256 * 128
    }

    /// `150×150×3` → 128 values.
    pub fn forward(&self, input: &Fm) -> Result<Vec<f32>, EngineError> {
        let x = self.conv_in.forward_act(input, Act::Relu)?; // 72×72×32
        let mut x = max_pool(&x, 3, 2, Pad::Valid); // 35×35×32
        for b in &self.blocks {
            x = b.forward(&x)?; // 35 → 17×17×64 → 8×8×128 → 4×4×256 → 2×2×256
        }
        Ok(self.fc.forward(&x.spatial_mean()))
    }
}
