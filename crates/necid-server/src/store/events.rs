//! Subjects and their events: enrolment into a slot, the stable first event, unregistering, List
//! Subjects and List Events, and loading a gallery's index.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::tags::resolve_tags;
use super::*;

/// A listed row of List Subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRow {
    pub subject_id: SubjectId,
    pub event_id: EventId,
    pub status: EventStatus,
    pub last_updated: String,
}

/// What an enrolment targets.
#[derive(Debug, Clone)]
pub enum EnrolTarget {
    /// Register Subject: a new subject and its first event.
    NewSubject,
    /// Register Event: a new event of an existing subject.
    NewEvent { subject_id: SubjectId },
    /// Update Event: replace the template of an event, keeping its id.
    ReplaceEvent {
        subject_id: SubjectId,
        event_id: EventId,
    },
    /// Update Subject: replace the template of the subject's first event.
    ReplaceFirstEvent { subject_id: SubjectId },
}

/// The outcome of an enrolment, for the caller to mirror into the search index.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub subject_id: SubjectId,
    pub event_id: EventId,
    pub row_id: i64,
    /// The tag mask of the new row, for the index.
    pub tag_mask: u64,
    /// Rows that left the active set (the replaced template, a recycled slot's old row).
    pub deactivated_rows: Vec<i64>,
}

