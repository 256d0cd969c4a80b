//! The store: tenants, galleries, applications, tags, subjects, events (with their descriptors
//! and attributes) and bulk jobs. [`Store`] is the one storage interface the domain layer and the
//! routes call; it has two back ends:
//! - [`SqliteStore`], the default and the console's Local profile: one database file under the
//!   data dir, for one service;
//! - [`pg::PgStore`], PostgreSQL, for several replicas of the service on one database
//!   (`--database-url`); its module says how the replicas stay coherent.
//!
//! SQLite: one connection behind a mutex: SQLite serialises writers anyway, every statement here is
//! short, and callers run it off the async threads (`spawn_blocking`). WAL with
//! `synchronous=NORMAL` makes a committed transaction survive a crash of the process (`kill -9`);
//! only a power loss could lose the last commits. Foreign keys are on, and the numbered files in
//! `migrations/` bring a database of any earlier version up to date.
//!
//! One file per aggregate (tenants, galleries, applications, tags, events, bulk), each adding its
//! methods to [`Store`]; this file opens the database and holds what they share.
//!
//! Every id a call takes or returns is typed: the wire crate's [`GalleryId`], [`SubjectId`],
//! [`EventId`], [`BatchId`], [`ApplicationId`], [`RecordId`] and [`TagName`], and the store's own
//! [`TenantId`] (the API never names a tenant), so a subject id passed where an event id belongs
//! does not compile. Each back end binds an id as its text (`id.as_str()`) and reads one back in
//! one place (`read_id`), so nothing above the store handles an id as a bare string. A write that the
//! search index mirrors returns a [`Committed`], which keeps the writer lock until the domain
//! layer (`crate::domain`) has mirrored it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::error::quote_for_message;
use crate::index::{DIM, GalleryIndex, RowMeta};

mod applications;
mod bulk;
mod dispatch;
mod events;
mod galleries;
pub mod pg;
mod tags;
mod tenants;

pub use applications::Application;
pub use bulk::{BulkRecord, PendingRecord, RecordOutcome};
pub use events::{EnrolTarget, Enrolled, SubjectRow};
pub use galleries::Gallery;
pub use status::{EventStatus, RecordStatus, RegisterStatus};
pub use tags::ResolvedTags;

pub use necid_wire::{
    ApiKey, ApplicationId, BatchId, EventId, GalleryId, RecordId, SubjectId, TagName,
};

/// The migrations, in order; `user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_integrity.sql"),
];

/// Most tags a gallery may hold (the reference's hard limit).
pub const MAX_TAGS: usize = necid_wire::MAX_TAGS;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error")]
    Postgres(#[from] tokio_postgres::Error),
    /// The database could not be reached (no connection in time, the server is down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    Invalid(String),
    /// A bulk record that was no longer `New` when its outcome was to be written.
    #[error("bulk record {0} was already processed")]
    AlreadyProcessed(i64),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        Self::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The tenant that galleries belong to (one per access key id). The API never names it, so the
/// wire crate has no type for it: it is the store's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    /// The id as the database holds it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for TenantId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The storage interface: the same calls on either back end (`dispatch.rs` forwards them).
///
/// Its ids are typed, so an id read from the store goes only where its kind belongs: asking to
/// unregister an event with the id of its subject does not compile.
///
/// ```compile_fail,E0308
/// # fn f(store: &necid_server::store::Store) -> Result<(), necid_server::store::StoreError> {
/// let gallery_id = store.all_gallery_ids()?.remove(0);
/// let (rows, _) = store.list_subject_rows(&gallery_id, 0, 1, false)?;
/// let row = &rows[0];
/// drop(store.unregister_event(&gallery_id, &row.subject_id, &row.subject_id)?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(Box<pg::PgStore>),
}

/// The SQLite back end.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// A change the store has committed, returned with the store's writer lock still held.
///
/// The caller mirrors the change into the search index before dropping it, so that the store and
/// the index change as one step: no other write can land between the commit and the mirroring
/// (which once left a deleted subject's row in the index until a restart).
///
/// PostgreSQL holds no writer lock here (several replicas write at once): its changes reach
/// every replica's index through the change feed, in the order the database committed them.
#[derive(Debug)]
pub struct Committed<'a, T> {
    pub change: T,
    _writer: Option<MutexGuard<'a, Connection>>,
}

impl<T> Committed<'_, T> {
    /// A change committed by a back end that keeps no writer lock.
    pub(crate) fn unlocked(change: T) -> Self {
        Self {
            change,
            _writer: None,
        }
    }
}

/// The current UTC time as the API shows it: `2018-12-18T00:27:56.427+00:00`.
pub fn now_timestamp() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+00:00"
    );
    time::OffsetDateTime::now_utc()
        .format(fmt)
        .unwrap_or_default()
}

