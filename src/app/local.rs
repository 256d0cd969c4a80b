//! The Local profile's service as the shell runs it: started at the first frame (fetching its
//! models on a first run), restarted when Settings or the top bar chooses another models folder,
//! and its status in the top bar.

use crate::backend::Command;
use crate::local::{LocalService, LocalSettings};
use crate::profiles::{ProfileId, ProfileKind};
use crate::request::Request;

use super::ConsoleApp;

impl ConsoleApp {
    /// Also runs the Local profile's service (`crates/necid-server`, in-process on 127.0.0.1),
    /// with its face models from `default_models_dir` unless Settings chose another folder. On
    /// a first start the Local profile is added first and made active.
    pub fn with_local_service(mut self, default_models_dir: std::path::PathBuf) -> Self {
        let existing = self
            .book
            .profiles()
            .iter()
            .find(|p| p.kind == ProfileKind::Local)
            .map(|p| p.profile_id.clone());
        let profile_id = match existing {
            Some(profile_id) => profile_id,
            None => {
                let first_start = self.book.is_first_start();
                let profile = crate::profiles::Profile::local();
                let profile_id = profile.profile_id.clone();
                self.book.insert_first(profile, &mut self.outbox);
                if first_start {
                    self.remembered.active_profile_id = Some(profile_id.clone());
                }
                profile_id
            }
        };
        let models_dir = self
            .remembered
            .models_dir
            .clone()
            .unwrap_or_else(|| default_models_dir.clone());
        self.default_models_dir = Some(default_models_dir);
        self.local = Some(LocalSettings {
            profile_id,
            console_data_dir: self.backend.paths().data_dir.clone(),
            models_dir,
            fetch_models: false,
            models_progress: crate::models::FetchProgress::default(),
        });
        self
    }

    /// Lets the Local service fetch its models (npm, checked by SHA-256) into the default
    /// folder when they are not there: the first run of an installed console. Not into a folder
    /// Settings chose.
    pub fn fetching_missing_models(mut self) -> Self {
        self.fetch_default_models = true;
        if let Some(local) = &mut self.local {
            local.fetch_models = self.remembered.models_dir.is_none();
        }
        self
    }

    /// The Local service, once it runs.
    pub fn local_service(&self) -> Option<&LocalService> {
        self.local_service.data()
    }

    /// The Local service's status as the top bar shows it, if the console runs one.
    pub fn local_status(&self) -> Option<String> {
        self.local.as_ref()?;
        Some(if self.local_service.is_pending() {
            self.local
                .as_ref()
                .and_then(|local| local.models_progress.step())
                .map_or_else(|| "Loading face models…".to_owned(), |step| step.what)
        } else if let Some(error) = self.local_service.error() {
            format!("Local service failed: {}", error.message)
        } else if let Some(service) = self.local_service.data() {
            if service.rekeyed {
                "Local service ready (its keys were missing from the OS keyring, so it has new \
                 ones; the galleries are kept)"
                    .to_owned()
            } else {
                "Local service ready".to_owned()
            }
        } else {
            "Local service not started".to_owned()
        })
    }

    /// Restarts the Local service when its models folder changed: in Settings, or chosen with
    /// the top bar's "Choose folder…" after a failed start.
    pub(super) fn follow_models_folder(&mut self) {
        if let Some(folder) = self.models_folder.poll() {
            self.remembered.models_dir = Some(folder);
        }
        let Some(local) = &mut self.local else {
            return;
        };
        let wanted =
            (self.remembered.models_dir.clone()).or_else(|| self.default_models_dir.clone());
        if let Some(wanted) = wanted
            && wanted != local.models_dir
        {
            local.models_dir = wanted;
            local.fetch_models = self.fetch_default_models && self.remembered.models_dir.is_none();
            self.start_local();
        }
    }

    /// (Re)starts the Local service with the current settings.
    pub(super) fn start_local(&mut self) {
        let Some(settings) = self.local.clone() else {
            return;
        };
        self.connections.remove(&settings.profile_id);
        if self
            .gallery
            .as_ref()
            .is_some_and(|(opened_on, _)| opened_on.profile_id == settings.profile_id)
        {
            self.gallery = None;
        }
        self.local_service.reset();
        self.local_service
            .send(&mut self.outbox, |reply| Command::StartLocal {
                settings,
                reply,
            });
    }

    /// Why the Local service is not running, when the active profile is Local and it failed.
    pub(super) fn local_failure(&self) -> Option<&crate::error::UiError> {
        local_failure(
            self.remembered.active_profile_id.as_ref(),
            self.local.as_ref(),
            &self.local_service,
        )
    }
}

/// Why the Local service is not running, when `active` is the Local profile and it failed.
pub(super) fn local_failure<'a>(
    active: Option<&ProfileId>,
    local: Option<&LocalSettings>,
    service: &'a Request<LocalService>,
) -> Option<&'a crate::error::UiError> {
    if local?.profile_id != *active? || service.is_pending() {
        return None;
    }
    service.error()
}
