//! The panes, one module each, and what the shell hands them every frame.
//!
//! Every pane implements [`Pane`]: the shell draws whichever is selected through it and lets
//! every pane take its answers every frame ([`PaneId::poll`]), shown or not. A pane gets what it
//! may use through a [`PaneContext`]: where to send commands and API calls, the toasts, the
//! active connection and the open gallery with its tags ([`GalleryCache`], kept by the shell).

pub mod activity;
pub mod applications;
pub mod face;
pub mod galleries;
pub mod jobs;
pub mod plural;
pub mod settings;
pub mod subjects;
pub mod tags;
pub mod trust;

use serde::{Deserialize, Serialize};

use crate::backend::{InFlight, OpenedGallery, Outbox};
use crate::connection::{ActivityEntry, Connection, RequestInFlight};
use crate::error::UiError;
use crate::open_gallery::GalleryCache;
use crate::widgets::Toasts;

/// What the shell asks of every pane.
pub trait Pane {
    /// Which entry of the navigation it is (its title and shortcut).
    fn id(&self) -> PaneId;

    /// Draws the pane; only the selected one is drawn.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut PaneContext<'_>);

    /// Takes what finished in the background; called every frame for every pane, shown or
    /// not, so that work a pane started goes on while another is shown.
    fn poll(&mut self, _cx: &mut PaneContext<'_>) {}

    /// The open gallery was changed through the console (by any pane, this one included), so a
    /// pane can carry over what refers to it (a tag chosen under its old name). What a pane
    /// fetched of the gallery it lists again by itself, seeing [`PaneContext::gallery_version`]
    /// move; another gallery or another client it sees by their ids and
    /// [`Connection::generation`].
    fn on_gallery_change(&mut self, _change: &GalleryChange) {}
}

/// The left navigation's entries, in order; `Ctrl+1` … `Ctrl+9` select them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaneId {
    #[default]
    Galleries,
    Applications,
    Subjects,
    Tags,
    Face,
    Jobs,
    Activity,
    Settings,
    Trust,
}

impl PaneId {
    pub const ALL: [PaneId; 9] = [
        PaneId::Galleries,
        PaneId::Applications,
        PaneId::Subjects,
        PaneId::Tags,
        PaneId::Face,
        PaneId::Jobs,
        PaneId::Activity,
        PaneId::Settings,
        PaneId::Trust,
    ];

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            PaneId::Galleries => "Galleries",
            PaneId::Applications => "Applications",
            PaneId::Subjects => "Subjects",
            PaneId::Tags => "Tags",
            PaneId::Face => "Face",
            PaneId::Jobs => "Jobs",
            PaneId::Activity => "Activity",
            PaneId::Settings => "Settings",
            PaneId::Trust => "Trust",
        }
    }

    /// The digit key of its shortcut.
    pub fn shortcut_key(self) -> egui::Key {
        match self {
            PaneId::Galleries => egui::Key::Num1,
            PaneId::Applications => egui::Key::Num2,
            PaneId::Subjects => egui::Key::Num3,
            PaneId::Tags => egui::Key::Num4,
            PaneId::Face => egui::Key::Num5,
            PaneId::Jobs => egui::Key::Num6,
            PaneId::Activity => egui::Key::Num7,
            PaneId::Settings => egui::Key::Num8,
            PaneId::Trust => egui::Key::Num9,
        }
    }

    pub fn shortcut(self) -> egui::KeyboardShortcut {
        egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, self.shortcut_key())
    }
}

/// What a pane asks of the shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellAction {
    /// Make this gallery the one the gallery-scoped panes work on (its id, and its name for
    /// the messages).
    OpenGallery(necid::GalleryId, String),
    /// This gallery is gone; stop using it.
    ForgetGallery(necid::GalleryId),
    /// Build the active profile's client again.
    Reconnect,
    /// Something of the open gallery changed: what the panes show of it is fetched again.
    GalleryChanged(GalleryChange),
    /// Open Subjects' enrolment form for this image (one face cut out of a group photo).
    Enrol(crate::backend::files::ImageSource),
    /// Make this the console's search threshold for the gallery (from a calibration).
    ApplyThreshold(necid::GalleryId, u16),
    /// Show this subject of the open gallery in Subjects (a search candidate's link).
    ShowSubject(necid::SubjectId),
}

/// What a pane changed in the open gallery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GalleryChange {
    /// A tag was created or deleted (or the list is to be fetched again).
    Tags,
    /// A tag was renamed: what was chosen under the old name goes by the new one.
    TagRenamed {
        from: necid::TagName,
        to: necid::TagName,
    },
    /// A subject or an event was enrolled, replaced or unregistered.
    Subjects,
    /// Subjects were given these names (an empty name removes one); see
    /// [`PaneContext::name_subjects`].
    Named(Vec<(necid::SubjectId, String)>),
}

