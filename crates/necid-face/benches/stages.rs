//! Criterion benchmarks of each stage (decode, detect, landmarks, descriptor, age/gender) on a
//! ~640×480 single-face photo and a large group photo. The thread count comes from
//! `RAYON_NUM_THREADS` (the size of rayon's pool, which every parallel op uses) and is part of every benchmark's name:
//! run `RAYON_NUM_THREADS=1 cargo bench -p necid-face` and `RAYON_NUM_THREADS=2 ...` side by side.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use necid_face::{DecodeLimits, DetectOptions, FaceEngine, decode_image};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/detection"
);

fn stages(c: &mut Criterion) {
    let engine = FaceEngine::load_default().unwrap_or_else(|e| panic!("{e}"));
    let threads = rayon::current_num_threads();
    for (label, file) in [
        ("single_612x430", "single/expression_disgusted.jpg"),
        ("group_1986x1545", "multi/bald_guys.jpg"),
    ] {
        let bytes = std::fs::read(format!("{SHARED}/{file}")).unwrap();
        let img = decode_image(&bytes, &DecodeLimits::default()).unwrap();
        let opts = DetectOptions::default();
        let boxes = engine.detect_boxes(&img, &opts).unwrap();
        let faces = engine.faces_from_boxes(&img, &boxes).unwrap();
        let mut g = c.benchmark_group(format!("{label}/{}faces/{threads}thr", faces.len()));
        g.sample_size(10);
        g.bench_function("decode", |b| {
            b.iter(|| decode_image(&bytes, &DecodeLimits::default()).unwrap())
        });
        g.bench_function("detect", |b| {
            b.iter(|| engine.detect_boxes(&img, &opts).unwrap())
        });
        g.bench_function("landmarks_all_faces", |b| {
            b.iter(|| engine.faces_from_boxes(&img, &boxes).unwrap())
        });
        g.bench_function("descriptor_all_faces", |b| {
            b.iter(|| engine.descriptors(&img, &faces).unwrap())
        });
        g.bench_function("age_gender_all_faces", |b| {
            b.iter(|| {
                faces
                    .iter()
                    .map(|f| engine.age_gender(&img, f).unwrap())
                    .collect::<Vec<_>>()
            })
        });
        g.bench_function("pipeline_detect_landmarks_descriptors", |b| {
            b.iter(|| {
                let faces = engine.detect(&img).unwrap();
                engine.descriptors(&img, &faces).unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
