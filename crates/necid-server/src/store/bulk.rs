//! Bulk jobs and their records: the queue the bulk worker takes from, and each record's outcome.

use rusqlite::params;

use super::events::enrol_in;
use super::*;

/// A bulk record as the progress route shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRecord {
    pub seq: i64,
    pub id: RecordId,
    pub filename: String,
    pub attempts: i64,
    /// The enrolled event and subject, none until the record is enrolled.
    pub event_id: Option<EventId>,
    pub subject_id: Option<SubjectId>,
    pub register_status: Option<RegisterStatus>,
    pub reason: String,
    pub status: RecordStatus,
    pub attributes_json: String,
}

/// A record still to be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecord {
    pub seq: i64,
    pub batch_id: BatchId,
    pub gallery_id: GalleryId,
    /// The application that created the job; none once it is deleted.
    pub application_id: Option<ApplicationId>,
    pub filename: String,
    pub tags: Vec<TagName>,
    pub attempts: i64,
}

/// The final state of a processed record.
#[derive(Debug, Clone, Default)]
pub struct RecordOutcome {
    pub success: bool,
    pub reason: String,
    pub subject_id: Option<SubjectId>,
    pub event_id: Option<EventId>,
    pub attributes_json: String,
}

impl SqliteStore {
    /// Creates a job and its records (status New) in one transaction.
    pub fn create_bulk_job(
        &self,
        gallery_id: &GalleryId,
        application_id: &ApplicationId,
        registrations: &[(String, Vec<TagName>)],
    ) -> Result<BatchId> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let batch_id: BatchId = fresh_id();
        tx.execute(
            "INSERT INTO bulk_jobs (batch_id, gallery_id, application_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![batch_id.as_str(), gallery_id.as_str(), application_id.as_str(), now_timestamp()],
        )?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO bulk_records (batch_id, id, filename, tags, status) VALUES (?1, ?2, ?3, ?4, 'New')",
            )?;
            for (filename, tags) in registrations {
                let tags = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
                let record_id: RecordId = fresh_id();
                stmt.execute(params![
                    batch_id.as_str(),
                    record_id.as_str(),
                    filename,
                    tags
                ])?;
            }
        }
        tx.commit()?;
        Ok(batch_id)
    }

    /// A page of a job's records after `after_seq`; the second value is the last record's seq
    /// when more records follow.
    pub fn bulk_page(
        &self,
        gallery_id: &GalleryId,
        batch_id: &BatchId,
        after_seq: i64,
        page: i64,
    ) -> Result<(Vec<BulkRecord>, Option<i64>)> {
        let conn = self.conn();
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM bulk_jobs WHERE batch_id = ?1 AND gallery_id = ?2)",
            params![batch_id.as_str(), gallery_id.as_str()],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound("Batch"));
        }
        let mut stmt = conn.prepare(
            "SELECT seq, id, filename, attempts, event_id, subject_id, register_status, reason, status, attributes_json \
             FROM bulk_records WHERE batch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![batch_id.as_str(), after_seq, page + 1], |r| {
            Ok(BulkRecord {
                seq: r.get(0)?,
                id: read_id(r, 1)?,
                filename: r.get(2)?,
                attempts: r.get(3)?,
                event_id: read_optional_id(r, 4)?,
                subject_id: read_optional_id(r, 5)?,
                register_status: status::register(&r.get::<_, String>(6)?),
                reason: r.get(7)?,
                status: status::record(&r.get::<_, String>(8)?),
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
            "SELECT r.seq, r.batch_id, j.gallery_id, j.application_id, r.filename, r.tags, r.attempts \
             FROM bulk_records r JOIN bulk_jobs j ON j.batch_id = r.batch_id \
             WHERE r.status = 'New' ORDER BY r.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            let tags: String = r.get(5)?;
            Ok(PendingRecord {
                seq: r.get(0)?,
                batch_id: read_id(r, 1)?,
                gallery_id: read_id(r, 2)?,
                application_id: read_optional_id(r, 3)?,
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
                id_text(outcome.subject_id.as_ref()),
                id_text(outcome.event_id.as_ref()),
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
        gallery_id: &GalleryId,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName],
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
            params![seq, enrolled.subject_id.as_str(), enrolled.event_id.as_str(), attributes_json],
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
