//! The NEC attributes behave sensibly on real photos: degrading a sharp frontal face lowers its
//! quality score and mirroring flips roll and pan.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{engine, load_rgb, shared};
use image::RgbImage;
use necid_face::Face;

fn one_face(img: &RgbImage) -> Face {
    let faces = engine().detect(img).unwrap();
    assert_eq!(faces.len(), 1, "expected one face");
    faces.into_iter().next().unwrap()
}

#[test]
fn a_sharp_frontal_face_scores_higher_than_blurred_dark_or_tiny_versions() {
    let img = load_rgb(&shared("testdata/faces/obama/1.jpg"));
    let q = |im: &RgbImage| one_face(im).attributes.face_quality_score;
    let good = q(&img);
    let blurred = q(&image::imageops::blur(&img, 6.0));
    let mut dark = img.clone();
    dark.pixels_mut()
        .for_each(|p| p.0.iter_mut().for_each(|v| *v /= 6));
    let dark = q(&dark);
    let (w, h) = (img.width() / 12, img.height() / 12);
    let tiny = q(&image::imageops::resize(
        &img,
        w,
        h,
        image::imageops::FilterType::Triangle,
    ));
    eprintln!(
        "quality: sharp {good:.3}, blurred {blurred:.3}, dark {dark:.3}, tiny ({w}x{h}) {tiny:.3}"
    );
    assert!(good > 0.7, "a sharp frontal face scores {good}");
    assert!(blurred < good - 0.1 && dark < good - 0.1 && tiny < good - 0.1);
    let a = one_face(&img).attributes;
    assert!(
        a.frontal_face_score > 0.6 && a.face_pan.abs() < 20.0,
        "{a:?}"
    );
    assert!(
        a.right_eye_center.x < a.left_eye_center.x,
        "subject's right eye is on the image's left"
    );
    assert!(a.face_area.left <= a.right_eye_center.x && a.left_eye_center.x <= a.face_area.right);
    assert!(a.head_area.top <= a.face_area.top && a.head_area.bottom >= a.face_area.bottom);
}

#[test]
fn mirroring_a_face_flips_its_roll_and_pan() {
    let img = load_rgb(&shared(
        "testdata/detection/single/Tom_Cruise_avp_2014_4.jpg",
    ));
    let a = one_face(&img).attributes;
    let m = one_face(&image::imageops::flip_horizontal(&img)).attributes;
    eprintln!(
        "roll {} / {}, pan {} / {}, tilt {} / {}",
        a.face_roll, m.face_roll, a.face_pan, m.face_pan, a.face_tilt, m.face_tilt
    );
    // The landmark net is not exactly mirror-symmetric: a few degrees of slack.
    assert!(
        a.face_roll.signum() != m.face_roll.signum() && (a.face_roll + m.face_roll).abs() < 4.0
    );
    assert!(a.face_pan.signum() != m.face_pan.signum() && (a.face_pan + m.face_pan).abs() < 4.0);
    assert!((a.face_tilt - m.face_tilt).abs() < 5.0);
}

#[test]
fn an_enlarged_tight_crop_is_found_through_a_shrunken_canvas() {
    // A 150×150 chip the first pass misses, enlarged so that its canvas would exceed the
    // retry's size cap: the boxes must still come back in the enlarged image's pixels.
    let chip = load_rgb(&shared("testdata/faces/john_simm/10.jpg"));
    let big = image::imageops::resize(&chip, 1200, 1200, image::imageops::FilterType::Triangle);
    let no_retry = necid_face::DetectOptions {
        retry_on_canvas: false,
        ..Default::default()
    };
    assert!(engine().detect_with(&big, &no_retry).unwrap().is_empty());
    let f = one_face(&big);
    let (cx, cy) = (
        f.bbox.x + f.bbox.width / 2.0,
        f.bbox.y + f.bbox.height / 2.0,
    );
    assert!(
        f.bbox.width > 600.0 && f.bbox.right() <= 1200.0 && f.bbox.bottom() <= 1200.0,
        "{:?}",
        f.bbox
    );
    assert!(
        (cx - 600.0).abs() < 200.0 && (cy - 600.0).abs() < 250.0,
        "{:?}",
        f.bbox
    );
}

#[test]
fn one_engine_serves_several_threads_at_once_with_identical_results() {
    let img = load_rgb(&shared("testdata/bad/good_reference_face.jpg"));
    let expected = engine().detect(&img).unwrap();
    let d0 = engine().descriptor(&img, &expected[0]).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let faces = engine().detect(&img).unwrap();
                    (faces.clone(), engine().descriptor(&img, &faces[0]).unwrap())
                })
            })
            .collect();
        for h in handles {
            let (faces, d) = h.join().unwrap();
            assert_eq!(faces, expected);
            assert_eq!(d, d0);
        }
    });
}
