//! Work saved on the padding of a photo: [`Repeats`] marks the rows and pixels of a feature map
//! that repeat the one before, follows them through each layer, and lets the kernels copy those
//! outputs instead of computing them ([`by_row_runs`], [`skipping_repeats`]).

use rayon::prelude::*;

use super::threads::{PAR_MIN, for_each_band, threads, with_thread_buffer};
use super::{Fm, Pad, out_size};

/// Which rows and pixels of a feature map repeat the one before: `rows[r]` when row `r` equals
/// row `r − 1`, `left[r·w + x]` when pixel `(r, x)` equals pixel `(r, x − 1)`, bit for bit.
///
/// A photo padded to a square (SPEC.md §4.1) gives the detector such repeats: every row of the
/// padding below a wide photo is the same, and so is every pixel of the padding right of a tall
/// one. A layer's output repeats where both windows lie inside one run of repeats of its input
/// (then the two outputs are computed from equal values in the same way), so the padding stays
/// repetitive, less a border that widens layer by layer. Repeated rows are copied; repeated
/// pixels are skipped where that pays ([`skipping_repeats`]). On a 4:3 photo the repeats are
/// 13% of the detector's multiply-adds (16% on the 612×430 benchmark photo, 5% on a 4:5
/// portrait, none on a square photo).
#[derive(Debug, Clone)]
pub(crate) struct Repeats {
    h: usize,
    w: usize,
    pub(super) rows: Vec<bool>,
    pub(super) left: Vec<bool>,
}

impl Repeats {
    /// The repeats of `x`, found by comparing its values.
    pub fn of(x: &Fm) -> Self {
        let (h, w, c) = (x.h, x.w, x.c);
        let mut rows = vec![false; h];
        let mut left = vec![false; h * w];
        let row = |r: usize| &x.data[r * w * c..(r + 1) * w * c];
        // Bit for bit, without a branch per value (so that it vectorises).
        let bits_equal = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .fold(true, |eq, (a, b)| eq & (a.to_bits() == b.to_bits()))
        };
        let fill = |(r, (same_row, flags)): (usize, (&mut bool, &mut [bool]))| {
            let d = row(r);
            // Pixel `col` repeats `col − 1` when each of its values equals the one `c` before.
            let pixels = d.chunks_exact(c).zip(d[c..].chunks_exact(c));
            for (flag, (a, b)) in flags[1..].iter_mut().zip(pixels) {
                *flag = bits_equal(a, b);
            }
            *same_row = r > 0 && bits_equal(row(r - 1), d);
        };
        if w == 0 {
            return Self { h, w, rows, left };
        }
        if threads() > 1 && x.data.len() >= PAR_MIN {
            rows.par_iter_mut()
                .zip(left.par_chunks_mut(w))
                .enumerate()
                .for_each(fill);
        } else {
            rows.iter_mut()
                .zip(left.chunks_mut(w))
                .enumerate()
                .for_each(fill);
        }
        Self { h, w, rows, left }
    }

    /// The repeats of a `k × k` window's output, stride `s`, padding `pad`.
    pub fn after(&self, k: usize, s: usize, pad: Pad) -> Self {
        let (oh, pt) = out_size(self.h, k, s, pad);
        let (ow, pl) = out_size(self.w, k, s, pad);
        // Output index `o` repeats `o − 1` along an axis of `n` inputs when window o − 1 starts
        // inside the input (at `lo`) and window o ends inside it (at `hi`), and every input in
        // lo + 1..=hi repeats the one before.
        let span = |o: usize, p: usize, n: usize| -> Option<(usize, usize)> {
            let lo = (o * s).checked_sub(s + p)?;
            let hi = (o * s + k - 1).checked_sub(p)?;
            (o > 0 && hi < n).then_some((lo, hi))
        };
        // First index of the run of repeats holding each row / pixel: lo + 1..=hi all repeat
        // exactly when the run holding `hi` starts at or before `lo`.
        let run_starts = |flags: &[bool], starts: &mut [u32]| {
            let mut start = 0;
            for (i, (&f, st)) in flags.iter().zip(starts.iter_mut()).enumerate() {
                if !f {
                    start = i as u32;
                }
                *st = start;
            }
        };
        let mut row_runs = vec![0u32; self.h];
        run_starts(&self.rows, &mut row_runs);
        let rows = (0..oh)
            .map(|r| span(r, pt, self.h).is_some_and(|(lo, hi)| row_runs[hi] as usize <= lo))
            .collect();
        let mut left = vec![false; oh * ow];
        if self.w == 0 || ow == 0 {
            return Self {
                h: oh,
                w: ow,
                rows,
                left,
            };
        }
        let parallel = threads() > 1 && left.len() >= PAR_MIN;
        let mut col_runs = vec![0u32; self.h * self.w];
        let runs_of = |(flags, starts): (&[bool], &mut [u32])| run_starts(flags, starts);
        if parallel {
            self.left
                .par_chunks(self.w)
                .zip(col_runs.par_chunks_mut(self.w))
                .for_each(runs_of);
        } else {
            self.left
                .chunks(self.w)
                .zip(col_runs.chunks_mut(self.w))
                .for_each(runs_of);
        }
        let cols: Vec<Option<(u32, usize)>> = (0..ow)
            .map(|c| span(c, pl, self.w).map(|(lo, hi)| (lo as u32, hi)))
            .collect();
        let fill = |(r, out): (usize, &mut [bool])| {
            // The window's input rows inside the map (rows outside are zeros: equal).
            let in_rows =
                (0..k).filter_map(|ky| (r * s + ky).checked_sub(pt).filter(|&iy| iy < self.h));
            out.fill(true);
            for iy in in_rows {
                let runs = &col_runs[iy * self.w..(iy + 1) * self.w];
                for (flag, col) in out.iter_mut().zip(&cols) {
                    *flag &= col.is_some_and(|(lo, hi)| runs[hi] <= lo);
                }
            }
            for (flag, col) in out.iter_mut().zip(&cols) {
                *flag &= col.is_some();
            }
        };
        if parallel {
            left.par_chunks_mut(ow).enumerate().for_each(fill);
        } else {
            left.chunks_mut(ow).enumerate().for_each(fill);
        }
        Self {
            h: oh,
            w: ow,
            rows,
            left,
        }
    }
}