impl SqliteStore {
    /// Enrols one template, checking the tag names (NOTES.md item 9) in the same transaction.
    pub fn enrol(
        &self,
        gallery_id: &GalleryId,
        target: &EnrolTarget,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName],
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
        gallery_id: &GalleryId,
        start: i64,
        length: i64,
        descending: bool,
    ) -> Result<(Vec<SubjectRow>, i64)> {
        let conn = self.conn();
        let total: i64 = conn.query_row(
            "SELECT event_rows FROM galleries WHERE id = ?1",
            [gallery_id.as_str()],
            |r| r.get(0),
        )?;
        let order = if descending { "DESC" } else { "ASC" };
        let mut stmt = conn.prepare(&format!(
            "SELECT subject_id, event_id, status, last_updated FROM events WHERE gallery_id = ?1 \
             ORDER BY last_updated {order}, rowid {order} LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![gallery_id.as_str(), length, start], |r| {
            Ok(SubjectRow {
                subject_id: read_id(r, 0)?,
                event_id: read_id(r, 1)?,
                status: status::event(&r.get::<_, String>(2)?),
                last_updated: r.get(3)?,
            })
        })?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total))
    }

    /// List Events: the subject's active event ids in the order they were first enrolled (an
    /// updated event keeps its place).
    pub fn list_events(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
    ) -> Result<Vec<EventId>> {
        let conn = self.conn();
        subject_exists(&conn, gallery_id, subject_id)?;
        let mut stmt = conn.prepare(
            "SELECT event_id FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND status = 'ACTIVE' \
             ORDER BY position, rowid",
        )?;
        let rows = stmt.query_map(params![gallery_id.as_str(), subject_id.as_str()], |r| {
            read_id(r, 0)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a subject exists in the gallery.
    pub fn subject_exists(&self, gallery_id: &GalleryId, subject_id: &SubjectId) -> Result<()> {
        subject_exists(&self.conn(), gallery_id, subject_id)
    }

    /// Unregister Subject: the subject goes, its event rows become DELETED. Returns those rows.
    pub fn unregister_subject(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
    ) -> Result<Committed<'_, Vec<i64>>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        subject_exists(&tx, gallery_id, subject_id)?;
        let now = now_timestamp();
        let rows: Vec<i64> = {
            let mut stmt = tx.prepare(
                "SELECT rowid FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND status = 'ACTIVE'",
            )?;
            let r = stmt.query_map(params![gallery_id.as_str(), subject_id.as_str()], |r| {
                r.get(0)
            })?;
            r.collect::<rusqlite::Result<_>>()?
        };
        for row in &rows {
            deactivate(&tx, *row, &now)?;
        }
        tx.execute("DELETE FROM subjects WHERE id = ?1", [subject_id.as_str()])?;
        tx.commit()?;
        Ok(committed(conn, rows))
    }

    /// Unregister Event: the event's row becomes DELETED. Returns it.
    pub fn unregister_event(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
        event_id: &EventId,
    ) -> Result<Committed<'_, i64>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        subject_exists(&tx, gallery_id, subject_id)?;
        let row: i64 = tx
            .query_row(
                "SELECT rowid FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND event_id = ?3 AND status = 'ACTIVE'",
                params![gallery_id.as_str(), subject_id.as_str(), event_id.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound("Event"))?;
        deactivate(&tx, row, &now_timestamp())?;
        tx.commit()?;
        Ok(committed(conn, row))
    }

    /// The search index of a gallery, from its active rows.
    pub fn load_index(&self, gallery_id: &GalleryId) -> Result<GalleryIndex> {
        let conn = self.conn();
        let mut masks = std::collections::HashMap::<i64, u64>::new();
        {
            let mut stmt = conn.prepare(
                "SELECT et.event_rowid, t.bit FROM event_tags et JOIN tags t ON t.id = et.tag_id \
                 JOIN events e ON e.rowid = et.event_rowid WHERE e.gallery_id = ?1 AND e.status = 'ACTIVE'",
            )?;
            for r in stmt.query_map([gallery_id.as_str()], |r| {
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
            [gallery_id.as_str()],
            |r| r.get(0),
        )?;
        // Room to grow by an eighth before the first reallocation, which copies every vector
        // under the index's write lock. Untouched capacity costs no resident memory.
        let count = usize::try_from(count).unwrap_or(0);
        let mut index = GalleryIndex::with_capacity(count + count / 8 + 1024);
        let mut stmt = conn.prepare(
            "SELECT rowid, subject_id, event_id, descriptor FROM events WHERE gallery_id = ?1 AND status = 'ACTIVE' ORDER BY rowid",
        )?;
        let mut rows = stmt.query([gallery_id.as_str()])?;
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
}

/// Enrols one template inside an open transaction: the target's subject and event, a slot, the
/// row and its tags.
pub(super) fn enrol_in(
    tx: &Transaction<'_>,
    gallery_id: &GalleryId,
    target: &EnrolTarget,
    descriptor: &[f32; DIM],
    attributes_json: &str,
    tag_names: &[TagName],
) -> Result<Enrolled> {
    let tags = resolve_tags(tx, gallery_id, tag_names)?;
    let now = now_timestamp();
    let mut deactivated = Vec::new();

    let (subject_id, event_id, position) = match target {
        EnrolTarget::NewSubject => {
            let subject_id: SubjectId = fresh_id();
            tx.execute(
                "INSERT INTO subjects (id, gallery_id, created_at) VALUES (?1, ?2, ?3)",
                params![subject_id.as_str(), gallery_id.as_str(), now],
            )?;
            (subject_id, fresh_id(), 0)
        }
        EnrolTarget::NewEvent { subject_id } => {
            subject_exists(tx, gallery_id, subject_id)?;
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM events WHERE gallery_id = ?1 AND subject_id = ?2",
                params![gallery_id.as_str(), subject_id.as_str()],
                |r| r.get(0),
            )?;
            (subject_id.clone(), fresh_id(), next)
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
                    params![gallery_id.as_str(), subject_id.as_str(), event_id.as_str()],
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
            let first: Option<(i64, EventId, i64)> = tx
                .query_row(
                    "SELECT rowid, event_id, position FROM events WHERE gallery_id = ?1 AND subject_id = ?2 \
                     AND status = 'ACTIVE' ORDER BY position, rowid LIMIT 1",
                    params![gallery_id.as_str(), subject_id.as_str()],
                    |r| Ok((r.get(0)?, read_id(r, 1)?, r.get(2)?)),
                )
                .optional()?;
            match first {
                Some((row, event_id, position)) => {
                    deactivate(tx, row, &now)?;
                    deactivated.push(row);
                    (subject_id.clone(), event_id, position)
                }
                None => (subject_id.clone(), fresh_id(), 0),
            }
        }
    };

    let slot = take_slot(tx, gallery_id, &mut deactivated)?;
    tx.execute(
        "INSERT INTO events (gallery_id, subject_id, event_id, status, slot, position, last_updated, descriptor, attributes) \
         VALUES (?1, ?2, ?3, 'ACTIVE', ?4, ?5, ?6, ?7, ?8)",
        params![gallery_id.as_str(), subject_id.as_str(), event_id.as_str(), slot, position, now, descriptor_to_blob(descriptor), attributes_json],
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

pub(super) fn subject_exists(
    conn: &Connection,
    gallery_id: &GalleryId,
    subject_id: &SubjectId,
) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM subjects WHERE id = ?1 AND gallery_id = ?2)",
        params![subject_id.as_str(), gallery_id.as_str()],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound("Subject"))
    }
}

pub(super) fn deactivate(tx: &Connection, row: i64, now: &str) -> Result<()> {
    tx.execute(
        "UPDATE events SET status = 'DELETED', descriptor = NULL, last_updated = ?2 WHERE rowid = ?1",
        params![row, now],
    )?;
    Ok(())
}

/// A slot for a new row: the next unused one while the gallery has room, else the slot of the
/// oldest DELETED row (which is then recycled: its row goes), else the gallery is full. Each
/// step is an index look-up, so an enrolment costs the same in an empty and a full gallery.
pub(super) fn take_slot(
    tx: &Connection,
    gallery_id: &GalleryId,
    recycled: &mut Vec<i64>,
) -> Result<i64> {
    let (rows, size): (i64, i64) = tx.query_row(
        "SELECT event_rows, size FROM galleries WHERE id = ?1",
        [gallery_id.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if rows < size {
        let next: i64 = tx.query_row(
            "SELECT COALESCE(MAX(slot), -1) + 1 FROM events WHERE gallery_id = ?1",
            [gallery_id.as_str()],
            |r| r.get(0),
        )?;
        return Ok(next);
    }
    let oldest: Option<(i64, i64)> = tx
        .query_row(
            "SELECT rowid, slot FROM events WHERE gallery_id = ?1 AND status = 'DELETED' \
             ORDER BY last_updated, rowid LIMIT 1",
            [gallery_id.as_str()],
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
