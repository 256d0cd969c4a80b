//! What the Jobs pane knows of a job's files and records, apart from drawing them: the identity
//! a file stands for, a file's key in a remote bucket, and the job's results, one row per file
//! of the folder, as a table's rows and as CSV.
//!
//! A result row is a record of the service, or a file the job registered that the service has
//! no record of, or a file of the folder that was not sent because it is not an image: the
//! table and the CSV leave no file of the folder out silently.

use std::collections::{HashMap, HashSet};

use necid::{RecordStatus, RegisterStatus, RegisterSummary};

pub use crate::job_history::JobFile;

/// Which part of a file's path names the identity it stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdentityFrom {
    /// `photos/alice.jpg` is "alice".
    #[default]
    FileStem,
    /// `photos/alice/1.jpg` is "alice" (one folder per identity).
    ParentFolder,
}

impl IdentityFrom {
    /// The identity label of a path relative to the chosen folder.
    pub fn label(self, relative: &str) -> String {
        let (folder, file) = relative.rsplit_once('/').unwrap_or(("", relative));
        match self {
            Self::FileStem => file
                .rsplit_once('.')
                .map_or(file, |(stem, _)| stem)
                .to_owned(),
            Self::ParentFolder if !folder.is_empty() => folder.to_owned(),
            // A loose file in the chosen folder has no identity folder: its stem stands in.
            Self::ParentFolder => Self::FileStem.label(relative),
        }
    }
}

/// A file's key in a remote bucket: the prefix the user gave (a `/` added if it lacks one),
/// then its path below the folder.
pub(super) fn remote_key(prefix: &str, relative: &str) -> String {
    let prefix = prefix.trim().trim_start_matches('/');
    if prefix.is_empty() {
        relative.to_owned()
    } else if prefix.ends_with('/') {
        format!("{prefix}{relative}")
    } else {
        format!("{prefix}/{relative}")
    }
}

/// One row of a job's results.
#[derive(Clone, Copy, Debug)]
pub(super) enum ResultRow<'a> {
    /// The service's record of a file.
    Record(&'a RegisterSummary),
    /// A file the job registered that the service has no record of.
    Unreported(&'a JobFile),
    /// A file of the folder that is not an image, so was not sent (its path below the folder).
    Skipped(&'a str),
}

/// Every file of the job: its records in the service's order, then the files it has no
/// record of, then the files skipped.
pub(super) fn result_rows<'a>(
    records: &'a [RegisterSummary],
    files: &'a [JobFile],
    skipped: &'a [String],
) -> Vec<ResultRow<'a>> {
    let reported: HashSet<&str> = records.iter().map(|r| r.filename.as_str()).collect();
    let mut rows: Vec<ResultRow<'a>> = records.iter().map(ResultRow::Record).collect();
    rows.extend(
        files
            .iter()
            .filter(|f| !reported.contains(f.object_name.as_str()))
            .map(ResultRow::Unreported),
    );
    rows.extend(skipped.iter().map(|s| ResultRow::Skipped(s.as_str())));
    rows
}

/// Why a file skipped as not an image has no record.
pub(super) const NOT_AN_IMAGE: &str = "Not an image: not sent.";
/// Why a file the job registered has no record.
pub(super) const NOT_REPORTED: &str = "The service has no record of this file.";

