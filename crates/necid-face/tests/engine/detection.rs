//! Detection recall and precision on `shared/testdata/detection/ground_truth.json` (57 annotated
//! faces in 18 images) plus the six face-free images of `detection/none/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{engine, load_rgb, shared};
use necid_face::{BoundingBox, DetectOptions};
use serde_json::Value;

#[test]
fn the_detector_finds_most_annotated_faces_and_few_false_ones() {
    let gt: Value = serde_json::from_slice(
        &std::fs::read(shared("testdata/detection/ground_truth.json")).unwrap(),
    )
    .unwrap();
    let opts = DetectOptions {
        max_faces: 100,
        ..Default::default()
    };
    let (mut n_gt, mut n_det, mut matched_gt, mut matched_det) = (0, 0, 0, 0);
    for (path, entry) in gt["images"].as_object().unwrap() {
        let img = load_rgb(&shared("testdata/detection").join(path));
        let dets = engine().detect_with(&img, &opts).unwrap();
        // A face annotated with its eyes only gets a box spanning the eyes, matched by centre.
        let truth: Vec<BoundingBox> = entry["faces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| match f["box"].as_array() {
                Some(b) => {
                    let v = |i: usize| b[i].as_f64().unwrap();
                    BoundingBox {
                        x: v(0),
                        y: v(1),
                        width: v(2),
                        height: v(3),
                    }
                }
                None => {
                    let (l, r) = (&f["eye_left_in_image"], &f["eye_right_in_image"]);
                    let v = |p: &Value, i: usize| p[i].as_f64().unwrap();
                    let (x0, x1) = (v(l, 0), v(r, 0));
                    let (y0, y1) = (v(l, 1).min(v(r, 1)), v(l, 1).max(v(r, 1)));
                    BoundingBox {
                        x: x0,
                        y: y0,
                        width: x1 - x0,
                        height: (y1 - y0).max(1.0),
                    }
                }
            })
            .collect();
        // A detection matches a truth box at IoU ≥ 0.3 or when it contains the truth box's centre
        // (box styles differ between sources, see the testdata README); greedy one-to-one.
        let mut used = vec![false; dets.len()];
        let mut found = 0;
        for t in &truth {
            let (cx, cy) = (t.x + t.width / 2.0, t.y + t.height / 2.0);
            let best = dets
                .iter()
                .enumerate()
                .filter(|(i, d)| {
                    !used[*i]
                        && (d.bbox.iou(t) >= 0.3
                            || (cx > d.bbox.x
                                && cx < d.bbox.right()
                                && cy > d.bbox.y
                                && cy < d.bbox.bottom()))
                })
                .max_by(|a, b| a.1.bbox.iou(t).total_cmp(&b.1.bbox.iou(t)));
            if let Some((i, _)) = best {
                used[i] = true;
                found += 1;
            }
        }
        eprintln!(
            "{path}: {} annotated, {} detected, {found} matched",
            truth.len(),
            dets.len()
        );
        n_gt += truth.len();
        n_det += dets.len();
        matched_gt += found;
        matched_det += found;
    }
    let mut false_on_none = 0;
    for entry in std::fs::read_dir(shared("testdata/detection/none")).unwrap() {
        let p = entry.unwrap().path();
        let img = load_rgb(&p);
        let n = engine().detect_with(&img, &opts).unwrap().len();
        eprintln!(
            "none/{}: {n} detected",
            p.file_name().unwrap().to_string_lossy()
        );
        false_on_none += n;
        n_det += n;
    }
    let recall = matched_gt as f64 / n_gt as f64;
    let precision = matched_det as f64 / n_det as f64;
    eprintln!(
        "recall {matched_gt}/{n_gt} = {recall:.3}; precision {matched_det}/{n_det} = {precision:.3} \
         ({false_on_none} detections on the 6 face-free images)"
    );
    assert!(recall >= 0.6, "recall {recall:.3}");
    assert!(precision >= 0.85, "precision {precision:.3}");
}
