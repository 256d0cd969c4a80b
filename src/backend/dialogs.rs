//! The desktop's file dialogs, for every picker of the console: which picker asks (each opens
//! in the folder it was last used in, remembered across starts), and whether a dialog can open
//! at all.
//!
//! rfd answers "nothing chosen" both when the user cancels and when it has no dialog to show
//! (no desktop portal and no zenity, or no display): it only logs why. So the backend asks
//! first ([`no_dialog_reason`]), and takes an answer that came too soon for a person to have
//! cancelled as a dialog that never showed ([`never_shown`]); either way it answers with an
//! error a person reads, which the picker shows next to its typed-path field, instead of doing
//! nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::files::IMAGE_EXTENSIONS;
use crate::error::UiError;

/// A place in the console that asks for a file or a folder. Each remembers its own last
/// folder: the enrolment images often live elsewhere than the probes or the bulk folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Picker {
    /// Subjects: the image of the enrolment form.
    EnrolImage,
    /// Face: Extract's image.
    ExtractImage,
    /// Face: Search's probe.
    SearchProbe,
    /// Face: Verify's probe.
    VerifyProbe,
    /// Face: Verify's second image.
    VerifySecond,
    /// Jobs: the folder of a bulk job.
    JobsFolder,
    /// Jobs: where the records' CSV is saved.
    JobsExport,
    /// Subjects: where the names' CSV is saved.
    NamesExport,
    /// Trust: the labelled folder of a calibration.
    CalibrationFolder,
    /// Settings and the top bar: the face models' folder.
    ModelsFolder,
}

impl Picker {
    /// Whether this picker asks for a folder (kept as it is) rather than a file (whose folder is
    /// kept).
    pub fn chooses_folder(self) -> bool {
        matches!(
            self,
            Self::JobsFolder | Self::CalibrationFolder | Self::ModelsFolder
        )
    }

    /// Tells this picker's widgets from another's on the same screen.
    pub fn id_salt(self) -> &'static str {
        match self {
            Self::EnrolImage => "enrol_image",
            Self::ExtractImage => "extract_image",
            Self::SearchProbe => "search_probe",
            Self::VerifyProbe => "verify_probe",
            Self::VerifySecond => "verify_second",
            Self::JobsFolder => "jobs_folder",
            Self::JobsExport => "jobs_export",
            Self::NamesExport => "names_export",
            Self::CalibrationFolder => "calibration_folder",
            Self::ModelsFolder => "models_folder",
        }
    }
}

/// The folder each picker was last used in: the backend opens a dialog there and records what
/// was chosen; the shell copies it into what the console remembers between starts.
#[derive(Clone, Debug, Default)]
pub struct LastFolders(Arc<Mutex<Folders>>);

#[derive(Debug, Default)]
struct Folders {
    by_picker: BTreeMap<Picker, PathBuf>,
    /// Whether a folder was recorded since the shell last took them.
    changed: bool,
}

impl LastFolders {
    fn folders(&self) -> std::sync::MutexGuard<'_, Folders> {
        // A panic while holding the lock leaves a map that is still whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts from what was remembered (on start).
    pub fn restore(&self, by_picker: BTreeMap<Picker, PathBuf>) {
        let mut folders = self.folders();
        folders.by_picker = by_picker;
        folders.changed = false;
    }

    /// Where `picker`'s dialog opens.
    pub fn of(&self, picker: Picker) -> Option<PathBuf> {
        self.folders().by_picker.get(&picker).cloned()
    }

    /// `picker` was used in `folder`.
    pub fn record(&self, picker: Picker, folder: PathBuf) {
        let mut folders = self.folders();
        if folders.by_picker.get(&picker) != Some(&folder) {
            folders.by_picker.insert(picker, folder);
            folders.changed = true;
        }
    }

    /// Every picker's folder, when one changed since the last call.
    pub fn take_changed(&self) -> Option<BTreeMap<Picker, PathBuf>> {
        let mut folders = self.folders();
        std::mem::take(&mut folders.changed).then(|| folders.by_picker.clone())
    }
}

/// The folder a file or folder chosen by `picker` leaves behind: a file's own folder, a chosen
/// folder itself. Absolute, so that a typed relative path still names a folder after a restart.
pub fn folder_used(path: &Path, picker: Picker) -> Option<PathBuf> {
    let folder = if picker.chooses_folder() {
        Some(path)
    } else {
        path.parent()
    }?;
    if folder.as_os_str().is_empty() {
        return std::env::current_dir().ok();
    }
    std::path::absolute(folder).ok()
}

/// Why no file dialog can open on this machine, if none can: no display to show one on, or
/// neither the desktop portal (over the session bus) nor zenity, rfd's two ways to show one.
pub fn no_dialog_reason() -> Option<&'static str> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Some("there is no desktop display");
    }
    let on_path = |program: &str| {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        })
    };
    if on_path("zenity") {
        return None;
    }
    let session_bus = set("DBUS_SESSION_BUS_ADDRESS")
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| Path::new(&dir).join("bus").exists());
    if !session_bus {
        return Some("neither a desktop portal nor zenity is available");
    }
    None
}

