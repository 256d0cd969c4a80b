//! Bulk jobs on PostgreSQL, shared by the replicas: each replica's bulk worker claims a few
//! records at a time with `FOR UPDATE SKIP LOCKED` (so two replicas never wait on, or take, the
//! same free record) and a lease. A replica that dies (kill -9) simply stops renewing its leases;
//! when they run out, the other replicas claim its records. A record whose lease ran out while its
//! first replica was still working on it may be worked on twice, but enrolled once: the
//! enrolment locks the record and checks that it is still `New`, and a unique constraint on
//! `subjects.bulk_record_seq` refuses a second subject for it.

use super::events::enrol_in;
use super::{PgStore, exec, opt, read_id, read_optional_id, rows};
use crate::index::DIM;
use crate::store::{
    ApplicationId, BatchId, BulkRecord, Committed, EnrolTarget, Enrolled, GalleryId, PendingRecord,
    RecordId, RecordOutcome, Result, StoreError, TagName, fresh_id, id_text, now_timestamp, status,
};

impl PgStore {
    pub fn create_bulk_job(
        &self,
        gallery_id: &GalleryId,
        application_id: &ApplicationId,
        registrations: &[(String, Vec<TagName>)],
    ) -> Result<BatchId> {
        let batch_id: BatchId = fresh_id();
        let ids: Vec<String> = registrations
            .iter()
            .map(|_| fresh_id::<RecordId>().into_inner())
            .collect();
        let filenames: Vec<&str> = registrations.iter().map(|(f, _)| f.as_str()).collect();
        let tags: Vec<String> = registrations
            .iter()
            .map(|(_, t)| serde_json::to_string(t).unwrap_or_else(|_| "[]".into()))
            .collect();
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            exec(
                &tx,
                "INSERT INTO bulk_jobs (batch_id, gallery_id, application_id, created_at) VALUES ($1, $2, $3, $4)",
                &[&batch_id.as_str(), &gallery_id.as_str(), &application_id.as_str(), &now_timestamp()],
            )
            .await?;
            // One statement for the whole job; WITH ORDINALITY keeps the request's order in seq.
            exec(
                &tx,
                "INSERT INTO bulk_records (batch_id, id, filename, tags, status) \
                 SELECT $1, r.id, r.filename, r.tags, 'New' \
                 FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(id, filename, tags, n) \
                 ORDER BY r.n",
                &[&batch_id.as_str(), &ids, &filenames, &tags],
            )
            .await?;
            exec(&tx, "SELECT pg_notify($1, '')", &[&super::BULK_CHANNEL]).await?;
            tx.commit().await?;
            Ok(())
        })?;
        Ok(batch_id)
    }

    pub fn bulk_page(
        &self,
        gallery_id: &GalleryId,
        batch_id: &BatchId,
        after_seq: i64,
        page: i64,
    ) -> Result<(Vec<BulkRecord>, Option<i64>)> {
        self.run(async {
            let c = self.client().await?;
            opt(&c, "SELECT 1 FROM bulk_jobs WHERE batch_id = $1 AND gallery_id = $2", &[&batch_id.as_str(), &gallery_id.as_str()])
                .await?
                .ok_or(StoreError::NotFound("Batch"))?;
            let mut records: Vec<BulkRecord> = rows(
                &c,
                "SELECT seq, id, filename, attempts, event_id, subject_id, register_status, reason, status, attributes_json \
                 FROM bulk_records WHERE batch_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&batch_id.as_str(), &after_seq, &(page + 1)],
            )
            .await?
            .iter()
            .map(|r| BulkRecord {
                seq: r.get(0),
                id: read_id(r, 1),
                filename: r.get(2),
                attempts: r.get(3),
                event_id: read_optional_id(r, 4),
                subject_id: read_optional_id(r, 5),
                register_status: status::register(r.get::<_, &str>(6)),
                reason: r.get(7),
                status: status::record(r.get::<_, &str>(8)),
                attributes_json: r.get(9),
            })
            .collect();
            let more = records.len() as i64 > page;
            records.truncate(usize::try_from(page).unwrap_or(0));
            let next = if more { records.last().map(|r| r.seq) } else { None };
            Ok((records, next))
        })
    }

    /// Claims up to `limit` records still `New` for this replica, oldest first: the free ones,
    /// those whose lease ran out, and those it already holds. Each is leased for the store's
    /// lease time.
    pub fn pending_records(&self, limit: i64) -> Result<Vec<PendingRecord>> {
        let lease_secs = self.lease.as_secs_f64();
        self.run(async {
            let c = self.client().await?;
            let mut claimed: Vec<PendingRecord> = rows(
                &c,
                "WITH claimable AS ( \
                     SELECT seq FROM bulk_records \
                     WHERE status = 'New' AND (lease_until IS NULL OR lease_until < now() OR leased_by = $2) \
                     ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 UPDATE bulk_records r SET lease_until = now() + make_interval(secs => $3), leased_by = $2 \
                 FROM claimable, bulk_jobs j \
                 WHERE r.seq = claimable.seq AND j.batch_id = r.batch_id \
                 RETURNING r.seq, r.batch_id, j.gallery_id, j.application_id, r.filename, r.tags, r.attempts",
                &[&limit, &self.replica_id, &lease_secs],
            )
            .await?
            .iter()
            .map(|r| PendingRecord {
                seq: r.get(0),
                batch_id: read_id(r, 1),
                gallery_id: read_id(r, 2),
                application_id: read_optional_id(r, 3),
                filename: r.get(4),
                tags: serde_json::from_str(r.get::<_, &str>(5)).unwrap_or_default(),
                attempts: r.get(6),
            })
            .collect();
            claimed.sort_by_key(|r| r.seq);
            Ok(claimed)
        })
    }

    /// Counts an attempt and renews this replica's lease on the record.
    pub fn begin_attempt(&self, seq: i64) -> Result<()> {
        let lease_secs = self.lease.as_secs_f64();
        self.run(async {
            let c = self.client().await?;
            exec(
                &c,
                "UPDATE bulk_records SET attempts = attempts + 1, \
                 lease_until = now() + make_interval(secs => $3), leased_by = $2 \
                 WHERE seq = $1 AND status = 'New'",
                &[&seq, &self.replica_id, &lease_secs],
            )
            .await?;
            Ok(())
        })
    }

    pub fn finish_record(&self, seq: i64, outcome: &RecordOutcome) -> Result<()> {
        self.run(async {
            let c = self.client().await?;
            exec(
                &c,
                "UPDATE bulk_records SET status = 'Processed', register_status = $2, reason = $3, \
                 subject_id = $4, event_id = $5, attributes_json = $6, lease_until = NULL, leased_by = NULL \
                 WHERE seq = $1 AND status = 'New'",
                &[
                    &seq,
                    &if outcome.success { "Success" } else { "Failed" },
                    &outcome.reason,
                    &id_text(outcome.subject_id.as_ref()),
                    &id_text(outcome.event_id.as_ref()),
                    &outcome.attributes_json,
                ],
            )
            .await?;
            Ok(())
        })
    }

    /// Enrols a bulk record's face and marks it Processed in one transaction. The record's row
    /// is locked first, so of two replicas finishing it at once the second finds it Processed.
    pub fn enrol_bulk_record(
        &self,
        seq: i64,
        gallery_id: &GalleryId,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName],
    ) -> Result<Committed<'_, Enrolled>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let status: String = opt(&tx, "SELECT status FROM bulk_records WHERE seq = $1 FOR UPDATE", &[&seq])
                .await?
                .ok_or(StoreError::AlreadyProcessed(seq))?
                .get(0);
            if status != "New" {
                return Err(StoreError::AlreadyProcessed(seq));
            }
            let enrolled = enrol_in(
                &tx,
                gallery_id,
                &EnrolTarget::NewSubject,
                descriptor,
                attributes_json,
                tag_names,
                Some(seq),
            )
            .await?;
            exec(
                &tx,
                "UPDATE bulk_records SET status = 'Processed', register_status = 'Success', reason = '', \
                 subject_id = $2, event_id = $3, attributes_json = $4, lease_until = NULL, leased_by = NULL \
                 WHERE seq = $1",
                &[&seq, &enrolled.subject_id.as_str(), &enrolled.event_id.as_str(), &attributes_json],
            )
            .await?;
            tx.commit().await?;
            Ok(Committed::unlocked(enrolled))
        })
    }

    /// SQLite's page cap has no PostgreSQL counterpart.
    pub fn set_max_page_count(&self, _pages: u64) -> Result<()> {
        Err(StoreError::Invalid(
            "a page cap is a SQLite setting; PostgreSQL has none".into(),
        ))
    }
}
