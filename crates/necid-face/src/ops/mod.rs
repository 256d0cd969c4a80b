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
//!
//! One file per kind of kernel:
//! - [`tensor`]: the feature map, the padding rule and the fused activations;
//! - [`threads`](mod@threads): how a net and its kernels share rayon's pool;
//! - [`matmul`]: the `gemm` products every convolution ends in;
//! - [`conv`]: regular convolutions (1x1 and im2col);
//! - [`depthwise`] and [`depthwise_kernel`]: depthwise 3x3, fused 1x1 pairs, separable convolutions;
//! - [`repeats`]: the padding of a photo, copied instead of computed;
//! - [`pool`] and [`dense`]: pooling windows, fully connected heads and softmax.

mod conv;
mod dense;
mod depthwise;
mod depthwise_kernel;
mod matmul;
mod pool;
mod repeats;
mod tensor;
mod threads;

pub(crate) use conv::Conv;
pub(crate) use dense::{Dense, softmax};
pub(crate) use depthwise::{Depthwise, SepConv, dw_pw_rows};
pub(crate) use pool::{avg_pool2, max_pool};
pub(crate) use repeats::Repeats;
pub(crate) use tensor::{Act, Fm, Pad, out_size};
pub(crate) use threads::{run_net, serial, threads};

/// Deterministic values in -1..1 for the kernels' tests (no RNG crate needed).
#[cfg(test)]
fn test_values(n: usize, seed: u32) -> Vec<f32> {
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