/// Fills the rows of `out` (`row_len` values each): `compute(r0, rows, left)` on each maximal run
/// of rows that are not repeats (all rows when `same` is `None`), with the left-repeat flags of
/// their pixels (empty when none), then each repeated row copied from the row above.
pub(super) fn by_row_runs(
    out: &mut [f32],
    row_len: usize,
    same: Option<&Repeats>,
    mut compute: impl FnMut(usize, &mut [f32], &[bool]),
) {
    if row_len == 0 {
        return;
    }
    let h = out.len() / row_len;
    let Some(same) = same else {
        compute(0, out, &[]);
        return;
    };
    debug_assert_eq!(same.rows.len(), h);
    let w = same.w;
    let mut r = 0;
    while r < h {
        let start = r;
        while r < h && !same.rows[r] {
            r += 1;
        }
        if r > start {
            let left = &same.left[start * w..r * w];
            let left = if left.iter().any(|&v| v) { left } else { &[] };
            compute(start, &mut out[start * row_len..r * row_len], left);
        }
        let start = r;
        while r < h && same.rows[r] {
            r += 1;
        }
        if r > start {
            // Every row of the run is a copy of the row above it (computed: row 0 never repeats).
            let (done, run) = out.split_at_mut(start * row_len);
            let src = &done[(start - 1) * row_len..];
            let copy = |(_, d): (usize, &mut [f32])| {
                d.chunks_exact_mut(row_len)
                    .for_each(|d| d.copy_from_slice(src));
            };
            let run = &mut run[..(r - start) * row_len];
            let parallel = threads() > 1 && run.len() >= PAR_MIN;
            let band = if parallel {
                (r - start).div_ceil(threads()) * row_len
            } else {
                run.len()
            };
            for_each_band(run, band, parallel, copy);
        }
    }
}

/// The flags of pixels `from..from + len` of `left`, or none when `left` is empty.
pub(super) fn band_flags(left: &[bool], from: usize, len: usize) -> &[bool] {
    if left.is_empty() {
        left
    } else {
        &left[from..from + len]
    }
}

