//! The heads of the nets: fully connected layers on a flat vector, and the softmax of a
//! classifier's scores.

use crate::weights::Weight;

/// A fully connected layer `x·W + b` with the tfjs `[in, out]` weight.
#[derive(Debug)]
pub(crate) struct Dense {
    w: Weight,
    b: Option<Vec<f32>>,
}

impl Dense {
    pub fn new(w: &Weight, b: Option<&Weight>) -> Self {
        Self {
            w: w.clone(),
            b: b.map(|b| b.data.clone()),
        }
    }

    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let n = self.w.shape[1];
        let mut out = self.b.clone().unwrap_or_else(|| vec![0.0; n]);
        for (xi, row) in x.iter().zip(self.w.data.chunks_exact(n)) {
            out.iter_mut().zip(row).for_each(|(o, w)| *o += xi * w);
        }
        out
    }
}

pub(crate) fn softmax(x: &[f32]) -> Vec<f32> {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}
