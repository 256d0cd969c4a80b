//! The depthwise 3x3 kernel for channel counts that are a multiple of 8: each output pixel's
//! channels in tiles of up to 64 held in registers, compiled for AVX2 + FMA when the CPU has them
//! (checked at run time) and for baseline x86-64 otherwise. It gives what the plain loop
//! ([`Depthwise::rows_into_any`]) gives; a test holds both kernels to it.

use super::{Act, Depthwise, Fm, Pad, out_size};

/// Channels per step of the depthwise kernel: one AVX register of f32.
pub(super) const LANES: usize = 8;

/// [`dw_rows`] compiled for AVX2 + FMA (chosen at run time; the crate itself targets baseline
/// x86-64 so that the binary runs on any CPU).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn dw_rows_avx2_fma(dw: &Depthwise, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
    dw_rows::<true>(dw, x, r0, act, dst);
}

/// Direct depthwise 3x3 for `c % 8 == 0`: per output pixel and group of 8 channels, the bias and
/// nine taps accumulate in registers (taps in the same order as [`Depthwise::rows_into_any`];
/// `FMA` fuses each multiply-add), then `act`, one store. Interior pixels take up to 8 groups at
/// once ([`dw_interior`]); a padding row is read as any valid row times zero weights (adds
/// exactly 0), so only edge columns need checks.
#[inline(always)]
pub(super) fn dw_rows<const FMA: bool>(
    dw: &Depthwise,
    x: &Fm,
    r0: usize,
    act: Act,
    dst: &mut [f32],
) {
    let (c, s) = (dw.c, dw.stride);
    let (_, pt) = out_size(x.h, 3, s, Pad::Same);
    let (ow, pl) = out_size(x.w, 3, s, Pad::Same);
    let row_len = x.w * c;
    if x.h == 0 || row_len == 0 {
        return;
    }
    // Interior output columns: all three input columns inside the row.
    let lo = pl.div_ceil(s).min(ow);
    let hi = if x.w + pl >= 2 {
        ((x.w + pl - 2).div_ceil(s)).clamp(lo, ow)
    } else {
        lo
    };
    let zero_bias;
    let bias: &[f32] = match &dw.bias {
        Some(b) => b,
        None => {
            zero_bias = vec![0.0f32; c];
            &zero_bias
        }
    };
    let mut w_edge: Vec<f32> = Vec::new();
    // Weights of the edge pixels, taps outside the map zeroed, for the last two patterns of
    // valid rows and columns.
    let mut edge_cache: [(Option<[bool; 6]>, Vec<f32>); 2] = Default::default();
    for (ri, drow) in dst.chunks_exact_mut(ow * c).enumerate() {
        let oy = r0 + ri;
        let valid: [bool; 3] = std::array::from_fn(|ky| (oy * s + ky).wrapping_sub(pt) < x.h);
        let rows: [&[f32]; 3] = std::array::from_fn(|ky| {
            let iy = (oy * s + ky).wrapping_sub(pt);
            let iy = if iy < x.h { iy } else { 0 };
            &x.data[iy * row_len..(iy + 1) * row_len]
        });
        let w: &[f32] = if valid.iter().all(|v| *v) {
            &dw.w
        } else {
            w_edge.clear();
            w_edge.extend_from_slice(&dw.w);
            for (ky, ok) in valid.iter().enumerate() {
                if !ok {
                    w_edge[ky * 3 * c..(ky + 1) * 3 * c].fill(0.0);
                }
            }
            &w_edge
        };
        let px = DwRow {
            rows: &rows,
            w,
            bias,
            c,
            s,
            pl,
            w_in: x.w,
            act,
        };
        for ox in (0..lo).chain(hi..ow) {
            let cols: [bool; 3] = std::array::from_fn(|kx| (ox * s + kx).wrapping_sub(pl) < x.w);
            let key = [valid[0], valid[1], valid[2], cols[0], cols[1], cols[2]];
            let slot = usize::from(ox >= hi);
            let (cached, w_px) = &mut edge_cache[slot];
            if *cached != Some(key) {
                w_px.clear();
                w_px.extend_from_slice(&dw.w);
                for ky in 0..3 {
                    for kx in 0..3 {
                        if !valid[ky] || !cols[kx] {
                            w_px[(ky * 3 + kx) * c..(ky * 3 + kx + 1) * c].fill(0.0);
                        }
                    }
                }
                *cached = Some(key);
            }
            let edge = DwRow { w: w_px, ..px };
            if c.is_multiple_of(8 * LANES) {
                dw_edge::<FMA, 8>(&edge, ox, drow);
            } else if c.is_multiple_of(4 * LANES) {
                dw_edge::<FMA, 4>(&edge, ox, drow);
            } else {
                dw_edge::<FMA, 1>(&edge, ox, drow);
            }
        }
        if c.is_multiple_of(8 * LANES) {
            dw_interior::<FMA, 8>(&px, lo, hi, drow);
        } else if c.is_multiple_of(4 * LANES) {
            dw_interior::<FMA, 4>(&px, lo, hi, drow);
        } else {
            dw_interior::<FMA, 1>(&px, lo, hi, drow);
        }
    }
}

