//! The NEC face attributes computed from a detection, its 68 landmarks and the image pixels.
//! Every formula is documented on [`FaceAttributes`]; nothing here runs a network.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::{BoundingBox, Point};

/// An integer rectangle in image pixels, edges inclusive-exclusive like the NEC API's
/// `{left, top, right, bottom}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub left: i32,
    /// Top edge.
    pub top: i32,
    /// Right edge.
    pub right: i32,
    /// Bottom edge.
    pub bottom: i32,
}

/// An integer point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IPoint {
    /// Column.
    pub x: i32,
    /// Row.
    pub y: i32,
}

/// The NEC per-face attributes.
///
/// - `face_area`: the detector box rounded to whole pixels and clipped to the image.
/// - `head_area`: the face box grown by 18 % of its width on each side, 45 % of its height
///   upwards (forehead and hair) and 19 % downwards (chin), clipped to the image; the proportions
///   are those of the API reference's example (face 157×157 → head 214×257).
/// - `right_eye_center` / `left_eye_center`: the mean of landmarks 36-41 / 42-47. The subject's
///   right eye is the one on the image's **left**.
/// - `face_score`: the SSD detector's confidence.
/// - `face_roll`: the angle of the eye line, degrees, positive when the eye on the image's right
///   is higher (the API example: right eye (195,198), left eye (276,191) → +4.9°).
/// - `face_pan`, `face_tilt`: a scaled-orthographic (affine camera) least-squares fit of six
///   landmarks (nose tip 30, chin 8, outer eye corners 36/45, mouth corners 48/54) to a generic
///   3-D face; the fitted rotation's facing direction `f` gives pan = atan2(f.x, f.z) (positive
///   when the face turns towards the image's right) and tilt = atan2(f.y, f.z) (positive when the
///   face looks up).
/// - `frontal_face_score`: `1 − θ/45°` clamped to 0..1, θ the angle between the facing direction
///   and the camera axis.
/// - `face_quality_score` in 0..1: the weighted geometric mean
///   `sharp^0.25 · exposure^0.20 · size^0.20 · pose^0.20 · confidence^0.15` of
///   sharpness (`v/(v+60)`, v the variance of the Laplacian of the grey face area resampled to
///   96×96), exposure (`1 − |mean−125|/125` times `min(1, std/40)` of the grey face area, floored
///   at 0.05), size (`(eye distance − 8)/(48 − 8)` clamped to 0.05..1, in pixels),
///   pose (the frontal face score, floored at 0.05) and the detector confidence; times the
///   landmark plausibility: 1 while the eyes are no more open (opening over width, human
///   0.300 ± 0.030) and the nose no narrower (width over eye distance, human 0.382 ± 0.026) than
///   3 spreads, as a root mean square of the two, falling linearly to 0.05 at 5 spreads. It turns
///   away the animal faces the detector finds, whose round eyes and narrow nose the landmark net
///   outlines (`docs/face-engine.md`, "No animal faces").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceAttributes {
    /// Face rectangle.
    pub face_area: Rect,
    /// Head rectangle.
    pub head_area: Rect,
    /// Subject's right eye (image left).
    pub right_eye_center: IPoint,
    /// Subject's left eye (image right).
    pub left_eye_center: IPoint,
    /// Detector confidence, 0..1.
    pub face_score: f32,
    /// How frontal the face is, 0..1.
    pub frontal_face_score: f32,
    /// Roll, degrees.
    pub face_roll: f32,
    /// Pan (yaw), degrees.
    pub face_pan: f32,
    /// Tilt (pitch), degrees.
    pub face_tilt: f32,
    /// Overall quality, 0..1.
    pub face_quality_score: f32,
}

fn mean(pts: &[Point]) -> (f64, f64) {
    let n = pts.len().max(1) as f64;
    (
        pts.iter().map(|p| p.x).sum::<f64>() / n,
        pts.iter().map(|p| p.y).sum::<f64>() / n,
    )
}

