//! The few tensor operations the five nets need, on feature maps kept in NHWC order (batch 1).
//!
//! ENVIRONMENT.md measured candle's own `conv2d` at about a fifth of its matmul speed on this CPU
//! and its grouped (depthwise) convolution 6-37x slower than a plain loop. So every convolution is
//! routed to the `gemm` crate (the kernel behind candle's matmul; the engine does not use candle),
//! called directly on pre-laid-out weights with runtime CPU feature detection, or to a direct loop:
//! - 1x1 convolution: NHWC memory already *is* an `[H·W, Cin]` matrix, times the tfjs `[Cin, Cout]`
//!   filter, no transpose; bias and activation are applied to each block of rows right after its
//!   product, while it is in cache; stride 2 goes through im2col;
//! - kxk convolution: im2col into `[Hout·Wout, k·k·Cin]` (the tfjs HWIO filter flattened to
//!   `[k·k·Cin, Cout]` has exactly that row order) then the matmul, band of rows by band of rows;
//! - depthwise 3x3: a direct kernel, per pixel tiles of up to 64 channels in registers, compiled
//!   for AVX2 + FMA when the CPU has them (checked at run time) and for baseline x86-64 otherwise;
//! - depthwise + 1x1 pairs (MobileNet blocks, separable convolutions) are fused band by band;
//! - rows and pixels that repeat the one before (the padding of a photo, [`Repeats`]) are copied
//!   instead of computed.
//!
//! Work is split across rayon's threads (`RAYON_NUM_THREADS`) in bands of output rows, the pool
//! kept awake through a net ([`run_net`]); batch norms and scale layers are folded into the
//! weights at load time.
//!
//! Padding follows TensorFlow's 'same' rule (SPEC.md §3.1): a stride-2 3x3 layer on an even input
//! pads (0 before, 1 after).

use rayon::prelude::*;

use crate::error::EngineError;
use crate::weights::{Weight, WeightMap};