/// One output row's inputs for [`dw_interior`] and [`dw_edge`].
struct DwRow<'a> {
    /// The three input rows (a padding row replaced by any row, its weights zeroed).
    rows: &'a [&'a [f32]; 3],
    /// `[9, c]` weights for this row.
    w: &'a [f32],
    bias: &'a [f32],
    c: usize,
    s: usize,
    pl: usize,
    w_in: usize,
    act: Act,
}

#[inline(always)]
fn madd8<const FMA: bool>(acc: &mut [f32; LANES], xv: [f32; LANES], wv: [f32; LANES]) {
    for j in 0..LANES {
        acc[j] = if FMA {
            xv[j].mul_add(wv[j], acc[j])
        } else {
            acc[j] + xv[j] * wv[j]
        };
    }
}

#[inline(always)]
fn act8(acc: &mut [f32; LANES], act: Act) {
    match act {
        Act::None => {}
        Act::Relu => acc.iter_mut().for_each(|v| *v = v.max(0.0)),
        Act::Relu6 => acc.iter_mut().for_each(|v| *v = v.clamp(0.0, 6.0)),
    }
}

/// Interior output pixels `lo..hi` (all three input columns inside the row), all channels, into
/// the output row `drow`: per pixel, tiles of `V` vectors of channels, each tile's nine taps
/// accumulated in `V` registers. Channels innermost, so loads and stores walk memory in order;
/// walking pixels innermost instead ran 1.5-3.5x slower, worst on 512 and 1024 channels, whose
/// power-of-two pixel strides alias in the store buffer and the L1 sets.
#[inline(always)]
fn dw_interior<const FMA: bool, const V: usize>(
    p: &DwRow<'_>,
    lo: usize,
    hi: usize,
    drow: &mut [f32],
) {
    if hi <= lo {
        return;
    }
    let (c, s) = (p.c, p.s);
    // The bounds of every access below, checked once: the loops then run without checks.
    assert!(c.is_multiple_of(LANES * V) && lo * s >= p.pl);
    let last_col = (hi - 1) * s + 2 - p.pl; // input column of pixel hi - 1, tap kx = 2
    assert!(last_col < p.w_in && p.rows.iter().all(|r| r.len() >= p.w_in * c));
    assert!(p.w.len() >= 9 * c && p.bias.len() >= c && drow.len() >= hi * c);
    for ox in lo..hi {
        let ix0 = ox * s - p.pl; // input column of tap kx = 0
        // SAFETY: checked above: c is a multiple of 8·V, ix0 + 2 <= last_col < w_in, and the
        // rows, weights, bias and this pixel's output hold enough values.
        unsafe {
            dw_pixel_tiles::<FMA, V>(p, [ix0, ix0 + 1, ix0 + 2], &mut drow[ox * c..(ox + 1) * c]);
        }
    }
}

/// Edge output pixel `ox` (some tap column outside the row), as [`dw_interior`] computes the
/// others: a tap outside the row reads column 0 times zero weights (`p.w` has them zeroed), which
/// adds exactly 0.
#[inline(always)]
fn dw_edge<const FMA: bool, const V: usize>(p: &DwRow<'_>, ox: usize, drow: &mut [f32]) {
    let c = p.c;
    let cols: [usize; 3] = std::array::from_fn(|kx| {
        let ix = (ox * p.s + kx).wrapping_sub(p.pl);
        if ix < p.w_in { ix } else { 0 }
    });
    assert!(c.is_multiple_of(LANES * V) && p.w_in > 0);
    assert!(p.rows.iter().all(|r| r.len() >= p.w_in * c));
    assert!(p.w.len() >= 9 * c && p.bias.len() >= c && drow.len() >= (ox + 1) * c);
    // SAFETY: checked above; every column is below w_in.
    unsafe { dw_pixel_tiles::<FMA, V>(p, cols, &mut drow[ox * c..(ox + 1) * c]) };
}