fn clip_rect(l: f64, t: f64, r: f64, b: f64, w: u32, h: u32) -> Rect {
    let cl = |v: f64, m: u32| v.round().clamp(0.0, f64::from(m)) as i32;
    Rect {
        left: cl(l, w),
        top: cl(t, h),
        right: cl(r, w),
        bottom: cl(b, h),
    }
}

/// Generic 3-D face (x to the image right, y up, z towards the camera) for landmarks
/// 30, 8, 36, 45, 48, 54: the usual head-pose model, with the nose tip placed 30 units lower
/// so that the frontal photos of `testdata` (whose 68 points come from this landmark net) read as
/// level (the unadjusted model gave them about −12° of tilt).
const MODEL_3D: [(usize, [f64; 3]); 6] = [
    (30, [0.0, -30.0, 0.0]),
    (8, [0.0, -330.0, -65.0]),
    (36, [-225.0, 170.0, -135.0]),
    (45, [225.0, 170.0, -135.0]),
    (48, [-150.0, -150.0, -125.0]),
    (54, [150.0, -150.0, -125.0]),
];

/// `(pan, tilt, off_axis)` in degrees from the affine-camera fit.
#[allow(clippy::needless_range_loop)] // small matrices read best with indices
pub(crate) fn head_pose(pts: &[Point]) -> (f64, f64, f64) {
    if pts.len() < 68 {
        return (0.0, 0.0, 0.0);
    }
    let n = MODEL_3D.len() as f64;
    let mut c3 = [0.0; 3];
    let mut c2 = [0.0; 2];
    for (i, m) in MODEL_3D {
        (0..3).for_each(|k| c3[k] += m[k] / n);
        c2[0] += pts[i].x / n;
        c2[1] += -pts[i].y / n; // image y points down
    }
    // Normal equations: M (2×3) = (Σ x Xᵀ)(Σ X Xᵀ)⁻¹ on centred points.
    let mut xx = [[0.0f64; 3]; 3];
    let mut ux = [[0.0f64; 3]; 2];
    for (i, m) in MODEL_3D {
        let x = [m[0] - c3[0], m[1] - c3[1], m[2] - c3[2]];
        let u = [pts[i].x - c2[0], -pts[i].y - c2[1]];
        for a in 0..3 {
            for b in 0..3 {
                xx[a][b] += x[a] * x[b];
            }
            for r in 0..2 {
                ux[r][a] += u[r] * x[a];
            }
        }
    }
    let Some(inv) = invert3(&xx) else {
        return (0.0, 0.0, 0.0);
    };
    let mut m = [[0.0f64; 3]; 2];
    for r in 0..2 {
        for c in 0..3 {
            m[r][c] = (0..3).map(|k| ux[r][k] * inv[k][c]).sum();
        }
    }
    let norm = |v: [f64; 3]| {
        let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if l > 0.0 {
            [v[0] / l, v[1] / l, v[2] / l]
        } else {
            v
        }
    };
    let r1 = norm(m[0]);
    // Make r2 orthogonal to r1 (Gram-Schmidt) so that R is a rotation.
    let d = r1[0] * m[1][0] + r1[1] * m[1][1] + r1[2] * m[1][2];
    let r2 = norm([
        m[1][0] - d * r1[0],
        m[1][1] - d * r1[1],
        m[1][2] - d * r1[2],
    ]);
    let r3 = [
        r1[1] * r2[2] - r1[2] * r2[1],
        r1[2] * r2[0] - r1[0] * r2[2],
        r1[0] * r2[1] - r1[1] * r2[0],
    ];
    // The model's forward axis (0,0,1) in camera coordinates.
    let f = [r1[2], r2[2], r3[2]];
    let pan = f[0].atan2(f[2]).to_degrees();
    let tilt = f[1].atan2(f[2]).to_degrees();
    let off = f[2].clamp(-1.0, 1.0).acos().to_degrees();
    (pan, tilt, off)
}

#[allow(clippy::needless_range_loop)]
fn invert3(a: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
        - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if det.abs() < 1e-12 {
        return None;
    }
    let mut r = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let (i1, i2) = ((j + 1) % 3, (j + 2) % 3);
            let (j1, j2) = ((i + 1) % 3, (i + 2) % 3);
            r[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
        }
    }
    Some(r)
}

