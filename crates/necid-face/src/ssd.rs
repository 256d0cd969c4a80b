//! SSD MobileNet v1 face detector (SPEC.md §4): a MobileNet-v1 backbone (depth multiplier 1),
//! four extra feature layers and six box-predictor heads over 5118 stored anchors.
//!
//! Input: the image zero-padded bottom/right to a square, bilinear to 512×512, `x/127.5 − 1`.
//! Output: per anchor, a decoded box `[ymin, xmin, ymax, xmax]` in the padded square's normalised
//! coordinates and `sigmoid(logit[1])`; non-max suppression and the mapping to pixels follow.

use crate::error::EngineError;
use crate::ops::{Act, Conv, Depthwise, Fm, Pad, Repeats, dw_pw_rows};
use crate::weights::WeightMap;

pub(crate) const INPUT_SIZE: usize = 512;
const NUM_ANCHORS: usize = 5118;
/// Depthwise strides of backbone layers 1..=13.
const DW_STRIDES: [usize; 13] = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];

/// `pw` form (SPEC.md §4.2): conv + folded BN offset, relu6 applied by the caller.
fn pw(wm: &WeightMap, prefix: &str, stride: usize) -> Result<Conv, EngineError> {
    Conv::load(
        wm,
        &format!("{prefix}/weights"),
        &format!("{prefix}/convolution_bn_offset"),
        stride,
        Pad::Same,
    )
}

/// One box predictor: the box-encoding and class 1x1 convolutions side by side in one matrix, so
/// that one pass over the feature map gives both.
#[derive(Debug)]
struct Head {
    both: Conv,
    /// Output columns of the box encodings (4 per anchor); the class logits (3 per anchor) follow.
    box_cols: usize,
}

/// The detector network plus its anchors.
#[derive(Debug)]
pub(crate) struct Ssd {
    conv0: Conv,
    blocks: Vec<(Depthwise, Conv)>,
    extras: Vec<Conv>,
    heads: Vec<Head>,
    /// `[ymin, xmin, ymax, xmax]` per anchor, from `Output/extra_dim`.
    anchors: Vec<[f32; 4]>,
}

/// Raw network output: one decoded box and score per anchor.
#[derive(Debug)]
pub(crate) struct RawDetections {
    pub boxes: Vec<[f32; 4]>,
    pub scores: Vec<f32>,
}