/// `product(a, m, out)` fills `out` (`m` rows of `n` values) from the `m` rows of `a` (`k`
/// values each). With `left` flags (one per row, none set on row 0), only the rows not marked go
/// through it, gathered into a smaller matrix; each marked output row is copied from the one
/// before.
pub(super) fn skipping_repeats(
    a: &[f32],
    k: usize,
    out: &mut [f32],
    n: usize,
    left: &[bool],
    product: impl FnOnce(&[f32], usize, &mut [f32]),
) {
    let m = out.len() / n.max(1);
    let repeats = left.iter().filter(|&&v| v).count();
    let leaders = m - repeats;
    // Gathering the rows to compute and moving their products costs `k + 2n` copies per row,
    // each about as slow as 16 multiply-adds (copies here run at memory speed); a skipped row
    // saves `k·n` multiply-adds. Deep layers (many channels) gain, early ones do not.
    if repeats == 0 || repeats * k * n <= 16 * leaders * (k + 2 * n) {
        product(a, m, out);
        return;
    }
    debug_assert!(left.len() == m && !left[0]);
    with_thread_buffer(&GATHERED, |(packed, result)| {
        packed.clear();
        for i in (0..m).filter(|&i| !left[i]) {
            packed.extend_from_slice(&a[i * k..(i + 1) * k]);
        }
        result.resize(leaders * n, 0.0);
        product(packed, leaders, result);
        let mut next = result.chunks_exact(n);
        for i in 0..m {
            if left[i] {
                out.copy_within((i - 1) * n..i * n, i * n);
            } else if let Some(row) = next.next() {
                out[i * n..(i + 1) * n].copy_from_slice(row);
            }
        }
    });
}

