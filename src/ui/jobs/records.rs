//! What the Jobs pane knows of a job's files and records, apart from drawing them: the identity
//! a file stands for, a file's key in a remote bucket, and the records as CSV.

use std::collections::HashMap;

use necid::{RecordStatus, RegisterStatus, RegisterSummary};

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

/// One file of a job: its bucket key and the identity it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFile {
    pub relative: String,
    pub key: String,
    pub label: String,
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

pub(super) fn record_status(record: &RegisterSummary) -> &'static str {
    match record.status {
        RecordStatus::New => "New",
        RecordStatus::Processed => "Processed",
    }
}

pub(super) fn register_status(record: &RegisterSummary) -> &'static str {
    match record.register_status {
        Some(RegisterStatus::Success) => "Success",
        Some(RegisterStatus::Failed) => "Failed",
        None => "",
    }
}

pub(super) fn quality(record: &RegisterSummary) -> String {
    record
        .attributes_json
        .attributes()
        .map_or_else(String::new, |a| format!("{:.3}", a.face_quality_score))
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The records as CSV with a header line, one row per record (so per file).
pub(super) fn records_csv(records: &[RegisterSummary], by_key: &HashMap<&str, &JobFile>) -> String {
    let mut csv = String::from(
        "filename,identity,status,registerStatus,subjectId,eventId,faceQualityScore,reason\n",
    );
    for record in records {
        let fields = [
            record.filename.clone(),
            by_key
                .get(record.filename.as_str())
                .map_or_else(String::new, |f| f.label.clone()),
            record_status(record).to_owned(),
            register_status(record).to_owned(),
            record
                .subject_id
                .as_ref()
                .map_or_else(String::new, |s| s.as_str().to_owned()),
            record
                .event_id
                .as_ref()
                .map_or_else(String::new, |e| e.as_str().to_owned()),
            quality(record),
            record.reason.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    csv
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
    fn a_reason_with_commas_and_quotes_stays_one_csv_field() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
