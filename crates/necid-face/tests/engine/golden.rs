//! Agreement with the original JavaScript package on every golden of
//! `shared/face-models/golden/out-image-rs/` (pixels decoded by the `image` crate, so the
//! comparison is exact) and the PNGs whose pixels equal `out/` (SPEC.md §12-13).
//!
//! The detector is checked end to end; each downstream net is also checked on the golden crop
//! rectangles, so that one crop that flips by a pixel cannot cascade.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Golden, crop, engine, f, goldens, ssd_faces};
use necid_face::DetectOptions;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Each golden's stored-orientation pixels (the package ignores EXIF, SPEC.md §15 item 9),
/// decoded and checked once per test binary.
fn pixels(g: &Golden) -> &'static image::RgbImage {
    static P: OnceLock<HashMap<String, image::RgbImage>> = OnceLock::new();
    let all = P.get_or_init(|| {
        goldens()
            .iter()
            .map(|g| (g.name.clone(), decode(g)))
            .collect()
    });
    &all[&g.name]
}

fn decode(g: &Golden) -> image::RgbImage {
    let bytes = std::fs::read(&g.image).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (demo images come with `scripts/fetch-models`)",
            g.image.display()
        )
    });
    // Exactly how the goldens' pixels were made (`image::open(path)?.to_rgb8()`): this test is
    // about the nets, not the decoder policy (which refuses e.g. the truncated JPEG the
    // goldens include); `bad_inputs.rs` covers `decode_image`.
    let img = image::load_from_memory(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", g.name))
        .to_rgb8();
    let sha: String = Sha256::digest(img.as_raw())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        sha,
        g.json["image"]["rgbSha256"].as_str().unwrap(),
        "{}: decoded pixels differ from the golden's (image crate version?)",
        g.name
    );
    img
}

