//! The SQLite store: tenants, galleries, applications, tags, subjects, events (with their
//! descriptors and attributes) and bulk jobs, in one database file under the data dir.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, every statement here is
//! short, and callers run it off the async threads (`spawn_blocking`). WAL with
//! `synchronous=NORMAL` makes a committed transaction survive a crash of the process (`kill -9`);
//! only a power loss could lose the last commits. Foreign keys are on, and the numbered files in
//! `migrations/` bring a database of any earlier version up to date.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::quote_for_message;
use crate::index::{DIM, GalleryIndex, RowMeta};

/// The migrations, in order; `user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_integrity.sql"),
];

/// Most tags a gallery may hold (the reference's hard limit).
pub const MAX_TAGS: usize = 64;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
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

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

/// A change the store has committed, returned with the store's writer lock still held.
///
/// The caller mirrors the change into the search index before dropping it, so that the store and
/// the index change as one step: no other write can land between the commit and the mirroring
/// (which once left a deleted subject's row in the index until a restart).
#[derive(Debug)]
pub struct Committed<'a, T> {
    pub change: T,
    _writer: MutexGuard<'a, Connection>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    pub id: String,
    pub name: String,
    pub description: String,
    pub size: i64,
    pub count: i64,
    pub face_minimum_quality_score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: String,
    pub gallery_id: String,
    pub name: String,
    pub description: String,
    pub api_key: String,
    pub face_minimum_quality_score: f64,
}

/// A listed row of List Subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRow {
    pub subject_id: String,
    pub event_id: String,
    pub status: String,
    pub last_updated: String,
}

/// A tag resolved for an enrolment or a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedTags {
    pub ids: Vec<i64>,
    pub mask: u64,
}

/// What an enrolment targets.
#[derive(Debug, Clone)]
pub enum EnrolTarget {
    /// Register Subject: a new subject and its first event.
    NewSubject,
    /// Register Event: a new event of an existing subject.
    NewEvent { subject_id: String },
    /// Update Event: replace the template of an event, keeping its id.
    ReplaceEvent {
        subject_id: String,
        event_id: String,
    },
    /// Update Subject: replace the template of the subject's first event.
    ReplaceFirstEvent { subject_id: String },
}

/// The outcome of an enrolment, for the caller to mirror into the search index.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub subject_id: String,
    pub event_id: String,
    pub row_id: i64,
    /// The tag mask of the new row, for the index.
    pub tag_mask: u64,
    /// Rows that left the active set (the replaced template, a recycled slot's old row).
    pub deactivated_rows: Vec<i64>,
}

/// A bulk record as the progress route shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRecord {
    pub seq: i64,
    pub id: String,
    pub filename: String,
    pub attempts: i64,
    pub event_id: String,
    pub subject_id: String,
    pub register_status: String,
    pub reason: String,
    pub status: String,
    pub attributes_json: String,
}

/// A record still to be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecord {
    pub seq: i64,
    pub batch_id: String,
    pub gallery_id: String,
    pub application_id: String,
    pub filename: String,
    pub tags: Vec<String>,
    pub attempts: i64,
}

/// The final state of a processed record.
#[derive(Debug, Clone, Default)]
pub struct RecordOutcome {
    pub success: bool,
    pub reason: String,
    pub subject_id: String,
    pub event_id: String,
    pub attributes_json: String,
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

fn gallery_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Gallery> {
    Ok(Gallery {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        size: r.get(3)?,
        count: r.get(4)?,
        face_minimum_quality_score: r.get(5)?,
    })
}

const GALLERY_COLUMNS: &str =
    "g.id, g.name, g.description, g.size, g.active_events, g.face_minimum_quality_score";

fn application_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Application> {
    Ok(Application {
        id: r.get(0)?,
        gallery_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        api_key: r.get(4)?,
        face_minimum_quality_score: r.get(5)?,
    })
}

const APPLICATION_COLUMNS: &str =
    "a.id, a.gallery_id, a.name, a.description, a.api_key, a.face_minimum_quality_score";

impl Store {
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

    // ---- tenants -------------------------------------------------------------------------

