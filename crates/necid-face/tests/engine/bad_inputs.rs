//! Every crafted file in `shared/testdata/bad/` gives a typed error or a correct result, never a
//! panic, as its `MANIFEST.csv` `expect` column asks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{engine, shared};
use necid_face::{DecodeLimits, ImageError, decode_image, decode_image_stored_orientation};

fn manifest() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(shared("testdata/bad/MANIFEST.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            // file,bytes,sha256,expect,what — `expect` may be quoted.
            let mut cols = Vec::new();
            let (mut cur, mut quoted) = (String::new(), false);
            for ch in l.chars() {
                match ch {
                    '"' => quoted = !quoted,
                    ',' if !quoted => cols.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            cols.push(cur);
            (cols[0].clone(), cols[3].clone())
        })
        .collect()
}

#[test]
fn every_bad_file_gives_a_typed_error_or_the_expected_result() {
    let rows = manifest();
    assert_eq!(rows.len(), 27, "bad/MANIFEST.csv rows");
    let mut failures = Vec::new();
    for (file, expect) in &rows {
        let bytes = std::fs::read(shared("testdata/bad").join(file)).unwrap();
        let decoded = decode_image(&bytes, &DecodeLimits::default());
        let faces = decoded
            .as_ref()
            .ok()
            .map(|img| engine().detect(img).unwrap().len());
        let ok = if expect.starts_with("reject before decoding") {
            matches!(decoded, Err(ImageError::TooManyPixels { .. }))
        } else if expect == "reject" {
            decoded.is_err()
        } else if expect.starts_with("reject: no face") {
            decoded.is_err() || faces == Some(0)
        } else if expect.starts_with("reject (or decode partially")
            || expect.starts_with("reject (strict")
        {
            decoded.is_err() || faces.is_some_and(|n| n <= 1)
        } else if expect.starts_with("accept")
            || expect.starts_with("format-dependent")
            || expect.starts_with("sniff content")
        {
            faces == Some(1)
        } else {
            true // "depends on the minimum face size": only no panic
        };
        eprintln!(
            "{file:34} {:>8} {}",
            faces.map_or("-".into(), |n| format!("{n} face")),
            match &decoded {
                Ok(i) => format!("{}x{}", i.width(), i.height()),
                Err(e) => format!("error: {e}"),
            }
        );
        if !ok {
            failures.push(format!(
                "{file}: expected `{expect}`, got {:?} / faces {faces:?}",
                decoded.err()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let bytes = std::fs::read(shared("testdata/bad/bomb_valid_30000x30000_1bit.png")).unwrap();
    let err = decode_image(&bytes, &DecodeLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::TooManyPixels {
                width: 30000,
                height: 30000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("30000x30000"), "{err}");
}

#[test]
fn an_oversized_file_is_refused_before_decoding() {
    let limits = DecodeLimits {
        max_bytes: 1000,
        ..DecodeLimits::default()
    };
    let bytes = std::fs::read(shared("testdata/bad/good_reference_face.jpg")).unwrap();
    assert!(matches!(
        decode_image(&bytes, &limits),
        Err(ImageError::TooLarge {
            size: 13408,
            limit: 1000
        })
    ));
}

#[test]
fn exif_orientation_is_applied_so_the_face_is_upright() {
    let bytes = std::fs::read(shared("testdata/bad/face_exif_orientation6.jpg")).unwrap();
    let stored = decode_image_stored_orientation(&bytes, &DecodeLimits::default()).unwrap();
    let upright = decode_image(&bytes, &DecodeLimits::default()).unwrap();
    assert_eq!(
        (upright.width(), upright.height()),
        (stored.height(), stored.width())
    );
    let faces = engine().detect(&upright).unwrap();
    assert_eq!(faces.len(), 1);
    let a = &faces[0].attributes;
    // Upright: the eyes are side by side, the subject's right eye on the image's left.
    assert!(a.face_roll.abs() < 15.0, "roll {}", a.face_roll);
    assert!(a.right_eye_center.x < a.left_eye_center.x);
}

#[test]
fn a_missing_model_is_named_with_the_command_that_fetches_it() {
    let dir = std::env::temp_dir().join("necid-face-no-models");
    std::fs::create_dir_all(&dir).unwrap();
    let err = necid_face::FaceEngine::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("ssd_mobilenetv1_model-weights_manifest.json"),
        "{err}"
    );
    assert!(err.contains("scripts/fetch-models"), "{err}");
}
