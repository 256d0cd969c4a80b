//! Display names for the subjects of a gallery, kept by the console.
//!
//! The API knows a subject only by its id (a UUID), and two ids that start alike are easy to
//! mix up. The console keeps a name per subject, per profile and gallery, in a small JSON file
//! under its data folder (`subject-names/<profile>/<gallery>.json`: ids and names, never a key).
//! A name comes from the image's file name on enrolment ([`name_from_file`]), from the
//! identity of a bulk record, or is typed in Subjects; the names go out and come back in with
//! the gallery's labels as CSV ([`SubjectNames::to_csv`], [`SubjectNames::merge_csv`]).
//! The file is read and written on the backend's blocking pool, never on the UI thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use necid::{GalleryId, SubjectId};

use crate::profiles::ProfileId;

/// Why the names could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NamesError {
    #[error("the subject names could not be read: {0}")]
    Read(std::io::Error),
    #[error("the subject names could not be written: {0}")]
    Write(std::io::Error),
    #[error("the subject names file is not valid: {0}")]
    Invalid(serde_json::Error),
    #[error("line {line} of the CSV is not “subjectId,name”")]
    Csv { line: usize },
}

impl From<NamesError> for crate::error::UiError {
    fn from(error: NamesError) -> Self {
        Self::new(error.to_string())
    }
}

/// The names of one gallery's subjects, by subject id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectNames {
    names: BTreeMap<SubjectId, String>,
}

impl SubjectNames {
    /// The name of a subject, if it has one.
    pub fn get(&self, subject_id: &SubjectId) -> Option<&str> {
        self.names.get(subject_id).map(String::as_str)
    }

    /// Names a subject; an empty (or blank) name removes it.
    pub fn set(&mut self, subject_id: SubjectId, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            self.names.remove(&subject_id);
        } else {
            self.names.insert(subject_id, name.to_owned());
        }
    }

    /// Every name, by subject id.
    pub fn iter(&self) -> impl Iterator<Item = (&SubjectId, &str)> {
        self.names.iter().map(|(id, name)| (id, name.as_str()))
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names file of a gallery of a profile, under the console's data folder.
    pub fn file(data_dir: &Path, profile_id: &ProfileId, gallery_id: &GalleryId) -> PathBuf {
        crate::paths::gallery_file(data_dir, "subject-names", profile_id, gallery_id)
    }

    /// Reads a names file; a file that is not there is no names yet.
    pub fn load(path: &Path) -> Result<Self, NamesError> {
        let Some(text) = crate::paths::read_if_present(path).map_err(NamesError::Read)? else {
            return Ok(Self::default());
        };
        let names: BTreeMap<SubjectId, String> =
            serde_json::from_str(&text).map_err(NamesError::Invalid)?;
        Ok(Self { names })
    }

    /// Writes the names file, replacing the old one in one step.
    pub fn save(&self, path: &Path) -> Result<(), NamesError> {
        let text = serde_json::to_string_pretty(&self.names).map_err(NamesError::Invalid)?;
        crate::paths::write_replacing(path, text).map_err(NamesError::Write)
    }

    /// The names as CSV, `subjectId,name` with a header line.
    pub fn to_csv(&self) -> String {
        let mut csv = String::from("subjectId,name\n");
        for (subject_id, name) in &self.names {
            csv.push_str(&csv_field(subject_id.as_str()));
            csv.push(',');
            csv.push_str(&csv_field(name));
            csv.push('\n');
        }
        csv
    }

    /// Takes the names of a CSV written by [`Self::to_csv`] (or by hand: a header line is
    /// optional, quoted fields may hold commas and quotes); a name in the CSV replaces the one
    /// kept. Returns how many names it held; nothing is changed when a line is malformed.
    pub fn merge_csv(&mut self, csv: &str) -> Result<usize, NamesError> {
        let mut read = Vec::new();
        for (number, line) in csv.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let fields = parse_csv_line(line).ok_or(NamesError::Csv { line: number + 1 })?;
            let [subject_id, name] = fields.as_slice() else {
                return Err(NamesError::Csv { line: number + 1 });
            };
            if number == 0 && subject_id.eq_ignore_ascii_case("subjectId") {
                continue;
            }
            if subject_id.trim().is_empty() {
                return Err(NamesError::Csv { line: number + 1 });
            }
            read.push((SubjectId::new(subject_id.trim()), name.clone()));
        }
        let count = read.len();
        for (subject_id, name) in read {
            self.set(subject_id, &name);
        }
        Ok(count)
    }
}