    /// The tenant of an access key id, creating it if there is none yet.
    pub fn ensure_tenant(&self, access_key_id: &str) -> Result<String> {
        let conn = self.conn();
        if let Some(id) = conn
            .query_row(
                "SELECT id FROM tenants WHERE access_key_id = ?1",
                [access_key_id],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(id);
        }
        let id = new_id();
        conn.execute(
            "INSERT INTO tenants (id, access_key_id, created_at) VALUES (?1, ?2, ?3)",
            params![id, access_key_id, now_timestamp()],
        )?;
        Ok(id)
    }

    /// Gives the only tenant a new access key id, keeping its galleries, and returns its id.
    ///
    /// For an embedding program whose keys were lost (the console keeps them in the OS keyring,
    /// which on Linux may not outlive a login session) while its data was not. `Ok(None)` when
    /// there is no tenant yet; an error when there are several, since which one was meant
    /// cannot be known.
    pub fn rekey_sole_tenant(&self, new_access_key_id: &str) -> Result<Option<String>> {
        let conn = self.conn();
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM tenants LIMIT 2")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [] => Ok(None),
            [id] => {
                conn.execute(
                    "UPDATE tenants SET access_key_id = ?1 WHERE id = ?2",
                    params![new_access_key_id, id],
                )?;
                Ok(Some(id.clone()))
            }
            _ => Err(StoreError::Invalid(
                "the database holds several tenants, so none can be re-keyed".into(),
            )),
        }
    }

