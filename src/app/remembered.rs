//! What the console remembers between starts (eframe's storage): the pane, the active profile,
//! the theme, the models folder, each profile's open gallery, each gallery's calibrated
//! threshold and the folder each file or folder picker was last used in. Nothing secret: a
//! gallery's API key stays in the keyring.

use serde::{Deserialize, Serialize};

use crate::backend::dialogs::Picker;
use crate::profiles::ProfileId;
use crate::ui::PaneId;
use crate::ui::settings::Theme;

/// What eframe remembers between starts. Nothing secret and no request state lives here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Remembered {
    pub pane: PaneId,
    pub active_profile_id: Option<ProfileId>,
    pub theme: Theme,
    /// The Local service's models folder when Settings overrides the default (not secret).
    pub models_dir: Option<std::path::PathBuf>,
    /// The gallery each profile had open, opened again on start and on switching back.
    pub open_galleries: Vec<RememberedGallery>,
    /// The search threshold applied to a gallery from a calibration, by gallery id.
    pub thresholds: std::collections::BTreeMap<String, u16>,
    /// The folder each picker was last used in, where its dialog opens next (not secret).
    pub last_folders: std::collections::BTreeMap<Picker, std::path::PathBuf>,
}

/// A profile's open gallery, as remembered (ids and a name: nothing secret; its API key stays
/// in the keyring).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedGallery {
    pub profile_id: ProfileId,
    pub gallery_id: necid::GalleryId,
    pub name: String,
}