/// A person's name made from an image's path: the file's stem, its `_`, `-` and `.` as spaces,
/// a trailing photo number dropped, each word capitalised (`barack_obama_2.jpg` is “Barack
/// Obama”). A file named only by a number is named by its folder (`obama/1.jpg` is “Obama”,
/// the one-folder-per-person layout); with no folder the number stays.
pub fn name_from_file(path: &str) -> String {
    let mut parts = path.rsplit(['/', '\\']);
    let file = parts.next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let name = name_from_words(stem);
    match parts.next() {
        Some(folder)
            if !folder.is_empty() && name.chars().all(|c| c.is_ascii_digit() || c == ' ') =>
        {
            name_from_words(folder)
        }
        _ => name,
    }
}

/// `barack_obama_2` as “Barack Obama”.
fn name_from_words(stem: &str) -> String {
    let mut words: Vec<&str> = stem
        .split(['_', '-', '.', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        words.pop();
    }
    words
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The fields of one CSV line; `None` when a quote is not closed.
fn parse_csv_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(field);
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_made_from_the_file_name_without_its_photo_number() {
        assert_eq!(name_from_file("barack_obama_2.jpg"), "Barack Obama");
        assert_eq!(
            name_from_file("/photos/amy-farrah.fowler.png"),
            "Amy Farrah Fowler"
        );
        assert_eq!(name_from_file("penny.jpeg"), "Penny");
        assert_eq!(name_from_file("1234.jpg"), "1234");
        assert_eq!(name_from_file("/testdata/faces/obama/1.jpg"), "Obama");
        assert_eq!(name_from_file("faces/john_salley/02.png"), "John Salley");
        assert_eq!(name_from_file(""), "");
    }

    #[test]
    fn names_survive_a_save_and_load_and_a_missing_file_is_no_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = SubjectNames::file(dir.path(), &ProfileId::from("p/1"), &GalleryId::new("../g"));
        assert!(path.starts_with(dir.path().join("subject-names")));
        assert_eq!(
            SubjectNames::load(&path).expect("no file"),
            SubjectNames::default()
        );
        let mut names = SubjectNames::default();
        names.set(SubjectId::new("s1"), " Amy ");
        names.set(SubjectId::new("s2"), "Howard");
        names.set(SubjectId::new("s2"), "");
        names.save(&path).expect("saved");
        let back = SubjectNames::load(&path).expect("loaded");
        assert_eq!(back.get(&SubjectId::new("s1")), Some("Amy"));
        assert_eq!(back.get(&SubjectId::new("s2")), None);
        assert_eq!(back.len(), 1);
    }

    #[test]
    fn names_go_out_as_csv_and_come_back_with_commas_and_quotes() {
        let mut names = SubjectNames::default();
        names.set(SubjectId::new("s1"), "Wolowitz, Howard");
        names.set(SubjectId::new("s2"), "Sheldon \"Shelly\" Cooper");
        let csv = names.to_csv();
        let mut back = SubjectNames::default();
        assert_eq!(back.merge_csv(&csv).expect("valid"), 2);
        assert_eq!(back, names);
    }

    #[test]
    fn a_malformed_csv_line_is_named_and_changes_nothing() {
        let mut names = SubjectNames::default();
        let error = names
            .merge_csv("subjectId,name\ns1,Amy\ns2\n")
            .expect_err("line 3 has one field");
        assert!(error.to_string().contains("line 3"), "{error}");
        assert!(names.is_empty());
        assert!(names.merge_csv("s1,\"open quote\n").is_err());
    }
}