impl ResultRow<'_> {
    /// The file's name: its object's name in the bucket, or its path below the folder.
    pub(super) fn file(&self) -> &str {
        match self {
            Self::Record(record) => &record.filename,
            Self::Unreported(file) => &file.object_name,
            Self::Skipped(relative) => relative,
        }
    }

    pub(super) fn identity<'b>(&'b self, by_object: &HashMap<&str, &'b JobFile>) -> &'b str {
        match self {
            Self::Record(record) => by_object
                .get(record.filename.as_str())
                .map_or("", |f| f.identity.as_str()),
            Self::Unreported(file) => &file.identity,
            Self::Skipped(_) => "",
        }
    }

    pub(super) fn status(&self) -> &'static str {
        match self {
            Self::Record(record) => match record.status {
                RecordStatus::New => "New",
                RecordStatus::Processed => "Processed",
            },
            Self::Unreported(_) => "No record",
            Self::Skipped(_) => "Skipped",
        }
    }

    pub(super) fn result(&self) -> &'static str {
        match self {
            Self::Record(record) => match record.register_status {
                Some(RegisterStatus::Success) => "Success",
                Some(RegisterStatus::Failed) => "Failed",
                None => "",
            },
            Self::Unreported(_) | Self::Skipped(_) => "",
        }
    }

    pub(super) fn failed(&self) -> bool {
        match self {
            Self::Record(record) => record.register_status == Some(RegisterStatus::Failed),
            Self::Unreported(_) => true,
            Self::Skipped(_) => false,
        }
    }

    pub(super) fn subject_id(&self) -> &str {
        match self {
            Self::Record(record) => record.subject_id.as_ref().map_or("", |s| s.as_str()),
            Self::Unreported(_) | Self::Skipped(_) => "",
        }
    }

    fn event_id(&self) -> &str {
        match self {
            Self::Record(record) => record.event_id.as_ref().map_or("", |e| e.as_str()),
            Self::Unreported(_) | Self::Skipped(_) => "",
        }
    }

    pub(super) fn quality(&self) -> String {
        match self {
            Self::Record(record) => record
                .attributes_json
                .attributes()
                .map_or_else(String::new, |a| format!("{:.3}", a.face_quality_score)),
            Self::Unreported(_) | Self::Skipped(_) => String::new(),
        }
    }

    pub(super) fn reason(&self) -> &str {
        match self {
            Self::Record(record) => &record.reason,
            Self::Unreported(_) => NOT_REPORTED,
            Self::Skipped(_) => NOT_AN_IMAGE,
        }
    }
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The results as CSV with a header line, one row per file of the folder.
pub(super) fn results_csv(rows: &[ResultRow<'_>], files: &[JobFile]) -> String {
    let by_object = by_object(files);
    let mut csv = String::from(
        "filename,identity,status,registerStatus,subjectId,eventId,faceQualityScore,reason\n",
    );
    for row in rows {
        let quality = row.quality();
        let fields = [
            row.file(),
            row.identity(&by_object),
            row.status(),
            row.result(),
            row.subject_id(),
            row.event_id(),
            quality.as_str(),
            row.reason(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    csv
}

/// The job's files by their objects' names, which the records call them.
pub(super) fn by_object(files: &[JobFile]) -> HashMap<&str, &JobFile> {
    files.iter().map(|f| (f.object_name.as_str(), f)).collect()
}

/// "3 files skipped, not images: notes.txt, a.pdf, …": a few names, then how many more.
pub(super) fn skipped_summary(skipped: &[String]) -> Option<String> {
    const NAMED: usize = 3;
    let (first, rest) = skipped.split_at(skipped.len().min(NAMED));
    let names = first.join(", ");
    match (skipped.len(), rest.len()) {
        (0, _) => None,
        (1, _) => Some(format!("1 file skipped, not an image: {names}")),
        (n, 0) => Some(format!("{n} files skipped, not images: {names}")),
        (n, more) => Some(format!(
            "{n} files skipped, not images: {names} and {more} more"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_the_file_stem_or_the_folder_name() {
        assert_eq!(IdentityFrom::FileStem.label("alice/1.jpg"), "1");
        assert_eq!(IdentityFrom::FileStem.label("bob.smith.png"), "bob.smith");
        assert_eq!(IdentityFrom::ParentFolder.label("alice/1.jpg"), "alice");
        assert_eq!(IdentityFrom::ParentFolder.label("loose.jpg"), "loose");
    }

    #[test]
    fn a_remote_key_is_the_prefix_then_the_path_below_the_folder() {
        assert_eq!(remote_key("", "alice/1.jpg"), "alice/1.jpg");
        assert_eq!(remote_key(" uploads", "alice/1.jpg"), "uploads/alice/1.jpg");
        assert_eq!(remote_key("/uploads/", "1.jpg"), "uploads/1.jpg");
    }

    #[test]
    fn the_skipped_files_are_counted_and_a_few_named() {
        let names = |n: usize| (1..=n).map(|i| format!("{i}.txt")).collect::<Vec<_>>();
        assert_eq!(skipped_summary(&[]), None);
        assert_eq!(
            skipped_summary(&names(1)).as_deref(),
            Some("1 file skipped, not an image: 1.txt")
        );
        assert_eq!(
            skipped_summary(&names(3)).as_deref(),
            Some("3 files skipped, not images: 1.txt, 2.txt, 3.txt")
        );
        assert_eq!(
            skipped_summary(&names(5)).as_deref(),
            Some("5 files skipped, not images: 1.txt, 2.txt, 3.txt and 2 more")
        );
    }

    #[test]
    fn every_file_of_the_folder_is_a_csv_row_even_without_a_record() {
        let files = [
            JobFile {
                relative: "a.jpg".to_owned(),
                object_name: "a.jpg".to_owned(),
                identity: "a".to_owned(),
            },
            JobFile {
                relative: "b.jpg".to_owned(),
                object_name: "b-2.jpg".to_owned(),
                identity: "b".to_owned(),
            },
        ];
        let record: RegisterSummary = serde_json::from_value(serde_json::json!({
            "id": "r1", "filename": "a.jpg", "attempts": "1", "status": "Processed",
            "registerStatus": "Failed", "reason": "No face, found"
        }))
        .expect("a record");
        let skipped = ["notes.txt".to_owned()];
        let records = [record];
        let rows = result_rows(&records, &files, &skipped);
        let csv = results_csv(&rows, &files);
        let lines: Vec<String> = csv.lines().skip(1).map(str::to_owned).collect();
        assert_eq!(
            lines,
            [
                "a.jpg,a,Processed,Failed,,,,\"No face, found\"".to_owned(),
                format!("b-2.jpg,b,No record,,,,,{NOT_REPORTED}"),
                format!("notes.txt,,Skipped,,,,,{NOT_AN_IMAGE}"),
            ]
        );
    }

    #[test]
    fn a_reason_with_commas_and_quotes_stays_one_csv_field() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