thread_local! {
    /// Set while a small net runs on this thread: its operations then stay on this thread.
    static SERIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Threads an operation may use: rayon's pool size, or 1 inside [`serial`].
pub(crate) fn threads() -> usize {
    if SERIAL.with(std::cell::Cell::get) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f` with every operation it calls kept on the current thread. Used when several faces
/// are processed at once, one face per thread: the face nets (landmarks, descriptor, age/gender,
/// expressions) work on 112-150 pixel inputs whose matrices split less well than whole faces.
pub(crate) fn serial<R>(f: impl FnOnce() -> R) -> R {
    let _serial = FlagGuard::set(&SERIAL);
    f()
}

thread_local! {
    /// Set while this thread runs a net's forward pass or keeps itself awake for one.
    static IN_NET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets a thread-local flag for the life of the guard, then restores its previous value.
struct FlagGuard(&'static std::thread::LocalKey<std::cell::Cell<bool>>, bool);

impl FlagGuard {
    fn set(key: &'static std::thread::LocalKey<std::cell::Cell<bool>>) -> Self {
        Self(key, key.with(|f| f.replace(true)))
    }
}

impl Drop for FlagGuard {
    fn drop(&mut self) {
        let old = self.1;
        self.0.with(|f| f.set(old));
    }
}

/// Runs one net's forward pass: on this thread alone inside [`serial`], else on a thread of the
/// rayon pool with the pool's other threads kept awake until it ends.
///
/// A net is a chain of 20-40 short parallel layers with serial steps between them. An idle rayon
/// worker goes to sleep after about 40 µs and takes another 30-40 µs to wake (measured here), so
/// each layer would pay a wake-up. Instead, a helper task per other thread loops on
/// `rayon::yield_now`, running the layers' bands as they appear, until the pass ends. A helper
/// that starts on a thread already inside a net returns at once, so helpers never wait on work
/// that is suspended beneath them. Helpers are detached (`rayon::spawn`): the pass returns as soon
/// as its own work is done, even when a helper's thread has meanwhile picked up another caller's
/// net and will only see the end flag after that.
pub(crate) fn run_net<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    use std::sync::atomic::{AtomicBool, Ordering};
    if SERIAL.with(std::cell::Cell::get) {
        return f();
    }
    /// Raises the end flag when the pass ends, panicking or not, so that helpers stop.
    struct End(std::sync::Arc<AtomicBool>);
    impl Drop for End {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    rayon::scope(|_| {
        let _in_net = FlagGuard::set(&IN_NET);
        let end = End(std::sync::Arc::new(AtomicBool::new(false)));
        for _ in 1..rayon::current_num_threads() {
            let done = std::sync::Arc::clone(&end.0);
            rayon::spawn(move || {
                if IN_NET.with(std::cell::Cell::get) {
                    return;
                }
                let _in_net = FlagGuard::set(&IN_NET);
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        f()
    })
}

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

    /// Reshapes to `h × w × c`, reusing the buffer; the contents are to be overwritten.
    pub fn reset(&mut self, h: usize, w: usize, c: usize) {
        (self.h, self.w, self.c) = (h, w, c);
        self.data.resize(h * w * c, 0.0);
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

/// Activation fused into a convolution's output pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    None,
    Relu,
    Relu6,
}

impl Act {
    /// `row[i] = act(row[i] + bias[i])`, one plain loop per activation so each vectorises.
    #[inline]
    fn add_bias_to(self, row: &mut [f32], bias: &[f32]) {
        match self {
            Act::None => row.iter_mut().zip(bias).for_each(|(v, b)| *v += b),
            Act::Relu => row
                .iter_mut()
                .zip(bias)
                .for_each(|(v, b)| *v = (*v + b).max(0.0)),
            Act::Relu6 => row
                .iter_mut()
                .zip(bias)
                .for_each(|(v, b)| *v = (*v + b).clamp(0.0, 6.0)),
        }
    }

    #[inline]
    fn apply(self, v: f32) -> f32 {
        match self {
            Act::None => v,
            Act::Relu => v.max(0.0),
            Act::Relu6 => v.clamp(0.0, 6.0),
        }
    }
}

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

/// Runs `work((index, band))` on each `band_len`-value band of `data`, across the rayon pool
/// when `parallel`, else in order on this thread.
fn for_each_band(
    data: &mut [f32],
    band_len: usize,
    parallel: bool,
    work: impl Fn((usize, &mut [f32])) + Send + Sync,
) {
    if parallel {
        data.par_chunks_mut(band_len).enumerate().for_each(work);
    } else {
        data.chunks_mut(band_len).enumerate().for_each(work);
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

/// A regular convolution with bias (any activation is applied by the caller).
#[derive(Debug)]
pub(crate) struct Conv {
    k: usize,
    stride: usize,
    pad: Pad,
    cin: usize,
    cout: usize,
    /// The tfjs HWIO filter as a row-major `[k·k·cin, cout]` matrix.
    w: Vec<f32>,
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

/// Output rows of `act(a · w + bias)` where the matrix `a` (`k` values per output pixel) is made
/// on the fly for each band of rows (a convolution's patches, a depthwise layer's output), used
/// by the matmul while still in cache; bands are spread over the threads.
struct BandedProduct<'a> {
    /// Output pixels per row.
    ow: usize,
    k: usize,
    w: &'a [f32],
    bias: &'a [f32],
    act: Act,
    /// Left-repeat flags of the output pixels (see [`skipping_repeats`]), or none.
    left: &'a [bool],
    /// Cut a small map into one slice of rows per thread only when it has more pixels than
    /// output channels (else one matmul split by output columns reads less of the weights).
    slices_need_more_pixels_than_outputs: bool,
}

impl BandedProduct<'_> {
    /// Output rows `r0..` (as many as `o` holds); `fill(row, dst)` writes the `k` values of each
    /// pixel of output rows `row..` (as many as `dst` holds).
    fn run(&self, r0: usize, o: &mut [f32], fill: impl Fn(usize, &mut [f32]) + Sync) {
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
            SCRATCH.with(|cell| {
                let mut a = cell.borrow_mut();
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
    rows: Vec<bool>,
    left: Vec<bool>,
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
fn by_row_runs(
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
fn band_flags(left: &[bool], from: usize, len: usize) -> &[bool] {
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
fn skipping_repeats(
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
    GATHERED.with(|cell| {
        let (packed, result) = &mut *cell.borrow_mut();
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
    static GATHERED: std::cell::RefCell<(Vec<f32>, Vec<f32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
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
    fn rows_into_any(&self, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
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

/// Channels per step of the depthwise kernel: one AVX register of f32.
const LANES: usize = 8;

/// [`dw_rows`] compiled for AVX2 + FMA (chosen at run time; the crate itself targets baseline
/// x86-64 so that the binary runs on any CPU).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dw_rows_avx2_fma(dw: &Depthwise, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
    dw_rows::<true>(dw, x, r0, act, dst);
}

/// Direct depthwise 3x3 for `c % 8 == 0`: per output pixel and group of 8 channels, the bias and
/// nine taps accumulate in registers (taps in the same order as [`Depthwise::rows_into_any`];
/// `FMA` fuses each multiply-add), then `act`, one store. Interior pixels take up to 8 groups at
/// once ([`dw_interior`]); a padding row is read as any valid row times zero weights (adds
/// exactly 0), so only edge columns need checks.
#[inline(always)]
fn dw_rows<const FMA: bool>(dw: &Depthwise, x: &Fm, r0: usize, act: Act, dst: &mut [f32]) {
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

thread_local! {
    /// Per-thread buffer of one band's depthwise output in [`dw_pw_rows`] or patches in
    /// [`Conv::forward_into`].
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in -1..1 (no RNG crate needed).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

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
