//! The matrix products every convolution ends in: `act(a · w + bias)` through the `gemm` crate
//! called directly on weights laid out at load time, split across threads by rows or by output
//! columns as the shape suggests ([`matmul_bias_act`]), and [`BandedProduct`], which makes the
//! left matrix band by band (patches, a depthwise output) and multiplies each band while it is
//! still in cache.

use rayon::prelude::*;

use super::Act;
use super::repeats::{band_flags, skipping_repeats};
use super::threads::{for_each_band, threads, with_thread_buffer};

/// Target pixels (matmul rows) per block: a block's output stays in L2 while bias and activation
/// are applied, and blocks are the unit of work split across threads.
const BLOCK_PIXELS: usize = 1024;

/// `out[m, n] = act(a[m, k] · w[k, n] + bias)`, all row-major, through the `gemm` crate (with
/// its runtime CPU feature detection) called directly: no
/// tensor wrapping, no copy of the result. Tall products are cut into row blocks, one thread each;
/// short ones use gemm's own threading.
pub(crate) fn matmul_bias_act(
    a: &[f32],
    m: usize,
    k: usize,
    w: &[f32],
    bias: &[f32],
    act: Act,
    out: &mut [f32],
) {
    let n = bias.len();
    assert!(a.len() >= m * k && w.len() >= k * n && out.len() >= m * n);
    let threads = threads();
    let rows = BLOCK_PIXELS;
    if threads > 1 && m >= 2 * rows {
        out[..m * n]
            .par_chunks_mut(rows * n)
            .zip(a[..m * k].par_chunks(rows * k))
            .for_each(|(o, a)| gemm_block(a, o.len() / n, k, w, bias, act, o, 1));
    } else if threads > 1 && n > m && n >= 32 * threads {
        // Few rows, a larger weight matrix: one slice of output columns per thread, so that
        // each thread reads only its part of the weights.
        let cols = n.div_ceil(threads).next_multiple_of(16);
        let dst = SendPtr(out.as_mut_ptr());
        (0..n.div_ceil(cols)).into_par_iter().for_each(|i| {
            let n0 = i * cols;
            let nc = cols.min(n - n0);
            // SAFETY: `out` holds `m·n` values (asserted above) and stays mutably borrowed for
            // this whole call; each task writes only columns `n0..n0 + nc` of every row, and
            // the column ranges of the tasks are disjoint.
            unsafe { gemm_cols(a, m, k, w, bias, act, dst.get(), n, n0, nc) };
        });
    } else if threads > 1 && m >= 16 * threads {
        // Short products: one slice of rows per thread. (gemm's own threading measured no
        // faster than one thread on the 32×32 and 16×16 maps of the SSD.)
        let rows = m.div_ceil(threads).next_multiple_of(8);
        out[..m * n]
            .par_chunks_mut(rows * n)
            .zip(a[..m * k].par_chunks(rows * k))
            .for_each(|(o, a)| gemm_block(a, o.len() / n, k, w, bias, act, o, 1));
    } else if threads > 1 {
        gemm_block(a, m, k, w, bias, act, &mut out[..m * n], threads);
    } else {
        for (o, a) in out[..m * n]
            .chunks_mut(rows * n)
            .zip(a[..m * k].chunks(rows * k))
        {
            gemm_block(a, o.len() / n, k, w, bias, act, o, 1);
        }
    }
}

/// A raw output pointer shared by the tasks of [`matmul_bias_act`] that write disjoint columns.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);

// SAFETY: only used to hand tasks disjoint column ranges of one output buffer (see
// `matmul_bias_act`); the buffer outlives the parallel loop.
unsafe impl Send for SendPtr {}
// SAFETY: as above.
unsafe impl Sync for SendPtr {}