/// Grey (BT.601) values of `rect` resampled to `n × n` by bilinear interpolation.
fn grey_patch(img: &RgbImage, rect: Rect, n: usize) -> Option<Vec<f64>> {
    let (w, h) = (
        (rect.right - rect.left) as f64,
        (rect.bottom - rect.top) as f64,
    );
    if w < 2.0 || h < 2.0 {
        return None;
    }
    let grey = |x: u32, y: u32| {
        let p = img
            .get_pixel(x.min(img.width() - 1), y.min(img.height() - 1))
            .0;
        0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
    };
    let mut out = Vec::with_capacity(n * n);
    for j in 0..n {
        let sy = rect.top as f64 + (j as f64 + 0.5) * h / n as f64 - 0.5;
        for i in 0..n {
            let sx = rect.left as f64 + (i as f64 + 0.5) * w / n as f64 - 0.5;
            let (x0, y0) = (sx.floor().max(0.0), sy.floor().max(0.0));
            let (fx, fy) = ((sx - x0).clamp(0.0, 1.0), (sy - y0).clamp(0.0, 1.0));
            let (x0, y0) = (x0 as u32, y0 as u32);
            let v = grey(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + grey(x0 + 1, y0) * fx * (1.0 - fy)
                + grey(x0, y0 + 1) * (1.0 - fx) * fy
                + grey(x0 + 1, y0 + 1) * fx * fy;
            out.push(v);
        }
    }
    Some(out)
}

/// `(sharpness, exposure)` factors in 0..1 of the face area.
fn image_factors(img: &RgbImage, face: Rect) -> (f64, f64) {
    const N: usize = 96;
    let Some(p) = grey_patch(img, face, N) else {
        return (0.05, 0.05);
    };
    let mut lap = Vec::with_capacity((N - 2) * (N - 2));
    for y in 1..N - 1 {
        for x in 1..N - 1 {
            let c = p[y * N + x];
            lap.push(
                p[(y - 1) * N + x] + p[(y + 1) * N + x] + p[y * N + x - 1] + p[y * N + x + 1]
                    - 4.0 * c,
            );
        }
    }
    let var = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (
            m,
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64,
        )
    };
    let (_, lv) = var(&lap);
    let sharp = lv / (lv + 60.0);
    let (m, gv) = var(&p);
    let exposure =
        ((1.0 - (m - 125.0).abs() / 125.0) * (gv.sqrt() / 40.0).min(1.0)).clamp(0.05, 1.0);
    (sharp.clamp(0.05, 1.0), exposure)
}

/// A human eye's opening (the eye aspect ratio: the mean of the two lid-to-lid distances over
/// the corner-to-corner width, landmarks 37-41 and 38-40 over 36-39, and likewise for the other
/// eye) as `(median, spread)`, the spread being 1.4826 × the median absolute deviation. Measured
/// on the 167 faces that the detector finds in the package's demo photos, `testdata/detection`
/// and `testdata/bad`; the 174 photos of `testdata/faces` were kept aside to check it.
const EYE_OPENING: (f64, f64) = (0.300, 0.030);

/// A human nose's width (landmarks 31-35) over the distance between the eye centres, as
/// `(median, spread)`, measured like [`EYE_OPENING`].
const NOSE_WIDTH: (f64, f64) = (0.382, 0.026);

/// Up to this many spreads from the human layout a face is fully plausible...
const PLAUSIBLE_UP_TO: f64 = 3.0;
/// ...and from this many on it is not (the plausibility falls linearly in between).
const IMPLAUSIBLE_FROM: f64 = 5.0;