/// A fresh random id (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh random id of the kind `T` (a gallery, a subject, an event …).
pub fn fresh_id<T: From<String>>() -> T {
    T::from(new_id())
}

/// A random secret of `len` characters from `[A-Za-z0-9]`, drawn from the OS generator (via
/// UUID v4's random bytes; rejection sampling keeps it uniform).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        // Bytes 6 and 8 carry the version and variant bits: skip them.
        for (i, b) in bytes.iter().enumerate() {
            if i == 6 || i == 8 || out.len() == len {
                continue;
            }
            // 62 * 4 = 248: values at or above it would bias the draw.
            if *b < 248 {
                out.push(ALPHABET[usize::from(*b % 62)] as char);
            }
        }
    }
    out
}

pub fn descriptor_to_blob(v: &[f32; DIM]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn blob_to_descriptor(b: &[u8]) -> Option<[f32; DIM]> {
    if b.len() != DIM * 4 {
        return None;
    }
    let mut v = [0f32; DIM];
    for (x, c) in v.iter_mut().zip(b.chunks_exact(4)) {
        *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Some(v)
}

impl Store {
    /// The SQLite store at `path` (see [`SqliteStore::open`]).
    pub fn open(path: &Path) -> Result<Self> {
        SqliteStore::open(path).map(Self::Sqlite)
    }

    /// An in-memory SQLite store, for tests and the search bench.
    pub fn open_in_memory() -> Result<Self> {
        SqliteStore::open_in_memory().map(Self::Sqlite)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// An in-memory database, for tests and the search bench.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // 32 MiB of page cache (SQLite's default is 2 MiB), so an enrolment into a large gallery
        // finds the pages of the indexes it updates in memory.
        conn.pragma_update(None, "cache_size", -32768)?;
        // Migrations rebuild tables, which SQLite does with foreign keys off; each checks them
        // before it commits.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(0);
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "database schema version {version} is newer than this build ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            let violations: i64 =
                tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if violations > 0 {
                return Err(StoreError::Corrupt(format!(
                    "migration {} leaves {violations} broken references",
                    i + 1
                )));
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the transaction rolls
        // back when dropped), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads a text column as the id type it holds: the one place an id leaves a SQLite row.
/// (Ids are bound as their text, `id.as_str()`.)
fn read_id<T: From<String>>(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<T> {
    row.get::<_, String>(column).map(T::from)
}

/// [`read_id`] for a column where `''` means none (a bulk record's subject and event before it is
/// enrolled).
fn read_optional_id<T: From<String>>(
    row: &rusqlite::Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(column)?;
    Ok(text.filter(|t| !t.is_empty()).map(T::from))
}

/// The text a bulk record's column holds for an id that may be missing: `''` for none (both
/// back ends).
fn id_text<T: AsRef<str>>(id: Option<&T>) -> &str {
    id.map_or("", AsRef::as_ref)
}

fn committed<T>(writer: MutexGuard<'_, Connection>, change: T) -> Committed<'_, T> {
    Committed {
        change,
        _writer: Some(writer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rekeying_the_sole_tenant_keeps_its_galleries_under_the_new_key() {
        let store = SqliteStore::open_in_memory().expect("store");
        assert_eq!(store.rekey_sole_tenant("AKIDNEW").expect("no tenant"), None);
        let tenant_id = store.ensure_tenant("AKIDOLD").expect("tenant");
        store
            .create_gallery(&tenant_id, "Staff", "", 100, 0.0)
            .expect("gallery");
        let rekeyed = store.rekey_sole_tenant("AKIDNEW").expect("rekey");
        assert_eq!(rekeyed.as_ref(), Some(&tenant_id));
        assert_eq!(store.tenant_by_access_key("AKIDOLD").expect("lookup"), None);
        assert_eq!(
            store.ensure_tenant("AKIDNEW").expect("same tenant"),
            tenant_id
        );
        assert_eq!(store.list_galleries(&tenant_id).expect("list").len(), 1);
    }

    #[test]
    fn a_version_1_database_is_migrated_with_its_data_and_without_dangling_tag_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).expect("db");
            conn.execute_batch(MIGRATIONS[0]).expect("version 1");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
            conn.execute_batch(
                "INSERT INTO tenants VALUES ('t', 'AKID', 'now');
                 INSERT INTO galleries VALUES ('g', 't', 'Staff', '', 10, 0.5, 'now');
                 INSERT INTO applications VALUES ('a', 'g', 'Staff', '', 'KEY', 0.5, 'now');
                 INSERT INTO tags (id, gallery_id, name, bit) VALUES (1, 'g', 'kept', 0);
                 INSERT INTO subjects VALUES ('s', 'g', 'now');
                 -- E1 was updated once (row 1 DELETED, row 3 ACTIVE), E2 enrolled between.
                 INSERT INTO events VALUES (1, 'g', 's', 'E1', 'DELETED', 0, 'now', NULL, '{}');
                 INSERT INTO events VALUES (2, 'g', 's', 'E2', 'ACTIVE', 1, 'now', NULL, '{}');
                 INSERT INTO events VALUES (3, 'g', 's', 'E1', 'ACTIVE', 2, 'now', NULL, '{}');
                 INSERT INTO event_tags VALUES (3, 1);
                 INSERT INTO event_tags VALUES (3, 7); -- a deleted tag's leftover link
                 INSERT INTO bulk_jobs VALUES ('b', 'g', 'gone', 'now');",
            )
            .expect("version 1 data");
        }
        let store = SqliteStore::open(&path).expect("migrated");
        assert_eq!(
            store
                .list_events(&GalleryId::from("g"), &SubjectId::from("s"))
                .expect("events"),
            [EventId::from("E1"), EventId::from("E2")]
        );
        let conn = store.conn();
        let links: Vec<(i64, i64)> = conn
            .prepare("SELECT event_rowid, tag_id FROM event_tags")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("links");
        assert_eq!(links, [(3, 1)]);
        let counts: (i64, i64) = conn
            .query_row(
                "SELECT event_rows, active_events FROM galleries WHERE id = 'g'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("counts");
        assert_eq!(counts, (3, 2));
        let app: Option<String> = conn
            .query_row("SELECT application_id FROM bulk_jobs", [], |r| r.get(0))
            .expect("job");
        assert_eq!(app, None, "a job's deleted application is a NULL reference");
    }

    #[test]
    fn tag_ids_are_never_reused() {
        let store = SqliteStore::open_in_memory().expect("store");
        let tenant = store.ensure_tenant("AKID").expect("tenant");
        let (g, _) = store
            .create_gallery(&tenant, "Staff", "", 10, 0.5)
            .expect("gallery");
        store.create_tag(&g.id, &TagName::from("x")).expect("x");
        let id_of = |name: &str| -> i64 {
            store
                .conn()
                .query_row("SELECT id FROM tags WHERE name = ?1", [name], |r| r.get(0))
                .expect("tag id")
        };
        let x = id_of("x");
        drop(
            store
                .delete_tag(&g.id, &TagName::from("x"))
                .expect("delete"),
        );
        store.create_tag(&g.id, &TagName::from("y")).expect("y");
        assert!(id_of("y") > x);
    }

    #[test]
    fn an_applications_api_key_never_shows_in_its_debug_output() {
        let store = SqliteStore::open_in_memory().expect("store");
        let tenant = store.ensure_tenant("AKID").expect("tenant");
        let (_, app) = store
            .create_gallery(&tenant, "Staff", "", 10, 0.5)
            .expect("gallery");
        let (_, found) = store
            .application_by_api_key(&app.api_key)
            .expect("lookup")
            .expect("the key names its application");
        for app in [app, found] {
            assert!(
                !format!("{app:?}").contains(app.api_key.expose()),
                "{app:?}"
            );
        }
    }

    #[test]
    fn a_store_with_several_tenants_is_not_rekeyed() {
        let store = SqliteStore::open_in_memory().expect("store");
        store.ensure_tenant("AKIDA").expect("a");
        store.ensure_tenant("AKIDB").expect("b");
        assert!(store.rekey_sole_tenant("AKIDNEW").is_err());
        assert!(
            store
                .tenant_by_access_key("AKIDA")
                .expect("lookup")
                .is_some()
        );
    }
}

/// The statuses as the store writes them in its rows (`ACTIVE`/`DELETED`, `New`/`Processed`,
/// `Success`/`Failed`), read back as the wire's types, so nothing above the store compares text.
mod status {
    pub use necid_wire::{EventStatus, RecordStatus, RegisterStatus};

    /// An event row's status: anything but `ACTIVE` is a deleted slot.
    pub fn event(text: &str) -> EventStatus {
        if text == "ACTIVE" {
            EventStatus::Active
        } else {
            EventStatus::Deleted
        }
    }

    /// A bulk record's status: processed once its outcome is written.
    pub fn record(text: &str) -> RecordStatus {
        if text == "Processed" {
            RecordStatus::Processed
        } else {
            RecordStatus::New
        }
    }

    /// A bulk record's outcome, none while it waits.
    pub fn register(text: &str) -> Option<RegisterStatus> {
        match text {
            "Success" => Some(RegisterStatus::Success),
            "Failed" => Some(RegisterStatus::Failed),
            _ => None,
        }
    }
}
