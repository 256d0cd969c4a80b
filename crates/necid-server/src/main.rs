//! `necid-server`: the local NEC ID service, headless.
//!
//! - `serve --listen 127.0.0.1:PORT --data-dir DIR` (`--max-body-bytes`, `--max-connections` and
//!   the `--*-timeout-secs` flags bound what a client may cost); with `--database-url
//!   postgres://…` (and `--bucket-url file:///…`) one replica of several on one PostgreSQL
//! - `credentials --data-dir DIR [--json]` or `credentials --database-url URL [--json]`
//! - `migrate --database-url URL`
//! - `bench search --descriptors N [--queries Q]`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use necid_server::credentials;
use necid_server::index::{DIM, GalleryIndex, RowMeta};

#[derive(Debug, Parser)]
#[command(name = "necid-server", version, about = "The local NEC ID service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (both /api and /v1.1) on one listener.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The service's folder (SQLite database, credentials, bucket). Optional with both
        /// --database-url and --bucket-url.
        #[arg(long, required_unless_present_all = ["database_url", "bucket_url"])]
        data_dir: Option<PathBuf>,
        /// `postgres://user@host:port/db`: keep all state in PostgreSQL, shared with other
        /// replicas, instead of SQLite in the data dir.
        #[arg(long)]
        database_url: Option<String>,
        /// `file:///path` or `s3://bucket/prefix`: where bulk jobs read from (replicas share
        /// one); default: the data dir's `bucket/`. S3 takes its endpoint and keys from the
        /// usual AWS environment variables.
        #[arg(long, value_parser = parse_bucket_url)]
        bucket_url: Option<BucketUrl>,
        /// Face models (default: $NECID_MODELS_DIR or ~/.local/share/necid/models).
        #[arg(long)]
        models_dir: Option<PathBuf>,
        #[command(flatten)]
        bounds: Bounds,
    },
    /// Print the tenant's access key id and secret.
    Credentials {
        #[arg(
            long,
            required_unless_present = "database_url",
            conflicts_with = "database_url"
        )]
        data_dir: Option<PathBuf>,
        /// The tenant's keys in this PostgreSQL database (made on first use).
        #[arg(long)]
        database_url: Option<String>,
        /// Print `{"accessKeyId": .., "secretAccessKey": ..}`.
        #[arg(long)]
        json: bool,
    },
    /// Bring a PostgreSQL database's schema up to date (`serve` also does on start).
    Migrate {
        #[arg(long)]
        database_url: String,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

/// What one request and one client may cost the service.
#[derive(Debug, clap::Args)]
struct Bounds {
    /// Largest request body in bytes (a base64 photo inside JSON); at least 10000000, the NEC
    /// cloud gateway's limit. Larger bodies get 413.
    #[arg(long, default_value_t = necid_server::Limits::default().max_body_bytes, value_parser = parse_body_limit)]
    max_body_bytes: usize,
    /// Seconds a client has to send a whole request head.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_secs: u64,
    /// Longest pause, in seconds, while a request body is being received.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may sit idle between requests.
    #[arg(long, default_value_t = 75, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a request may take from its head to its response (then: 504, errorType Timeout).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_secs: u64,
}

impl Bounds {
    fn serve_options(&self) -> necid_server::serve::ServeOptions {
        necid_server::serve::ServeOptions {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: self.max_connections as usize,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
        }
    }
}

fn parse_body_limit(value: &str) -> Result<usize, String> {
    let bytes: usize = value
        .parse()
        .map_err(|_| "expected a number of bytes".to_owned())?;
    if bytes < necid_server::Limits::MIN_BODY_BYTES {
        return Err(format!(
            "at least {} bytes (the NEC cloud gateway's limit)",
            necid_server::Limits::MIN_BODY_BYTES
        ));
    }
    Ok(bytes)
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// 1:N search over N random unit descriptors in one gallery, one probe at a time.
    Search {
        #[arg(long)]
        descriptors: usize,
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Results per probe (the API's limit).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also write the vectors (`base.f32`), probes (`queries.f32`) and this run's top ids
        /// (`ids.i64`) here, for scripts/compat/faiss_bench.py.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "necid_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve {
            listen,
            data_dir,
            database_url,
            bucket_url,
            models_dir,
            bounds,
        } => serve(
            listen,
            Storage {
                data_dir,
                database_url,
                bucket: bucket_url,
            },
            models_dir,
            &bounds,
        ),
        Command::Migrate { database_url } => {
            let version = on_postgres(&database_url, |pg| Ok(pg.schema_version()?))?;
            println!("schema version {version}");
            Ok(())
        }
        Command::Credentials {
            data_dir,
            database_url,
            json,
        } => {
            let c = match (database_url, data_dir) {
                (Some(url), _) => on_postgres(&url, |pg| Ok(pg.tenant_credentials()?))?,
                (None, Some(data_dir)) => {
                    std::fs::create_dir_all(&data_dir)
                        .with_context(|| format!("creating {}", data_dir.display()))?;
                    credentials::load_or_create(&data_dir)?
                }
                (None, None) => anyhow::bail!("pass --data-dir or --database-url"),
            };
            if json {
                println!("{}", serde_json::to_string(&c)?);
            } else {
                println!("access key id:     {}", c.access_key_id);
                println!("secret access key: {}", c.secret_access_key);
            }
            Ok(())
        }
        Command::Bench {
            what:
                Bench::Search {
                    descriptors,
                    queries,
                    limit,
                    seed,
                    dump,
                },
        } => bench_search(descriptors, queries, limit, seed, dump),
    }
}

/// Where `serve` keeps its state.
struct Storage {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    bucket: Option<BucketUrl>,
}

/// Where bulk jobs read their files.
#[derive(Debug, Clone)]
enum BucketUrl {
    Folder(PathBuf),
    S3(String),
}

/// `file:///path` or `s3://bucket/prefix`.
fn parse_bucket_url(value: &str) -> Result<BucketUrl, String> {
    if value.starts_with("s3://") {
        return Ok(BucketUrl::S3(value.to_owned()));
    }
    match value.strip_prefix("file://") {
        Some(path) if path.starts_with('/') => Ok(BucketUrl::Folder(PathBuf::from(path))),
        Some(_) => Err("a file URL needs an absolute path: file:///path".into()),
        None => Err("expected file:///path or s3://bucket/prefix".into()),
    }
}

/// Connects to PostgreSQL (migrating it) and runs `work` on the store.
fn on_postgres<T>(
    url: &str,
    work: impl FnOnce(&necid_server::store::pg::PgStore) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let store = necid_server::store::pg::PgStore::connect(url).context("PostgreSQL")?;
    work(&store)
}

fn serve(
    listen: SocketAddr,
    storage: Storage,
    models_dir: Option<PathBuf>,
    bounds: &Bounds,
) -> anyhow::Result<()> {
    let data_dir = storage.data_dir.unwrap_or_default();
    let first_start = storage.database_url.is_none() && !credentials::exists(&data_dir);
    let models_dir = models_dir
        .or_else(necid_face::default_models_dir)
        .context("no models directory: pass --models-dir or set NECID_MODELS_DIR")?;
    let limits = necid_server::Limits {
        max_body_bytes: bounds.max_body_bytes,
        ..necid_server::Limits::default()
    };
    let mut options = necid_server::LocalOptions::new(
        &data_dir,
        necid_server::EngineSource::ModelsDir(models_dir),
    );
    options.listen = listen;
    options.database_url = storage.database_url;
    match storage.bucket {
        Some(BucketUrl::Folder(dir)) => options.bucket_dir = Some(dir),
        Some(BucketUrl::S3(url)) => options.s3_bucket = Some(url),
        None => {}
    }
    options.limits = limits;
    options.serve = bounds.serve_options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let running = necid_server::LocalService::start(options).await?;
        if first_start {
            println!(
                "created tenant credentials in {} (show them with `necid-server credentials --data-dir {}`)",
                data_dir.join(credentials::FILE_NAME).display(),
                data_dir.display()
            );
        }
        println!("listening on {}", running.base_url);
        // No graceful shutdown: every acknowledged write is already committed, so SIGTERM or
        // SIGKILL lose nothing (the kill -9 test checks it).
        running.serve_forever().await;
        anyhow::Ok(())
    })
}