impl SendPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Columns `n0..n0 + nc` of `out[m, n] = act(a[m, k] · w[k, n] + bias)`, one thread.
///
/// # Safety
/// `out` points to `m·n` writable values that nothing else reads or writes columns
/// `n0..n0 + nc` of during the call; `a.len() >= m·k`, `w.len() >= k·n`, `bias.len() == n`,
/// `n0 + nc <= n`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_cols(
    a: &[f32],
    m: usize,
    k: usize,
    w: &[f32],
    bias: &[f32],
    act: Act,
    out: *mut f32,
    n: usize,
    n0: usize,
    nc: usize,
) {
    assert!(a.len() >= m * k && w.len() >= k * n && bias.len() == n && n0 + nc <= n);
    if m == 0 || nc == 0 {
        return;
    }
    if k > 0 {
        // SAFETY: `a` [m, k] row-major and `w` columns n0.. of [k, n] (row stride n) lie inside
        // their slices (asserted); the destination, columns n0..n0 + nc of the [m, n] buffer
        // (row stride n), is inside `out` and written by this call only (caller's contract).
        unsafe {
            gemm::gemm(
                m,
                nc,
                k,
                out.add(n0),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                k as isize,
                w.as_ptr().add(n0),
                1,
                n as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
    let b = &bias[n0..n0 + nc];
    for r in 0..m {
        // SAFETY: row r, columns n0..n0 + nc of the [m, n] buffer: inside `out` and ours alone
        // (caller's contract).
        let row = unsafe { std::slice::from_raw_parts_mut(out.add(r * n + n0), nc) };
        if k == 0 {
            row.fill(0.0);
        }
        act.add_bias_to(row, b);
    }
}

/// One gemm call of `m` rows on `threads` threads, then bias and activation in place.
#[allow(clippy::too_many_arguments)]
fn gemm_block(
    a: &[f32],
    m: usize,
    k: usize,
    w: &[f32],
    bias: &[f32],
    act: Act,
    out: &mut [f32],
    threads: usize,
) {
    let n = bias.len();
    assert!(a.len() >= m * k && w.len() >= k * n && out.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(0.0);
    } else {
        let par = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: row-major `a` [m, k] (column stride 1, row stride k), `w` [k, n] and `out`
        // [m, n] (row stride n): the asserts above keep every address gemm touches inside the
        // three slices; `out` is borrowed mutably, so it aliases neither input. With
        // `read_dst = false` gemm only writes `out` (dst = 1·a·w).
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                k as isize,
                w.as_ptr(),
                1,
                n as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                par,
            );
        }
    }
    for row in out[..m * n].chunks_exact_mut(n) {
        act.add_bias_to(row, bias);
    }
}

/// Output rows of `act(a · w + bias)` where the matrix `a` (`k` values per output pixel) is made
/// on the fly for each band of rows (a convolution's patches, a depthwise layer's output), used
/// by the matmul while still in cache; bands are spread over the threads.
pub(super) struct BandedProduct<'a> {
    /// Output pixels per row.
    pub ow: usize,
    pub k: usize,
    pub w: &'a [f32],
    pub bias: &'a [f32],
    pub act: Act,
    /// Left-repeat flags of the output pixels (see [`skipping_repeats`]), or none.
    pub left: &'a [bool],
    /// Cut a small map into one slice of rows per thread only when it has more pixels than
    /// output channels (else one matmul split by output columns reads less of the weights).
    pub slices_need_more_pixels_than_outputs: bool,
}

impl BandedProduct<'_> {
    /// Output rows `r0..` (as many as `o` holds); `fill(row, dst)` writes the `k` values of each
    /// pixel of output rows `row..` (as many as `dst` holds).
    pub fn run(&self, r0: usize, o: &mut [f32], fill: impl Fn(usize, &mut [f32]) + Sync) {
        let (ow, k, n) = (self.ow, self.k, self.bias.len());
        let rows = o.len() / (ow * n);
        let threads = threads();
        let mut band = (BLOCK_PIXELS / ow).max(1);
        let small = threads > 1 && rows.div_ceil(band) < 2 * threads;
        if small
            && rows >= threads
            && (!self.slices_need_more_pixels_than_outputs || rows * ow >= n)
        {
            // A small map: one slice of rows per thread, still made and used band by band.
            band = rows.div_ceil(threads);
        } else if small {
            // Too few bands to share: the whole matrix, then one matmul on all threads.
            let mut a = vec![0.0f32; rows * ow * k];
            a.par_chunks_mut(ow * k)
                .enumerate()
                .for_each(|(r, d)| fill(r0 + r, d));
            skipping_repeats(&a, k, o, n, self.left, |a, m, o| {
                matmul_bias_act(a, m, k, self.w, self.bias, self.act, o);
            });
            return;
        }
        let work = |(i, o): (usize, &mut [f32])| {
            let rows = o.len() / (ow * n);
            with_thread_buffer(&SCRATCH, |a| {
                a.resize(rows * ow * k, 0.0);
                let a = &mut a[..rows * ow * k];
                fill(r0 + i * band, a);
                let left = band_flags(self.left, i * band * ow, rows * ow);
                skipping_repeats(a, k, o, n, left, |a, m, o| {
                    gemm_block(a, m, k, self.w, self.bias, self.act, o, 1);
                });
            });
        };
        for_each_band(o, band * ow * n, threads > 1, work);
    }
}

thread_local! {
    /// Per-thread buffer of one band's depthwise output in [`dw_pw_rows`](super::dw_pw_rows) or patches in
    /// [`Conv::forward_into`](super::Conv::forward_into).
    static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}
