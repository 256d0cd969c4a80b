//! The bulk jobs started from this console, kept per profile and gallery.
//!
//! The API tells a batch's progress and records by its id, but it cannot list a gallery's
//! batches, and it knows neither the folder a batch came from nor the identity each file stands
//! for. Without a note of them, a second job made the first one's records unreachable, and the
//! same folder could be registered twice by accident. So the console keeps, per profile and
//! gallery, a small JSON file under its data folder (`job-history/<profile>/<gallery>.json`):
//! for each batch its id, the folder it came from, when it started, its counts when last seen,
//! each file's identity and the files skipped as not images. Never a key, nor a path of the
//! service's: a file is named by its path below the chosen folder and its object name in the
//! bucket, which is what the batch's records call it.
//! The file is read and written on the backend's blocking pool, never on the UI thread.

use std::path::{Path, PathBuf};

use necid::{BatchId, GalleryId, TagName};
use serde::{Deserialize, Serialize};

use crate::profiles::ProfileId;

/// Why the job history could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    #[error("the earlier bulk jobs could not be read: {0}")]
    Read(std::io::Error),
    #[error("the earlier bulk jobs could not be written: {0}")]
    Write(std::io::Error),
    #[error("the file of earlier bulk jobs is not valid: {0}")]
    Invalid(serde_json::Error),
}

impl From<HistoryError> for crate::error::UiError {
    fn from(error: HistoryError) -> Self {
        Self::new(error.to_string())
    }
}

/// One file of a job: where it is below the chosen folder, what the bucket calls it, and the
/// identity it stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFile {
    /// Its path below the chosen folder, with `/` separators (`alice/1.jpg`).
    pub relative: String,
    /// Its object's name in the bucket: the `filename` of its registration and of its record.
    pub object_name: String,
    /// The identity it stands for (its file stem or its folder's name).
    pub identity: String,
}

/// How far a batch had got when the console last looked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCounts {
    /// The files the batch registers.
    pub files: usize,
    pub processed: usize,
    pub registered: usize,
    pub failed: usize,
}

/// A batch as the console keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptBatch {
    pub batch_id: BatchId,
    /// The folder the files were listed from, as the user chose or typed it.
    pub folder: String,
    /// When the job was started, RFC 3339 in UTC.
    pub started_at: String,
    #[serde(default)]
    pub tags: Vec<TagName>,
    pub counts: BatchCounts,
    /// Nothing was left to process when the console last looked: every record the service has
    /// of the batch was processed (or it has none any more).
    #[serde(default)]
    pub finished: bool,
    pub files: Vec<JobFile>,
    /// Files of the folder that were not sent because they are not images.
    #[serde(default)]
    pub skipped: Vec<String>,
}

impl KeptBatch {
    /// When the job was started, for people: `2026-12-01 15:40 UTC`.
    pub fn started_on(&self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        time::OffsetDateTime::parse(
            &self.started_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
        .and_then(|at| at.format(&format).ok())
        .unwrap_or_else(|| self.started_at.clone())
    }
}

/// Now, as [`KeptBatch::started_at`] keeps it.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Whether two folders as typed are the same: spaces around and separators at the end do not
/// count (`/photos/staff/` is `/photos/staff`). Links and relative paths are not resolved: the
/// file keeps what the user chose, and a folder chosen twice is chosen the same way.
pub fn same_folder(a: &str, b: &str) -> bool {
    fn plain(folder: &str) -> &str {
        let folder = folder.trim();
        let trimmed = folder.trim_end_matches(['/', '\\']);
        if trimmed.is_empty() { folder } else { trimmed }
    }
    plain(a) == plain(b)
}

/// The file as written: an object, so that fields can be added later.
#[derive(Debug, Default, Serialize, Deserialize)]
struct HistoryFile {
    batches: Vec<KeptBatch>,
}

/// The batches of one gallery started from this console, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobHistory {
    batches: Vec<KeptBatch>,
}

impl JobHistory {
    /// The history file of a gallery of a profile, under the console's data folder.
    pub fn file(data_dir: &Path, profile_id: &ProfileId, gallery_id: &GalleryId) -> PathBuf {
        crate::paths::gallery_file(data_dir, "job-history", profile_id, gallery_id)
    }

    /// Reads a history file; a file that is not there is no batches yet.
    pub fn load(path: &Path) -> Result<Self, HistoryError> {
        let Some(text) = crate::paths::read_if_present(path).map_err(HistoryError::Read)? else {
            return Ok(Self::default());
        };
        let file: HistoryFile = serde_json::from_str(&text).map_err(HistoryError::Invalid)?;
        Ok(Self {
            batches: file.batches,
        })
    }