/// How much the 68 landmarks look like a human face's, 0.05..1.
///
/// The landmark net draws a face's 68 points on whatever the detector hands it, and on an
/// animal's face it outlines the animal's eyes and nose: round eyes (a dog's eye opening is
/// 0.56 of its width, a human's 0.30, 0.35 when surprised) and a nose narrower than any human
/// one. The score is the root mean square of how far the eyes are more open than a human's and
/// the nose narrower, in spreads of the human values ([`EYE_OPENING`], [`NOSE_WIDTH`]); only
/// those directions count, so closed eyes or a broad nose cost nothing. Every face of
/// `testdata/faces` lies within 1.8 spreads; the dog of `detection/none/dogs.jpg` lies at 6.7
/// (4.8 in its mirror image). Landmarks that collapsed on a face the net cannot read (a profile,
/// a blurred face in a crowd) score low as well, and such a face is a poor template anyway.
fn landmark_plausibility(pts: &[Point]) -> f64 {
    if pts.len() < 68 {
        return 1.0;
    }
    let dist = |a: &Point, b: &Point| (a.x - b.x).hypot(a.y - b.y);
    let opening = |e: &[Point]| {
        let width = dist(&e[0], &e[3]);
        (dist(&e[1], &e[5]) + dist(&e[2], &e[4])) / (2.0 * width)
    };
    let (re, le) = (mean(&pts[36..42]), mean(&pts[42..48]));
    let eye_distance = (le.0 - re.0).hypot(le.1 - re.1);
    let eyes = (opening(&pts[36..42]) + opening(&pts[42..48])) / 2.0;
    let nose = dist(&pts[31], &pts[35]) / eye_distance;
    if !(eyes.is_finite() && nose.is_finite()) {
        // A degenerate shape (both corners of an eye, or both eyes, on one point).
        return 0.05;
    }
    let more_open = ((eyes - EYE_OPENING.0) / EYE_OPENING.1).max(0.0);
    let narrower = ((NOSE_WIDTH.0 - nose) / NOSE_WIDTH.1).max(0.0);
    let spreads = ((more_open * more_open + narrower * narrower) / 2.0).sqrt();
    let fall = (spreads - PLAUSIBLE_UP_TO) / (IMPLAUSIBLE_FROM - PLAUSIBLE_UP_TO);
    (1.0 - fall).clamp(0.05, 1.0)
}

/// All attributes of one face.
pub(crate) fn compute(
    img: &RgbImage,
    bbox: &BoundingBox,
    score: f32,
    pts: &[Point],
) -> FaceAttributes {
    let (w, h) = (img.width(), img.height());
    let face_area = clip_rect(
        bbox.x,
        bbox.y,
        bbox.x + bbox.width,
        bbox.y + bbox.height,
        w,
        h,
    );
    let head_area = clip_rect(
        bbox.x - 0.18 * bbox.width,
        bbox.y - 0.45 * bbox.height,
        bbox.x + 1.18 * bbox.width,
        bbox.y + 1.19 * bbox.height,
        w,
        h,
    );
    let (re, le) = if pts.len() >= 48 {
        (mean(&pts[36..42]), mean(&pts[42..48]))
    } else {
        ((0.0, 0.0), (0.0, 0.0))
    };
    let roll = (re.1 - le.1).atan2(le.0 - re.0).to_degrees();
    let (pan, tilt, off) = head_pose(pts);
    let frontal = (1.0 - off / 45.0).clamp(0.0, 1.0);
    let (sharp, exposure) = image_factors(img, face_area);
    let eye_dist = ((le.0 - re.0).powi(2) + (le.1 - re.1).powi(2)).sqrt();
    let size = ((eye_dist - 8.0) / 40.0).clamp(0.05, 1.0);
    let pose = frontal.max(0.05);
    let conf = f64::from(score).clamp(0.05, 1.0);
    let quality = sharp.powf(0.25)
        * exposure.powf(0.20)
        * size.powf(0.20)
        * pose.powf(0.20)
        * conf.powf(0.15)
        * landmark_plausibility(pts);
    let ip = |p: (f64, f64)| IPoint {
        x: p.0.round() as i32,
        y: p.1.round() as i32,
    };
    FaceAttributes {
        face_area,
        head_area,
        right_eye_center: ip(re),
        left_eye_center: ip(le),
        face_score: score,
        frontal_face_score: frontal as f32,
        face_roll: roll as f32,
        face_pan: pan as f32,
        face_tilt: tilt as f32,
        face_quality_score: quality.clamp(0.0, 1.0) as f32,
    }
}
