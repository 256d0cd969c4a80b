//! Subjects and events on PostgreSQL (the same rules as SQLite's `events.rs`); the reads a
//! follower of the change feed needs are in `feed.rs`.
//!
//! Every write here locks the gallery's row first: the size check and the choice of a slot then
//! see every enrolment committed before, whichever replica made it.

use deadpool_postgres::GenericClient;

use super::catalog::lock_gallery;
use super::tags::resolve_tags;
use super::{PgStore, exec, one, opt, read_id, rows};
use crate::index::{DIM, GalleryIndex};
use crate::store::status;
use crate::store::{
    Committed, EnrolTarget, Enrolled, EventId, GalleryId, Result, StoreError, SubjectId,
    SubjectRow, TagName, descriptor_to_blob, fresh_id, now_timestamp,
};

impl PgStore {
    pub fn enrol(
        &self,
        gallery_id: &GalleryId,
        target: &EnrolTarget,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName],
    ) -> Result<Committed<'_, Enrolled>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let enrolled = enrol_in(
                &tx,
                gallery_id,
                target,
                descriptor,
                attributes_json,
                tag_names,
                None,
            )
            .await?;
            tx.commit().await?;
            Ok(Committed::unlocked(enrolled))
        })
    }

    pub fn list_subject_rows(
        &self,
        gallery_id: &GalleryId,
        start: i64,
        length: i64,
        descending: bool,
    ) -> Result<(Vec<SubjectRow>, i64)> {
        self.run(async {
            let c = self.client().await?;
            let total: i64 = opt(&c, "SELECT event_rows FROM galleries WHERE id = $1", &[&gallery_id.as_str()])
                .await?
                .ok_or(StoreError::NotFound("Gallery"))?
                .get(0);
            let order = if descending { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT subject_id, event_id, status, last_updated FROM events WHERE gallery_id = $1 \
                 ORDER BY last_updated {order}, row_id {order} LIMIT $2 OFFSET $3"
            );
            let listed = rows(&c, &sql, &[&gallery_id.as_str(), &length, &start])
                .await?
                .iter()
                .map(|r| SubjectRow {
                    subject_id: read_id(r, 0),
                    event_id: read_id(r, 1),
                    status: status::event(r.get::<_, &str>(2)),
                    last_updated: r.get(3),
                })
                .collect();
            Ok((listed, total))
        })
    }

    pub fn list_events(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
    ) -> Result<Vec<EventId>> {
        self.run(async {
            let c = self.client().await?;
            subject_exists(&c, gallery_id, subject_id).await?;
            Ok(rows(
                &c,
                "SELECT event_id FROM events WHERE gallery_id = $1 AND subject_id = $2 AND status = 'ACTIVE' \
                 ORDER BY position, row_id",
                &[&gallery_id.as_str(), &subject_id.as_str()],
            )
            .await?
            .iter()
            .map(|r| read_id(r, 0))
            .collect())
        })
    }

    pub fn subject_exists(&self, gallery_id: &GalleryId, subject_id: &SubjectId) -> Result<()> {
        self.run(async {
            let c = self.client().await?;
            subject_exists(&c, gallery_id, subject_id).await
        })
    }

    pub fn unregister_subject(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
    ) -> Result<Committed<'_, Vec<i64>>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            lock_gallery(&tx, gallery_id)
                .await
                .map_err(|_| StoreError::NotFound("Subject"))?;
            subject_exists(&tx, gallery_id, subject_id).await?;
            let deactivated: Vec<i64> = rows(
                &tx,
                "UPDATE events SET status = 'DELETED', descriptor = NULL, last_updated = $3 \
                 WHERE gallery_id = $1 AND subject_id = $2 AND status = 'ACTIVE' RETURNING row_id",
                &[&gallery_id.as_str(), &subject_id.as_str(), &now_timestamp()],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
            exec(
                &tx,
                "DELETE FROM subjects WHERE id = $1",
                &[&subject_id.as_str()],
            )
            .await?;
            tx.commit().await?;
            Ok(Committed::unlocked(deactivated))
        })
    }

    pub fn unregister_event(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
        event_id: &EventId,
    ) -> Result<Committed<'_, i64>> {
        self.run(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            lock_gallery(&tx, gallery_id).await.map_err(|_| StoreError::NotFound("Subject"))?;
            subject_exists(&tx, gallery_id, subject_id).await?;
            let row: i64 = opt(
                &tx,
                "UPDATE events SET status = 'DELETED', descriptor = NULL, last_updated = $4 \
                 WHERE gallery_id = $1 AND subject_id = $2 AND event_id = $3 AND status = 'ACTIVE' RETURNING row_id",
                &[&gallery_id.as_str(), &subject_id.as_str(), &event_id.as_str(), &now_timestamp()],
            )
            .await?
            .ok_or(StoreError::NotFound("Event"))?
            .get(0);
            tx.commit().await?;
            Ok(Committed::unlocked(row))
        })
    }

    pub fn load_index(&self, gallery_id: &GalleryId) -> Result<GalleryIndex> {
        Ok(self
            .load_index_at(gallery_id)?
            .map(|(index, _)| index)
            .unwrap_or_default())
    }
}