/// xorshift64*: reproducible random vectors without an RNG dependency.
struct Rng(u64);

impl Rng {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // A rough normal: the sum of four uniforms.
        let u = |s: u64| ((s >> 40) as f32) / ((1u64 << 24) as f32);
        u(x) + u(x.rotate_left(16)) + u(x.rotate_left(32)) + u(x.rotate_left(48)) - 2.0
    }

    fn unit(&mut self) -> [f32; DIM] {
        let mut v = [0f32; DIM];
        for x in &mut v {
            *x = self.next_f32();
        }
        let n = v
            .iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        for x in &mut v {
            *x /= n;
        }
        v
    }
}

fn bench_search(
    n: usize,
    queries: usize,
    limit: usize,
    seed: u64,
    dump: Option<PathBuf>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        n > 0 && queries > 0,
        "--descriptors and --queries must be positive"
    );
    let mut rng = Rng(seed | 1);
    let t = Instant::now();
    let mut index = GalleryIndex::with_capacity(n);
    let mut base_bytes = Vec::new();
    for i in 0..n {
        let v = rng.unit();
        if dump.is_some() {
            base_bytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        }
        index.upsert(
            RowMeta {
                row_id: i as i64,
                subject_id: "".into(),
                event_id: "".into(),
            },
            &v,
            0,
        );
    }
    eprintln!(
        "filled {n} descriptors in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let probes: Vec<[f32; DIM]> = (0..queries).map(|_| rng.unit()).collect();
    // One warm-up pass so the first timed probe does not pay for page faults.
    let _ = necid_server::routes::face::rank(&index, &probes[0], limit, 0, 0);
    let mut times_ms = Vec::with_capacity(queries);
    let mut ids: Vec<i64> = Vec::with_capacity(queries * limit);
    for p in &probes {
        let t = Instant::now();
        let ranked = necid_server::routes::face::rank(&index, p, limit, 0, 0);
        times_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        ids.extend(ranked.iter().map(|s| s.row_id));
    }
    times_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| times_ms[((times_ms.len() as f64 - 1.0) * p).round() as usize];
    if let Some(dir) = dump {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("base.f32"), &base_bytes)?;
        let q: Vec<u8> = probes
            .iter()
            .flatten()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        std::fs::write(dir.join("queries.f32"), q)?;
        let id_bytes: Vec<u8> = ids.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(dir.join("ids.i64"), id_bytes)?;
    }
    println!(
        "{}",
        serde_json::json!({"n": n, "p50_ms": round3(pct(0.5)), "p99_ms": round3(pct(0.99))})
    );
    Ok(())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
