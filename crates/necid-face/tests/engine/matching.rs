//! Tight face crops and the match-score calibration, on every image of `shared/testdata/faces`.
//!
//! One pass computes, per image, the face count without and with the tight-crop fix and the
//! descriptor of the largest face; the tests then check the fix, the operating point at the
//! API's default threshold 7000 over **every** genuine and impostor pair (not only PAIRS.csv),
//! and that the quality score keeps these people while it turns animals' faces away.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::OnceLock;

use common::{engine, load_rgb, shared};
use necid_face::{Descriptor, DetectOptions, compare};
use rayon::prelude::*;

struct Sample {
    path: String,
    identity: String,
    faces_before: usize,
    faces_after: usize,
    /// `faceQualityScore` of each face found (with the fix).
    qualities: Vec<f32>,
    descriptor: Option<Descriptor>,
}

fn samples() -> &'static Vec<Sample> {
    static S: OnceLock<Vec<Sample>> = OnceLock::new();
    S.get_or_init(|| {
        let manifest = std::fs::read_to_string(shared("testdata/faces/MANIFEST.csv")).unwrap();
        let no_fix = DetectOptions {
            retry_on_canvas: false,
            ..Default::default()
        };
        let lines: Vec<&str> = manifest.lines().skip(1).collect();
        // Images in parallel: the small nets do not fill two cores on their own.
        lines
            .par_iter()
            .map(|l| {
                let mut cols = l.split(',');
                let path = cols.next().unwrap().to_owned();
                let identity = cols.next().unwrap().to_owned();
                let img = load_rgb(&shared("testdata/faces").join(&path));
                let first = engine().detect_with(&img, &no_fix).unwrap();
                let faces_before = first.len();
                // The fix only acts when the first pass finds nothing: reuse that pass otherwise.
                let faces = if first.is_empty() {
                    engine().detect(&img).unwrap()
                } else {
                    first
                };
                let descriptor = faces.first().map(|f| engine().descriptor(&img, f).unwrap());
                Sample {
                    path,
                    identity,
                    faces_before,
                    faces_after: faces.len(),
                    qualities: faces
                        .iter()
                        .map(|f| f.attributes.face_quality_score)
                        .collect(),
                    descriptor,
                }
            })
            .collect()
    })
}

#[test]
fn a_tight_passport_crop_still_yields_one_face() {
    let s = samples();
    assert_eq!(s.len(), 174);
    let before = s.iter().filter(|x| x.faces_before == 1).count();
    let after = s.iter().filter(|x| x.faces_after == 1).count();
    let none_after: Vec<&str> = s
        .iter()
        .filter(|x| x.faces_after == 0)
        .map(|x| x.path.as_str())
        .collect();
    let many_after: Vec<&str> = s
        .iter()
        .filter(|x| x.faces_after > 1)
        .map(|x| x.path.as_str())
        .collect();
    eprintln!("exactly one face: {before} of 174 before the fix, {after} after");
    eprintln!("no face after the fix: {none_after:?}\nseveral faces after the fix: {many_after:?}");
    assert!(
        after >= 170,
        "only {after} of 174 images yield exactly one face"
    );
    assert!(
        after > before + 50,
        "the fix gained only {} images",
        after - before
    );
}