    pub fn tenant_by_access_key(&self, access_key_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM tenants WHERE access_key_id = ?1",
                [access_key_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    // ---- galleries -----------------------------------------------------------------------

    /// Creates a gallery and its first application (named after the gallery).
    pub fn create_gallery(
        &self,
        tenant_id: &str,
        name: &str,
        description: &str,
        size: i64,
        face_minimum_quality_score: f64,
    ) -> Result<(Gallery, Application)> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND name = ?2)",
            params![tenant_id, name],
            |r| r.get(0),
        )?;
        if exists {
            // NOTES.md item 10 has the existing gallery's API key as the message; a key is never
            // put in a message here (docs/api.md): List Applications shows it to its owner.
            return Err(StoreError::Duplicate(format!(
                "A gallery named {} already exists; its applications and API keys are listed by GET /api/applications.",
                quote_for_message(name)
            )));
        }
        let gallery_id = new_id();
        let now = now_timestamp();
        tx.execute(
            "INSERT INTO galleries (id, tenant_id, name, description, size, face_minimum_quality_score, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![gallery_id, tenant_id, name, description, size, face_minimum_quality_score, now],
        )?;
        let app = insert_application(
            &tx,
            &gallery_id,
            name,
            description,
            face_minimum_quality_score,
        )?;
        tx.commit()?;
        Ok((
            Gallery {
                id: gallery_id,
                name: name.to_owned(),
                description: description.to_owned(),
                size,
                count: 0,
                face_minimum_quality_score,
            },
            app,
        ))
    }

    pub fn list_galleries(&self, tenant_id: &str) -> Result<Vec<Gallery>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = ?1 ORDER BY g.created_at, g.rowid"
        ))?;
        let rows = stmt.query_map([tenant_id], gallery_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn gallery(&self, tenant_id: &str, gallery_id: &str) -> Result<Gallery> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {GALLERY_COLUMNS} FROM galleries g WHERE g.tenant_id = ?1 AND g.id = ?2"
                ),
                params![tenant_id, gallery_id],
                gallery_from_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound("Gallery"))
    }

    /// All gallery ids, for loading the search indexes at start.
    pub fn all_gallery_ids(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM galleries")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn applications_of_gallery(&self, gallery_id: &str) -> Result<Vec<Application>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications a WHERE a.gallery_id = ?1 ORDER BY a.created_at, a.rowid"
        ))?;
        let rows = stmt.query_map([gallery_id], application_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Updates name, description and size; size may only grow.
    pub fn update_gallery(
        &self,
        tenant_id: &str,
        gallery_id: &str,
        name: Option<&str>,
        description: Option<&str>,
        size: Option<i64>,
    ) -> Result<Gallery> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (old_name, old_size): (String, i64) = tx
            .query_row(
                "SELECT name, size FROM galleries WHERE tenant_id = ?1 AND id = ?2",
                params![tenant_id, gallery_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Gallery"))?;
        if let Some(size) = size
            && size < old_size
        {
            return Err(StoreError::Invalid(format!(
                "size may only be increased (currently {old_size})."
            )));
        }
        if let Some(name) = name
            && name != old_name
        {
            let taken: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND name = ?2)",
                params![tenant_id, name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Duplicate(
                    "A gallery with this name already exists.".into(),
                ));
            }
        }
        tx.execute(
            "UPDATE galleries SET name = COALESCE(?3, name), description = COALESCE(?4, description), \
             size = COALESCE(?5, size) WHERE tenant_id = ?1 AND id = ?2",
            params![tenant_id, gallery_id, name, description, size],
        )?;
        tx.commit()?;
        drop(conn);
        self.gallery(tenant_id, gallery_id)
    }

    /// Deletes a gallery and everything enrolled in it; the caller drops its index.
    pub fn delete_gallery(&self, tenant_id: &str, gallery_id: &str) -> Result<Committed<'_, ()>> {
        let conn = self.conn();
        let n = conn.execute(
            "DELETE FROM galleries WHERE tenant_id = ?1 AND id = ?2",
            params![tenant_id, gallery_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("Gallery"));
        }
        Ok(committed(conn, ()))
    }

    // ---- applications --------------------------------------------------------------------

    pub fn list_applications(&self, tenant_id: &str) -> Result<Vec<Application>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
             WHERE g.tenant_id = ?1 ORDER BY a.created_at, a.rowid"
        ))?;
        let rows = stmt.query_map([tenant_id], application_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn application(&self, tenant_id: &str, application_id: &str) -> Result<Application> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN galleries g ON g.id = a.gallery_id \
                     WHERE g.tenant_id = ?1 AND a.id = ?2"
                ),
                params![tenant_id, application_id],
                application_from_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound("Application"))
    }

    /// The application an API key names, with its tenant.
    pub fn application_by_api_key(&self, api_key: &str) -> Result<Option<(String, Application)>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {APPLICATION_COLUMNS}, g.tenant_id FROM applications a \
                     JOIN galleries g ON g.id = a.gallery_id WHERE a.api_key = ?1"
                ),
                [api_key],
                |r| Ok((r.get(6)?, application_from_row(r)?)),
            )
            .optional()?)
    }

    pub fn create_application(
        &self,
        tenant_id: &str,
        gallery_id: &str,
        name: &str,
        description: &str,
        face_minimum_quality_score: f64,
    ) -> Result<Application> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM galleries WHERE tenant_id = ?1 AND id = ?2)",
            params![tenant_id, gallery_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::Invalid(
                "galleryId does not name a gallery of this tenant.".into(),
            ));
        }
        let app = insert_application(
            &tx,
            gallery_id,
            name,
            description,
            face_minimum_quality_score,
        )?;
        tx.commit()?;
        Ok(app)
    }

    pub fn update_application(
        &self,
        tenant_id: &str,
        application_id: &str,
        name: Option<&str>,
        description: Option<&str>,
        face_minimum_quality_score: Option<f64>,
    ) -> Result<Application> {
        // Check ownership first: the UPDATE below has no join.
        self.application(tenant_id, application_id)?;
        self.conn().execute(
            "UPDATE applications SET name = COALESCE(?2, name), description = COALESCE(?3, description), \
             face_minimum_quality_score = COALESCE(?4, face_minimum_quality_score) WHERE id = ?1",
            params![application_id, name, description, face_minimum_quality_score],
        )?;
        self.application(tenant_id, application_id)
    }

    pub fn delete_application(&self, tenant_id: &str, application_id: &str) -> Result<()> {
        self.application(tenant_id, application_id)?;
        self.conn()
            .execute("DELETE FROM applications WHERE id = ?1", [application_id])?;
        Ok(())
    }

    // ---- tags ----------------------------------------------------------------------------

    pub fn list_tags(&self, gallery_id: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT name FROM tags WHERE gallery_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([gallery_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn create_tag(&self, gallery_id: &str, name: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM tags WHERE gallery_id = ?1 AND name = ?2)",
            params![gallery_id, name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(StoreError::Duplicate(format!(
                "Tag already exists: {}",
                quote_for_message(name)
            )));
        }
        let mut used = [false; MAX_TAGS];
        {
            let mut stmt = tx.prepare("SELECT bit FROM tags WHERE gallery_id = ?1")?;
            for bit in stmt.query_map([gallery_id], |r| r.get::<_, i64>(0))? {
                if let Some(slot) = usize::try_from(bit?).ok().and_then(|b| used.get_mut(b)) {
                    *slot = true;
                }
            }
        }
        let Some(bit) = used.iter().position(|u| !u) else {
            return Err(StoreError::Invalid(format!(
                "A gallery holds at most {MAX_TAGS} tags."
            )));
        };
        tx.execute(
            "INSERT INTO tags (gallery_id, name, bit) VALUES (?1, ?2, ?3)",
            params![gallery_id, name, bit as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn rename_tag(&self, gallery_id: &str, old_name: &str, new_name: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM tags WHERE gallery_id = ?1 AND name = ?2)",
            params![gallery_id, old_name],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound("Tag"));
        }
        if old_name != new_name {
            let taken: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM tags WHERE gallery_id = ?1 AND name = ?2)",
                params![gallery_id, new_name],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Duplicate(format!(
                    "Tag already exists: {}",
                    quote_for_message(new_name)
                )));
            }
            tx.execute(
                "UPDATE tags SET name = ?3 WHERE gallery_id = ?1 AND name = ?2",
                params![gallery_id, old_name, new_name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes a tag and its links to events (the events stay); returns its mask bit, which
    /// the caller clears from the index.
    pub fn delete_tag(&self, gallery_id: &str, name: &str) -> Result<Committed<'_, u32>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let bit: i64 = tx
            .query_row(
                "SELECT bit FROM tags WHERE gallery_id = ?1 AND name = ?2",
                params![gallery_id, name],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Tag"))?;
        tx.execute(
            "DELETE FROM tags WHERE gallery_id = ?1 AND name = ?2",
            params![gallery_id, name],
        )?;
        let bit = u32::try_from(bit).map_err(|_| StoreError::Corrupt("tag bit".into()))?;
        tx.commit()?;
        Ok(committed(conn, bit))
    }

    /// Resolves tag names; every name must exist (NOTES.md item 9).
    pub fn resolve_tags(&self, gallery_id: &str, names: &[String]) -> Result<ResolvedTags> {
        let conn = self.conn();
        resolve_tags(&conn, gallery_id, names)
    }

    // ---- subjects and events -------------------------------------------------------------

    /// Enrols one template, checking the tag names (NOTES.md item 9) in the same transaction.
    pub fn enrol(
        &self,
        gallery_id: &str,
        target: &EnrolTarget,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[String],
    ) -> Result<Committed<'_, Enrolled>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let enrolled = enrol_in(
            &tx,
            gallery_id,
            target,
            descriptor,
            attributes_json,
            tag_names,
        )?;
        tx.commit()?;
        Ok(committed(conn, enrolled))
    }

    /// List Subjects: one row per event row (ACTIVE and DELETED), ordered by `lastUpdated`.
    pub fn list_subject_rows(
        &self,
        gallery_id: &str,
        start: i64,
        length: i64,
        descending: bool,
    ) -> Result<(Vec<SubjectRow>, i64)> {
        let conn = self.conn();
        let total: i64 = conn.query_row(
            "SELECT event_rows FROM galleries WHERE id = ?1",
            [gallery_id],
            |r| r.get(0),
        )?;
        let order = if descending { "DESC" } else { "ASC" };
        let mut stmt = conn.prepare(&format!(
            "SELECT subject_id, event_id, status, last_updated FROM events WHERE gallery_id = ?1 \
             ORDER BY last_updated {order}, rowid {order} LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![gallery_id, length, start], |r| {
            Ok(SubjectRow {
                subject_id: r.get(0)?,
                event_id: r.get(1)?,
                status: r.get(2)?,
                last_updated: r.get(3)?,
            })
        })?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total))
    }

    /// List Events: the subject's active event ids in the order they were first enrolled (an
    /// updated event keeps its place).
    pub fn list_events(&self, gallery_id: &str, subject_id: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        subject_exists(&conn, gallery_id, subject_id)?;
        let mut stmt = conn.prepare(
            "SELECT event_id FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND status = 'ACTIVE' \
             ORDER BY position, rowid",
        )?;
        let rows = stmt.query_map(params![gallery_id, subject_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a subject exists in the gallery.
    pub fn subject_exists(&self, gallery_id: &str, subject_id: &str) -> Result<()> {
        subject_exists(&self.conn(), gallery_id, subject_id)
    }

    /// Unregister Subject: the subject goes, its event rows become DELETED. Returns those rows.
    pub fn unregister_subject(
        &self,
        gallery_id: &str,
        subject_id: &str,
    ) -> Result<Committed<'_, Vec<i64>>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        subject_exists(&tx, gallery_id, subject_id)?;
        let now = now_timestamp();
        let rows: Vec<i64> = {
            let mut stmt = tx.prepare(
                "SELECT rowid FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND status = 'ACTIVE'",
            )?;
            let r = stmt.query_map(params![gallery_id, subject_id], |r| r.get(0))?;
            r.collect::<rusqlite::Result<_>>()?
        };
        for row in &rows {
            deactivate(&tx, *row, &now)?;
        }
        tx.execute("DELETE FROM subjects WHERE id = ?1", [subject_id])?;
        tx.commit()?;
        Ok(committed(conn, rows))
    }

    /// Unregister Event: the event's row becomes DELETED. Returns it.
    pub fn unregister_event(
        &self,
        gallery_id: &str,
        subject_id: &str,
        event_id: &str,
    ) -> Result<Committed<'_, i64>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        subject_exists(&tx, gallery_id, subject_id)?;
        let row: i64 = tx
            .query_row(
                "SELECT rowid FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND event_id = ?3 AND status = 'ACTIVE'",
                params![gallery_id, subject_id, event_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Event"))?;
        deactivate(&tx, row, &now_timestamp())?;
        tx.commit()?;
        Ok(committed(conn, row))
    }

    /// The search index of a gallery, from its active rows.
    pub fn load_index(&self, gallery_id: &str) -> Result<GalleryIndex> {
        let conn = self.conn();
        let mut masks = std::collections::HashMap::<i64, u64>::new();
        {
            let mut stmt = conn.prepare(
                "SELECT et.event_rowid, t.bit FROM event_tags et JOIN tags t ON t.id = et.tag_id \
                 JOIN events e ON e.rowid = et.event_rowid WHERE e.gallery_id = ?1 AND e.status = 'ACTIVE'",
            )?;
            for r in stmt.query_map([gallery_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (row, bit) = r?;
                if (0..64).contains(&bit) {
                    *masks.entry(row).or_default() |= 1u64 << bit;
                }
            }
        }
        let count: i64 = conn.query_row(
            "SELECT COUNT(*) FROM events WHERE gallery_id = ?1 AND status = 'ACTIVE'",
            [gallery_id],
            |r| r.get(0),
        )?;
        // Room to grow by an eighth before the first reallocation, which copies every vector
        // under the index's write lock. Untouched capacity costs no resident memory.
        let count = usize::try_from(count).unwrap_or(0);
        let mut index = GalleryIndex::with_capacity(count + count / 8 + 1024);
        let mut stmt = conn.prepare(
            "SELECT rowid, subject_id, event_id, descriptor FROM events WHERE gallery_id = ?1 AND status = 'ACTIVE' ORDER BY rowid",
        )?;
        let mut rows = stmt.query([gallery_id])?;
        while let Some(r) = rows.next()? {
            let row_id: i64 = r.get(0)?;
            let v = blob_to_descriptor(r.get_ref(3)?.as_blob()?)
                .ok_or_else(|| StoreError::Corrupt(format!("descriptor of event row {row_id}")))?;
            index.upsert(
                RowMeta {
                    row_id,
                    subject_id: r.get_ref(1)?.as_str()?.into(),
                    event_id: r.get_ref(2)?.as_str()?.into(),
                },
                &v,
                masks.get(&row_id).copied().unwrap_or(0),
            );
        }
        Ok(index)
    }

    // ---- bulk jobs -----------------------------------------------------------------------

    /// Creates a job and its records (status New) in one transaction.
    pub fn create_bulk_job(
        &self,
        gallery_id: &str,
        application_id: &str,
        registrations: &[(String, Vec<String>)],
    ) -> Result<String> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let batch_id = new_id();
        tx.execute(
            "INSERT INTO bulk_jobs (batch_id, gallery_id, application_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![batch_id, gallery_id, application_id, now_timestamp()],
        )?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO bulk_records (batch_id, id, filename, tags, status) VALUES (?1, ?2, ?3, ?4, 'New')",
            )?;
            for (filename, tags) in registrations {
                let tags = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
                stmt.execute(params![batch_id, new_id(), filename, tags])?;
            }
        }
        tx.commit()?;
        Ok(batch_id)
    }

    /// A page of a job's records after `after_seq`; the second value is the last record's seq
    /// when more records follow.
    pub fn bulk_page(
        &self,
        gallery_id: &str,
        batch_id: &str,
        after_seq: i64,
        page: i64,
    ) -> Result<(Vec<BulkRecord>, Option<i64>)> {
        let conn = self.conn();
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM bulk_jobs WHERE batch_id = ?1 AND gallery_id = ?2)",
            params![batch_id, gallery_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound("Batch"));
        }
        let mut stmt = conn.prepare(
            "SELECT seq, id, filename, attempts, event_id, subject_id, register_status, reason, status, attributes_json \
             FROM bulk_records WHERE batch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![batch_id, after_seq, page + 1], |r| {
            Ok(BulkRecord {
                seq: r.get(0)?,
                id: r.get(1)?,
                filename: r.get(2)?,
                attempts: r.get(3)?,
                event_id: r.get(4)?,
                subject_id: r.get(5)?,
                register_status: r.get(6)?,
                reason: r.get(7)?,
                status: r.get(8)?,
                attributes_json: r.get(9)?,
            })
        })?;
        let mut records: Vec<BulkRecord> = rows.collect::<rusqlite::Result<_>>()?;
        let more = records.len() as i64 > page;
        records.truncate(usize::try_from(page).unwrap_or(0));
        let next = if more {
            records.last().map(|r| r.seq)
        } else {
            None
        };
        Ok((records, next))
    }

    /// Records still New, oldest first (what a restart resumes).
    pub fn pending_records(&self, limit: i64) -> Result<Vec<PendingRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT r.seq, r.batch_id, j.gallery_id, COALESCE(j.application_id, ''), r.filename, r.tags, r.attempts \
             FROM bulk_records r JOIN bulk_jobs j ON j.batch_id = r.batch_id \
             WHERE r.status = 'New' ORDER BY r.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            let tags: String = r.get(5)?;
            Ok(PendingRecord {
                seq: r.get(0)?,
                batch_id: r.get(1)?,
                gallery_id: r.get(2)?,
                application_id: r.get(3)?,
                filename: r.get(4)?,
                tags: serde_json::from_str(&tags).unwrap_or_default(),
                attempts: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts an attempt before the work starts, so a crash mid-record shows in `attempts`.
    pub fn begin_attempt(&self, seq: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE bulk_records SET attempts = attempts + 1 WHERE seq = ?1 AND status = 'New'",
            [seq],
        )?;
        Ok(())
    }

    /// Marks a record Processed with its outcome.
    pub fn finish_record(&self, seq: i64, outcome: &RecordOutcome) -> Result<()> {
        self.conn().execute(
            "UPDATE bulk_records SET status = 'Processed', register_status = ?2, reason = ?3, \
             subject_id = ?4, event_id = ?5, attributes_json = ?6 WHERE seq = ?1 AND status = 'New'",
            params![
                seq,
                if outcome.success { "Success" } else { "Failed" },
                outcome.reason,
                outcome.subject_id,
                outcome.event_id,
                outcome.attributes_json
            ],
        )?;
        Ok(())
    }

    /// Enrols a bulk record's face and marks it Processed in the same transaction, so a crash
    /// can never leave an enrolled subject behind a record still `New`.
    pub fn enrol_bulk_record(
        &self,
        seq: i64,
        gallery_id: &str,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[String],
    ) -> Result<Committed<'_, Enrolled>> {
        // One transaction: a crash can never leave an enrolled subject behind a record still
        // `New`. The record must still be `New`: a record that another worker finished first is
        // refused, and the transaction (with its enrolment) rolls back.
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let enrolled = enrol_in(
            &tx,
            gallery_id,
            &EnrolTarget::NewSubject,
            descriptor,
            attributes_json,
            tag_names,
        )?;
        let claimed = tx.execute(
            "UPDATE bulk_records SET status = 'Processed', register_status = 'Success', reason = '', \
             subject_id = ?2, event_id = ?3, attributes_json = ?4 WHERE seq = ?1 AND status = 'New'",
            params![seq, enrolled.subject_id, enrolled.event_id, attributes_json],
        )?;
        if claimed != 1 {
            return Err(StoreError::AlreadyProcessed(seq));
        }
        tx.commit()?;
        Ok(committed(conn, enrolled))
    }

    /// Caps the database at `pages` pages (never below its current size), so that any write
    /// needing a new page fails as on a full disk; `u32::MAX` lifts the cap. For tests.
    pub fn set_max_page_count(&self, pages: u64) -> Result<()> {
        let pages = i64::try_from(pages).unwrap_or(i64::MAX);
        self.conn().pragma_update(None, "max_page_count", pages)?;
        Ok(())
    }
}

