//! The values every kernel shares: the NHWC feature map ([`Fm`]), TensorFlow's padding rule
//! ([`Pad`], [`out_size`]) and the activations fused into a kernel's output pass ([`Act`]).

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
    pub(super) fn add_bias_to(self, row: &mut [f32], bias: &[f32]) {
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
    pub(super) fn apply(self, v: f32) -> f32 {
        match self {
            Act::None => v,
            Act::Relu => v.max(0.0),
            Act::Relu6 => v.clamp(0.0, 6.0),
        }
    }
}
