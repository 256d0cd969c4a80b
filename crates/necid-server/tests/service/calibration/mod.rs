//! The client's threshold calibration (`necid::calibration`, issue 11 item 3) on the 174 images
//! of `testdata/faces` through the local service, against the face engine's own figures computed
//! the way `crates/necid-face/tests/matching.rs` computes them: every pair of images, scored from
//! the largest face's descriptor, 0 when an image has no face.

use std::sync::atomic::{AtomicUsize, Ordering};

use necid::calibration::{CalibrationOptions, LabelledFolder, Stage, calibrate};
use rayon::prelude::*;

use crate::common;

/// FAR and FRR at `threshold` as the engine's matching test computes them, with the numbers of
/// genuine and impostor pairs.
fn engine_rates(threshold: u16) -> (f64, f64, usize, usize) {
    let root = common::testdata().join("faces");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.csv")).expect("MANIFEST.csv");
    let models = necid_face::default_models_dir().expect("a models directory");
    let engine = necid_face::FaceEngine::load(&models).expect("the face models");
    let lines: Vec<&str> = manifest.lines().skip(1).collect();
    let samples: Vec<(String, Option<necid_face::Descriptor>)> = lines
        .par_iter()
        .map(|line| {
            let mut cols = line.split(',');
            let path = cols.next().expect("path");
            let identity = cols.next().expect("identity").to_owned();
            let bytes = std::fs::read(root.join(path)).expect("image");
            let image = necid_face::decode_image(&bytes, &necid_face::DecodeLimits::default())
                .expect("decodes");
            let faces = engine.detect(&image).expect("detect");
            let descriptor = faces
                .first()
                .map(|f| engine.descriptor(&image, f).expect("descriptor"));
            (identity, descriptor)
        })
        .collect();
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for i in 0..samples.len() {
        for j in i + 1..samples.len() {
            let score = match (&samples[i].1, &samples[j].1) {
                (Some(a), Some(b)) => necid_face::compare(a, b).0,
                _ => 0,
            };
            if samples[i].0 == samples[j].0 {
                genuine.push(score);
            } else {
                impostor.push(score);
            }
        }
    }
    let far = impostor.iter().filter(|&&s| s >= threshold).count() as f64 / impostor.len() as f64;
    let frr = genuine.iter().filter(|&&s| s < threshold).count() as f64 / genuine.len() as f64;
    (far, frr, genuine.len(), impostor.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_through_the_service_agrees_with_the_engines_own_rates_at_7000() {
    // 348 calls of face work: alone in a process, beside no other test's service.
    if !necid_testkit::in_a_process_of_its_own() {
        return;
    }
    let service = common::Service::start().await;
    let client = service.client();
    let folder = LabelledFolder::read(&common::testdata().join("faces")).expect("labelled folder");
    assert_eq!((folder.people.len(), folder.images()), (32, 174));
    assert_eq!(folder.planned_calls(), 2 * 174 + 2);

    let searched = AtomicUsize::new(0);
    let done = calibrate(&client, &folder, &CalibrationOptions::default(), |p| {
        if p.stage == Stage::Searching {
            searched.store(p.done, Ordering::Relaxed);
        }
    })
    .await
    .expect("calibration");
    let figures = &done.figures;
    let at_7000 = figures.rates_at(7000);
    let (engine_far, engine_frr, engine_genuine, engine_impostor) =
        tokio::task::spawn_blocking(|| engine_rates(7000))
            .await
            .expect("engine figures");
    eprintln!(
        "calibration through the service: {} genuine and {} impostor pairs, exact from {}, \
         {} unusable, {} calls\n\
         at 7000: FAR {:.4} % ({} pairs), FRR {:.3} % ({} pairs); \
         the engine's matching test: FAR {:.4} %, FRR {:.3} %",
        at_7000.genuine_pairs,
        at_7000.impostor_pairs,
        figures.exact_from(),
        done.unusable.len(),
        done.calls,
        at_7000.far() * 100.0,
        at_7000.false_accepts,
        at_7000.frr() * 100.0,
        at_7000.false_rejects,
        engine_far * 100.0,
        engine_frr * 100.0,
    );
    if let Some(choice) = figures.threshold_for_far(0.001) {
        eprintln!(
            "FAR 0.1 % at the 95 % Clopper-Pearson upper bound: threshold {}, seen FAR {:.4} %, \
             bound {:.4} %, FRR {:.3} %",
            choice.threshold,
            choice.rates.far() * 100.0,
            choice.far_upper_95 * 100.0,
            choice.rates.frr() * 100.0
        );
    }
    assert_eq!(
        (at_7000.genuine_pairs, at_7000.impostor_pairs),
        (engine_genuine, engine_impostor)
    );
    assert!(figures.exact_from() <= 7000, "rates at 7000 are exact");
    assert!(
        (at_7000.far() - engine_far).abs() <= 0.001,
        "FAR {} against {engine_far}",
        at_7000.far()
    );
    assert!(
        (at_7000.frr() - engine_frr).abs() <= 0.001,
        "FRR {} against {engine_frr}",
        at_7000.frr()
    );
    assert_eq!(searched.load(Ordering::Relaxed), 174 - done.unusable.len());
    assert_eq!(
        done.calls,
        folder.planned_calls() - done.unusable.len() as u64
    );
    let csv = figures.rates_csv(100);
    assert!(csv.lines().any(|l| l.starts_with("7000,")), "{csv}");

    // The scratch gallery is gone.
    let galleries = client.galleries().list().await.expect("galleries");
    assert!(galleries.is_empty(), "{galleries:?}");
}

/// Three people, two photos each.
fn small_folder() -> LabelledFolder {
    let people = ["obama", "biden", "amy"]
        .into_iter()
        .map(|name| necid::calibration::Person {
            name: name.to_owned(),
            images: ["1", "2"]
                .into_iter()
                .map(|n| {
                    let jpg = common::face(&format!("{name}/{n}.jpg"));
                    if jpg.exists() {
                        jpg
                    } else {
                        common::face(&format!("{name}/{n}.png"))
                    }
                })
                .collect(),
        })
        .collect();
    LabelledFolder { people }
}

/// Waits until the tenant has no gallery left (a dropped calibration deletes its gallery in the
/// background).
async fn no_gallery_left(client: &necid::Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let galleries = client.galleries().list().await.expect("galleries");
        if galleries.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scratch gallery is still there: {galleries:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_calibration_deletes_its_scratch_gallery() {
    let service = common::Service::start().await;
    let client = service.client();
    let options = CalibrationOptions::default();
    let cancel = options.cancel.clone();
    let saw_gallery = std::sync::atomic::AtomicBool::new(false);
    let outcome = calibrate(&client, &small_folder(), &options, |p| {
        if p.stage == Stage::Enrolling && p.done == 2 {
            saw_gallery.store(true, Ordering::Relaxed);
            cancel.cancel();
        }
    })
    .await;
    assert!(saw_gallery.load(Ordering::Relaxed));
    assert!(
        matches!(
            outcome,
            Err(necid::calibration::CalibrationError::Cancelled)
        ),
        "{outcome:?}"
    );
    let galleries = client.galleries().list().await.expect("galleries");
    assert!(galleries.is_empty(), "{galleries:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calibration_dropped_midway_deletes_its_scratch_gallery() {
    let service = common::Service::start().await;
    let client = service.client();
    let folder = small_folder();
    let (enrolled_tx, enrolled_rx) = tokio::sync::oneshot::channel::<()>();
    let mut enrolled_tx = Some(enrolled_tx);
    let options = CalibrationOptions::default();
    let calibration = calibrate(&client, &folder, &options, |p| {
        if p.stage == Stage::Enrolling
            && let Some(tx) = enrolled_tx.take()
        {
            let _ = tx.send(());
        }
    });
    tokio::select! {
        _ = calibration => panic!("the calibration ended before it was dropped"),
        _ = enrolled_rx => {}
    }
    // The future is gone with one image enrolled: its gallery goes in the background.
    no_gallery_left(&client).await;
}
