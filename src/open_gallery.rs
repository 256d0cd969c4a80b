//! What several panes show of the open gallery, kept once by the shell: the gallery itself and
//! its tags.
//!
//! Subjects, Face, Jobs and Tags all show the gallery's tags. Each fetching them on its own left
//! the others stale after a change (a tag renamed in Tags still showed its old name in the
//! enrolment form). Here the shell owns one list, fetched once per change; a pane that changes
//! the gallery (a tag created, renamed or deleted, a subject enrolled or unregistered) says so
//! with [`crate::ui::PaneContext::gallery_changed`], the shell [`GalleryCache::invalidate`]s
//! the list and bumps the [`GalleryCache::version`], and every pane that keeps something of the
//! gallery (the subject list, a subject's events) sees the new version and asks again. The
//! tags keep showing while the new list is on its way, so nothing flickers.

use std::ops::Deref;

use necid::TagName;

use crate::backend::{OpenedGallery, Outbox};
use crate::request::Request;
use crate::ui::GalleryChange;

/// The open gallery and its tags.
#[derive(Debug)]
pub struct GalleryCache {
    opened: OpenedGallery,
    tags: Request<Vec<TagName>>,
    /// Counts the changes made through the console since the gallery was opened.
    version: u64,
    /// The tags are to be fetched again.
    stale: bool,
    /// The console's search threshold for this gallery, when a calibration was applied to it.
    threshold: Option<necid::MatchScore>,
}

impl GalleryCache {
    pub fn new(opened: OpenedGallery) -> Self {
        Self {
            opened,
            tags: Request::new(),
            version: 0,
            stale: true,
            threshold: None,
        }
    }

    /// The search threshold applied to this gallery from a calibration, if any.
    pub fn threshold(&self) -> Option<necid::MatchScore> {
        self.threshold
    }

    /// Makes `threshold` the console's search threshold for this gallery.
    pub fn set_threshold(&mut self, threshold: Option<necid::MatchScore>) {
        self.threshold = threshold;
    }

    pub fn opened(&self) -> &OpenedGallery {
        &self.opened
    }

    /// The gallery's tags, as last fetched (and whether a fetch is on its way or failed).
    pub fn tags(&self) -> &Request<Vec<TagName>> {
        &self.tags
    }

    /// The tags, or none while the first list has not arrived.
    pub fn tag_names(&self) -> &[TagName] {
        self.tags.data().map_or(&[], Vec::as_slice)
    }

    /// Changes when anything of the gallery changed through the console: what a pane fetched at
    /// another version is stale.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Something changed: panes see a new version, and a change of tags fetches them again.
    pub fn invalidate(&mut self, change: &GalleryChange) {
        self.version += 1;
        if matches!(
            change,
            GalleryChange::Tags | GalleryChange::TagRenamed { .. }
        ) {
            self.stale = true;
        }
    }

    /// Takes the tags' answer and asks again when they are stale; once per frame.
    pub fn update(&mut self, outbox: &mut Outbox) {
        self.tags.poll();
        if self.stale {
            self.stale = false;
            let gallery = self.opened.gallery.clone();
            self.tags
                .read(outbox, "listing the tags", move |_| async move {
                    gallery.tags().await
                });
        }
    }
}

impl Deref for GalleryCache {
    type Target = OpenedGallery;

    fn deref(&self) -> &OpenedGallery {
        &self.opened
    }
}
