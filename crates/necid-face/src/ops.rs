//! The few tensor operations the five nets need, on feature maps kept in NHWC order (batch 1).
//!
//! ENVIRONMENT.md measured candle's own `conv2d` at about a fifth of its matmul speed on this CPU
//! and its grouped (depthwise) convolution 6-37x slower than a plain loop. So every convolution is
//! routed to candle's matmul (the `gemm` crate) or to a direct loop:
//! - 1x1 convolution: NHWC memory already *is* an `[H·W, Cin]` matrix, times the tfjs `[Cin, Cout]`
//!   filter; stride 2 first subsamples rows and columns;
//! - kxk convolution: im2col into `[Hout·Wout, k·k·Cin]` (the tfjs HWIO filter flattened to
//!   `[k·k·Cin, Cout]` has exactly that row order) then one matmul;
//! - depthwise 3x3: a direct kernel whose inner loop runs over the contiguous channels.
//!
//! Padding follows TensorFlow's 'same' rule (SPEC.md §3.1): a stride-2 3x3 layer on an even input
//! pads (0 before, 1 after).

use candle_core::{Device, Tensor};
use rayon::prelude::*;

use crate::error::EngineError;
use crate::weights::{Weight, WeightMap};

/// Below this many output values a loop is not worth splitting across threads.
const PAR_MIN: usize = 1 << 14;

/// A feature map: `h × w × c` f32 values in NHWC (row-major, channels last) order.
#[derive(Debug, Clone)]
pub(crate) struct Fm {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Fm {
    pub fn zeros(h: usize, w: usize, c: usize) -> Self {
        Self {
            h,
            w,
            c,
            data: vec![0.0; h * w * c],
        }
    }

    pub fn relu(mut self) -> Self {
        self.data.iter_mut().for_each(|v| *v = v.max(0.0));
        self
    }

    /// `self + other`, shapes equal.
    pub fn add(mut self, other: &Fm) -> Self {
        debug_assert_eq!(self.data.len(), other.data.len());
        self.data
            .iter_mut()
            .zip(&other.data)
            .for_each(|(a, b)| *a += b);
        self
    }

    /// Mean over all positions: `[c]`.
    pub fn spatial_mean(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.c];
        for px in self.data.chunks_exact(self.c) {
            out.iter_mut().zip(px).for_each(|(o, v)| *o += v);
        }
        let n = (self.h * self.w) as f32;
        out.iter_mut().for_each(|o| *o /= n);
        out
    }
}

/// Padding mode of a convolution or pooling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pad {
    Same,
    Valid,
}

/// `(out, pad_before)` along one axis (SPEC.md §3.1).
pub(crate) fn out_size(input: usize, k: usize, s: usize, pad: Pad) -> (usize, usize) {
    match pad {
        Pad::Valid => ((input.saturating_sub(k)) / s + 1, 0),
        Pad::Same => {
            let out = input.div_ceil(s);
            let total = ((out - 1) * s + k).saturating_sub(input);
            (out, total / 2)
        }
    }
}

fn compute_err(e: candle_core::Error) -> EngineError {
    EngineError::Compute(e.to_string())
}

/// Activation fused into a convolution's output pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    None,
    Relu,
    Relu6,
}

impl Act {
    #[inline]
    fn apply(self, v: f32) -> f32 {
        match self {
            Act::None => v,
            Act::Relu => v.max(0.0),
            Act::Relu6 => v.clamp(0.0, 6.0),
        }
    }
}

/// Rows per matmul call: keeps each call's output in cache while it is copied out, which
/// measured faster than one call over a tall `[H·W, C]` matrix.
const MATMUL_ROWS: usize = 4096;

/// `act(a [m, k] · w [k, n] + bias)` through candle's matmul, written into a new buffer.
fn matmul_bias_act(
    a: Vec<f32>,
    m: usize,
    k: usize,
    w: &Tensor,
    bias: &[f32],
    act: Act,
) -> Result<Vec<f32>, EngineError> {
    let n = bias.len();
    let a = Tensor::from_vec(a, (m, k), &Device::Cpu).map_err(compute_err)?;
    let mut out = vec![0.0f32; m * n];
    let mut r = 0;
    while r < m {
        let len = MATMUL_ROWS.min(m - r);
        let y = a
            .narrow(0, r, len)
            .and_then(|t| t.matmul(w))
            .map_err(compute_err)?; // [len, n]
        let (storage, layout) = y.storage_and_layout();
        let candle_core::Storage::Cpu(cpu) = &*storage else {
            return Err(EngineError::Compute(
                "matmul result is not on the CPU".into(),
            ));
        };
        let src = cpu.as_slice::<f32>().map_err(compute_err)?;
        let src = &src[layout.start_offset()..layout.start_offset() + len * n];
        let dst = &mut out[r * n..(r + len) * n];
        for (d_row, s_row) in dst.chunks_exact_mut(n).zip(src.chunks_exact(n)) {
            for ((d, s), b) in d_row.iter_mut().zip(s_row).zip(bias) {
                *d = act.apply(s + b);
            }
        }
        r += len;
    }
    Ok(out)
}

