//! Every decision taken on the gallery audit's findings, kept by the console in a journal the
//! admin can read: one JSON object a line in `audit-journal/<galleryId>.jsonl` under the
//! console's data folder, and in the Trust pane.
//!
//! The journal is also what the review remembers: a pair judged *different people* is never
//! suggested again, across restarts, because its entry is read back when the gallery's review
//! opens.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use necid::{EventId, GalleryId, SubjectId};
use serde::{Deserialize, Serialize};

use crate::error::UiError;

/// What the admin decided about one finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The two subjects are one person: merged into the first.
    SamePerson,
    /// The two subjects are two people: never suggested again.
    DifferentPeople,
    /// The event shows someone else than its subject: unregistered.
    Misfiled,
}

impl Decision {
    pub fn label(self) -> &'static str {
        match self {
            Decision::SamePerson => "same person",
            Decision::DifferentPeople => "different people",
            Decision::Misfiled => "misfiled",
        }
    }
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// When, as RFC 3339 in UTC.
    pub at: String,
    pub decision: Decision,
    /// The subjects concerned: two for a pair, one for a misfiled event.
    pub subject_ids: Vec<SubjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    /// The audit's score for the finding.
    pub score: u16,
    /// What was done, and what is left to the admin.
    pub outcome: String,
}

impl JournalEntry {
    pub fn new(
        decision: Decision,
        subject_ids: Vec<SubjectId>,
        event_id: Option<EventId>,
        score: u16,
        outcome: String,
    ) -> Self {
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            at,
            decision,
            subject_ids,
            event_id,
            score,
            outcome,
        }
    }

    /// Whether this entry says the two subjects are different people.
    pub fn separates(&self, a: &SubjectId, b: &SubjectId) -> bool {
        self.decision == Decision::DifferentPeople
            && self.subject_ids.contains(a)
            && self.subject_ids.contains(b)
    }
}

/// A gallery's journal file.
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal of `gallery_id`, under the console's data folder.
    pub fn of(data_dir: &Path, gallery_id: &GalleryId) -> Self {
        let name = crate::paths::file_safe(gallery_id.as_str());
        Self {
            path: data_dir.join("audit-journal").join(format!("{name}.jsonl")),
        }
    }

    /// Every entry, oldest first; none when the file does not exist yet. A line that cannot
    /// be read (written by hand) is skipped. Blocking: call it on the blocking pool.
    pub fn read(&self) -> Result<Vec<JournalEntry>, UiError> {
        let text = crate::paths::read_if_present(&self.path)
            .map_err(|error| UiError::new(format!("The audit journal cannot be read: {error}")))?
            .unwrap_or_default();
        Ok(text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect())
    }

    /// Adds `entry` at the end. Blocking: call it on the blocking pool.
    pub fn append(&self, entry: &JournalEntry) -> Result<(), UiError> {
        let failed = |error: &dyn std::fmt::Display| {
            UiError::new(format!(
                "The decision could not be written to the journal: {error}"
            ))
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| failed(&e))?;
        line.push('\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .map_err(|e| failed(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_written_is_read_back_and_separates_its_pair_either_way_round() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::of(dir.path(), &GalleryId::new("g/1"));
        assert!(journal.read().expect("no journal yet").is_empty());
        let (a, b, c) = (
            SubjectId::new("a"),
            SubjectId::new("b"),
            SubjectId::new("c"),
        );
        let entry = JournalEntry::new(
            Decision::DifferentPeople,
            vec![a.clone(), b.clone()],
            None,
            7400,
            "kept apart".to_owned(),
        );
        journal.append(&entry).expect("written");
        let read = journal.read().expect("read");
        assert_eq!(read, [entry]);
        assert!(read[0].separates(&b, &a));
        assert!(!read[0].separates(&a, &c));
    }
}
