//! The storage interface: every call of [`Store`] forwarded to the back end it holds.
//!
//! An enum rather than a trait object because the set of back ends is closed (SQLite and
//! PostgreSQL) and a [`Committed`] borrows the store it came from; each back end keeps the same
//! method names and signatures, so a call reads the same whichever one runs.

use super::*;

/// `forward! { fn name(&self, arg: Type, ..) -> Ret; .. }`: a method of [`Store`] that calls
/// the method of the same name on the back end.
macro_rules! forward {
    ($( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                    match self {
                        Self::Sqlite(s) => s.$name($($arg),*),
                        Self::Postgres(p) => p.$name($($arg),*),
                    }
                }
            )*
        }
    };
}

forward! {
    /// The tenant of an access key id, creating it if there is none yet.
    fn ensure_tenant(&self, access_key_id: &str) -> Result<TenantId>;
    /// Gives the only tenant a new access key id, keeping its galleries.
    fn rekey_sole_tenant(&self, new_access_key_id: &str) -> Result<Option<TenantId>>;
    fn tenant_by_access_key(&self, access_key_id: &str) -> Result<Option<TenantId>>;

    /// Creates a gallery and its first application (named after the gallery).
    fn create_gallery(
        &self,
        tenant_id: &TenantId,
        name: &str,
        description: &str,
        size: i64,
        face_minimum_quality_score: f64
    ) -> Result<(Gallery, Application)>;
    fn list_galleries(&self, tenant_id: &TenantId) -> Result<Vec<Gallery>>;
    fn gallery(&self, tenant_id: &TenantId, gallery_id: &GalleryId) -> Result<Gallery>;
    /// All gallery ids, for loading the search indexes at start.
    fn all_gallery_ids(&self) -> Result<Vec<GalleryId>>;
    fn applications_of_gallery(&self, gallery_id: &GalleryId) -> Result<Vec<Application>>;
    /// Updates name, description and size; size may only grow.
    fn update_gallery(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: Option<&str>,
        description: Option<&str>,
        size: Option<i64>
    ) -> Result<Gallery>;
    /// Deletes a gallery and everything enrolled in it; the caller drops its index.
    fn delete_gallery(&self, tenant_id: &TenantId, gallery_id: &GalleryId) -> Result<Committed<'_, ()>>;

    fn list_applications(&self, tenant_id: &TenantId) -> Result<Vec<Application>>;
    fn application(&self, tenant_id: &TenantId, application_id: &ApplicationId) -> Result<Application>;
    /// The application an API key names, with its tenant.
    fn application_by_api_key(&self, api_key: &ApiKey) -> Result<Option<(TenantId, Application)>>;
    fn create_application(
        &self,
        tenant_id: &TenantId,
        gallery_id: &GalleryId,
        name: &str,
        description: &str,
        face_minimum_quality_score: f64
    ) -> Result<Application>;
    fn update_application(
        &self,
        tenant_id: &TenantId,
        application_id: &ApplicationId,
        name: Option<&str>,
        description: Option<&str>,
        face_minimum_quality_score: Option<f64>
    ) -> Result<Application>;
    fn delete_application(&self, tenant_id: &TenantId, application_id: &ApplicationId) -> Result<()>;

    fn list_tags(&self, gallery_id: &GalleryId) -> Result<Vec<TagName>>;
    fn create_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<()>;
    fn rename_tag(&self, gallery_id: &GalleryId, old_name: &TagName, new_name: &TagName) -> Result<()>;
    /// Deletes a tag and its links to events; returns its mask bit.
    fn delete_tag(&self, gallery_id: &GalleryId, name: &TagName) -> Result<Committed<'_, u32>>;
    /// Resolves tag names; every name must exist (NOTES.md item 9).
    fn resolve_tags(&self, gallery_id: &GalleryId, names: &[TagName]) -> Result<ResolvedTags>;

    /// Enrols one template, checking the tag names in the same transaction.
    fn enrol(
        &self,
        gallery_id: &GalleryId,
        target: &EnrolTarget,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName]
    ) -> Result<Committed<'_, Enrolled>>;
    /// List Subjects: one row per event row (ACTIVE and DELETED), ordered by `lastUpdated`.
    fn list_subject_rows(
        &self,
        gallery_id: &GalleryId,
        start: i64,
        length: i64,
        descending: bool
    ) -> Result<(Vec<SubjectRow>, i64)>;
    /// List Events: the subject's active event ids in the order they were first enrolled.
    fn list_events(&self, gallery_id: &GalleryId, subject_id: &SubjectId) -> Result<Vec<EventId>>;
    fn subject_exists(&self, gallery_id: &GalleryId, subject_id: &SubjectId) -> Result<()>;
    /// Unregister Subject: the subject goes, its event rows become DELETED. Returns those rows.
    fn unregister_subject(&self, gallery_id: &GalleryId, subject_id: &SubjectId) -> Result<Committed<'_, Vec<i64>>>;
    /// Unregister Event: the event's row becomes DELETED. Returns it.
    fn unregister_event(
        &self,
        gallery_id: &GalleryId,
        subject_id: &SubjectId,
        event_id: &EventId
    ) -> Result<Committed<'_, i64>>;
    /// The search index of a gallery, from its active rows.
    fn load_index(&self, gallery_id: &GalleryId) -> Result<GalleryIndex>;

    /// Creates a job and its records (status New) in one transaction.
    fn create_bulk_job(
        &self,
        gallery_id: &GalleryId,
        application_id: &ApplicationId,
        registrations: &[(String, Vec<TagName>)]
    ) -> Result<BatchId>;
    /// A page of a job's records after `after_seq`.
    fn bulk_page(
        &self,
        gallery_id: &GalleryId,
        batch_id: &BatchId,
        after_seq: i64,
        page: i64
    ) -> Result<(Vec<BulkRecord>, Option<i64>)>;
    /// Records still New, oldest first, for this service to work on (PostgreSQL: claimed
    /// with a lease, see [`pg::PgStore::pending_records`]).
    fn pending_records(&self, limit: i64) -> Result<Vec<PendingRecord>>;
    /// Counts an attempt before the work starts.
    fn begin_attempt(&self, seq: i64) -> Result<()>;
    /// Marks a record Processed with its outcome.
    fn finish_record(&self, seq: i64, outcome: &RecordOutcome) -> Result<()>;
    /// Enrols a bulk record's face and marks it Processed in the same transaction.
    fn enrol_bulk_record(
        &self,
        seq: i64,
        gallery_id: &GalleryId,
        descriptor: &[f32; DIM],
        attributes_json: &str,
        tag_names: &[TagName]
    ) -> Result<Committed<'_, Enrolled>>;
    /// Caps the database's size, for tests of a full disk (SQLite only).
    fn set_max_page_count(&self, pages: u64) -> Result<()>;
}

impl Store {
    /// The PostgreSQL back end, whose changes reach the search indexes through its change feed
    /// (`None` for SQLite, whose writes mirror themselves under its writer lock).
    pub fn postgres(&self) -> Option<&pg::PgStore> {
        match self {
            Self::Sqlite(_) => None,
            Self::Postgres(p) => Some(p.as_ref()),
        }
    }
}