thread_local! {
    /// Per-thread buffers of [`skipping_repeats`]: the gathered rows and their products.
    static GATHERED: std::cell::Cell<(Vec<f32>, Vec<f32>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

#[cfg(test)]
mod tests {
    use super::super::matmul::BandedProduct;
    use super::super::{Act, Conv, Depthwise, dw_pw_rows, test_values as values};
    use super::*;

    /// A map padded as a photo is: the rows from `image_rows` (a wide photo) or the pixels from
    /// column `image_cols` of each row (a tall one) all hold one value.
    fn padded_map(h: usize, w: usize, c: usize, image_rows: usize, image_cols: usize) -> Fm {
        let mut data = values(h * w * c, 7);
        for r in 0..h {
            for col in 0..w {
                if r >= image_rows || col >= image_cols {
                    data[(r * w + col) * c..(r * w + col + 1) * c].fill(-1.0);
                }
            }
        }
        Fm { h, w, c, data }
    }

    /// Copying the rows and pixels marked as repeats gives exactly what computing them gives,
    /// below a wide photo and right of a tall one, for a 3x3 stride-2 convolution, depthwise + 1x1
    /// blocks at both strides and a 1x1 convolution, chained as in the detector.
    /// `a · w` for `m` rows of `k` values, `w` being `k` rows of `n`: the product the tests
    /// below hand to the code under test.
    fn plain_product(a: &[f32], m: usize, k: usize, w: &[f32], out: &mut [f32]) {
        let n = w.len() / k;
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|x| a[i * k + x] * w[x * n + j]).sum();
            }
        }
    }

    /// While a product waits on other threads, rayon runs other pending work on its thread,
    /// possibly another net's band that skips repeats too. That band gets buffers of its own
    /// (a CI run once panicked with "RefCell already borrowed" here) and both give what they
    /// give alone.
    #[test]
    fn a_band_run_inside_another_bands_product_gets_buffers_of_its_own() {
        let (m, k, n) = (8, 64, 64);
        let left: Vec<bool> = (0..m).map(|i| i > 0).collect();
        let w = values(k * n, 2);
        let (a, b) = (values(m * k, 3), values(m * k, 5));
        let alone = |x: &[f32]| {
            let mut out = vec![0.0; m * n];
            skipping_repeats(x, k, &mut out, n, &left, |a, m, o| {
                plain_product(a, m, k, &w, o);
            });
            out
        };
        let (mut out_a, mut out_b) = (vec![0.0; m * n], vec![0.0; m * n]);
        skipping_repeats(&a, k, &mut out_a, n, &left, |packed, rows, o| {
            skipping_repeats(&b, k, &mut out_b, n, &left, |p, r, o| {
                plain_product(p, r, k, &w, o);
            });
            plain_product(packed, rows, k, &w, o);
        });
        assert_eq!(out_a, alone(&a));
        assert_eq!(out_b, alone(&b));
    }

    /// The same for the per-thread patches of a banded product: a band made while another band
    /// of this thread is being made gets a buffer of its own.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_band_made_while_another_band_is_being_made_gets_a_buffer_of_its_own() {
        let (ow, k, n, rows) = (4, 8, 4, 3);
        let (w, bias) = (values(k * n, 11), values(n, 12));
        let product = BandedProduct {
            ow,
            k,
            w: &w,
            bias: &bias,
            act: Act::None,
            left: &[],
            slices_need_more_pixels_than_outputs: false,
        };
        let fill = |seed: usize| {
            move |row: usize, dst: &mut [f32]| {
                for (i, v) in dst.iter_mut().enumerate() {
                    *v = ((row * 31 + i * 7 + seed) % 17) as f32 - 8.0;
                }
            }
        };
        // One thread: every band is made in this thread's buffer.
        crate::ops::serial(|| {
            let alone = |seed| {
                let mut out = vec![0.0; rows * ow * n];
                product.run(0, &mut out, fill(seed));
                out
            };
            let inner = std::sync::Mutex::new(vec![0.0; rows * ow * n]);
            let mut outer = vec![0.0; rows * ow * n];
            product.run(0, &mut outer, |row, dst| {
                product.run(0, &mut inner.lock().unwrap(), fill(2));
                fill(1)(row, dst);
            });
            assert_eq!(outer, alone(1));
            assert_eq!(*inner.lock().unwrap(), alone(2));
        });
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn copied_padding_equals_computed_padding() {
        let conv = |k, s, cin, cout, seed| Conv {
            k,
            stride: s,
            pad: Pad::Same,
            cin,
            cout,
            w: values(k * k * cin * cout, seed),
            bias: values(cout, seed + 1),
        };
        let dw = |s, c, seed| Depthwise {
            stride: s,
            c,
            w: values(9 * c, seed),
            bias: Some(values(c, seed + 1)),
        };
        let check = |name: &str, a: &Fm, b: &Fm, same: &Repeats| {
            let copied = same.rows.iter().chain(&same.left).filter(|v| **v).count();
            assert!(copied > 0, "{name}: nothing copied, the test tests nothing");
            assert_eq!(a.data, b.data, "{name}");
        };
        for (label, x) in [
            ("wide", padded_map(40, 30, 3, 12, 30)),
            ("tall", padded_map(30, 40, 3, 30, 12)),
        ] {
            let c0 = conv(3, 2, 3, 32, 10);
            let same = c0.repeats_out(&Repeats::of(&x));
            let (mut full, mut fast) = (Fm::zeros(0, 0, 0), Fm::zeros(0, 0, 0));
            c0.forward_rows(&x, Act::Relu6, &mut full, None).unwrap();
            c0.forward_rows(&x, Act::Relu6, &mut fast, Some(&same))
                .unwrap();
            check(&format!("{label}: 3x3 stride 2"), &full, &fast, &same);
            let (mut x, mut same) = (full, same);
            for (i, stride) in [1, 1, 2].into_iter().enumerate() {
                let (d, p) = (
                    dw(stride, 32, 20 + i as u32),
                    conv(1, 1, 32, 32, 30 + i as u32),
                );
                let next = d.repeats_out(&same);
                let (mut full, mut fast) = (Fm::zeros(0, 0, 0), Fm::zeros(0, 0, 0));
                dw_pw_rows(&d, Act::Relu6, &p, Act::Relu6, &x, &mut full, None).unwrap();
                dw_pw_rows(&d, Act::Relu6, &p, Act::Relu6, &x, &mut fast, Some(&next)).unwrap();
                check(
                    &format!("{label}: block {i}, stride {stride}"),
                    &full,
                    &fast,
                    &next,
                );
                (x, same) = (full, next);
            }
            let c1 = conv(1, 1, 32, 32, 40);
            let (mut full, mut fast) = (Fm::zeros(0, 0, 0), Fm::zeros(0, 0, 0));
            c1.forward_rows(&x, Act::None, &mut full, None).unwrap();
            c1.forward_rows(&x, Act::None, &mut fast, Some(&same))
                .unwrap();
            check(&format!("{label}: 1x1"), &full, &fast, &same);
        }
    }
}
