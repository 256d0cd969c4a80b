//! The Local profile's face models: where an installed console finds them, and how a first run
//! with none anywhere gets them itself.
//!
//! An installed console has no repository and so no `scripts/fetch-models`; it does the same
//! thing: `npm pack` of the pinned package, its `model/` files checked against the SHA-256
//! values of `crates/necid-face/models.sha256` (the one list of pins, compiled in through
//! [`necid_server::engine::MODEL_PINS`]) before any of them is put in place. Everything here
//! blocks (processes, files): only the backend calls [`fetch`], on its blocking pool.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use necid_server::engine::{MODEL_PINS, MODELS_PACKAGE};
use sha2::Digest as _;

/// One pinned file of the package's `model/` folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The file's name in the models folder.
    pub file_name: String,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// The model files the engine loads, with their pinned SHA-256 (the pin list's demo photos
/// are for the engine's own tests, not for the console).
pub fn model_pins() -> Vec<Pin> {
    MODEL_PINS
        .lines()
        .filter_map(|line| line.split_once("  "))
        .filter(|(_, file_name)| !file_name.starts_with("demo/"))
        .map(|(sha256, file_name)| Pin {
            file_name: file_name.trim().to_owned(),
            sha256: sha256.trim().to_ascii_lowercase(),
        })
        .collect()
}

/// Whether every pinned model file is in `dir` (presence only: they were checked when
/// fetched, and the engine refuses a broken one when it loads).
pub fn has_models(dir: &Path) -> bool {
    model_pins()
        .iter()
        .all(|pin| dir.join(&pin.file_name).is_file())
}

/// The folders searched for models, first match wins: `$NECID_MODELS_DIR`; the user's data
/// folder (`$XDG_DATA_HOME`, else `~/.local/share`) and then each of `$XDG_DATA_DIRS` (else
/// `/usr/local/share:/usr/share`), each + `necid/models`; then beside the binary (`models/`
/// next to it, and `../share/necid/models` for a `PREFIX/bin` install).
pub fn search_path() -> Vec<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    search_path_from(
        |name| std::env::var_os(name),
        dirs::home_dir().as_deref(),
        exe_dir.as_deref(),
    )
}

/// [`search_path`] over a given environment, home and binary folder.
pub fn search_path_from(
    env: impl Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
    exe_dir: Option<&Path>,
) -> Vec<PathBuf> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let mut found = Vec::new();
    if let Some(dir) = set("NECID_MODELS_DIR") {
        found.push(PathBuf::from(dir));
    }
    let data_home = set("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|home| home.join(".local/share")));
    found.extend(data_home.map(|data| data.join("necid/models")));
    let data_dirs = set("XDG_DATA_DIRS").unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    found.extend(
        std::env::split_paths(&data_dirs)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join("necid/models")),
    );
    if let Some(exe_dir) = exe_dir {
        found.push(exe_dir.join("models"));
        found.push(exe_dir.join("../share/necid/models"));
    }
    found.dedup();
    found
}

/// Where the models are, or where a first run should put them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub dir: PathBuf,
    /// False: no folder of the search path has them; `dir` is where [`fetch`] would put them
    /// (the first of the search path: `$NECID_MODELS_DIR`, else the user's data folder).
    pub present: bool,
}

/// The first folder of `search_path` that holds the models, else the first folder.
pub fn locate(search_path: &[PathBuf]) -> Option<Located> {
    if let Some(dir) = search_path.iter().find(|dir| has_models(dir)) {
        return Some(Located {
            dir: dir.clone(),
            present: true,
        });
    }
    search_path.first().map(|dir| Located {
        dir: dir.clone(),
        present: false,
    })
}

/// How far a fetch has come, shared between the worker that fetches and the UI that shows it.
/// Clones share one state.
#[derive(Clone, Debug, Default)]
pub struct FetchProgress(Arc<Mutex<Option<FetchStep>>>);

/// One step of a fetch, as the UI shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchStep {
    /// What is happening, in words.
    pub what: String,
    /// How much of the whole fetch is done, 0 to 1.
    pub done: f32,
}

impl PartialEq for FetchProgress {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for FetchProgress {}

impl FetchProgress {
    /// The step now, while a fetch runs.
    pub fn step(&self) -> Option<FetchStep> {
        self.0.lock().ok().and_then(|step| step.clone())
    }

    fn set(&self, what: impl Into<String>, done: f32) {
        if let Ok(mut step) = self.0.lock() {
            *step = Some(FetchStep {
                what: what.into(),
                done,
            });
        }
    }