/// Enrols one template inside an open transaction: the target's subject and event, a slot, the
/// row and its tags.
fn enrol_in(
    tx: &Transaction<'_>,
    gallery_id: &str,
    target: &EnrolTarget,
    descriptor: &[f32; DIM],
    attributes_json: &str,
    tag_names: &[String],
) -> Result<Enrolled> {
    let tags = resolve_tags(tx, gallery_id, tag_names)?;
    let now = now_timestamp();
    let mut deactivated = Vec::new();

    let (subject_id, event_id, position) = match target {
        EnrolTarget::NewSubject => {
            let subject_id = new_id();
            tx.execute(
                "INSERT INTO subjects (id, gallery_id, created_at) VALUES (?1, ?2, ?3)",
                params![subject_id, gallery_id, now],
            )?;
            (subject_id, new_id(), 0)
        }
        EnrolTarget::NewEvent { subject_id } => {
            subject_exists(tx, gallery_id, subject_id)?;
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM events WHERE gallery_id = ?1 AND subject_id = ?2",
                params![gallery_id, subject_id],
                |r| r.get(0),
            )?;
            (subject_id.clone(), new_id(), next)
        }
        EnrolTarget::ReplaceEvent {
            subject_id,
            event_id,
        } => {
            subject_exists(tx, gallery_id, subject_id)?;
            let (row, position): (i64, i64) = tx
                .query_row(
                    "SELECT rowid, position FROM events WHERE gallery_id = ?1 AND subject_id = ?2 \
                     AND event_id = ?3 AND status = 'ACTIVE'",
                    params![gallery_id, subject_id, event_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(StoreError::NotFound("Event"))?;
            deactivate(tx, row, &now)?;
            deactivated.push(row);
            (subject_id.clone(), event_id.clone(), position)
        }
        EnrolTarget::ReplaceFirstEvent { subject_id } => {
            subject_exists(tx, gallery_id, subject_id)?;
            // "First" is the lowest position, which a replacement row inherits: updating a
            // subject again replaces the same event (NOTES.md item 3).
            let first: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT rowid, event_id, position FROM events WHERE gallery_id = ?1 AND subject_id = ?2 \
                     AND status = 'ACTIVE' ORDER BY position, rowid LIMIT 1",
                    params![gallery_id, subject_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match first {
                Some((row, event_id, position)) => {
                    deactivate(tx, row, &now)?;
                    deactivated.push(row);
                    (subject_id.clone(), event_id, position)
                }
                None => (subject_id.clone(), new_id(), 0),
            }
        }
    };

    let slot = take_slot(tx, gallery_id, &mut deactivated)?;
    tx.execute(
        "INSERT INTO events (gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes) \
         VALUES (?1, ?2, ?3, 'ACTIVE', ?4, ?5, ?6, ?7, ?8)",
        params![gallery_id, subject_id, event_id, slot, position, now, descriptor_to_blob(descriptor), attributes_json],
    )?;
    let row_id = tx.last_insert_rowid();
    let mut link = tx
        .prepare_cached("INSERT OR IGNORE INTO event_tags (event_rowid, tag_id) VALUES (?1, ?2)")?;
    for tag_id in &tags.ids {
        link.execute(params![row_id, tag_id])?;
    }
    Ok(Enrolled {
        subject_id,
        event_id,
        row_id,
        tag_mask: tags.mask,
        deactivated_rows: deactivated,
    })
}

fn committed<T>(writer: MutexGuard<'_, Connection>, change: T) -> Committed<'_, T> {
    Committed {
        change,
        _writer: writer,
    }
}

fn insert_application(
    tx: &Transaction<'_>,
    gallery_id: &str,
    name: &str,
    description: &str,
    face_minimum_quality_score: f64,
) -> Result<Application> {
    let app = Application {
        id: new_id(),
        gallery_id: gallery_id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        api_key: random_token(40),
        face_minimum_quality_score,
    };
    tx.execute(
        "INSERT INTO applications (id, gallery_id, name, description, api_key, face_minimum_quality_score, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![app.id, app.gallery_id, app.name, app.description, app.api_key, app.face_minimum_quality_score, now_timestamp()],
    )?;
    Ok(app)
}

fn subject_exists(conn: &Connection, gallery_id: &str, subject_id: &str) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM subjects WHERE id = ?1 AND gallery_id = ?2)",
        params![subject_id, gallery_id],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound("Subject"))
    }
}

