//! The PostgreSQL back end: all state in one database that several replicas of the service
//! share (`necid-server serve --database-url postgres://…`).
//!
//! Why PostgreSQL needs more than SQLite's design: SQLite has one writer, the service itself, so
//! its writes mirror themselves into the search index under the writer lock. Here any replica
//! may write, so no replica can mirror the others' writes. Instead:
//! - **A change feed.** Each gallery numbers its changes (`galleries.feed_seq`); triggers on
//!   `events` append one row per enrolment and deletion to `changes`, and deleting a tag appends
//!   one. The number is taken with the gallery's row lock, which the writing transaction holds
//!   until it commits, so a reader never sees change `n + 1` without change `n`.
//! - **Followers.** Every replica keeps the exact index of each gallery together with the number
//!   of the last change it applied (`crate::feed`). Before any search it reads the changes after
//!   that number (one indexed query, usually empty), and `LISTEN necid_changes` wakes it up to do
//!   so as soon as another replica commits. A write acknowledged by one replica is therefore in
//!   the result of any search that starts after the acknowledgement, on any replica.
//! - **Limits in transactions.** An enrolment, unregistration or tag change locks its gallery's
//!   row first, so the gallery's size and its 64 tags hold across replicas.
//! - **Shared bulk work.** Records are claimed with `FOR UPDATE SKIP LOCKED` and a lease
//!   (`bulk.rs`); a unique constraint makes a second enrolment of a record impossible.
//!
//! The store's calls are synchronous, as SQLite's are: the service runs them on blocking threads,
//! and each one drives its queries on the store's own small runtime, which lives exactly as long
//! as the store: a call still running while the service's runtime shuts down finishes instead of
//! finding its timers gone. A pool of connections
//! (deadpool-postgres) with a cache of prepared statements per connection serves them; TLS is
//! a connector away (tokio-postgres takes any), though this build connects without it.

mod bulk;
mod catalog;
mod events;
mod feed;
mod tags;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::{Result, StoreError};
use crate::credentials::TenantCredentials;

pub use feed::FeedChange;

/// The migrations, in order; `necid_schema_versions` records the ones that ran.
const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/postgres/0001_init.sql")];

/// The channel replicas LISTEN on; the payload is the id of the gallery that changed.
pub const CHANGES_CHANNEL: &str = "necid_changes";
/// The channel a new bulk job is announced on, so that every replica's bulk worker wakes up.
pub const BULK_CHANNEL: &str = "necid_bulk";

/// Connections per replica: the blocking threads that run store calls, with room to spare.
const POOL_SIZE: usize = 16;
/// How long a call waits for a free connection or a new one before it fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed bulk record stays with the replica that claimed it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(20);

/// Taken while migrating, so that replicas starting together migrate one after the other.
const MIGRATION_LOCK: i64 = 0x6e65_6369_645f_6d67;

/// The PostgreSQL store. Cheap to share; holds a pool, not one connection.
pub struct PgStore {
    pool: Pool,
    config: tokio_postgres::Config,
    runtime: StoreRuntime,
    /// Names this replica on the leases it takes.
    replica_id: String,
    lease: Duration,
}

