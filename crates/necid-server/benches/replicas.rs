//! PostgreSQL against SQLite in the same run, printed as figures
//! (`cargo bench -p necid-server --bench replicas`), on a private PostgreSQL from the Debian
//! package (`necid_testkit::Postgres`):
//!
//! - whole enrolments and searches through the service (HTTP, SigV4, the engine on real photos,
//!   store, index) on SQLite, on PostgreSQL with one replica, and with two replicas in this
//!   process taking turns (each search on the replica that did not enrol);
//! - the store's part alone: an enrolment's transaction with its index update, and a search's
//!   catch-up with the change feed, for 1,000 random descriptors;
//! - the start-up of a replica on a database holding 1,000,000 descriptors
//!   (`NECID_BENCH_STARTUP_ROWS` changes the count).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use necid::{CreateGallery, FaceImage};
use necid_server::engine::{FaceAnalyser, RealEngine};
use necid_server::index::DIM;
use necid_server::store::EnrolTarget;
use necid_server::{AppState, EngineSource, Limits, LocalOptions, LocalService, Running};
use necid_testkit::Postgres;

const STORE_ENROLMENTS: usize = 1000;

fn photos() -> Vec<PathBuf> {
    let faces = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/faces");
    ["john_salley", "john_savage", "john_schneider", "john_simm"]
        .iter()
        .flat_map(|p| {
            let person = faces.join(p);
            (1..=5).map(move |n| person.join(format!("{n}.jpg")))
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn client(service: &Running) -> necid::Client {
    let creds = service.credentials();
    necid::Client::builder()
        .base_url(service.base_url.clone())
        .credentials(necid::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.clone(),
        ))
        .build()
        .expect("client")
}

/// Enrols every photo and searches with each, writes and reads taking turns over `replicas`.
async fn through_the_service(replicas: &[Running]) -> anyhow::Result<(Duration, Duration)> {
    let clients: Vec<necid::Client> = replicas.iter().map(client).collect();
    let created = clients[0]
        .galleries()
        .create(&CreateGallery {
            name: "Bench".into(),
            description: String::new(),
            face_minimum_quality_score: 0.45,
            size: 1000,
        })
        .await?;
    let galleries: Vec<necid::Gallery> = clients
        .iter()
        .map(|c| c.gallery(created.api_key.clone()))
        .collect();
    let photos: Vec<FaceImage> = photos()
        .iter()
        .map(FaceImage::from_path)
        .collect::<Result<_, _>>()?;
    let _ = galleries[0].search(&photos[0]).send().await?;
    let (mut enrolments, mut searches) = (Vec::new(), Vec::new());
    for (i, photo) in photos.iter().enumerate() {
        let writer = &galleries[i % galleries.len()];
        let reader = &galleries[(i + 1) % galleries.len()];
        let t = Instant::now();
        writer.register_subject(photo, &[]).await?;
        enrolments.push(t.elapsed());
        let t = Instant::now();
        let found = reader.search(photo).send().await?;
        searches.push(t.elapsed());
        anyhow::ensure!(found.is_some(), "a search finds the face just enrolled");
    }
    Ok((median(enrolments), median(searches)))
}

/// The store's part of an enrolment (transaction + index) and of a search (catching up).
fn store_alone(state: &AppState) -> anyhow::Result<(Duration, Duration)> {
    let (gallery, _) =
        state
            .store()
            .create_gallery(state.tenant_id(), "Store bench", "", 10_000, 0.0)?;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let (mut enrol, mut catch_up) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..STORE_ENROLMENTS {
        let mut v = [0f32; DIM];
        for x in &mut v {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *x = ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.3;
        }
        let t = Instant::now();
        state.enrol(&gallery.id, &EnrolTarget::NewSubject, &v, "{}", &[])?;
        enrol += t.elapsed();
        let t = Instant::now();
        state.search_index(&gallery.id)?;
        catch_up += t.elapsed();
    }
    let n = STORE_ENROLMENTS as u32;
    Ok((enrol / n, catch_up / n))
}

/// Seeds `rows` active events (random descriptors) into a gallery, in SQL, with the feed's
/// trigger off (a seed is not a change any replica has to follow).
fn seed(url: &str, rows: usize) -> anyhow::Result<()> {
    let sql = format!(
        "ALTER TABLE events DISABLE TRIGGER events_changed;
         INSERT INTO events (gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes)
         SELECT g.id, gen_random_uuid()::text, gen_random_uuid()::text, 'ACTIVE', i, 0, '2026-12-01T00:00:00.000+00:00',
                (SELECT string_agg(float4send((random() - 0.5)::float4), ''::bytea) FROM generate_series(1, {DIM}) WHERE i >= 0),
                '{{}}'
         FROM galleries g, generate_series(0, {last}) AS i WHERE g.name = 'Startup';
         UPDATE galleries SET event_rows = {rows}, active_events = {rows} WHERE name = 'Startup';
         ALTER TABLE events ENABLE TRIGGER events_changed;",
        last = rows.saturating_sub(1)
    );
    let status = std::process::Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", &sql])
        .status()?;
    anyhow::ensure!(status.success(), "seeding with psql");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let startup_rows: usize = std::env::var("NECID_BENCH_STARTUP_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let models = necid_face::default_models_dir().context("no models directory")?;
    let engine: Arc<dyn FaceAnalyser> = Arc::new(RealEngine::load(
        &models,
        Limits::default().decode_limits(),
    )?);
    let pg = Postgres::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bucket = tempfile::tempdir()?;
    let options = |data: &std::path::Path, url: Option<String>| {
        let mut o = LocalOptions::new(data, EngineSource::Loaded(engine.clone()));
        if url.is_some() {
            o.bucket_dir = Some(bucket.path().to_owned());
        }
        o.database_url = url;
        o
    };
    runtime.block_on(async {
        let data = tempfile::tempdir()?;
        let sqlite = LocalService::start(options(data.path(), None)).await?;
        let one_url = pg.create_database("one")?;
        let one = LocalService::start(options(data.path(), Some(one_url))).await?;
        let two_url = pg.create_database("two")?;
        let a = LocalService::start(options(data.path(), Some(two_url.clone()))).await?;
        let b = LocalService::start(options(data.path(), Some(two_url))).await?;

        let sqlite_http = through_the_service(std::slice::from_ref(&sqlite)).await?;
        let one_http = through_the_service(std::slice::from_ref(&one)).await?;
        let two = [a, b];
        let two_http = through_the_service(&two).await?;
        let store = |s: &Running| {
            let state = s.state().clone();
            tokio::task::spawn_blocking(move || store_alone(&state))
        };
        let sqlite_store = store(&sqlite).await??;
        let pg_store = store(&one).await??;
        println!(
            "photos: {} (enrol, then search on the other replica)",
            photos().len()
        );
        for (name, (enrol, search), (store_enrol, catch_up)) in [
            ("SQLite", sqlite_http, sqlite_store),
            ("PostgreSQL, 1 replica", one_http, pg_store),
            ("PostgreSQL, 2 replicas", two_http, pg_store),
        ] {
            println!(
                "{name}: enrolment p50 {:.1} ms, search p50 {:.1} ms; store: enrolment {:.3} ms, \
                 catch-up before a search {:.3} ms",
                ms(enrol),
                ms(search),
                ms(store_enrol),
                ms(catch_up),
            );
        }
        drop(two);

        let startup_url = pg.create_database("startup")?;
        let seeding = LocalService::start(options(data.path(), Some(startup_url.clone()))).await?;
        client(&seeding)
            .galleries()
            .create(&CreateGallery {
                name: "Startup".into(),
                description: String::new(),
                face_minimum_quality_score: 0.45,
                size: startup_rows as u64 + 1,
            })
            .await?;
        seeding.stop().await;
        let t = Instant::now();
        seed(&startup_url, startup_rows)?;
        println!(
            "seeded {startup_rows} descriptors in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let replica = LocalService::start(options(data.path(), Some(startup_url))).await?;
        let took = t.elapsed();
        let state = replica.state().clone();
        let loaded: usize = tokio::task::spawn_blocking(move || {
            state.store().all_gallery_ids().map(|ids| {
                ids.iter()
                    .map(|g| necid_server::read_lock(&state.index(g)).len())
                    .sum()
            })
        })
        .await??;
        println!(
            "start-up of a replica with {loaded} descriptors in PostgreSQL: {:.1} s",
            took.as_secs_f64()
        );
        anyhow::Ok(())
    })
}
