//! How the shell keeps the active profile's client and the open gallery current: it builds a
//! client when the profile has none or changed, carries out what the panes asked
//! ([`ShellAction`]), and keeps the open gallery on the profile's current client.

use crate::backend::Command;
use crate::connection::Connection;
use crate::profiles::ProfileKind;
use crate::ui::{ConnectionState, ShellAction};

use super::ConsoleApp;

impl ConsoleApp {
    /// Starts building the active profile's client if there is none, or if the profile
    /// changed since it was built.
    pub(super) fn connect_active(&mut self) {
        let Some(mut profile) = self
            .remembered
            .active_profile_id
            .as_ref()
            .and_then(|id| self.book.find(id))
            .cloned()
        else {
            return;
        };
        let mut bucket_dir = None;
        if profile.kind == ProfileKind::Local {
            // The Local profile's address is wherever its service runs this time; its bulk
            // jobs read from the service's bucket folder.
            let Some(service) = self.local_service.data() else {
                return;
            };
            profile.api_base_url = service.base_url.clone();
            profile.portal_base_url = service.base_url.clone();
            bucket_dir = Some(service.bucket_dir.clone());
        }
        let request = self
            .connections
            .entry(profile.profile_id.clone())
            .or_default();
        let stale = request.data().is_some_and(|c| c.profile != profile);
        if request.is_not_requested() || (stale && !request.is_pending()) {
            if stale {
                request.reset();
            }
            let activity = self.activity_sender.clone();
            self.connection_generation += 1;
            let generation = self.connection_generation;
            request.send(&mut self.outbox, |reply| Command::Connect {
                profile,
                generation,
                activity,
                bucket_dir,
                reply,
            });
        }
    }

    pub(super) fn apply_actions(&mut self) {
        for action in std::mem::take(&mut self.actions) {
            match action {
                ShellAction::Reconnect => {
                    if let Some(id) = &self.remembered.active_profile_id {
                        self.connections.remove(id);
                    }
                    if self.local_failure().is_some() {
                        self.start_local();
                    }
                }
                ShellAction::ForgetGallery(gallery_id) => {
                    self.remembered
                        .open_galleries
                        .retain(|g| g.gallery_id != gallery_id);
                    if let Some((_, gallery)) = &self.gallery
                        && gallery.gallery_id == gallery_id
                    {
                        self.toasts.info(format!(
                            "“{}” was the open gallery: no gallery is open now. Open one in \
                             Galleries.",
                            gallery.name
                        ));
                        self.gallery = None;
                    }
                }
                ShellAction::ShowSubject(subject_id) => {
                    self.remembered.pane = crate::ui::PaneId::Subjects;
                    self.panes.subjects.select(subject_id);
                }
                ShellAction::GalleryChanged(change) => {
                    if let Some((_, gallery)) = &mut self.gallery {
                        gallery.invalidate(&change);
                    }
                    for pane in self.panes.all() {
                        pane.on_gallery_change(&change);
                    }
                }
                ShellAction::Enrol(source) => {
                    self.panes.subjects.enrol_image(source);
                    self.remembered.pane = crate::ui::PaneId::Subjects;
                }
                ShellAction::ApplyThreshold(gallery_id, threshold) => {
                    let threshold = necid::MatchScore::new(threshold);
                    self.remembered.thresholds.insert(
                        gallery_id.as_str().to_owned(),
                        threshold.map_or(0, |t| t.get()),
                    );
                    if let Some((_, gallery)) = &mut self.gallery
                        && gallery.gallery_id == gallery_id
                    {
                        gallery.set_threshold(threshold);
                    }
                    self.toasts
                        .info("The calibrated threshold is the gallery's search threshold now.");
                }
                ShellAction::OpenGallery(gallery_id, name) => {
                    if let ConnectionState::Ready(connection) = self.active_connection() {
                        let connection = connection.clone();
                        self.opening_name = Some(name);
                        self.open_gallery_on(connection, gallery_id);
                    }
                }
            }
        }
    }

    /// Remembers `opened` as the gallery `profile_id` has open.
    pub(super) fn remember_gallery(
        &mut self,
        profile_id: &crate::profiles::ProfileId,
        opened: &crate::backend::OpenedGallery,
    ) {
        self.remembered
            .open_galleries
            .retain(|g| &g.profile_id != profile_id);
        self.remembered
            .open_galleries
            .push(super::RememberedGallery {
                profile_id: profile_id.clone(),
                gallery_id: opened.gallery_id.clone(),
                name: opened.name.clone(),
            });
    }

    /// Opens the gallery the active profile had open, once each time the profile becomes the
    /// active one (on start, and on switching back to it).
    pub(super) fn restore_gallery(&mut self) {
        let ConnectionState::Ready(connection) = self.active_connection() else {
            return;
        };
        let key = (connection.profile_id.clone(), connection.generation);
        if self.restored_for.as_ref() == Some(&key) {
            return;
        }
        let connection = connection.clone();
        self.restored_for = Some(key);
        if self.gallery.is_some() || self.opening_gallery.is_pending() {
            return;
        }
        let Some(remembered) = self
            .remembered
            .open_galleries
            .iter()
            .find(|g| g.profile_id == connection.profile_id)
            .cloned()
        else {
            return;
        };
        self.opening_name = Some(remembered.name);
        self.open_gallery_on(connection, remembered.gallery_id);
    }

    pub(super) fn open_gallery_on(&mut self, connection: Connection, gallery_id: necid::GalleryId) {
        self.opening_on = Some(connection.clone());
        self.opening_gallery
            .send(&mut self.outbox, |reply| Command::OpenGallery {
                connection,
                gallery_id,
                reply,
            });
    }

    /// Keeps the open gallery on the active profile's current client. Another profile closes
    /// it; the same profile pointed at other servers closes it and says so; the same servers
    /// with other keys or region open it again through the new client (which checks that the
    /// gallery is there for those keys), so no request goes out with the old client.
    pub(super) fn follow_profile(&mut self) {
        let Some((opened_on, _)) = &self.gallery else {
            return;
        };
        if Some(&opened_on.profile_id) != self.remembered.active_profile_id.as_ref() {
            self.gallery = None;
            return;
        }
        let ConnectionState::Ready(current) = self.active_connection() else {
            // Reconnecting: the panes get no gallery until the new client is ready.
            return;
        };
        if current.generation == opened_on.generation {
            return;
        }
        let current = current.clone();
        let Some((opened_on, gallery)) = self.gallery.take() else {
            return;
        };
        if current.same_servers(&opened_on) {
            tracing::info!("the profile's keys or region changed: opening the gallery again");
            self.opening_name = Some(gallery.name.clone());
            self.open_gallery_on(current, gallery.gallery_id.clone());
        } else {
            let servers = if current.profile.kind == ProfileKind::Local {
                "another Local service".to_owned()
            } else {
                current.profile.api_base_url.clone()
            };
            self.toasts.info(format!(
                "Profile “{}” now points to {servers}: the open gallery “{}” was closed.",
                current.profile.name, gallery.name
            ));
            // The gallery belongs to the old servers: it is not opened again on the new ones.
            self.remembered
                .open_galleries
                .retain(|g| g.profile_id != current.profile_id);
            self.restored_for = Some((current.profile_id.clone(), current.generation));
        }
    }
}
