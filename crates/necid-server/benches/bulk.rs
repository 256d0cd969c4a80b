//! Bulk enrolment against what the engine can do, in one run on one photo (issue 14, item 7):
//! the engine alone on one thread, then a bulk job of N copies of the photo (distinct file
//! names) through the real service on 127.0.0.1, then a second such job with a health check and
//! a small-probe search looping beside it. Prints the first job's share of the ideal (N ×
//! one-thread time ÷ cores), and the p50/p99 latencies of the two loops during the second.
//!
//! `cargo bench -p necid-server --bench bulk`; `NECID_BENCH_PHOTO` (a path) and
//! `NECID_BENCH_COPIES` change the photo and N. Run it on a quiet machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::TryStreamExt;
use necid::{BulkRegistration, CreateGallery, FaceImage, RecordStatus, RegisterStatus};
use necid_server::engine::{FaceAnalyser, RealEngine};
use necid_server::{EngineSource, Limits, LocalOptions, LocalService};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/faces")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Calls `call` in a loop until `stop`, pausing `gap` between calls; the latencies.
async fn latencies<F, Fut>(stop: Arc<AtomicBool>, gap: Duration, call: F) -> Vec<Duration>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        call().await;
        out.push(started.elapsed());
        tokio::time::sleep(gap).await;
    }
    out.sort();
    out
}

/// Runs one bulk job to its end; how long it took. Every record must succeed.
async fn run_job(
    gallery: &necid::Gallery,
    registrations: Vec<BulkRegistration>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let batch = gallery.bulk_register(registrations).await?;
    let records = loop {
        let records: Vec<necid::RegisterSummary> =
            gallery.bulk_records(batch.clone()).try_collect().await?;
        if records.iter().all(|r| r.status == RecordStatus::Processed) {
            break records;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let took = started.elapsed();
    let failed = records
        .iter()
        .filter(|r| r.register_status != Some(RegisterStatus::Success))
        .count();
    anyhow::ensure!(failed == 0, "{failed} records failed: {records:?}");
    Ok(took)
}

fn main() -> anyhow::Result<()> {
    let photo = std::env::var_os("NECID_BENCH_PHOTO")
        .map_or_else(|| testdata().join("john_schneider/1.jpg"), PathBuf::from);
    let copies: usize = std::env::var("NECID_BENCH_COPIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let probe_path = testdata().join("john_salley/1.jpg");
    let bytes = std::fs::read(&photo).with_context(|| photo.display().to_string())?;
    let models = necid_face::default_models_dir().context("no models directory")?;
    let engine = Arc::new(RealEngine::load(
        &models,
        Limits::default().decode_limits(),
    )?);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);

    // The engine alone on one thread: a rayon pool of one keeps its parallel steps on it.
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let runs = 15;
    let engine_one_thread = one_thread.install(|| -> anyhow::Result<Duration> {
        for _ in 0..3 {
            engine.one_face(&bytes)?;
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            engine.one_face(&bytes)?;
            times.push(started.elapsed());
        }
        times.sort();
        Ok(times[runs / 2])
    })?;
    drop(one_thread);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (job, job_beside, search_quiet, health, search) = runtime.block_on(async {
        let data = tempfile::tempdir()?;
        let service = LocalService::start(LocalOptions::new(
            data.path(),
            EngineSource::Loaded(engine.clone()),
        ))
        .await?;
        let creds = service.credentials();
        let client = necid::Client::builder()
            .base_url(service.base_url.clone())
            .credentials(necid::Credentials::new(
                creds.access_key_id.clone(),
                creds.secret_access_key.clone(),
            ))
            .build()?;
        let created = client
            .galleries()
            .create(&CreateGallery {
                name: "Bench".into(),
                description: String::new(),
                face_minimum_quality_score: 0.45,
                size: 2 * copies as u64 + 10,
            })
            .await?;
        let gallery = client.gallery(created.api_key);
        let ext = photo.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
        let mut registrations = Vec::with_capacity(copies);
        for i in 0..copies {
            let name = format!("copy-{i:05}.{ext}");
            std::fs::write(service.bucket_dir.join(&name), &bytes)?;
            registrations.push(BulkRegistration {
                filename: name,
                tags: vec![],
            });
        }
        let probe = FaceImage::from_path(&probe_path)?;
        // Warm the request path once.
        client.health().await?;
        let _ = gallery.search(&probe).send().await?;

        // The same search with nothing else running, for comparison.
        let mut quiet = Vec::with_capacity(20);
        for _ in 0..20 {
            let started = Instant::now();
            let _ = gallery.search(&probe).send().await?;
            quiet.push(started.elapsed());
        }
        quiet.sort();

        let alone = run_job(&gallery, registrations.clone()).await?;

        let stop = Arc::new(AtomicBool::new(false));
        let health = tokio::spawn({
            let (stop, client) = (stop.clone(), client.clone());
            async move {
                latencies(stop, Duration::from_millis(20), || async {
                    let _ = client.health().await;
                })
                .await
            }
        });
        let search = tokio::spawn({
            let (stop, gallery, probe) = (stop.clone(), gallery.clone(), probe.clone());
            async move {
                latencies(stop, Duration::from_millis(50), || async {
                    let _ = gallery.search(&probe).send().await;
                })
                .await
            }
        });

        let beside = run_job(&gallery, registrations).await?;
        stop.store(true, Ordering::Relaxed);
        anyhow::Ok((alone, beside, quiet, health.await?, search.await?))
    })?;

    let ideal = engine_one_thread.mul_f64(copies as f64 / cores as f64);
    println!("photo: {}", photo.display());
    println!(
        "engine alone, one thread: {:.1} ms a face (median of {runs})",
        ms(engine_one_thread)
    );
    println!(
        "bulk job: {copies} photos in {:.2} s = {:.1} faces/s; ideal on {cores} cores {:.2} s; \
         ratio {:.2}",
        job.as_secs_f64(),
        copies as f64 / job.as_secs_f64(),
        ideal.as_secs_f64(),
        ideal.as_secs_f64() / job.as_secs_f64()
    );
    println!(
        "search (small probe) with nothing else running: p50 {:.1} ms, p99 {:.1} ms",
        ms(percentile(&search_quiet, 0.5)),
        ms(percentile(&search_quiet, 0.99))
    );
    println!(
        "second job, with health and search looping beside it: {:.2} s = {:.1} faces/s",
        job_beside.as_secs_f64(),
        copies as f64 / job_beside.as_secs_f64()
    );
    for (name, sorted) in [("health", &health), ("search (small probe)", &search)] {
        println!(
            "{name} during the second job: {} calls, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            sorted.len(),
            ms(percentile(sorted, 0.5)),
            ms(percentile(sorted, 0.99)),
            ms(sorted.last().copied().unwrap_or_default())
        );
    }
    Ok(())
}
