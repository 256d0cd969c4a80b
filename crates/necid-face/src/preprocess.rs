//! Image → network input, exactly as tfjs `NetInput.toBatchTensor` does it (SPEC.md §3.5):
//! zero-pad the crop to a square, legacy-TF bilinear resize (no half-pixel centres, no
//! anti-aliasing), then per-net normalisation in f32.

use image::RgbImage;

use rayon::prelude::*;

use crate::ops::Fm;

/// An integer crop rectangle inside an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl CropRect {
    /// The whole image.
    pub fn full(img: &RgbImage) -> Self {
        Self {
            x: 0,
            y: 0,
            width: img.width(),
            height: img.height(),
        }
    }

    /// The package's crop rule (SPEC.md §11.1): clip the f64 box to the image, then floor.
    /// `None` when nothing is left.
    pub fn from_box(x: f64, y: f64, w: f64, h: f64, img_w: u32, img_h: u32) -> Option<Self> {
        let (iw, ih) = (f64::from(img_w), f64::from(img_h));
        let cx = x.max(0.0);
        let cy = y.max(0.0);
        let cw = (x + w - cx).min(iw - cx);
        let ch = (y + h - cy).min(ih - cy);
        if !(cx.is_finite() && cy.is_finite() && cw.is_finite() && ch.is_finite()) {
            return None;
        }
        let r = Self {
            x: cx.floor() as u32,
            y: cy.floor() as u32,
            width: cw.max(0.0).floor() as u32,
            height: ch.max(0.0).floor() as u32,
        };
        (r.width > 0 && r.height > 0 && r.x < img_w && r.y < img_h).then_some(r)
    }
}

/// Per-net normalisation of the resized 0..255 values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Norm {
    /// SSD: `x / 127.5 − 1`.
    Ssd,
    /// Landmarks, expressions, age/gender, recognition: `(x − mean) / 255`.
    Mean([f32; 3]),
}

pub(crate) const FACE_MEAN: [f32; 3] = [122.782, 117.001, 104.298];

/// Builds the `size × size × 3` input from `crop` of `img`; `centred` chooses the padding
/// placement (bottom/right for the detector, centred for the face nets).
pub(crate) fn to_input(
    img: &RgbImage,
    crop: CropRect,
    size: usize,
    centred: bool,
    norm: Norm,
) -> Fm {
    let (cw, ch) = (crop.width as usize, crop.height as usize);
    let side = cw.max(ch);
    let diff = side - cw.min(ch);
    let (before, _after) = if centred {
        // JS Math.round(diff/2) goes after; the rest before.
        let after = (diff as f64 / 2.0 + 0.5).floor() as usize;
        (diff - after, after)
    } else {
        (0, diff)
    };
    let (off_x, off_y) = if cw < ch { (before, 0) } else { (0, before) };
    let raw = img.as_raw();
    let stride = img.width() as usize * 3;
    let ratio = side as f64 / size as f64;
    let axis = |i: usize| -> (usize, usize, f64) {
        let src = i as f64 * ratio;
        let i0 = src.floor() as usize;
        let i1 = (src.ceil() as usize).min(side - 1);
        (i0.min(side - 1), i1, src - i0 as f64)
    };
    // Per output column: the offsets of its two neighbours in a padded row (below) and the
    // weight.
    let xs: Vec<(usize, usize, f64)> = (0..size)
        .map(|ox| {
            let (x0, x1, fx) = axis(ox);
            (x0 * 3, x1 * 3, fx)
        })
        .collect();
    // Row `py` of the padded square resized along x: `left + (right − left)·fx` per output
    // column and channel, in f64 as tfjs computes it (SPEC.md §3.5).
    let resized_row = |py: usize, buf: &mut Vec<u8>, out: &mut Vec<f64>| {
        buf.clear();
        buf.resize(side * 3, 0);
        if let Some(y) = py.checked_sub(off_y).filter(|&y| y < ch) {
            let src = &raw[(crop.y as usize + y) * stride..][crop.x as usize * 3..][..cw * 3];
            buf[off_x * 3..(off_x + cw) * 3].copy_from_slice(src);
        }
        out.resize(xs.len() * 3, 0.0);
        for (o, &(x0, x1, fx)) in out.chunks_exact_mut(3).zip(&xs) {
            let (l, r) = (&buf[x0..x0 + 3], &buf[x1..x1 + 3]);
            for k in 0..3 {
                let (l, r) = (f64::from(l[k]), f64::from(r[k]));
                o[k] = l + (r - l) * fx;
            }
        }
    };
    let mut out = Fm::zeros(size, size, 3);
    // Per thread: a row buffer and the last two resized rows with their source row numbers,
    // reused by the following output rows that read the same source rows.
    type Cache = (Vec<u8>, [(usize, Vec<f64>); 2]);
    let new_cache = || -> Cache {
        (
            Vec::new(),
            [(usize::MAX, Vec::new()), (usize::MAX, Vec::new())],
        )
    };
    let fill = |cache: &mut Cache, (oy, dst): (usize, &mut [f32])| {
        let (y0, y1, fy) = axis(oy);
        let (buf, rows) = cache;
        for want in [y0, y1] {
            if rows[0].0 != want && rows[1].0 != want {
                // Replace the slot not holding the other row needed now.
                let other = if want == y0 { y1 } else { y0 };
                let slot = usize::from(rows[0].0 == other);
                resized_row(want, buf, &mut rows[slot].1);
                rows[slot].0 = want;
            }
        }
        let find = |y: usize| {
            if rows[0].0 == y {
                &rows[0].1
            } else {
                &rows[1].1
            }
        };
        let (top, bottom) = (find(y0), find(y1));
        for ((d, &t), &b) in dst.iter_mut().zip(top).zip(bottom) {
            *d = (t + (b - t) * fy) as f32;
        }
        match norm {
            Norm::Ssd => dst.iter_mut().for_each(|d| *d = *d / 127.5 - 1.0),
            Norm::Mean(m) => {
                for px in dst.chunks_exact_mut(3) {
                    for (d, m) in px.iter_mut().zip(m) {
                        *d = (*d - m) / 255.0;
                    }
                }
            }
        }
    };
    if size >= 256 && crate::ops::threads() > 1 {
        out.data
            .par_chunks_mut(size * 3)
            .enumerate()
            .for_each_init(new_cache, fill);
    } else {
        let mut cache = new_cache();
        for row in out.data.chunks_mut(size * 3).enumerate() {
            fill(&mut cache, row);
        }
    }
    out
}
