//! `necid-face`: the face engine from the command line, for people and scripts.
//!
//! - `necid-face extract IMAGE [--models DIR] [--full]` prints `{"faces":[{"attributes":{..}}]}`
//!   with the NEC attributes (numbers as strings, as the NEC API sends them); `--full` adds
//!   `box`, `landmarks`, `descriptor`, `age`, `gender`, `genderProbability`, `expressions`.
//!   Exit 0 with an empty list when there is no face; non-zero for an unusable file.
//! - `necid-face compare A B` prints `{"score": N}` for the largest face of each.
//! - `necid-face bench IMAGE [--runs N] [--threads T]` times the stages and prints, last, one
//!   JSON line of medians in milliseconds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use necid_face::{DecodeLimits, Face, FaceEngine, decode_image};
use serde_json::{Value, json};

#[derive(Parser, Debug)]
#[command(
    name = "necid-face",
    version,
    about = "Face detection, attributes and matching"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Detect faces and print their NEC attributes as JSON.
    Extract {
        image: PathBuf,
        /// Models directory (default: $NECID_MODELS_DIR or ~/.local/share/necid/models).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Also print box, landmarks, descriptor, age, gender and expressions.
        #[arg(long)]
        full: bool,
    },
    /// Compare the largest face of two images: prints {"score": N} (0..9999).
    Compare {
        a: PathBuf,
        b: PathBuf,
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Time the stages on one image; the last line is JSON with the medians in ms.
    Bench {
        image: PathBuf,
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Threads (default: RAYON_NUM_THREADS or all cores).
        #[arg(long)]
        threads: Option<usize>,
        #[arg(long)]
        models: Option<PathBuf>,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Command::Bench {
        threads: Some(t), ..
    } = &cli.command
    {
        // SAFETY: still single-threaded here; rayon's global pool (used by every parallel op) is
        // built later and reads RAYON_NUM_THREADS then.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", t.max(&1).to_string()) };
    }
    if let Err(e) = run(cli) {
        eprintln!("necid-face: {e:#}");
        std::process::exit(1);
    }
}

fn engine(models: Option<PathBuf>) -> Result<FaceEngine> {
    Ok(match models {
        Some(d) => FaceEngine::load(d)?,
        None => FaceEngine::load_default()?,
    })
}

fn read_image(path: &Path) -> Result<image::RgbImage> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode_image(&bytes, &DecodeLimits::default()).with_context(|| format!("{}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Extract {
            image,
            models,
            full,
        } => {
            let img = read_image(&image)?;
            let engine = engine(models)?;
            let faces = engine.detect(&img)?;
            let mut out = Vec::with_capacity(faces.len());
            for face in &faces {
                out.push(face_json(&engine, &img, face, full)?);
            }
            println!("{}", json!({ "faces": out }));
        }
        Command::Compare { a, b, models } => {
            let (ia, ib) = (read_image(&a)?, read_image(&b)?);
            let engine = engine(models)?;
            let da =
                largest_descriptor(&engine, &ia).with_context(|| format!("{}", a.display()))?;
            let db =
                largest_descriptor(&engine, &ib).with_context(|| format!("{}", b.display()))?;
            println!("{}", json!({ "score": engine.compare(&da, &db).0 }));
        }
        Command::Bench {
            image,
            runs,
            threads: _,
            models,
        } => bench(&image, runs.max(1), models)?,
    }
    Ok(())
}

fn largest_descriptor(
    engine: &FaceEngine,
    img: &image::RgbImage,
) -> Result<necid_face::Descriptor> {
    let faces = engine.detect(img)?;
    let Some(face) = faces.first() else {
        bail!("no face found")
    };
    Ok(engine.descriptor(img, face)?)
}

fn s(v: impl std::fmt::Display) -> Value {
    Value::String(v.to_string())
}

