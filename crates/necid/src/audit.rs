//! The gallery audit, a local extension: only the local service (`necid-server`) offers it, and
//! the NEC cloud answers 404. It lists subjects that look like one person enrolled twice and
//! events that look filed under the wrong person, for a person to review.

use http::Method;
use necid_wire::{AuditId, AuditReport, AuditRequest, AuditStarted, MatchScore};

use crate::client::encode_component;
use crate::error::Result;
use crate::gallery::Gallery;

impl Gallery {
    /// Starts an audit of the whole gallery (`POST /v1.1/jobs/audit`); `None` uses the
    /// service's default threshold, 7000.
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let audit_id = gallery.start_audit(None).await?;
    /// let report = gallery.audit(&audit_id).await?;
    /// println!("{:.0} % done", report.progress * 100.0);
    /// # Ok(()) }
    /// ```
    pub async fn start_audit(&self, threshold: Option<MatchScore>) -> Result<AuditId> {
        let started: AuditStarted = self
            .client()
            .execute(
                self.call(Method::POST, "/v1.1/jobs/audit")
                    .json(&AuditRequest { threshold })?,
            )
            .await?
            .json()?;
        Ok(started.audit_id)
    }

    /// An audit's progress and, once its `status` is `COMPLETED`, its findings
    /// (`GET /v1.1/jobs/audit/{auditId}`). An unknown id, or another gallery's, is a not-found
    /// error ([`crate::Error::is_not_found`]).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, audit_id: necid::AuditId) -> necid::Result<()> {
    /// let report = gallery.audit(&audit_id).await?;
    /// for pair in &report.duplicates {
    ///     println!("{} and {} may be one person ({})", pair.subject_ids[0], pair.subject_ids[1], pair.score);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn audit(&self, audit_id: &AuditId) -> Result<AuditReport> {
        let path = format!("/v1.1/jobs/audit/{}", encode_component(audit_id.as_str()));
        self.client()
            .execute(self.call(Method::GET, path))
            .await?
            .json()
    }
}
