//! The small faces in the Subjects list: the thumbnail this console kept of a subject's first
//! active event, enlarged on hover.
//!
//! The folder is listed once per listing of the gallery, so a list of 100,000 subjects asks
//! for the few files that exist, never a file per row; the textures are dropped when there are
//! too many (a long scroll), so memory stays bounded.

use std::collections::{HashMap, HashSet};

use necid::{EventId, EventStatus};

use super::list::SubjectGroup;
use crate::backend::{Command, FileCommand};
use crate::request::{Finished, Request};
use crate::thumbnails::Thumbnails;
use crate::ui::PaneContext;

/// Textures kept at most; past that, all are dropped and visible rows load theirs again.
const MAX_TEXTURES: usize = 256;

/// The thumbnails' textures, by event.
#[derive(Default)]
struct Textures(HashMap<EventId, egui::TextureHandle>);

impl std::fmt::Debug for Textures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Textures({})", self.0.len())
    }
}

#[derive(Debug, Default)]
pub(super) struct ListThumbnails {
    /// The events with a thumbnail on disk, and the gallery's version they were listed at.
    on_disk: Request<HashSet<EventId>>,
    listed_at: Option<u64>,
    loading: HashMap<EventId, Request<Option<egui::ColorImage>>>,
    textures: Textures,
}

impl ListThumbnails {
    /// Lists the thumbnails folder again when the gallery changed; takes loaded images.
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>, ctx: &egui::Context) {
        self.on_disk.poll();
        let version = cx.gallery_version();
        if self.listed_at != Some(version) && !self.on_disk.is_pending() {
            self.listed_at = Some(version);
            let thumbnails = Thumbnails::new(cx.data_dir);
            self.on_disk
                .read(cx.outbox, "listing the thumbnails", move |worker| {
                    worker.blocking("listing the thumbnails", move || Ok(thumbnails.event_ids()))
                });
        }
        if self.textures.0.len() > MAX_TEXTURES {
            self.textures.0.clear();
        }
        let mut done = Vec::new();
        for (event_id, request) in &mut self.loading {
            match request.poll() {
                Some(Finished::Succeeded(Some(image))) => {
                    let texture = ctx.load_texture(
                        format!("list-thumbnail-{}", event_id.as_str()),
                        image.clone(),
                        egui::TextureOptions::LINEAR,
                    );
                    self.textures.0.insert(event_id.clone(), texture);
                    done.push(event_id.clone());
                }
                Some(_) => done.push(event_id.clone()),
                None => {}
            }
        }
        for event_id in done {
            self.loading.remove(&event_id);
        }
    }

    /// The subject's thumbnail, asked for when it exists and is not loaded yet.
    pub(super) fn of(
        &mut self,
        outbox: &mut crate::backend::Outbox,
        group: &SubjectGroup,
    ) -> Option<egui::TextureHandle> {
        let on_disk = self.on_disk.data()?;
        let event_id = group
            .events
            .iter()
            .filter(|row| row.status == EventStatus::Active)
            .map(|row| &row.event_id)
            .find(|event_id| on_disk.contains(*event_id))?;
        if let Some(texture) = self.textures.0.get(event_id) {
            return Some(texture.clone());
        }
        if !self.loading.contains_key(event_id) {
            let request = self.loading.entry(event_id.clone()).or_default();
            let event_id = event_id.clone();
            request.send(outbox, |reply| {
                Command::Files(FileCommand::LoadThumbnail { event_id, reply })
            });
        }
        None
    }
}