fn report(what: &str, failures: &[String], checked: usize) {
    if !failures.is_empty() {
        panic!(
            "{what}: {} of {checked} checks failed:\n{}",
            failures.len(),
            failures
                .iter()
                .take(25)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// What one image contributes to the detection test.
#[derive(Default)]
struct DetStats {
    failures: Vec<String>,
    faces: usize,
    max_score: f64,
    min_iou: f64,
    max_lm: f64,
    lm_crops_equal: usize,
}

fn check_detections(g: &Golden, gold: &[serde_json::Value]) -> DetStats {
    let opts = DetectOptions {
        max_faces: 100,
        retry_on_canvas: false,
        largest_first: false,
        ..Default::default()
    };
    let mut st = DetStats {
        min_iou: 1.0,
        ..Default::default()
    };
    let img = pixels(g);
    let faces = engine().detect_with(img, &opts).unwrap();
    if faces.len() != gold.len() {
        st.failures.push(format!(
            "{}: {} faces, golden {}",
            g.name,
            faces.len(),
            gold.len()
        ));
        return st;
    }
    for (i, (ours, gf)) in faces.iter().zip(gold).enumerate() {
        st.faces += 1;
        let ds = (f64::from(ours.score) - f(&gf["score"])).abs();
        let gb = necid_face::BoundingBox {
            x: f(&gf["box"]["x"]),
            y: f(&gf["box"]["y"]),
            width: f(&gf["box"]["width"]),
            height: f(&gf["box"]["height"]),
        };
        let iou = ours.bbox.iou(&gb);
        st.max_score = st.max_score.max(ds);
        st.min_iou = st.min_iou.min(iou);
        if ds > 1e-4 || iou < 0.999 {
            st.failures.push(format!(
                "{} face {i}: score Δ {ds:.2e}, IoU {iou:.6}",
                g.name
            ));
            continue;
        }
        let lc = ours.landmark_crop(img.width(), img.height()).unwrap();
        if lc != crop(&gf["landmarkCrop"]) {
            continue; // a crop on an integer boundary; the stage test covers the net
        }
        st.lm_crops_equal += 1;
        let d = ours
            .landmarks
            .iter()
            .zip(gf["landmarks"].as_array().unwrap())
            .map(|(p, q)| (p.x - f(&q[0])).abs().max((p.y - f(&q[1])).abs()))
            .fold(0.0, f64::max);
        st.max_lm = st.max_lm.max(d);
        if d > 0.05 {
            st.failures
                .push(format!("{} face {i}: landmarks off by {d:.4} px", g.name));
        }
    }
    st
}

#[test]
fn every_golden_image_gives_the_same_detections_as_the_original() {
    let with_runs: Vec<(&Golden, &Vec<serde_json::Value>)> = goldens()
        .iter()
        .filter_map(|g| ssd_faces(g).map(|f| (g, f)))
        .collect();
    // Images in parallel: most are small, and one image does not fill two cores.
    let stats: Vec<DetStats> = with_runs
        .par_iter()
        .map(|(g, gold)| check_detections(g, gold))
        .collect();
    let images = stats.len();
    let faces: usize = stats.iter().map(|s| s.faces).sum();
    let max_score = stats.iter().map(|s| s.max_score).fold(0.0, f64::max);
    let min_iou = stats.iter().map(|s| s.min_iou).fold(1.0, f64::min);
    let max_lm = stats.iter().map(|s| s.max_lm).fold(0.0, f64::max);
    let equal: usize = stats.iter().map(|s| s.lm_crops_equal).sum();
    let failures: Vec<String> = stats.into_iter().flat_map(|s| s.failures).collect();
    eprintln!(
        "detections: {images} images, {faces} faces; max score Δ {max_score:.2e}, min IoU {min_iou:.6}, \
         max landmark Δ {max_lm:.4} px on {equal} equal crops"
    );
    assert!(images >= 200, "only {images} golden images found");
    report("detections", &failures, faces);
}

#[test]
fn landmarks_match_the_original_on_the_golden_crops() {
    let (mut failures, mut n, mut max_d) = (Vec::new(), 0, 0.0f64);
    for g in goldens() {
        let Some(gold) = ssd_faces(g) else { continue };
        if gold.is_empty() {
            continue;
        }
        let img = pixels(g);
        for (i, gf) in gold.iter().enumerate() {
            n += 1;
            let origin = (f(&gf["box"]["x"]), f(&gf["box"]["y"]));
            let pts = engine()
                .landmarks_in_crop(img, crop(&gf["landmarkCrop"]), origin)
                .unwrap();
            let d = pts
                .iter()
                .zip(gf["landmarks"].as_array().unwrap())
                .map(|(p, q)| (p.x - f(&q[0])).abs().max((p.y - f(&q[1])).abs()))
                .fold(0.0, f64::max);
            max_d = max_d.max(d);
            if d > 0.05 {
                failures.push(format!("{} face {i}: landmarks off by {d:.4} px", g.name));
            }
        }
    }
    eprintln!("landmarks: {n} faces, max |Δ| {max_d:.5} px");
    assert!(n >= 250, "only {n} golden faces");
    report("landmarks", &failures, n);
}

#[test]
fn descriptors_match_the_original_on_the_golden_crops() {
    let (mut failures, mut n, mut min_cos) = (Vec::new(), 0, 1.0f64);
    for g in goldens() {
        let Some(gold) = ssd_faces(g) else { continue };
        if gold.is_empty() {
            continue;
        }
        let img = pixels(g);
        for (i, gf) in gold.iter().enumerate() {
            n += 1;
            let d = engine()
                .descriptor_of_crop(img, crop(&gf["descriptorCrop"]))
                .unwrap();
            let gd: Vec<f64> = gf["descriptor"].as_array().unwrap().iter().map(f).collect();
            let dot: f64 = d.0.iter().zip(&gd).map(|(a, b)| f64::from(*a) * b).sum();
            let na: f64 =
                d.0.iter()
                    .map(|a| f64::from(*a).powi(2))
                    .sum::<f64>()
                    .sqrt();
            let nb: f64 = gd.iter().map(|b| b * b).sum::<f64>().sqrt();
            let cos = dot / (na * nb);
            min_cos = min_cos.min(cos);
            if cos < 0.9999 {
                failures.push(format!("{} face {i}: descriptor cosine {cos:.6}", g.name));
            }
        }
    }
    eprintln!("descriptors: {n} faces, min cosine {min_cos:.8}");
    assert!(n >= 250, "only {n} golden faces");
    report("descriptors", &failures, n);
}

#[test]
fn expressions_age_and_gender_match_the_original_on_the_golden_crops() {
    let (mut failures, mut n) = (Vec::new(), 0);
    let (mut max_e, mut max_age) = (0.0f64, 0.0f64);
    for g in goldens() {
        let Some(gold) = ssd_faces(g) else { continue };
        if gold.is_empty() {
            continue;
        }
        let img = pixels(g);
        for (i, gf) in gold.iter().enumerate() {
            n += 1;
            let c = crop(&gf["alignedCrop"]);
            let e = engine().expressions_of_crop(img, c).unwrap();
            let de = e
                .as_pairs()
                .iter()
                .map(|(k, v)| (f64::from(*v) - f(&gf["expressions"][*k])).abs())
                .fold(0.0, f64::max);
            let ag = engine().age_gender_of_crop(img, c).unwrap();
            let da = (f64::from(ag.age) - f(&gf["age"])).abs();
            let gender = serde_json::to_value(ag.gender).unwrap();
            max_e = max_e.max(de);
            max_age = max_age.max(da);
            if de > 1e-3 || da > 0.05 || gender != gf["gender"] {
                failures.push(format!(
                    "{} face {i}: expressions Δ {de:.2e}, age Δ {da:.4}, gender {gender} vs {}",
                    g.name, gf["gender"]
                ));
            }
        }
    }
    eprintln!(
        "expressions/age/gender: {n} faces, max expression Δ {max_e:.2e}, max age Δ {max_age:.4}"
    );
    assert!(n >= 250, "only {n} golden faces");
    report("expressions/age/gender", &failures, n);
}