/// A regular convolution with bias (any activation is applied by the caller).
#[derive(Debug)]
pub(crate) struct Conv {
    k: usize,
    stride: usize,
    pad: Pad,
    cin: usize,
    cout: usize,
    /// The tfjs HWIO filter as a `[k·k·cin, cout]` matrix.
    w: Tensor,
    bias: Vec<f32>,
}

impl Conv {
    /// From a tfjs HWIO filter `[k, k, cin, cout]` and an optional bias `[cout]`; `scale`, if
    /// given, is a per-output-channel `(weights, biases)` affine layer folded in
    /// (`w' = w·sw`, `b' = b·sw + sb`).
    pub fn from_parts(
        filter: &Weight,
        bias: Option<&Weight>,
        scale: Option<(&Weight, &Weight)>,
        stride: usize,
        pad: Pad,
    ) -> Result<Self, EngineError> {
        let [k, k2, cin, cout] = filter.shape[..] else {
            return Err(EngineError::Compute(format!(
                "bad filter shape {:?}",
                filter.shape
            )));
        };
        debug_assert_eq!(k, k2);
        let mut w = filter.data.clone();
        let mut b = bias.map_or_else(|| vec![0.0; cout], |b| b.data.clone());
        if let Some((sw, sb)) = scale {
            for row in w.chunks_exact_mut(cout) {
                row.iter_mut().zip(&sw.data).for_each(|(v, s)| *v *= s);
            }
            for ((b, s), o) in b.iter_mut().zip(&sw.data).zip(&sb.data) {
                *b = *b * s + o;
            }
        }
        let w = Tensor::from_vec(w, (k * k * cin, cout), &Device::Cpu).map_err(compute_err)?;
        Ok(Self {
            k,
            stride,
            pad,
            cin,
            cout,
            w,
            bias: b,
        })
    }

    /// `prefix/filters` (or `weights`) + `prefix/bias` (or `biases`) from a weight map.
    pub fn load(
        wm: &WeightMap,
        filter: &str,
        bias: &str,
        stride: usize,
        pad: Pad,
    ) -> Result<Self, EngineError> {
        Self::from_parts(wm.any(filter)?, Some(wm.any(bias)?), None, stride, pad)
    }

    pub fn cout(&self) -> usize {
        self.cout
    }

    /// Multiply-adds of one forward pass on an `h × w` input.
    pub fn macs(&self, h: usize, w: usize) -> u64 {
        let (oh, _) = out_size(h, self.k, self.stride, self.pad);
        let (ow, _) = out_size(w, self.k, self.stride, self.pad);
        (oh * ow * self.k * self.k * self.cin * self.cout) as u64
    }

    pub fn forward(&self, x: &Fm) -> Result<Fm, EngineError> {
        self.forward_act(x, Act::None)
    }

    /// Convolution, bias and `act` in one output pass.
    pub fn forward_act(&self, x: &Fm, act: Act) -> Result<Fm, EngineError> {
        debug_assert_eq!(x.c, self.cin);
        let (oh, pt) = out_size(x.h, self.k, self.stride, self.pad);
        let (ow, pl) = out_size(x.w, self.k, self.stride, self.pad);
        let kdim = self.k * self.k * self.cin;
        let cols = if self.k == 1 && self.stride == 1 {
            x.data.clone() // [h·w, cin] already
        } else {
            im2col(x, self.k, self.stride, pt, pl, oh, ow)
        };
        let y = matmul_bias_act(cols, oh * ow, kdim, &self.w, &self.bias, act)?; // [oh·ow, cout]
        Ok(Fm {
            h: oh,
            w: ow,
            c: self.cout,
            data: y,
        })
    }
}

