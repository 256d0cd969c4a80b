//! Where the console keeps its files.
//!
//! Every file the console writes lives under one of these two folders, so a test can point
//! them at a temporary directory and check what was written (and that no secret was).

use std::path::{Path, PathBuf};

use necid::GalleryId;

use crate::profiles::ProfileId;

/// The folder name under the OS config and data directories.
const DIR_NAME: &str = "necid-console";

/// The console's config folder (profiles) and data folder (window state, thumbnails, local
/// service data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppPaths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl AppPaths {
    /// The OS folders: on Linux `$XDG_CONFIG_HOME` and `$XDG_DATA_HOME`, falling back to
    /// `$HOME/.config` and `$HOME/.local/share`, so a fresh `HOME` is a fresh start.
    pub fn from_os() -> anyhow::Result<Self> {
        let config = dirs::config_dir()
            .ok_or_else(|| anyhow::anyhow!("no config directory: set HOME or XDG_CONFIG_HOME"))?;
        let data = dirs::data_dir()
            .ok_or_else(|| anyhow::anyhow!("no data directory: set HOME or XDG_DATA_HOME"))?;
        Ok(Self {
            config_dir: config.join(DIR_NAME),
            data_dir: data.join(DIR_NAME),
        })
    }

    /// Both folders under one root (`root/config`, `root/data`); for tests.
    pub fn under(root: &Path) -> Self {
        Self {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
        }
    }

    /// The non-secret profile list.
    pub fn profiles_file(&self) -> PathBuf {
        self.config_dir.join("profiles.json")
    }

    /// eframe's persisted window and UI state.
    pub fn eframe_state_file(&self) -> PathBuf {
        self.data_dir.join("app.ron")
    }
}

/// The file of one gallery of one profile in `folder` under the data folder:
/// `<data_dir>/<folder>/<profile>/<gallery>.json`.
pub fn gallery_file(
    data_dir: &Path,
    folder: &str,
    profile_id: &ProfileId,
    gallery_id: &GalleryId,
) -> PathBuf {
    data_dir
        .join(folder)
        .join(file_safe(profile_id.as_str()))
        .join(format!("{}.json", file_safe(gallery_id.as_str())))
}

/// `text` (an id, most often a server's) as a file name: every character but ASCII letters,
/// digits, `-` and `_` becomes `_`.
pub fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The text of the file at `path`, or none when there is no such file (nothing kept yet).
pub fn read_if_present(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Writes `bytes` to `path` in one step as readers see it: into `<path>.tmp` beside it, renamed
/// over the old file, its folder created first. A crash midway leaves the old file whole.
pub fn write_replacing(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