impl Ssd {
    pub fn new(wm: &WeightMap) -> Result<Self, EngineError> {
        let conv0 = pw(wm, "MobilenetV1/Conv2d_0_pointwise", 2)?;
        let mut blocks = Vec::with_capacity(13);
        for (i, &s) in (1..=13).zip(DW_STRIDES.iter()) {
            let p = format!("MobilenetV1/Conv2d_{i}_depthwise");
            let bn = |n: &str| {
                wm.any(&format!("{p}/BatchNorm/{n}"))
                    .map(|w| w.data.as_slice())
            };
            let dw = Depthwise::new(wm.any(&format!("{p}/depthwise_weights"))?, s)?
                .fold_batch_norm(
                    bn("gamma")?,
                    bn("beta")?,
                    bn("moving_mean")?,
                    bn("moving_variance")?,
                );
            blocks.push((dw, pw(wm, &format!("MobilenetV1/Conv2d_{i}_pointwise"), 1)?));
        }
        let extras = (0..8)
            .map(|i| {
                pw(
                    wm,
                    &format!("Prediction/Conv2d_{i}_pointwise"),
                    if i % 2 == 1 { 2 } else { 1 },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let heads = (0..6)
            .map(|i| {
                let p = format!("Prediction/BoxPredictor_{i}");
                let boxes = Conv::load(
                    wm,
                    &format!("{p}/BoxEncodingPredictor/weights"),
                    &format!("{p}/BoxEncodingPredictor/biases"),
                    1,
                    Pad::Same,
                )?;
                let classes = Conv::load(
                    wm,
                    &format!("{p}/ClassPredictor/weights"),
                    &format!("{p}/ClassPredictor/biases"),
                    1,
                    Pad::Same,
                )?;
                Ok(Head {
                    box_cols: boxes.cout(),
                    both: Conv::side_by_side(&boxes, &classes)?,
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        let a = wm.get("Output/extra_dim", &[1, NUM_ANCHORS, 4])?;
        let anchors = a
            .data
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        Ok(Self {
            conv0,
            blocks,
            extras,
            heads,
            anchors,
        })
    }

    /// Multiply-adds of one forward pass.
    pub fn macs(&self) -> u64 {
        let mut total = self.conv0.macs(INPUT_SIZE, INPUT_SIZE);
        let mut s = INPUT_SIZE / 2;
        let mut feats = Vec::new();
        for (i, (dw, p)) in self.blocks.iter().enumerate() {
            total += dw.macs(s, s);
            s = s.div_ceil(DW_STRIDES[i]);
            total += p.macs(s, s);
            if i == 10 || i == 12 {
                feats.push((s, p.cout()));
            }
        }
        for (i, e) in self.extras.iter().enumerate() {
            total += e.macs(s, s);
            if i % 2 == 1 {
                s = s.div_ceil(2);
                feats.push((s, e.cout()));
            }
        }
        for ((g, _), h) in feats.iter().zip(&self.heads) {
            total += h.both.macs(*g, *g);
        }
        total
    }

    /// Runs the net on a prepared `512 × 512 × 3` input.
    pub fn forward(&self, input: &Fm) -> Result<RawDetections, EngineError> {
        // Two buffers in turn: no allocation per layer.
        let mut x = Fm::zeros(0, 0, 0);
        let mut y = Fm::zeros(0, 0, 0);
        // Repeated rows and pixels (the padding of a photo) are copied, not computed.
        let mut same = self.conv0.repeats_out(&Repeats::of(input));
        self.conv0
            .forward_rows(input, Act::Relu6, &mut x, Some(&same))?; // 256×256×32
        let mut feats: Vec<Fm> = Vec::with_capacity(6);
        for (i, (dw, p)) in self.blocks.iter().enumerate() {
            same = dw.repeats_out(&same);
            // Depthwise + relu6 + pointwise + relu6 in one pass over bands of rows.
            dw_pw_rows(dw, Act::Relu6, p, Act::Relu6, &x, &mut y, Some(&same))?;
            std::mem::swap(&mut x, &mut y);
            if i == 10 {
                feats.push(x.clone()); // conv11: 32×32×512
            }
        }
        feats.push(x.clone()); // out: 16×16×1024
        for (i, e) in self.extras.iter().enumerate() {
            same = e.repeats_out(&same);
            e.forward_rows(&x, Act::Relu6, &mut y, Some(&same))?;
            std::mem::swap(&mut x, &mut y);
            if i % 2 == 1 {
                feats.push(x.clone()); // 8×8×512, 4×4×256, 2×2×256, 1×1×128
            }
        }
        let mut enc = Vec::with_capacity(NUM_ANCHORS * 4);
        let mut logits = Vec::with_capacity(NUM_ANCHORS * 3);
        for (f, h) in feats.iter().zip(&self.heads) {
            // NHWC memory reshaped to [-1, 4] / [-1, 3]: anchor = (row·W + col)·A + a.
            let out = h.both.forward(f)?;
            for px in out.data.chunks_exact(h.both.cout()) {
                let (b, c) = px.split_at(h.box_cols);
                enc.extend_from_slice(b);
                logits.extend_from_slice(c);
            }
        }
        if enc.len() != NUM_ANCHORS * 4 || logits.len() != NUM_ANCHORS * 3 {
            return Err(EngineError::Compute(format!(
                "SSD produced {} box encodings for {NUM_ANCHORS} anchors",
                enc.len() / 4
            )));
        }
        let mut boxes = Vec::with_capacity(NUM_ANCHORS);
        let mut scores = Vec::with_capacity(NUM_ANCHORS);
        for ((a, t), l) in self
            .anchors
            .iter()
            .zip(enc.chunks_exact(4))
            .zip(logits.chunks_exact(3))
        {
            let ha = a[2] - a[0];
            let wa = a[3] - a[1];
            let yca = a[0] + ha / 2.0;
            let xca = a[1] + wa / 2.0;
            let yc = t[0] / 10.0 * ha + yca;
            let xc = t[1] / 10.0 * wa + xca;
            let h2 = (t[2] / 5.0).exp() * ha / 2.0;
            let w2 = (t[3] / 5.0).exp() * wa / 2.0;
            boxes.push([yc - h2, xc - w2, yc + h2, xc + w2]);
            scores.push(1.0 / (1.0 + (-l[1]).exp()));
        }
        Ok(RawDetections { boxes, scores })
    }
}

/// A detection in image pixels (f64, may extend into the padding; SPEC.md §4.7).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detection {
    pub score: f32,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f64 {
    let (a, b) = (a.map(f64::from), b.map(f64::from));
    let (ay0, ax0, ay1, ax1) = (
        a[0].min(a[2]),
        a[1].min(a[3]),
        a[0].max(a[2]),
        a[1].max(a[3]),
    );
    let (by0, bx0, by1, bx1) = (
        b[0].min(b[2]),
        b[1].min(b[3]),
        b[0].max(b[2]),
        b[1].max(b[3]),
    );
    let area_a = (ay1 - ay0) * (ax1 - ax0);
    let area_b = (by1 - by0) * (bx1 - bx0);
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let iy = (ay1.min(by1) - ay0.max(by0)).max(0.0);
    let ix = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
    let inter = iy * ix;
    inter / (area_a + area_b - inter)
}

/// Threshold, greedy NMS at IoU 0.5 and the mapping to pixels of an `img_w × img_h` image.
pub(crate) fn postprocess(
    raw: &RawDetections,
    min_confidence: f32,
    max_results: usize,
    img_w: u32,
    img_h: u32,
) -> Vec<Detection> {
    let mut cand: Vec<usize> = (0..raw.scores.len())
        .filter(|&i| raw.scores[i] > min_confidence)
        .collect();
    // Stable sort keeps anchor order among equal scores.
    cand.sort_by(|&a, &b| raw.scores[b].total_cmp(&raw.scores[a]));
    let mut kept: Vec<usize> = Vec::new();
    for i in cand {
        if kept.len() >= max_results.min(NUM_ANCHORS) {
            break;
        }
        if kept
            .iter()
            .all(|&k| iou(&raw.boxes[k], &raw.boxes[i]) <= 0.5)
        {
            kept.push(i);
        }
    }
    let (w, h) = (f64::from(img_w), f64::from(img_h));
    let m = w.max(h);
    let rw = (w * INPUT_SIZE as f64 / m).round();
    let rh = (h * INPUT_SIZE as f64 / m).round();
    let pad_x = INPUT_SIZE as f64 / rw;
    let pad_y = INPUT_SIZE as f64 / rh;
    kept.into_iter()
        .map(|i| {
            let b = raw.boxes[i].map(f64::from);
            let top = b[0].max(0.0) * pad_y;
            let bottom = b[2].min(1.0) * pad_y;
            let left = b[1].max(0.0) * pad_x;
            let right = b[3].min(1.0) * pad_x;
            Detection {
                score: raw.scores[i],
                x: left * w,
                y: top * h,
                w: (right - left) * w,
                h: (bottom - top) * h,
            }
        })
        .collect()
}
