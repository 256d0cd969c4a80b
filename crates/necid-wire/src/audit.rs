//! The gallery audit, a local-service extension (`POST /v1.1/jobs/audit`,
//! `GET /v1.1/jobs/audit/{auditId}`): which subjects are probably one person enrolled twice, and
//! which events probably show someone else than the rest of their subject. The NEC cloud has no
//! such route; docs/api.md gives the exact rules.

use serde::{Deserialize, Serialize};

use crate::{AuditId, EventId, MatchScore, SubjectId};

/// The body of Start Audit: `{}` or `{"threshold": 7000}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRequest {
    /// The score at or above which two events are taken as one person; the server's default is
    /// 7000, as for search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<MatchScore>,
}

/// The answer to Start Audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStarted {
    pub audit_id: AuditId,
}

/// Whether an audit has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditStatus {
    InProgress,
    Completed,
}

/// Two subjects with events that match each other: probably one person enrolled twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateSubjects {
    /// The two subjects, in ascending order of their ids.
    pub subject_ids: [SubjectId; 2],
    /// The best score between an event of one and an event of the other.
    pub score: MatchScore,
}

/// An event that matches none of its subject's other events while those match each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutlierEvent {
    pub subject_id: SubjectId,
    pub event_id: EventId,
    /// Its best score against the subject's other events (below the threshold).
    pub score: MatchScore,
}

/// The answer to Audit Progress: the findings once `status` is `COMPLETED` (empty before).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub status: AuditStatus,
    /// 0.0 to 1.0.
    pub progress: f64,
    #[serde(default)]
    pub duplicates: Vec<DuplicateSubjects>,
    #[serde(default)]
    pub outliers: Vec<OutlierEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_report_reads_the_documented_json() {
        let json = r#"{"status": "COMPLETED", "progress": 1.0,
            "duplicates": [{"subjectIds": ["a", "b"], "score": 8123}],
            "outliers": [{"subjectId": "c", "eventId": "e", "score": "4100"}]}"#;
        let report: AuditReport = serde_json::from_str(json).expect("a report");
        assert_eq!(report.status, AuditStatus::Completed);
        assert_eq!(report.duplicates[0].subject_ids[1].as_str(), "b");
        assert_eq!(report.outliers[0].score.get(), 4100);
        let written = serde_json::to_value(&report).expect("json");
        assert_eq!(written["status"], "COMPLETED");
        assert_eq!(written["duplicates"][0]["subjectIds"][0], "a");
        let in_progress: AuditStatus = serde_json::from_str("\"IN_PROGRESS\"").expect("status");
        assert_eq!(in_progress, AuditStatus::InProgress);
    }
}