/// `[oh·ow, k·k·c]` patches, rows in output order, columns in (ky, kx, c) order; zero outside.
fn im2col(x: &Fm, k: usize, s: usize, pt: usize, pl: usize, oh: usize, ow: usize) -> Vec<f32> {
    let c = x.c;
    let row_len = ow * k * k * c;
    let mut cols = vec![0.0f32; oh * row_len];
    let fill = |(oy, out): (usize, &mut [f32])| {
        for ox in 0..ow {
            let patch = &mut out[ox * k * k * c..(ox + 1) * k * k * c];
            for ky in 0..k {
                let iy = (oy * s + ky) as isize - pt as isize;
                if iy < 0 || iy >= x.h as isize {
                    continue;
                }
                for kx in 0..k {
                    let ix = (ox * s + kx) as isize - pl as isize;
                    if ix < 0 || ix >= x.w as isize {
                        continue;
                    }
                    let src = (iy as usize * x.w + ix as usize) * c;
                    let dst = (ky * k + kx) * c;
                    patch[dst..dst + c].copy_from_slice(&x.data[src..src + c]);
                }
            }
        }
    };
    if cols.len() >= PAR_MIN {
        cols.par_chunks_mut(row_len).enumerate().for_each(fill);
    } else {
        cols.chunks_mut(row_len).enumerate().for_each(fill);
    }
    cols
}

/// Depthwise 3x3 convolution, channel multiplier 1, optional per-channel bias (a folded batch
/// norm), direct kernel.
#[derive(Debug)]
pub(crate) struct Depthwise {
    stride: usize,
    c: usize,
    /// `[3, 3, c]` as tfjs stores `[3, 3, c, 1]`.
    w: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl Depthwise {
    pub fn new(filter: &Weight, stride: usize) -> Result<Self, EngineError> {
        let [3, 3, c, 1] = filter.shape[..] else {
            return Err(EngineError::Compute(format!(
                "bad depthwise shape {:?}",
                filter.shape
            )));
        };
        Ok(Self {
            stride,
            c,
            w: filter.data.clone(),
            bias: None,
        })
    }

    /// Folds `y = β + (x − μ)·γ/sqrt(σ² + ε)` (SPEC.md §3.3) into the filter and a bias.
    pub fn fold_batch_norm(
        mut self,
        gamma: &[f32],
        beta: &[f32],
        mean: &[f32],
        var: &[f32],
    ) -> Self {
        const EPS: f32 = 0.001;
        let k: Vec<f32> = gamma
            .iter()
            .zip(var)
            .map(|(g, v)| g / (v + EPS).sqrt())
            .collect();
        for tap in self.w.chunks_exact_mut(self.c) {
            tap.iter_mut().zip(&k).for_each(|(w, k)| *w *= k);
        }
        self.bias = Some(
            beta.iter()
                .zip(mean)
                .zip(&k)
                .map(|((b, m), k)| b - m * k)
                .collect(),
        );
        self
    }

    pub fn macs(&self, h: usize, w: usize) -> u64 {
        let (oh, _) = out_size(h, 3, self.stride, Pad::Same);
        let (ow, _) = out_size(w, 3, self.stride, Pad::Same);
        (oh * ow * 9 * self.c) as u64
    }

    /// 'same' padding, no activation.
    pub fn forward(&self, x: &Fm) -> Fm {
        self.forward_act(x, Act::None)
    }

    /// 'same' padding, then `act`.
    pub fn forward_act(&self, x: &Fm, act: Act) -> Fm {
        let c = self.c;
        let s = self.stride;
        let (oh, pt) = out_size(x.h, 3, s, Pad::Same);
        let (ow, pl) = out_size(x.w, 3, s, Pad::Same);
        let mut out = Fm::zeros(oh, ow, c);
        // Each tap's weights repeated to at least 128 values, so that at stride 1 the inner loop
        // runs over long contiguous runs of several pixels instead of one pixel's channels.
        let reps = 128usize.div_ceil(c);
        let tiled: Vec<Vec<f32>> = (0..9)
            .map(|t| self.w[t * c..(t + 1) * c].repeat(reps))
            .collect();
        let row = |(oy, dst): (usize, &mut [f32])| {
            if let Some(b) = &self.bias {
                for px in dst.chunks_exact_mut(c) {
                    px.copy_from_slice(b);
                }
            }
            for ky in 0..3 {
                let iy = (oy * s + ky) as isize - pt as isize;
                if iy < 0 || iy >= x.h as isize {
                    continue;
                }
                let src_row = &x.data[iy as usize * x.w * c..(iy as usize + 1) * x.w * c];
                for kx in 0..3 {
                    // Output columns whose input column ox·s + kx − pl lies inside the row.
                    let lo = (pl.saturating_sub(kx)).div_ceil(s);
                    let hi = ((x.w + pl - kx).div_ceil(s)).min(ow);
                    if lo >= hi {
                        continue;
                    }
                    let t = ky * 3 + kx;
                    let ix0 = lo * s + kx - pl;
                    if s == 1 {
                        let n = (hi - lo) * c;
                        let d = &mut dst[lo * c..lo * c + n];
                        let src = &src_row[ix0 * c..ix0 * c + n];
                        let wt = &tiled[t];
                        let mut dc = d.chunks_exact_mut(wt.len());
                        let mut sc = src.chunks_exact(wt.len());
                        for (dd, ss) in (&mut dc).zip(&mut sc) {
                            for ((o, a), w) in dd.iter_mut().zip(ss).zip(wt) {
                                *o += a * w;
                            }
                        }
                        for ((o, a), w) in
                            dc.into_remainder().iter_mut().zip(sc.remainder()).zip(wt)
                        {
                            *o += a * w;
                        }
                    } else {
                        let wk = &self.w[t * c..(t + 1) * c];
                        for ox in lo..hi {
                            let ix = ox * s + kx - pl;
                            let src = &src_row[ix * c..(ix + 1) * c];
                            let d = &mut dst[ox * c..(ox + 1) * c];
                            for ((o, a), w) in d.iter_mut().zip(src).zip(wk) {
                                *o += a * w;
                            }
                        }
                    }
                }
            }
            if act != Act::None {
                dst.iter_mut().for_each(|v| *v = act.apply(*v));
            }
        };
        if out.data.len() >= PAR_MIN {
            out.data.par_chunks_mut(ow * c).enumerate().for_each(row);
        } else {
            out.data.chunks_mut(ow * c).enumerate().for_each(row);
        }
        out
    }
}

/// Depthwise-separable convolution (SPEC.md §3.2): depthwise 3x3 (no bias) then 1x1 + bias.
#[derive(Debug)]
pub(crate) struct SepConv {
    dw: Depthwise,
    pw: Conv,
}

impl SepConv {
    pub fn load(wm: &WeightMap, prefix: &str, stride: usize) -> Result<Self, EngineError> {
        let dw = Depthwise::new(wm.any(&format!("{prefix}/depthwise_filter"))?, stride)?;
        let pw = Conv::load(
            wm,
            &format!("{prefix}/pointwise_filter"),
            &format!("{prefix}/bias"),
            1,
            Pad::Same,
        )?;
        Ok(Self { dw, pw })
    }