/// Faster than anyone can see a dialog and cancel it: rfd answers this soon only when the
/// portal refused the call and zenity could not run (or exited at once, without a display).
const FASTEST_CANCEL: Duration = Duration::from_millis(250);

/// Whether rfd's "nothing chosen", `elapsed` after asking, means the dialog never showed.
pub fn never_shown(chosen: Option<&Path>, elapsed: Duration) -> bool {
    chosen.is_none() && elapsed < FASTEST_CANCEL
}

/// What a picker asks the dialog for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wanted {
    Image,
    Folder,
    SaveCsv,
}

impl Wanted {
    /// The error when no dialog can open for `picker`, pointing at what works instead.
    fn unavailable(self, picker: Picker, reason: &str) -> UiError {
        UiError::new(match self {
            // Also offered in the top bar, which has no field of its own.
            Self::Folder if picker == Picker::ModelsFolder => format!(
                "No folder dialog can open here ({reason}). Type the models folder in \
                 Settings, under Local service."
            ),
            Self::Image => format!(
                "No file dialog can open here ({reason}). Type the image's path in the field \
                 beside the button, or drop the image on the window."
            ),
            Self::Folder => format!(
                "No folder dialog can open here ({reason}). Type the folder's path in the \
                 field beside the button."
            ),
            Self::SaveCsv => format!(
                "No save dialog can open here ({reason}), so the CSV was not written. Type a \
                 path to write it to where one is offered."
            ),
        })
    }
}

/// Asks the user for what `wanted` names, in `picker`'s last folder, and records the folder of
/// the answer. `Ok(None)` is a cancelled dialog; an error says no dialog could open.
pub(super) async fn ask(
    wanted: Wanted,
    picker: Picker,
    title: &str,
    suggested_name: Option<String>,
    last_folders: LastFolders,
) -> Result<Option<PathBuf>, UiError> {
    if let Some(reason) = no_dialog_reason() {
        return Err(wanted.unavailable(picker, reason));
    }
    let mut dialog = rfd::AsyncFileDialog::new().set_title(title);
    if let Some(folder) = last_folders.of(picker).filter(|folder| folder.is_dir()) {
        dialog = dialog.set_directory(folder);
    }
    let asked_at = Instant::now();
    let chosen = match wanted {
        Wanted::Image => {
            dialog
                .add_filter("Images", &IMAGE_EXTENSIONS)
                .pick_file()
                .await
        }
        Wanted::Folder => dialog.pick_folder().await,
        Wanted::SaveCsv => {
            let dialog = dialog.add_filter("CSV", &["csv"]);
            let dialog = match suggested_name {
                Some(name) => dialog.set_file_name(name),
                None => dialog,
            };
            dialog.save_file().await
        }
    };
    let chosen = chosen.map(|handle| handle.path().to_owned());
    if never_shown(chosen.as_deref(), asked_at.elapsed()) {
        return Err(wanted.unavailable(
            picker,
            "the desktop portal and zenity both failed to show one; the log says why",
        ));
    }
    if let Some(folder) = chosen.as_deref().and_then(|path| folder_used(path, picker)) {
        last_folders.record(picker, folder);
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_picker_keeps_its_own_folder_and_says_once_that_it_changed() {
        let folders = LastFolders::default();
        assert_eq!(folders.take_changed(), None);
        folders.record(Picker::ExtractImage, PathBuf::from("/photos/group"));
        folders.record(Picker::JobsFolder, PathBuf::from("/bulk"));
        let changed = folders.take_changed().expect("changed");
        assert_eq!(changed.len(), 2);
        assert_eq!(folders.take_changed(), None);
        folders.record(Picker::JobsFolder, PathBuf::from("/bulk"));
        assert_eq!(
            folders.take_changed(),
            None,
            "the same folder again is no change"
        );
        assert_eq!(folders.of(Picker::SearchProbe), None);
        assert_eq!(
            folders.of(Picker::ExtractImage),
            Some(PathBuf::from("/photos/group"))
        );
    }

    #[test]
    fn nothing_chosen_at_once_is_a_dialog_that_never_showed_and_later_a_cancel() {
        assert!(never_shown(None, Duration::from_millis(20)));
        assert!(
            !never_shown(None, Duration::from_secs(2)),
            "a person cancelled"
        );
        assert!(!never_shown(
            Some(Path::new("/a.jpg")),
            Duration::from_millis(20)
        ));
    }

    #[test]
    fn a_file_leaves_its_folder_and_a_folder_itself() {
        assert_eq!(
            folder_used(Path::new("/a/b/c.jpg"), Picker::ExtractImage),
            Some(PathBuf::from("/a/b"))
        );
        assert_eq!(
            folder_used(Path::new("/a/b"), Picker::JobsFolder),
            Some(PathBuf::from("/a/b"))
        );
    }
}
