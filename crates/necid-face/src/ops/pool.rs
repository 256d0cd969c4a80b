//! The pooling windows of the recognition and age/gender nets: max pool (padded cells never win)
//! and the 2x2 average pool.

use super::{Fm, Pad, out_size};

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