fn face_json(engine: &FaceEngine, img: &image::RgbImage, face: &Face, full: bool) -> Result<Value> {
    let a = &face.attributes;
    let rect = |r: &necid_face::Rect| json!({"left": s(r.left), "top": s(r.top), "right": s(r.right), "bottom": s(r.bottom)});
    let pt = |p: &necid_face::IPoint| json!({"x": s(p.x), "y": s(p.y)});
    let attributes = json!({
        "faceArea": rect(&a.face_area),
        "headArea": rect(&a.head_area),
        "rightEyeCenter": pt(&a.right_eye_center),
        "leftEyeCenter": pt(&a.left_eye_center),
        "frontalFaceScore": s(format!("{:.6}", a.frontal_face_score)),
        "faceRoll": s(format!("{:.5}", a.face_roll)),
        "facePan": s(format!("{:.5}", a.face_pan)),
        "faceTilt": s(format!("{:.5}", a.face_tilt)),
        "faceScore": s(format!("{:.6}", a.face_score)),
        "faceQualityScore": s(format!("{:.5}", a.face_quality_score)),
    });
    if !full {
        return Ok(json!({ "attributes": attributes }));
    }
    let d = engine.descriptor(img, face)?;
    let ag = engine.age_gender(img, face)?;
    let ex = engine.expressions(img, face)?;
    let b = &face.bbox;
    Ok(json!({
        "attributes": attributes,
        "box": {"left": b.x, "top": b.y, "right": b.right(), "bottom": b.bottom(), "score": face.score},
        "landmarks": face.landmarks.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
        "descriptor": d.0.to_vec(),
        "age": ag.age,
        "gender": ag.gender,
        "genderProbability": ag.gender_probability,
        "expressions": ex.as_pairs().iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
    }))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The matmul speed of this machine, now, in GMAC/s (a 512³ product through `gemm`, the kernel
/// the engine's layers use, on the current rayon threads): the reference for "fraction of peak".
fn matmul_peak_gmacs() -> Result<f64> {
    let n = 512;
    let a = vec![1f32; n * n];
    let b = vec![1f32; n * n];
    let mut c = vec![0f32; n * n];
    let parallelism = match rayon::current_num_threads() {
        1 => gemm::Parallelism::None,
        threads => gemm::Parallelism::Rayon(threads),
    };
    let mut product = || {
        // SAFETY: a, b and c are n×n row-major buffers of their own (row stride n, column
        // stride 1), and c is written by this call only.
        unsafe {
            gemm::gemm(
                n,
                n,
                n,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                n as isize,
                b.as_ptr(),
                1,
                n as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                parallelism,
            );
        }
    };
    product();
    let mut best = f64::INFINITY;
    for _ in 0..10 {
        let t = Instant::now();
        product();
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok((n * n * n) as f64 / best / 1e9)
}

fn bench(path: &Path, runs: usize, models: Option<PathBuf>) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let engine = engine(models)?;
    let threads = rayon::current_num_threads();
    let opts = necid_face::DetectOptions::default();
    let (mut dec, mut det, mut lm, mut desc, mut tot) = (vec![], vec![], vec![], vec![], vec![]);
    let mut n_faces = 0;
    for run in 0..=runs {
        let t0 = Instant::now();
        let img = decode_image(&bytes, &DecodeLimits::default())?;
        let t1 = Instant::now();
        let boxes = engine.detect_boxes(&img, &opts)?;
        let t2 = Instant::now();
        let faces = engine.faces_from_boxes(&img, &boxes)?;
        let t3 = Instant::now();
        engine.descriptors(&img, &faces)?;
        let t4 = Instant::now();
        n_faces = faces.len();
        if run == 0 {
            continue; // warm-up
        }
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        dec.push(ms(t0, t1));
        det.push(ms(t1, t2));
        lm.push(ms(t2, t3));
        desc.push(ms(t3, t4));
        tot.push(ms(t1, t4));
    }
    let peak = matmul_peak_gmacs()?;
    let m = engine.macs();
    eprintln!(
        "{}: {n_faces} face(s), {runs} runs, {threads} thread(s); MACs: detect {:.0} M, landmarks {:.0} M/face, descriptor {:.0} M/face",
        path.display(),
        m.detect as f64 / 1e6,
        m.landmarks as f64 / 1e6,
        m.descriptor as f64 / 1e6
    );
    let r = |v: &mut Vec<f64>| (median(v) * 1000.0).round() / 1000.0;
    let rmin =
        |v: &[f64]| (v.iter().copied().fold(f64::INFINITY, f64::min) * 1000.0).round() / 1000.0;
    let (det_ms, lm_ms, desc_ms) = (median(&mut det), median(&mut lm), median(&mut desc));
    let nf = n_faces.max(1) as f64;
    for (stage, macs, ms) in [
        ("detect", m.detect as f64, det_ms),
        ("landmarks", m.landmarks as f64 * nf, lm_ms),
        ("descriptor", m.descriptor as f64 * nf, desc_ms),
    ] {
        let gmacs = macs / ms / 1e6;
        eprintln!(
            "  {stage:10} {ms:8.2} ms  {:7.1} MMAC  {gmacs:5.1} GMAC/s = {:3.0} % of matmul peak",
            macs / 1e6,
            100.0 * gmacs / peak
        );
    }
    println!(
        "{}",
        json!({
            "decode_ms": r(&mut dec), "detect_ms": r(&mut det), "landmarks_ms": r(&mut lm),
            "descriptor_ms": r(&mut desc), "total_ms": r(&mut tot),
            // The fastest run: steadier than the median when other processes load the machine.
            "detect_min_ms": rmin(&det), "total_min_ms": rmin(&tot), "faces": n_faces, "threads": threads, "matmul_peak_gmacs": (peak * 10.0).round() / 10.0,
        })
    );
    Ok(())
}
