//! The `necid-face` command line, run as a person or a script would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Command, Output};

use common::shared;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_necid-face"))
        .args(args)
        .output()
        .unwrap()
}

fn path(rel: &str) -> String {
    shared(rel).to_string_lossy().into_owned()
}

fn json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim().lines().last().unwrap()).unwrap()
}

#[test]
fn extract_prints_the_nec_attributes_as_strings_and_more_with_full() {
    let out = run(&["extract", &path("testdata/bad/good_reference_face.jpg")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let a = &v["faces"][0]["attributes"];
    for k in [
        "frontalFaceScore",
        "faceRoll",
        "facePan",
        "faceTilt",
        "faceScore",
        "faceQualityScore",
    ] {
        assert!(
            a[k].as_str().unwrap().parse::<f64>().is_ok(),
            "{k}: {}",
            a[k]
        );
    }
    assert!(
        a["faceArea"]["left"]
            .as_str()
            .unwrap()
            .parse::<i32>()
            .is_ok()
    );
    assert!(
        a["rightEyeCenter"]["x"].as_str().is_some() && a["headArea"]["bottom"].as_str().is_some()
    );
    assert!(v["faces"][0].get("descriptor").is_none());

    let full = json(&run(&[
        "extract",
        "--full",
        &path("testdata/bad/good_reference_face.jpg"),
    ]));
    let f = &full["faces"][0];
    assert_eq!(f["descriptor"].as_array().unwrap().len(), 128);
    assert_eq!(f["landmarks"].as_array().unwrap().len(), 68);
    assert!(f["box"]["right"].as_f64().unwrap() > f["box"]["left"].as_f64().unwrap());
    assert!(f["age"].is_number() && f["gender"].is_string() && f["genderProbability"].is_number());
    assert_eq!(f["expressions"].as_object().unwrap().len(), 7);
}

#[test]
fn extract_gives_an_empty_list_for_no_face_and_an_error_for_an_unusable_file() {
    let out = run(&["extract", &path("testdata/detection/none/white.png")]);
    assert!(out.status.success());
    assert_eq!(json(&out), serde_json::json!({"faces": []}));
    let bad = run(&["extract", &path("testdata/bad/text_renamed.jpg")]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a supported image format"));
}

#[test]
fn compare_scores_the_same_person_high_and_fails_without_a_face() {
    let same = run(&[
        "compare",
        &path("testdata/faces/obama/1.jpg"),
        &path("testdata/faces/obama/2.jpg"),
    ]);
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(json(&same)["score"].as_u64().unwrap() >= 7000);
    let none = run(&[
        "compare",
        &path("testdata/faces/obama/1.jpg"),
        &path("testdata/detection/none/white.png"),
    ]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no face"));
}

#[test]
fn bench_ends_with_one_json_line_of_stage_medians() {
    let out = run(&[
        "bench",
        &path("testdata/bad/good_reference_face.jpg"),
        "--runs",
        "1",
        "--threads",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    for k in [
        "decode_ms",
        "detect_ms",
        "landmarks_ms",
        "descriptor_ms",
        "total_ms",
    ] {
        assert!(v[k].as_f64().unwrap() >= 0.0, "{k}");
    }
    assert_eq!(v["threads"], 1);
}