    pub fn macs(&self, h: usize, w: usize) -> u64 {
        let (oh, _) = out_size(h, 3, self.dw.stride, Pad::Same);
        let (ow, _) = out_size(w, 3, self.dw.stride, Pad::Same);
        self.dw.macs(h, w) + self.pw.macs(oh, ow)
    }

    pub fn forward(&self, x: &Fm) -> Result<Fm, EngineError> {
        self.pw.forward(&self.dw.forward(x))
    }

    /// With `act` fused into the pointwise output.
    pub fn forward_act(&self, x: &Fm, act: Act) -> Result<Fm, EngineError> {
        self.pw.forward_act(&self.dw.forward(x), act)
    }
}

/// Max pool `k × k`, stride `s`; padded cells never win (−∞).
pub(crate) fn max_pool(x: &Fm, k: usize, s: usize, pad: Pad) -> Fm {
    let (oh, pt) = out_size(x.h, k, s, pad);
    let (ow, pl) = out_size(x.w, k, s, pad);
    let c = x.c;
    let mut out = Fm {
        h: oh,
        w: ow,
        c,
        data: vec![f32::NEG_INFINITY; oh * ow * c],
    };
    for oy in 0..oh {
        for ox in 0..ow {
            let d = &mut out.data[(oy * ow + ox) * c..(oy * ow + ox + 1) * c];
            for ky in 0..k {
                let iy = (oy * s + ky) as isize - pt as isize;
                if iy < 0 || iy >= x.h as isize {
                    continue;
                }
                for kx in 0..k {
                    let ix = (ox * s + kx) as isize - pl as isize;
                    if ix < 0 || ix >= x.w as isize {
                        continue;
                    }
                    let src = &x.data[(iy as usize * x.w + ix as usize) * c..][..c];
                    d.iter_mut().zip(src).for_each(|(d, v)| *d = d.max(*v));
                }
            }
        }
    }
    out
}

/// Average pool 2x2, stride 2, 'valid'.
pub(crate) fn avg_pool2(x: &Fm) -> Fm {
    let (oh, ow, c) = (x.h / 2, x.w / 2, x.c);
    let mut out = Fm::zeros(oh, ow, c);
    for oy in 0..oh {
        for ox in 0..ow {
            let d = &mut out.data[(oy * ow + ox) * c..][..c];
            for (ky, kx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let src = &x.data[((2 * oy + ky) * x.w + 2 * ox + kx) * c..][..c];
                d.iter_mut().zip(src).for_each(|(d, v)| *d += v);
            }
            d.iter_mut().for_each(|d| *d *= 0.25);
        }
    }
    out
}

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