#[test]
fn the_default_threshold_7000_accepts_genuine_pairs_and_rejects_impostors() {
    let s = samples();
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    let mut unscored = 0;
    for i in 0..s.len() {
        for j in i + 1..s.len() {
            let same = s[i].identity == s[j].identity;
            let score = match (&s[i].descriptor, &s[j].descriptor) {
                (Some(a), Some(b)) => compare(a, b).0,
                _ => {
                    unscored += 1;
                    0 // no face: the pair cannot match
                }
            };
            if same {
                genuine.push(score)
            } else {
                impostor.push(score)
            }
        }
    }
    genuine.sort_unstable();
    impostor.sort_unstable();
    let frac = |v: &[u16], pred: &dyn Fn(u16) -> bool| {
        v.iter().filter(|&&x| pred(x)).count() as f64 / v.len() as f64
    };
    let far = frac(&impostor, &|x| x >= 7000);
    let frr = frac(&genuine, &|x| x < 7000);
    // The lowest threshold at which at most a fraction `p` of impostors are accepted.
    let at_far = |p: f64| {
        let allowed = (p * impostor.len() as f64).floor() as usize;
        impostor[impostor.len() - 1 - allowed] + 1
    };
    let q = |v: &[u16], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "pairs: {} genuine, {} impostor ({unscored} with a missing face)\n\
         genuine scores: min {} p5 {} p25 {} median {} p75 {} max {}\n\
         impostor scores: min {} median {} p75 {} p99 {} p99.9 {} max {}\n\
         at 7000: FAR {:.4}% ({} pairs), FRR {:.3}% ({} pairs)\n\
         FAR reaches 0.1% at score {} and 1% at score {}",
        genuine.len(),
        impostor.len(),
        genuine[0],
        q(&genuine, 0.05),
        q(&genuine, 0.25),
        q(&genuine, 0.5),
        q(&genuine, 0.75),
        genuine[genuine.len() - 1],
        impostor[0],
        q(&impostor, 0.5),
        q(&impostor, 0.75),
        q(&impostor, 0.99),
        q(&impostor, 0.999),
        impostor[impostor.len() - 1],
        far * 100.0,
        impostor.iter().filter(|&&x| x >= 7000).count(),
        frr * 100.0,
        genuine.iter().filter(|&&x| x < 7000).count(),
        at_far(0.001),
        at_far(0.01),
    );
    for t in (4000..=9000).step_by(500) {
        eprintln!(
            "  threshold {t}: FAR {:.4}%  FRR {:.3}%",
            frac(&impostor, &|x| x >= t) * 100.0,
            frac(&genuine, &|x| x < t) * 100.0
        );
    }
    assert!(far <= 0.001, "FAR at 7000 is {:.4}%", far * 100.0);
    assert!(frr <= 0.05, "FRR at 7000 is {:.3}%", frr * 100.0);
}

#[test]
fn scores_fall_as_descriptors_move_apart() {
    let a = Descriptor([0.1; 128]);
    let mut last = u16::MAX;
    for k in 0..60 {
        let mut b = a;
        b.0[0] += k as f32 * 0.02;
        let s = compare(&a, &b).0;
        assert!(s <= last && s <= 9999);
        last = s;
    }
    assert_eq!(compare(&a, &a).0, necid_face::score_for_distance(0.0).0);
    assert!(last < 500);
}

/// The lowest `faceMinimumQualityScore` an application may set (the service refuses less).
const LOWEST_MINIMUM_QUALITY: f32 = 0.45;

/// No animal faces: the dog that the detector takes for a face in `detection/none/dogs.jpg`, and
/// anything found in the eagle and horses photos, stay below the lowest minimum quality, while at
/// least 98 % of the people photos still give exactly one face at or above it.
#[test]
fn animal_faces_fall_below_the_lowest_minimum_quality_while_people_stay_above_it() {
    let s = samples();
    let people_kept: Vec<&Sample> = s
        .iter()
        .filter(|x| {
            x.qualities
                .iter()
                .filter(|q| **q >= LOWEST_MINIMUM_QUALITY)
                .count()
                == 1
        })
        .collect();
    let not_kept: Vec<(&str, &[f32])> = s
        .iter()
        .filter(|x| !people_kept.iter().any(|k| k.path == x.path))
        .map(|x| (x.path.as_str(), x.qualities.as_slice()))
        .collect();
    let mut animals = Vec::new();
    for name in ["dogs.jpg", "eagle.jpg", "horses.jpg"] {
        let img = load_rgb(&shared("testdata/detection/none").join(name));
        for face in engine().detect(&img).unwrap() {
            animals.push((name, face.score, face.attributes.face_quality_score));
        }
    }
    eprintln!(
        "people photos with exactly one face at or above {LOWEST_MINIMUM_QUALITY}: {} of {}; \
         the others {not_kept:?}\nanimal faces detected (photo, detector score, quality): \
         {animals:?}",
        people_kept.len(),
        s.len()
    );
    // The dog is still detected (else this test would test nothing); its quality is what drops.
    assert!(
        animals.iter().any(|(name, _, _)| *name == "dogs.jpg"),
        "the detector no longer finds the dog: {animals:?}"
    );
    assert!(
        animals
            .iter()
            .all(|(_, _, quality)| *quality < LOWEST_MINIMUM_QUALITY),
        "an animal face at or above the lowest minimum quality: {animals:?}"
    );
    assert!(
        people_kept.len() * 100 >= 98 * s.len(),
        "only {} of {} people photos keep exactly one face at or above {LOWEST_MINIMUM_QUALITY}",
        people_kept.len(),
        s.len()
    );
}