/// The active profile's connection as the panes see it.
#[derive(Clone, Copy, Debug)]
pub enum ConnectionState<'a> {
    NoProfile,
    Connecting,
    Failed(&'a UiError),
    Ready(&'a Connection),
}

/// What every pane may use while drawing: where to send commands and where to report.
#[derive(Debug)]
pub struct PaneContext<'a> {
    pub outbox: &'a mut Outbox,
    pub toasts: &'a mut Toasts,
    pub actions: &'a mut Vec<ShellAction>,
    pub connection: ConnectionState<'a>,
    /// The Local profile's client when the console runs a Local service and it is ready,
    /// whichever profile is active: work that should not cost a cloud tenant calls (the
    /// threshold calibration) runs there by default.
    pub local: Option<&'a Connection>,
    /// The gallery opened in Galleries, with its API key and its tags.
    pub gallery: Option<&'a GalleryCache>,
    /// Set while the shell is opening a gallery.
    pub opening_gallery: bool,
    /// The console's data folder (thumbnails live under it); for paths handed to commands,
    /// never read here.
    pub data_dir: &'a std::path::Path,
    /// What only the Activity and Settings panes use of the shell; `None` when a pane is drawn
    /// on its own (tests, benches).
    pub shell: Option<ShellParts<'a>>,
}

/// The shell's own state that the Activity and Settings panes show and change.
#[derive(Debug)]
pub struct ShellParts<'a> {
    /// Every request made since start, oldest first.
    pub activity: &'a [ActivityEntry],
    /// The commands running now.
    pub in_flight: &'a InFlight,
    /// The requests sent and not ended yet.
    pub requests_in_flight: &'a std::collections::BTreeMap<necid::RequestId, RequestInFlight>,
    pub settings: settings::SettingsShell<'a>,
}

impl PaneContext<'_> {
    /// The connection, or a line saying why there is none (with a Retry where it helps).
    pub fn connection_ui(&mut self, ui: &mut egui::Ui) -> Option<Connection> {
        match self.connection {
            ConnectionState::Ready(connection) => Some(connection.clone()),
            ConnectionState::NoProfile => {
                ui.label("No profile is active: create one in Settings.");
                None
            }
            ConnectionState::Connecting => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Connecting…");
                });
                None
            }
            ConnectionState::Failed(error) => {
                let mut error = error.clone();
                error.retryable = true;
                if crate::widgets::error_label(ui, &error) {
                    self.actions.push(ShellAction::Reconnect);
                }
                None
            }
        }
    }

    /// The open gallery's tags as the shell last fetched them (none before the first answer).
    pub fn tags(&self) -> &[necid::TagName] {
        self.gallery.map_or(&[], |g| g.tag_names())
    }

    /// The console's search threshold for the open gallery: a calibrated one applied to it,
    /// else 7000.
    pub fn threshold(&self) -> necid::MatchScore {
        self.gallery
            .and_then(GalleryCache::threshold)
            .unwrap_or(necid::MatchScore::DEFAULT_THRESHOLD)
    }

    /// The open gallery's version (see [`GalleryCache::version`]); 0 with no gallery.
    pub fn gallery_version(&self) -> u64 {
        self.gallery.map_or(0, |g| g.version())
    }

    /// Tells the shell that this pane changed the open gallery, so every pane sees it.
    pub fn gallery_changed(&mut self, change: GalleryChange) {
        self.actions.push(ShellAction::GalleryChanged(change));
    }

    /// The open gallery's subject names (none with no gallery).
    pub fn names(&self) -> Option<&crate::subject_names::SubjectNames> {
        self.gallery.map(|g| g.names())
    }

    /// The name the console gives a subject of the open gallery.
    pub fn subject_name(&self, subject_id: &necid::SubjectId) -> Option<&str> {
        self.gallery.and_then(|g| g.names().get(subject_id))
    }

    /// Gives subjects of the open gallery their names (an empty name removes one); every pane
    /// sees them on the next frame and the console keeps them for this profile and gallery.
    pub fn name_subjects(&mut self, names: Vec<(necid::SubjectId, String)>) {
        if !names.is_empty() {
            self.gallery_changed(GalleryChange::Named(names));
        }
    }

    /// Names a subject just enrolled from an image after the image's path
    /// (`barack_obama_2.jpg` is “Barack Obama”, `obama/1.jpg` is “Obama”), unless it has a
    /// name already. The Subjects pane calls it when an enrolment of a new subject succeeds.
    pub fn name_enrolled_subject(&mut self, subject_id: &necid::SubjectId, image_path: &str) {
        if self.subject_name(subject_id).is_some() {
            return;
        }
        let name = crate::subject_names::name_from_file(image_path);
        if !name.is_empty() {
            self.name_subjects(vec![(subject_id.clone(), name)]);
        }
    }

    /// The opened gallery, or a line saying how to open one.
    pub fn gallery_ui(&mut self, ui: &mut egui::Ui) -> Option<OpenedGallery> {
        self.connection_ui(ui)?;
        match self.gallery {
            Some(gallery) => Some(gallery.opened().clone()),
            None if self.opening_gallery => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Opening the gallery…");
                });
                None
            }
            None => {
                ui.label("Open a gallery in Galleries first: this pane works on one gallery.");
                None
            }
        }
    }
}

/// A pane's title line and one sentence on what it is for.
pub fn pane_header(ui: &mut egui::Ui, title: &str, purpose: &str) {
    ui.heading(title);
    ui.label(egui::RichText::new(purpose).weak());
    ui.separator();
}
