//! Depthwise 3x3 convolutions (channel multiplier 1) and the MobileNet pairs built on them: a
//! depthwise layer fused band by band with the 1x1 convolution that follows ([`dw_pw_rows`]) and
//! the separable convolution ([`SepConv`]). The fast kernel itself is in `depthwise_kernel.rs`;
//! this file keeps the plain per-tap loop that any channel count can use.

use crate::error::EngineError;
use crate::weights::{Weight, WeightMap};

#[cfg(target_arch = "x86_64")]
use super::depthwise_kernel::dw_rows_avx2_fma;
use super::depthwise_kernel::{LANES, dw_rows};
use super::matmul::BandedProduct;
use super::repeats::by_row_runs;
use super::{Act, Conv, Fm, Pad, Repeats, out_size};

/// Depthwise 3x3 convolution, channel multiplier 1, optional per-channel bias (a folded batch
/// norm), direct kernel.
#[derive(Debug)]
pub(crate) struct Depthwise {
    pub(super) stride: usize,
    pub(super) c: usize,
    /// `[3, 3, c]` as tfjs stores `[3, 3, c, 1]`.
    pub(super) w: Vec<f32>,
    pub(super) bias: Option<Vec<f32>>,
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

    /// The repeats of this layer's output, given those of its input.
    pub fn repeats_out(&self, input: &Repeats) -> Repeats {
        input.after(3, self.stride, Pad::Same)
    }

    /// Output rows `r0..` (as many as `dst` holds) of the 'same' convolution of `x`, then `act`.
    fn rows_into(&self, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
        debug_assert_eq!(x.c, self.c);
        if self.c.is_multiple_of(LANES) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                unsafe { dw_rows_avx2_fma(self, x, r0, act, dst) };
                return;
            }
            dw_rows::<false>(self, x, r0, act, dst);
        } else {
            self.rows_into_any(x, r0, act, dst);
        }
    }

    /// The kernel for any channel count: each tap accumulated over whole output rows.
    pub(super) fn rows_into_any(&self, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
        let c = self.c;
        let s = self.stride;
        let (_, pt) = out_size(x.h, 3, s, Pad::Same);
        let (ow, pl) = out_size(x.w, 3, s, Pad::Same);
        for (ri, dst) in dst.chunks_exact_mut(ow * c).enumerate() {
            let oy = r0 + ri;
            match &self.bias {
                Some(b) => dst.chunks_exact_mut(c).for_each(|px| px.copy_from_slice(b)),
                None => dst.fill(0.0),
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
                    let wk = &self.w[(ky * 3 + kx) * c..(ky * 3 + kx + 1) * c];
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
            if act != Act::None {
                dst.iter_mut().for_each(|v| *v = act.apply(*v));
            }
        }
    }
}

/// Depthwise 3x3 (then `act_dw`) followed by a 1x1 convolution (then `act_pw`), fused in bands of
/// rows: each band's depthwise output is consumed by the matmul while it is still in cache, and
/// bands are spread over the threads. The result is the same as running the two layers in turn.
/// The output rows and pixels that `same` (if given, from [`Depthwise::repeats_out`]) marks as
/// repeats are copied instead of computed.
pub(crate) fn dw_pw_rows(
    dw: &Depthwise,
    act_dw: Act,
    pw: &Conv,
    act_pw: Act,
    x: &Fm,
    out: &mut Fm,
    same: Option<&Repeats>,
) -> Result<(), EngineError> {
    if pw.k != 1 || pw.stride != 1 || pw.cin != dw.c || x.c != dw.c {
        return Err(EngineError::Compute(
            "depthwise + pointwise fusion needs a stride-1 1x1 convolution on the same channels"
                .into(),
        ));
    }
    let (oh, _) = out_size(x.h, 3, dw.stride, Pad::Same);
    let (ow, _) = out_size(x.w, 3, dw.stride, Pad::Same);
    let c = dw.c;
    let n = pw.cout;
    out.reset(oh, ow, n);
    by_row_runs(&mut out.data, ow * n, same, |r0, o, left| {
        let product = BandedProduct {
            ow,
            k: c,
            w: &pw.w,
            bias: &pw.bias,
            act: act_pw,
            left,
            slices_need_more_pixels_than_outputs: false,
        };
        // The depthwise output, fused with the 1x1 that follows.
        product.run(r0, o, |row, d| dw.rows_into(x, row, act_dw, d));
    });
    Ok(())
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
        self.forward_act(x, Act::None)
    }

    /// With `act` fused into the pointwise output.
    pub fn forward_act(&self, x: &Fm, act: Act) -> Result<Fm, EngineError> {
        let mut out = Fm::zeros(0, 0, 0);
        dw_pw_rows(&self.dw, Act::None, &self.pw, act, x, &mut out, None)?;
        Ok(out)
    }
}
