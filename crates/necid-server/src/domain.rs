//! The writes that change both the store and a gallery's search index, written once for the
//! routes and the bulk worker alike.
//!
//! Each one commits in the store and mirrors the change into the index while it still holds the
//! store's writer lock ([`Committed`]), so the two change as one step: every write of the service
//! is serialised by that lock, and the index sees the changes in the order the database committed
//! them. A search only reads the index, so it never waits on the database.
//!
//! Lock order: the store's writer lock, then the gallery map, then one gallery's index. Nothing
//! takes them in another order.
//!
//! On PostgreSQL other replicas write too, so no write mirrors itself: each one is read back from
//! the gallery's change feed, in the database's order, with everyone else's ([`crate::feed`]).

use crate::error::ApiError;
use crate::index::{DIM, RowMeta};
use crate::store::{Committed, EnrolTarget, Enrolled, EventId, GalleryId, SubjectId, TagName};
use crate::{AppState, write_lock};

impl AppState {
    /// Enrols a template (register, register event, update event, update subject).
    pub fn enrol(
        &self,
        gallery_id: &GalleryId,
        target: &EnrolTarget,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tags: &[TagName],
    ) -> Result<Enrolled, ApiError> {
        let committed =
            self.store()
                .enrol(gallery_id, target, descriptor, attributes_json, tags)?;
        Ok(self.mirror_enrolment(gallery_id, committed, descriptor))
    }

    /// Enrols a bulk record's face as a new subject and marks the record processed, in one
    /// transaction; a record no longer `New` is refused ([`crate::store::StoreError::AlreadyProcessed`]).
    pub fn enrol_bulk_record(
        &self,
        seq: i64,
        gallery_id: &GalleryId,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tags: &[TagName],
    ) -> Result<Enrolled, crate::store::StoreError> {
        let committed =
            self.store()
                .enrol_bulk_record(seq, gallery_id, descriptor, attributes_json, tags)?;
        Ok(self.mirror_enrolment(gallery_id, committed, descriptor))
    }

    fn mirror_enrolment(
        &self,
        gallery_id: &GalleryId,
        committed: Committed<'_, Enrolled>,
        descriptor: &[f32; DIM],
    ) -> Enrolled {
        if self.store().postgres().is_some() {
            let change = committed.change;
            self.follow_own_write(gallery_id);
            return change;
        }
        let e = &committed.change;
        {
            let index = self.index(gallery_id);
            let mut index = write_lock(&index);
            for row in &e.deactivated_rows {
                index.remove(*row);
            }
            index.upsert(
                RowMeta {
                    row_id: e.row_id,
                    subject_id: (&e.subject_id).into(),
                    event_id: (&e.event_id).into(),
                },
                descriptor,
                e.tag_mask,
            );
        }
        committed.change
    }

    /// Unregister Subject: its rows leave the store's active set and the index.
    pub fn unregister_subject(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
    ) -> Result<(), ApiError> {
        let committed = self.store().unregister_subject(gallery_id, subject_id)?;
        if self.store().postgres().is_some() {
            self.follow_own_write(gallery_id);
            return Ok(());
        }
        let index = self.index(gallery_id);
        let mut index = write_lock(&index);
        for row in &committed.change {
            index.remove(*row);
        }
        Ok(())
    }

    /// Unregister Event.
    pub fn unregister_event(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
        event_id: &EventId,
    ) -> Result<(), ApiError> {
        let committed = self
            .store()
            .unregister_event(gallery_id, subject_id, event_id)?;
        if self.store().postgres().is_some() {
            self.follow_own_write(gallery_id);
            return Ok(());
        }
        write_lock(&self.index(gallery_id)).remove(committed.change);
        Ok(())
    }

    /// Deletes a tag: its links to events go, its bit leaves every row of the index.
    pub fn delete_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<(), ApiError> {
        let committed = self.store().delete_tag(gallery_id, name)?;
        if self.store().postgres().is_some() {
            self.follow_own_write(gallery_id);
            return Ok(());
        }
        write_lock(&self.index(gallery_id)).clear_tag_bit(committed.change);
        Ok(())
    }

    /// Deletes a gallery of this tenant and its index.
    pub fn delete_gallery(&self, gallery_id: &GalleryId) -> Result<(), ApiError> {
        let committed = self.store().delete_gallery(self.tenant_id(), gallery_id)?;
        self.drop_index(gallery_id);
        self.follow_own_write(gallery_id);
        drop(committed);
        Ok(())
    }
}