/// All channels of one output pixel into `out`, reading input columns `cols` (one per tap
/// column): tiles of `V` vectors of channels, each tile's nine taps accumulated in registers,
/// then `act`, one store per vector.
///
/// # Safety
/// `p.c` is a multiple of `8·V`; every `cols[kx] < p.w_in`; each of `p.rows` holds at least
/// `p.w_in·p.c` values, `p.w` `9·p.c`, `p.bias` `p.c` and `out` `p.c`.
#[inline(always)]
unsafe fn dw_pixel_tiles<const FMA: bool, const V: usize>(
    p: &DwRow<'_>,
    cols: [usize; 3],
    out: &mut [f32],
) {
    let c = p.c;
    for cb in (0..c).step_by(LANES * V) {
        // SAFETY: cb + V·LANES <= c <= bias.len() (the caller's contract).
        let mut acc: [[f32; LANES]; V] =
            std::array::from_fn(|v| unsafe { lanes_unchecked(p.bias, cb + v * LANES) });
        for (ky, row) in p.rows.iter().enumerate() {
            for (kx, &col) in cols.iter().enumerate() {
                let (t, at) = ((ky * 3 + kx) * c + cb, col * c + cb);
                for (v, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: t + V·LANES <= 9·c <= w.len(); col < w_in, so
                    // at + V·LANES <= w_in·c <= row.len() (the caller's contract).
                    let (wv, xv) = unsafe {
                        (
                            lanes_unchecked(p.w, t + v * LANES),
                            lanes_unchecked(row, at + v * LANES),
                        )
                    };
                    madd8::<FMA>(acc, xv, wv);
                }
            }
        }
        for (v, acc) in acc.iter_mut().enumerate() {
            act8(acc, p.act);
            // SAFETY: cb + V·LANES <= c <= out.len() (the caller's contract).
            unsafe { store_unchecked(out, cb + v * LANES, *acc) };
        }
    }
}

/// Writes `v` to `s[at..at + LANES]` without a bounds check.
///
/// # Safety
/// `at + LANES <= s.len()`.
#[inline(always)]
unsafe fn store_unchecked(s: &mut [f32], at: usize, v: [f32; LANES]) {
    debug_assert!(at + LANES <= s.len());
    // SAFETY: the caller guarantees the LANES values are inside `s`.
    unsafe {
        s.as_mut_ptr()
            .add(at)
            .cast::<[f32; LANES]>()
            .write_unaligned(v)
    }
}

/// `s[at..at + LANES]` as an array, without a bounds check.
///
/// # Safety
/// `at + LANES <= s.len()`.
#[inline(always)]
unsafe fn lanes_unchecked(s: &[f32], at: usize) -> [f32; LANES] {
    debug_assert!(at + LANES <= s.len());
    // SAFETY: the caller guarantees the LANES values are inside `s`; `[f32; LANES]` has the
    // alignment of `f32`.
    unsafe { s.as_ptr().add(at).cast::<[f32; LANES]>().read() }
}

#[cfg(test)]
mod tests {
    use super::super::test_values as values;
    use super::*;

    /// The fast depthwise kernels, the portable one every CPU can run and the AVX2 + FMA one,
    /// give what the plain per-tap loop gives, at both strides and odd and even sizes: a
    /// machine without AVX2 must find the same faces.
    #[test]
    fn every_depthwise_kernel_matches_the_plain_loop() {
        // 16, 32 and 64 channels: tiles of 1, 4 and 8 vectors in `dw_interior`.
        let cases = [
            (1, 9, 7, 2),
            (2, 9, 7, 4),
            (1, 8, 8, 8),
            (2, 10, 6, 2),
            (2, 9, 9, 8),
        ];
        for (stride, h, w, groups) in cases {
            let c = groups * LANES;
            let dw = Depthwise {
                stride,
                c,
                w: values(9 * c, 1),
                bias: Some(values(c, 2)),
            };
            let x = Fm {
                h,
                w,
                c,
                data: values(h * w * c, 3 + stride as u32),
            };
            let (oh, _) = out_size(h, 3, stride, Pad::Same);
            let (ow, _) = out_size(w, 3, stride, Pad::Same);
            let mut expected = vec![0.0; oh * ow * c];
            dw.rows_into_any(&x, 0, Act::Relu6, &mut expected);
            let mut portable = vec![0.0; oh * ow * c];
            dw_rows::<false>(&dw, &x, 0, Act::Relu6, &mut portable);
            let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| (p - q).abs() <= 1e-5);
            assert!(
                close(&portable, &expected),
                "portable kernel, stride {stride}, {h}x{w}x{c}"
            );
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                let mut simd = vec![0.0; oh * ow * c];
                // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                unsafe { dw_rows_avx2_fma(&dw, &x, 0, Act::Relu6, &mut simd) };
                assert!(
                    close(&simd, &expected),
                    "AVX2 kernel, stride {stride}, {h}x{w}x{c}"
                );
            }
        }
    }
}