    /// Writes the history file, replacing the old one in one step.
    pub fn save(&self, path: &Path) -> Result<(), HistoryError> {
        let file = HistoryFile {
            batches: self.batches.clone(),
        };
        let text = serde_json::to_string_pretty(&file).map_err(HistoryError::Invalid)?;
        crate::paths::write_replacing(path, text).map_err(HistoryError::Write)
    }

    /// Keeps a batch: a new one goes last, one kept already is replaced where it stands.
    pub fn keep(&mut self, batch: KeptBatch) {
        match self
            .batches
            .iter_mut()
            .find(|b| b.batch_id == batch.batch_id)
        {
            Some(kept) => *kept = batch,
            None => self.batches.push(batch),
        }
    }

    /// Takes the batches of `newer` (kept since `self` was read), which win over their copies.
    pub fn merge(&mut self, newer: &JobHistory) {
        for batch in &newer.batches {
            self.keep(batch.clone());
        }
    }

    pub fn get(&self, batch_id: &BatchId) -> Option<&KeptBatch> {
        self.batches.iter().find(|b| &b.batch_id == batch_id)
    }

    /// The batches, the newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &KeptBatch> {
        self.batches.iter().rev()
    }

    /// The newest batch started from `folder`.
    pub fn last_from(&self, folder: &str) -> Option<&KeptBatch> {
        self.newest_first().find(|b| same_folder(&b.folder, folder))
    }

    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(batch_id: &str, folder: &str, processed: usize) -> KeptBatch {
        KeptBatch {
            batch_id: BatchId::new(batch_id),
            folder: folder.to_owned(),
            started_at: "2026-12-01T15:40:12Z".to_owned(),
            tags: Vec::new(),
            counts: BatchCounts {
                files: 2,
                processed,
                registered: processed,
                failed: 0,
            },
            finished: processed == 2,
            files: vec![JobFile {
                relative: "alice/1.jpg".to_owned(),
                object_name: "alice/1-2.jpg".to_owned(),
                identity: "alice".to_owned(),
            }],
            skipped: vec!["notes.txt".to_owned()],
        }
    }

    #[test]
    fn batches_survive_a_save_and_load_newest_first_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = JobHistory::file(dir.path(), &ProfileId::from("p/1"), &GalleryId::new("../g"));
        assert!(path.starts_with(dir.path().join("job-history")));
        assert_eq!(
            JobHistory::load(&path).expect("no file"),
            JobHistory::default()
        );
        let mut history = JobHistory::default();
        history.keep(batch("b1", "/photos", 0));
        history.keep(batch("b2", "/other", 2));
        history.keep(batch("b1", "/photos", 2));
        history.save(&path).expect("saved");
        let back = JobHistory::load(&path).expect("loaded");
        let order: Vec<&str> = back.newest_first().map(|b| b.batch_id.as_str()).collect();
        assert_eq!(order, ["b2", "b1"]);
        assert_eq!(
            back.get(&BatchId::new("b1")),
            Some(&batch("b1", "/photos", 2))
        );
    }

    #[test]
    fn the_last_batch_of_a_folder_is_found_however_the_folder_was_typed() {
        let mut history = JobHistory::default();
        history.keep(batch("b1", "/photos/staff", 2));
        history.keep(batch("b2", "/photos/visitors", 2));
        history.keep(batch("b3", "/photos/staff/", 1));
        let last = history.last_from(" /photos/staff ").expect("kept");
        assert_eq!(last.batch_id.as_str(), "b3");
        assert!(history.last_from("/photos").is_none());
        assert!(same_folder("/", "/"));
    }

    #[test]
    fn batches_kept_while_the_file_was_read_win_over_the_file() {
        let mut read = JobHistory::default();
        read.keep(batch("b1", "/photos", 0));
        let mut newer = JobHistory::default();
        newer.keep(batch("b1", "/photos", 2));
        newer.keep(batch("b2", "/photos", 0));
        read.merge(&newer);
        assert_eq!(read.len(), 2);
        assert_eq!(
            read.get(&BatchId::new("b1")).map(|b| b.counts.processed),
            Some(2)
        );
    }

    #[test]
    fn the_start_is_shown_to_the_minute_in_utc() {
        assert_eq!(batch("b", "/", 0).started_on(), "2026-12-01 15:40 UTC");
    }
}