fn resolve_tags(conn: &Connection, gallery_id: &str, names: &[String]) -> Result<ResolvedTags> {
    let mut out = ResolvedTags::default();
    let mut stmt =
        conn.prepare_cached("SELECT id, bit FROM tags WHERE gallery_id = ?1 AND name = ?2")?;
    for name in names {
        let (id, bit): (i64, i64) = stmt
            .query_row(params![gallery_id, name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "Tag does not exist (create it first): {}",
                    quote_for_message(name)
                ))
            })?;
        out.ids.push(id);
        if (0..64).contains(&bit) {
            out.mask |= 1u64 << bit;
        }
    }
    Ok(out)
}

fn deactivate(tx: &Connection, row: i64, now: &str) -> Result<()> {
    tx.execute(
        "UPDATE events SET status = 'DELETED', descriptor = NULL, last_updated = ?2 WHERE rowid = ?1",
        params![row, now],
    )?;
    Ok(())
}

/// A slot for a new row: the next unused one while the gallery has room, else the slot of the
/// oldest DELETED row (which is then recycled: its row goes), else the gallery is full. Each
/// step is an index look-up, so an enrolment costs the same in an empty and a full gallery.
fn take_slot(tx: &Connection, gallery_id: &str, recycled: &mut Vec<i64>) -> Result<i64> {
    let (rows, size): (i64, i64) = tx.query_row(
        "SELECT event_rows, size FROM galleries WHERE id = ?1",
        [gallery_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if rows < size {
        let next: i64 = tx.query_row(
            "SELECT COALESCE(MAX(slot), -1) + 1 FROM events WHERE gallery_id = ?1",
            [gallery_id],
            |r| r.get(0),
        )?;
        return Ok(next);
    }
    let oldest: Option<(i64, i64)> = tx
        .query_row(
            "SELECT rowid, slot FROM events WHERE gallery_id = ?1 AND status = 'DELETED' \
             ORDER BY last_updated, rowid LIMIT 1",
            [gallery_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match oldest {
        Some((row, slot)) => {
            tx.execute("DELETE FROM events WHERE rowid = ?1", [row])?;
            recycled.push(row);
            Ok(slot)
        }
        None => Err(StoreError::Invalid(format!(
            "The gallery is full: all {size} slots are in use. Increase its size or unregister subjects."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rekeying_the_sole_tenant_keeps_its_galleries_under_the_new_key() {
        let store = Store::open_in_memory().expect("store");
        assert_eq!(store.rekey_sole_tenant("AKIDNEW").expect("no tenant"), None);
        let tenant_id = store.ensure_tenant("AKIDOLD").expect("tenant");
        store
            .create_gallery(&tenant_id, "Staff", "", 100, 0.0)
            .expect("gallery");
        let rekeyed = store.rekey_sole_tenant("AKIDNEW").expect("rekey");
        assert_eq!(rekeyed.as_deref(), Some(tenant_id.as_str()));
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
        let store = Store::open(&path).expect("migrated");
        assert_eq!(store.list_events("g", "s").expect("events"), ["E1", "E2"]);
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
        let store = Store::open_in_memory().expect("store");
        let tenant = store.ensure_tenant("AKID").expect("tenant");
        let (g, _) = store
            .create_gallery(&tenant, "Staff", "", 10, 0.5)
            .expect("gallery");
        store.create_tag(&g.id, "x").expect("x");
        let id_of = |name: &str| -> i64 {
            store
                .conn()
                .query_row("SELECT id FROM tags WHERE name = ?1", [name], |r| r.get(0))
                .expect("tag id")
        };
        let x = id_of("x");
        drop(store.delete_tag(&g.id, "x").expect("delete"));
        store.create_tag(&g.id, "y").expect("y");
        assert!(id_of("y") > x);
    }

    #[test]
    fn a_store_with_several_tenants_is_not_rekeyed() {
        let store = Store::open_in_memory().expect("store");
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