    fn clear(&self) {
        if let Ok(mut step) = self.0.lock() {
            *step = None;
        }
    }
}

/// Why the models could not be fetched. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error(
        "the face models are not installed, and npm (Node.js) is not here to fetch them: install \
         Node.js and npm (Debian: `sudo apt install npm`) and press Retry, or copy the models \
         into {dest}, or use “Choose folder…” to point at a folder that holds them"
    )]
    NoNpm { dest: PathBuf },
    #[error(
        "npm could not fetch {MODELS_PACKAGE} ({reason}): check the network and press Retry, or \
         use “Choose folder…” to point at a folder that holds the models"
    )]
    Npm { reason: String },
    #[error("the fetched package could not be unpacked ({reason})")]
    Unpack { reason: String },
    #[error(
        "{file_name} from {MODELS_PACKAGE} does not have its pinned SHA-256: nothing was \
         installed"
    )]
    Mismatch { file_name: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> FetchError {
    let what = what.into();
    move |source| FetchError::Io { what, source }
}

/// Fetches the models into `dest` with npm, checks each against its pin, and only then puts
/// them in place (each file written beside its final name and renamed). Blocks for as long
/// as the download takes.
pub fn fetch(dest: &Path, progress: &FetchProgress) -> Result<(), FetchError> {
    fetch_with(Path::new("npm"), dest, progress)
}

/// [`fetch`] with the npm program `npm` (a name looked up on `PATH`, or a path).
pub fn fetch_with(npm: &Path, dest: &Path, progress: &FetchProgress) -> Result<(), FetchError> {
    let outcome = fetch_steps(npm, dest, progress);
    progress.clear();
    outcome
}

fn fetch_steps(npm: &Path, dest: &Path, progress: &FetchProgress) -> Result<(), FetchError> {
    progress.set(
        format!("Fetching the face models ({MODELS_PACKAGE}) with npm…"),
        0.02,
    );
    match Command::new(npm).arg("--version").output() {
        Ok(output) if output.status.success() => {}
        _ => {
            return Err(FetchError::NoNpm {
                dest: dest.to_path_buf(),
            });
        }
    }
    std::fs::create_dir_all(dest).map_err(io(format!(
        "the models folder {} could not be made",
        dest.display()
    )))?;
    let staging = Staging::new(dest)?;

    let packed = Command::new(npm)
        .args(["pack", "--silent", MODELS_PACKAGE])
        .current_dir(&staging.dir)
        .output()
        .map_err(|error| FetchError::Npm {
            reason: error.to_string(),
        })?;
    if !packed.status.success() {
        return Err(FetchError::Npm {
            reason: last_line(&packed.stderr),
        });
    }
    let tarball = std::fs::read_dir(&staging.dir)
        .map_err(io("the download folder could not be read"))?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "tgz"))
        .ok_or_else(|| FetchError::Npm {
            reason: "npm pack gave no package file".to_owned(),
        })?;

    progress.set("Unpacking the face models…", 0.6);
    let unpacked = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&staging.dir)
        .arg("package/model")
        .output()
        .map_err(|error| FetchError::Unpack {
            reason: format!("tar: {error}"),
        })?;
    if !unpacked.status.success() {
        return Err(FetchError::Unpack {
            reason: last_line(&unpacked.stderr),
        });
    }

    let pins = model_pins();
    let model_dir = staging.dir.join("package/model");
    for (index, pin) in pins.iter().enumerate() {
        progress.set(
            format!(
                "Checking {} ({} of {})…",
                pin.file_name,
                index + 1,
                pins.len()
            ),
            0.65 + 0.3 * index as f32 / pins.len() as f32,
        );
        let staged = model_dir.join(&pin.file_name);
        if sha256_hex(&staged)? != pin.sha256 {
            return Err(FetchError::Mismatch {
                file_name: pin.file_name.clone(),
            });
        }
    }

    progress.set("Installing the face models…", 0.97);
    for pin in &pins {
        let target = dest.join(&pin.file_name);
        let partial = dest.join(format!("{}.partial", pin.file_name));
        std::fs::copy(model_dir.join(&pin.file_name), &partial)
            .and_then(|_| std::fs::rename(&partial, &target))
            .map_err(io(format!("{} could not be installed", pin.file_name)))?;
    }
    tracing::info!(dest = %dest.display(), files = pins.len(), "face models fetched and checked");
    Ok(())
}

/// The SHA-256 of a file, lower-case hex.
pub fn sha256_hex(path: &Path) -> Result<String, FetchError> {
    let mut file = std::fs::File::open(path).map_err(io(format!(
        "{} is missing from the package",
        path.file_name()
            .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
    )))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(io("a fetched model could not be read"))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map_or_else(|| "no message".to_owned(), |line| line.trim().to_owned())
}