/// Enrols one template inside an open transaction (see SQLite's `enrol_in`); `bulk_record_seq`
/// names the bulk record a new subject comes from, which a unique constraint allows once.
pub(super) async fn enrol_in<C: GenericClient>(
    tx: &C,
    gallery_id: &GalleryId,
    target: &EnrolTarget,
    descriptor: &[f32; DIM],
    attributes_json: &str,
    tag_names: &[TagName],
    bulk_record_seq: Option<i64>,
) -> Result<Enrolled> {
    let (event_rows, size) = lock_gallery(tx, gallery_id).await?;
    let tags = resolve_tags(tx, gallery_id, tag_names).await?;
    let now = now_timestamp();
    let mut deactivated = Vec::new();

    let (subject_id, event_id, position) = match target {
        EnrolTarget::NewSubject => {
            let subject_id: SubjectId = fresh_id();
            exec(
                tx,
                "INSERT INTO subjects (id, gallery_id, created_at, bulk_record_seq) VALUES ($1, $2, $3, $4)",
                &[&subject_id.as_str(), &gallery_id.as_str(), &now, &bulk_record_seq],
            )
            .await?;
            (subject_id, fresh_id(), 0)
        }
        EnrolTarget::NewEvent { subject_id } => {
            subject_exists(tx, gallery_id, subject_id).await?;
            let next: i64 = one(
                tx,
                "SELECT COALESCE(MAX(position), -1) + 1 FROM events WHERE gallery_id = $1 AND subject_id = $2",
                &[&gallery_id.as_str(), &subject_id.as_str()],
            )
            .await?
            .get(0);
            (subject_id.clone(), fresh_id(), next)
        }
        EnrolTarget::ReplaceEvent {
            subject_id,
            event_id,
        } => {
            subject_exists(tx, gallery_id, subject_id).await?;
            let r = opt(
                tx,
                "SELECT row_id, position FROM events WHERE gallery_id = $1 AND subject_id = $2 \
                 AND event_id = $3 AND status = 'ACTIVE'",
                &[
                    &gallery_id.as_str(),
                    &subject_id.as_str(),
                    &event_id.as_str(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound("Event"))?;
            let (row, position): (i64, i64) = (r.get(0), r.get(1));
            deactivate(tx, row, &now).await?;
            deactivated.push(row);
            (subject_id.clone(), event_id.clone(), position)
        }
        EnrolTarget::ReplaceFirstEvent { subject_id } => {
            subject_exists(tx, gallery_id, subject_id).await?;
            let first = opt(
                tx,
                "SELECT row_id, event_id, position FROM events WHERE gallery_id = $1 AND subject_id = $2 \
                 AND status = 'ACTIVE' ORDER BY position, row_id LIMIT 1",
                &[&gallery_id.as_str(), &subject_id.as_str()],
            )
            .await?;
            match first {
                Some(r) => {
                    let row: i64 = r.get(0);
                    deactivate(tx, row, &now).await?;
                    deactivated.push(row);
                    (subject_id.clone(), read_id(&r, 1), r.get(2))
                }
                None => (subject_id.clone(), fresh_id(), 0),
            }
        }
    };

    let slot = take_slot(tx, gallery_id, event_rows, size, &mut deactivated).await?;
    let row_id: i64 = one(
        tx,
        "INSERT INTO events (gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes) \
         VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $7, $8) RETURNING row_id",
        &[&gallery_id.as_str(), &subject_id.as_str(), &event_id.as_str(), &slot, &position, &now, &descriptor_to_blob(descriptor), &attributes_json],
    )
    .await?
    .get(0);
    for tag_id in &tags.ids {
        exec(
            tx,
            "INSERT INTO event_tags (event_row, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&row_id, tag_id],
        )
        .await?;
    }
    Ok(Enrolled {
        subject_id,
        event_id,
        row_id,
        tag_mask: tags.mask,
        deactivated_rows: deactivated,
    })
}

async fn subject_exists<C: GenericClient>(
    c: &C,
    gallery_id: &GalleryId,
    subject_id: &SubjectId,
) -> Result<()> {
    let exists = opt(
        c,
        "SELECT 1 FROM subjects WHERE id = $1 AND gallery_id = $2",
        &[&subject_id.as_str(), &gallery_id.as_str()],
    )
    .await?
    .is_some();
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound("Subject"))
    }
}

async fn deactivate<C: GenericClient>(tx: &C, row: i64, now: &str) -> Result<()> {
    exec(
        tx,
        "UPDATE events SET status = 'DELETED', descriptor = NULL, last_updated = $2 WHERE row_id = $1",
        &[&row, &now],
    )
    .await?;
    Ok(())
}

/// A slot for a new row (see SQLite's `take_slot`); the caller holds the gallery's row lock,
/// under which `event_rows` was read.
async fn take_slot<C: GenericClient>(
    tx: &C,
    gallery_id: &GalleryId,
    event_rows: i64,
    size: i64,
    recycled: &mut Vec<i64>,
) -> Result<i64> {
    if event_rows < size {
        let next: i64 = one(
            tx,
            "SELECT COALESCE(MAX(slot), -1) + 1 FROM events WHERE gallery_id = $1",
            &[&gallery_id.as_str()],
        )
        .await?
        .get(0);
        return Ok(next);
    }
    let oldest = opt(
        tx,
        "SELECT row_id, slot FROM events WHERE gallery_id = $1 AND status = 'DELETED' \
         ORDER BY last_updated, row_id LIMIT 1",
        &[&gallery_id.as_str()],
    )
    .await?;
    match oldest {
        Some(r) => {
            let (row, slot): (i64, i64) = (r.get(0), r.get(1));
            exec(tx, "DELETE FROM events WHERE row_id = $1", &[&row]).await?;
            recycled.push(row);
            Ok(slot)
        }
        None => Err(StoreError::Invalid(format!(
            "The gallery is full: all {size} slots are in use. Increase its size or unregister subjects."
        ))),
    }
}
