//! The local extension `POST /v1.1/face/extract?landmarks=68`: each face's 68 landmarks beside
//! its attributes, as JSON numbers in the image's pixels; without the option, the NEC answer
//! unchanged (each face holds `attributes` and nothing else); any other value a 400.

use axum::http::StatusCode;
use necid::{FaceAttributes, FaceImage, FaceRect};
use serde_json::{Value, json};

use crate::common::{self, Call, send, state};

fn group_photo() -> FaceImage {
    FaceImage::from_path(common::testdata().join("detection/multi/bbt1.jpg")).expect("the photo")
}

/// Each face object's keys, sorted, and its attributes.
fn faces(body: &Value) -> Vec<(Vec<String>, &Value)> {
    body["faces"]
        .as_array()
        .expect("a faces array")
        .iter()
        .map(|face| {
            let object = face.as_object().expect("a face object");
            let mut keys: Vec<String> = object.keys().cloned().collect();
            keys.sort();
            (keys, face)
        })
        .collect()
}

/// `rect` grown by a quarter of its size on every side: landmarks of a turned face can reach
/// just past its headArea (the jaw line of a face in profile).
fn widened(rect: FaceRect) -> (f64, f64, f64, f64) {
    let margin_x = f64::from(rect.width()) / 4.0;
    let margin_y = f64::from(rect.height()) / 4.0;
    (
        f64::from(rect.left) - margin_x,
        f64::from(rect.top) - margin_y,
        f64::from(rect.right) + margin_x,
        f64::from(rect.bottom) + margin_y,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_with_landmarks_gives_68_points_on_each_face_and_plain_extract_is_the_nec_answer() {
    let (state, _dir) = state();
    let photo = group_photo();
    let (width, height) = photo
        .decode_for_display(u32::MAX)
        .expect("pixels")
        .upright_size;
    let body = json!({ "faces": photo.to_base64() });

    let (status, plain) = send(
        &state,
        Call::new("POST", "/v1.1/face/extract")
            .json(body.clone())
            .request(&state),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    let plain_faces = faces(&plain);
    assert!(plain_faces.len() >= 3, "a group: {plain}");
    for (keys, _) in &plain_faces {
        assert_eq!(keys, &["attributes"], "the NEC face object, nothing more");
    }

    let (status, marked) = send(
        &state,
        Call::new("POST", "/v1.1/face/extract?landmarks=68")
            .json(body)
            .request(&state),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    let marked_faces = faces(&marked);
    assert_eq!(marked_faces.len(), plain_faces.len(), "the same faces");
    for ((keys, face), (_, plain_face)) in marked_faces.iter().zip(&plain_faces) {
        assert_eq!(keys, &["attributes", "landmarks"]);
        assert_eq!(
            face["attributes"], plain_face["attributes"],
            "same attributes"
        );
        let attributes: FaceAttributes =
            serde_json::from_value(face["attributes"].clone()).expect("attributes");
        let (left, top, right, bottom) = widened(attributes.head_area);
        let points = face["landmarks"].as_array().expect("a landmarks array");
        assert_eq!(points.len(), 68);
        for point in points {
            let (Some(x), Some(y)) = (point["x"].as_f64(), point["y"].as_f64()) else {
                panic!("x and y are JSON numbers: {point}");
            };
            assert_eq!(point.as_object().map(|o| o.len()), Some(2), "{point}");
            assert!(
                (0.0..f64::from(width)).contains(&x) && (0.0..f64::from(height)).contains(&y),
                "{point} inside the {width}x{height} image"
            );
            assert!(
                (left..=right).contains(&x) && (top..=bottom).contains(&y),
                "{point} on its face (headArea {:?})",
                attributes.head_area
            );
        }
    }
}

#[tokio::test]
async fn any_other_landmarks_option_is_an_invalid_request() {
    let (state, _dir) = state();
    let body = json!({ "faces": group_photo().to_base64() });
    for path in [
        "/v1.1/face/extract?landmarks=5",
        "/v1.1/face/extract?landmarks=",
        "/v1.1/face/extract?landmarks",
        "/v1.1/face/extract?landmarks=true",
        "/v1.1/face/extract?landmarks=68&landmarks=69",
    ] {
        let (status, answer) = send(
            &state,
            Call::new("POST", path).json(body.clone()).request(&state),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["errorType"], "InvalidRequest", "{path}: {answer}");
    }
}