/// A download folder beside the models folder (same file system, so nothing half-written ever
/// has a model's name), removed when dropped.
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn new(dest: &Path) -> Result<Self, FetchError> {
        let dir = dest.join(format!(".download-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(io("the download folder could not be made"))?;
        Ok(Self { dir })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pins_name_the_seven_models_and_their_manifests_but_not_the_demo_photos() {
        let pins = model_pins();
        assert_eq!(pins.len(), 14);
        assert!(pins.iter().all(|pin| pin.sha256.len() == 64));
        assert!(
            pins.iter()
                .any(|pin| pin.file_name == "ssd_mobilenetv1_model.bin")
        );
        assert!(pins.iter().all(|pin| !pin.file_name.starts_with("demo/")));
    }

    #[test]
    fn models_are_searched_in_the_override_the_xdg_data_folders_and_beside_the_binary() {
        let env = |name: &str| match name {
            "NECID_MODELS_DIR" => Some("/opt/models".into()),
            "XDG_DATA_HOME" => Some("/home/a/.data".into()),
            "XDG_DATA_DIRS" => Some("/usr/share/gnome:relative:/usr/share".into()),
            _ => None,
        };
        let found = search_path_from(env, Some(Path::new("/home/a")), Some(Path::new("/x/bin")));
        let expected: Vec<PathBuf> = [
            "/opt/models",
            "/home/a/.data/necid/models",
            "/usr/share/gnome/necid/models",
            "/usr/share/necid/models",
            "/x/bin/models",
            "/x/bin/../share/necid/models",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn without_xdg_variables_the_home_data_folder_and_the_usual_system_folders_are_searched() {
        let found = search_path_from(|_| None, Some(Path::new("/home/a")), None);
        let expected: Vec<PathBuf> = [
            "/home/a/.local/share/necid/models",
            "/usr/local/share/necid/models",
            "/usr/share/necid/models",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn without_npm_the_fetch_says_what_to_do_and_writes_nothing() {
        let root = tempfile::tempdir().expect("temp dir");
        let dest = root.path().join("models");
        let progress = FetchProgress::default();
        let error = fetch_with(&root.path().join("no-npm-here"), &dest, &progress)
            .expect_err("no npm, no models");
        assert!(matches!(error, FetchError::NoNpm { .. }));
        let message = error.to_string();
        assert!(message.contains("install Node.js and npm"), "{message}");
        assert!(message.contains("“Choose folder…”"), "{message}");
        assert!(message.contains(&dest.display().to_string()), "{message}");
        assert!(!dest.exists(), "nothing was made");
        assert_eq!(progress.step(), None, "the progress is cleared");
    }

    #[test]
    fn a_package_whose_files_differ_from_the_pins_is_refused_and_nothing_is_installed() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = tempfile::tempdir().expect("temp dir");
        // An npm that packs a package with the right file names and the wrong bytes.
        let names: Vec<String> = model_pins().into_iter().map(|pin| pin.file_name).collect();
        let npm = root.path().join("npm");
        std::fs::write(
            &npm,
            format!(
                "#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 10.0.0; exit 0; }}\n\
                 mkdir -p package/model && for f in {}; do echo tampered > package/model/$f; done\n\
                 tar -czf face-api-1.7.15.tgz package && rm -r package\n",
                names.join(" ")
            ),
        )
        .expect("the stand-in npm");
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let dest = root.path().join("models");
        let error = fetch_with(&npm, &dest, &FetchProgress::default()).expect_err("refused");
        assert!(
            matches!(&error, FetchError::Mismatch { file_name } if *file_name == names[0]),
            "{error}"
        );
        let left: Vec<_> = std::fs::read_dir(&dest).expect("dest").flatten().collect();
        assert!(
            left.is_empty(),
            "nothing installed, no download left: {left:?}"
        );
    }

    #[test]
    fn the_first_folder_with_every_model_wins_else_the_first_folder_is_the_target() {
        let root = tempfile::tempdir().expect("temp dir");
        let empty = root.path().join("empty");
        let partial = root.path().join("partial");
        let full = root.path().join("full");
        for dir in [&empty, &partial, &full] {
            std::fs::create_dir_all(dir).expect("dir");
        }
        for pin in model_pins() {
            std::fs::write(full.join(&pin.file_name), b"x").expect("file");
        }
        std::fs::write(partial.join("ssd_mobilenetv1_model.bin"), b"x").expect("file");
        let search = vec![empty.clone(), partial.clone(), full.clone()];
        assert_eq!(
            locate(&search),
            Some(Located {
                dir: full,
                present: true
            })
        );
        assert_eq!(
            locate(&search[..2]),
            Some(Located {
                dir: empty,
                present: false
            })
        );
    }
}