impl std::fmt::Debug for PgStore {
    // Never the URL: it may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("replica_id", &self.replica_id)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the schema up to date.
    /// Like every call of the store, it blocks: call it from a blocking thread or outside any
    /// runtime, never from an async task.
    pub fn connect(url: &str) -> Result<Self> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("database URL: {e}")))?;
        let runtime = StoreRuntime::start()?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let store = Self {
            pool,
            config,
            runtime,
            replica_id: super::new_id(),
            lease: DEFAULT_LEASE,
        };
        store.run(store.migrate())?;
        Ok(store)
    }

    /// Bulk records claimed by this replica stay its own for `lease` (renewed when it starts one).
    pub fn set_lease(&mut self, lease: Duration) {
        self.lease = lease;
    }

    /// The connection settings, for a follower's own LISTEN connection.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The schema version the database is at (the number of migrations that ran).
    pub fn schema_version(&self) -> Result<usize> {
        self.run(async {
            let c = self.client().await?;
            let row = one(
                &c,
                "SELECT COALESCE(MAX(version), 0) FROM necid_schema_versions",
                &[],
            )
            .await?;
            Ok(usize::try_from(row.get::<_, i32>(0)).unwrap_or(0))
        })
    }

    /// The sole tenant's keys, made (at random) if the database has no tenant yet. Replicas
    /// share the tenant, so its keys live in the database, beside the API keys of its
    /// applications.
    pub fn tenant_credentials(&self) -> Result<TenantCredentials> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Two replicas starting on an empty database must agree on one tenant.
            tx.batch_execute("LOCK TABLE tenants IN SHARE ROW EXCLUSIVE MODE")
                .await?;
            let found = opt(
                &tx,
                "SELECT access_key_id, secret_access_key FROM tenants ORDER BY ord LIMIT 1",
                &[],
            )
            .await?;
            let credentials = match found {
                Some(row) => TenantCredentials {
                    access_key_id: row.get(0),
                    secret_access_key: row.get(1),
                },
                None => {
                    let fresh = TenantCredentials::random();
                    exec(
                        &tx,
                        "INSERT INTO tenants (id, access_key_id, secret_access_key, created_at) \
                         VALUES ($1, $2, $3, $4)",
                        &[
                            &super::new_id(),
                            &fresh.access_key_id,
                            &fresh.secret_access_key,
                            &super::now_timestamp(),
                        ],
                    )
                    .await?;
                    fresh
                }
            };
            tx.commit().await?;
            Ok(credentials)
        })
    }

    async fn migrate(&self) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS necid_schema_versions (\
                version INTEGER PRIMARY KEY, \
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
        let version: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM necid_schema_versions",
                &[],
            )
            .await?
            .get(0);
        let version = usize::try_from(version).unwrap_or(0);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "database schema version {version} is newer than this build ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.batch_execute(sql).await?;
            let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO necid_schema_versions (version) VALUES ($1)",
                &[&number],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs one store call's queries on the store's runtime, from a blocking thread.
    fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.runtime.handle().block_on(work)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// The runtime the store's connections live on: one worker thread drives them, the callers'
/// blocking threads drive their own queries. Its timers (pool timeouts) and connection tasks
/// outlive any runtime of the service, so the store works until the store itself is dropped.
struct StoreRuntime(Option<tokio::runtime::Runtime>);

impl StoreRuntime {
    fn start() -> Result<Self> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("necid-postgres")
            .enable_all()
            .build()
            .map(|runtime| Self(Some(runtime)))
            .map_err(|e| StoreError::Unavailable(format!("starting the database runtime: {e}")))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("the runtime is taken only on drop")
            .handle()
    }
}

impl Drop for StoreRuntime {
    // The last holder of the store may be an async task, where waiting for a runtime to stop is
    // not allowed.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Whether a PostgreSQL failure is the machine's (the connection, a conflict to retry), not the
/// request's.
pub fn is_transient(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    match e.code() {
        None => true,
        Some(code) => [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::DISK_FULL,
        ]
        .contains(code),
    }
}

/// Reads a text column as the id type it holds: the one place an id leaves a PostgreSQL row.
/// (Ids are bound as their text, `&id.as_str()`.)
fn read_id<T: From<String>>(row: &Row, column: usize) -> T {
    T::from(row.get::<_, String>(column))
}

/// [`read_id`] for a column where NULL or `''` means none.
fn read_optional_id<T: From<String>>(row: &Row, column: usize) -> Option<T> {
    row.get::<_, Option<String>>(column)
        .filter(|text| !text.is_empty())
        .map(T::from)
}

/// The rows of a prepared (and cached) statement.
async fn rows<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query(&statement, params).await?)
}

async fn opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&statement, params).await?)
}

async fn one<C: GenericClient>(c: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_one(&statement, params).await?)
}

async fn exec<C: GenericClient>(c: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.execute(&statement, params).await?)
}
