//! Regular convolutions with bias and a fused activation: 1x1 stride 1 straight through the
//! matrix product (an NHWC map already is an `[H·W, Cin]` matrix), any other window through
//! im2col, band by band, with a batch norm or scale layer folded into the weights at load time.

use crate::error::EngineError;
use crate::weights::{Weight, WeightMap};

use super::matmul::{BandedProduct, matmul_bias_act};
use super::repeats::{by_row_runs, skipping_repeats};
use super::{Act, Fm, Pad, Repeats, out_size};

/// A regular convolution with bias (any activation is applied by the caller).
#[derive(Debug)]
pub(crate) struct Conv {
    pub(super) k: usize,
    pub(super) stride: usize,
    pub(super) pad: Pad,
    pub(super) cin: usize,
    pub(super) cout: usize,
    /// The tfjs HWIO filter as a row-major `[k·k·cin, cout]` matrix.
    pub(super) w: Vec<f32>,
    pub(super) bias: Vec<f32>,
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

    /// One convolution computing `a` then `b` as its output channels (same window and input).
    pub fn side_by_side(a: &Conv, b: &Conv) -> Result<Self, EngineError> {
        if (a.k, a.stride, a.pad, a.cin) != (b.k, b.stride, b.pad, b.cin) {
            return Err(EngineError::Compute(
                "convolutions side by side need the same window and input channels".into(),
            ));
        }
        let cout = a.cout + b.cout;
        let w =
            a.w.chunks_exact(a.cout)
                .zip(b.w.chunks_exact(b.cout))
                .flat_map(|(ra, rb)| ra.iter().chain(rb).copied())
                .collect();
        Ok(Self {
            cout,
            w,
            bias: a.bias.iter().chain(&b.bias).copied().collect(),
            ..*a
        })
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
        let mut out = Fm::zeros(0, 0, 0);
        self.forward_into(x, act, &mut out)?;
        Ok(out)
    }

    /// The repeats of this convolution's output, given those of its input.
    pub fn repeats_out(&self, input: &Repeats) -> Repeats {
        input.after(self.k, self.stride, self.pad)
    }

    /// [`Conv::forward_act`] into `out`, whose buffer is reused.
    pub fn forward_into(&self, x: &Fm, act: Act, out: &mut Fm) -> Result<(), EngineError> {
        self.forward_rows(x, act, out, None)
    }

    /// [`Conv::forward_into`], copying instead of computing the output rows and pixels that
    /// `same` (if given, from [`Conv::repeats_out`]) marks as repeats.
    pub fn forward_rows(
        &self,
        x: &Fm,
        act: Act,
        out: &mut Fm,
        same: Option<&Repeats>,
    ) -> Result<(), EngineError> {
        if x.c != self.cin {
            return Err(EngineError::Compute(format!(
                "convolution expects {} channels, got {}",
                self.cin, x.c
            )));
        }
        let (oh, pt) = out_size(x.h, self.k, self.stride, self.pad);
        let (ow, pl) = out_size(x.w, self.k, self.stride, self.pad);
        out.reset(oh, ow, self.cout);
        by_row_runs(&mut out.data, ow * self.cout, same, |r0, o, left| {
            self.rows_into(x, act, (pt, pl), r0, ow, o, left);
        });
        Ok(())
    }

    /// Output rows `r0..` (as many as `o` holds) of [`Conv::forward_into`]; `left` (empty, or
    /// one flag per output pixel of these rows) marks the pixels to copy from their left
    /// neighbour.
    #[allow(clippy::too_many_arguments)]
    fn rows_into(
        &self,
        x: &Fm,
        act: Act,
        (pt, pl): (usize, usize),
        r0: usize,
        ow: usize,
        o: &mut [f32],
        left: &[bool],
    ) {
        let kdim = self.k * self.k * self.cin;
        let n = self.cout;
        let rows = o.len() / (ow * n);
        if rows == 0 {
            return;
        }
        if self.k == 1 && self.stride == 1 {
            // [h·w, cin] already
            let a = &x.data[r0 * ow * kdim..(r0 + rows) * ow * kdim];
            skipping_repeats(a, kdim, o, n, left, |a, m, o| {
                matmul_bias_act(a, m, kdim, &self.w, &self.bias, act, o);
            });
            return;
        }
        let product = BandedProduct {
            ow,
            k: kdim,
            w: &self.w,
            bias: &self.bias,
            act,
            left,
            slices_need_more_pixels_than_outputs: true,
        };
        // Patches.
        product.run(r0, o, |row, d| {
            im2col_rows(x, self.k, self.stride, pt, pl, row, ow, d);
        });
    }
}

/// Rows `oy0..` (as many as `cols` holds) of the `[oh·ow, k·k·c]` patch matrix: columns in
/// (ky, kx, c) order, which is the row order of the tfjs HWIO filter; zero outside the input.
#[allow(clippy::too_many_arguments)]
fn im2col_rows(
    x: &Fm,
    k: usize,
    s: usize,
    pt: usize,
    pl: usize,
    oy0: usize,
    ow: usize,
    cols: &mut [f32],
) {
    let c = x.c;
    let kc = k * c;
    for (r, out) in cols.chunks_exact_mut(ow * k * kc).enumerate() {
        let oy = oy0 + r;
        for (ox, patch) in out.chunks_exact_mut(k * kc).enumerate() {
            for (ky, prow) in patch.chunks_exact_mut(kc).enumerate() {
                let iy = (oy * s + ky).wrapping_sub(pt);
                if iy >= x.h {
                    prow.fill(0.0);
                    continue;
                }
                let ix0 = (ox * s).wrapping_sub(pl);
                if ix0 < x.w && ix0 + k <= x.w {
                    let src = (iy * x.w + ix0) * c;
                    prow.copy_from_slice(&x.data[src..src + kc]);
                    continue;
                }
                for (kx, d) in prow.chunks_exact_mut(c).enumerate() {
                    let ix = (ox * s + kx).wrapping_sub(pl);
                    if ix < x.w {
                        let src = (iy * x.w + ix) * c;
                        d.copy_from_slice(&x.data[src..src + c]);
                    } else {
                        d.fill(0.0);
                    }
                }
            }
        }
    }
}
