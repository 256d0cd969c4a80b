//! What several panes show of the open gallery, kept once by the shell: the gallery itself, its
//! tags and the names the console gives its subjects.
//!
//! Subjects, Face, Jobs and Tags all show the gallery's tags. Each fetching them on its own left
//! the others stale after a change (a tag renamed in Tags still showed its old name in the
//! enrolment form). Here the shell owns one list, fetched once per change; a pane that changes
//! the gallery (a tag created, renamed or deleted, a subject enrolled or unregistered) says so
//! with [`crate::ui::PaneContext::gallery_changed`], the shell [`GalleryCache::invalidate`]s
//! the list and bumps the [`GalleryCache::version`], and every pane that keeps something of the
//! gallery (the subject list, a subject's events) sees the new version and asks again. The
//! tags keep showing while the new list is on its way, so nothing flickers.
//!
//! The subjects' names ([`SubjectNames`]) change the same way, as a
//! [`GalleryChange::Named`]: every pane reads them from here each frame, so a name given in
//! Subjects, on enrolment or by a bulk job shows at once in Subjects and in Face's search. A
//! change of names does not move the gallery's version (nothing is to be listed again); it
//! moves [`GalleryCache::names_version`] and the names file is written in the background.

use std::ops::Deref;

use std::path::PathBuf;

use necid::TagName;

use crate::backend::{OpenedGallery, Outbox};
use crate::request::{Finished, Request};
use crate::subject_names::SubjectNames;
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
    names: SubjectNames,
    /// Where the names are kept; `None` keeps them in memory only.
    names_file: Option<PathBuf>,
    names_load: Request<SubjectNames>,
    names_save: Request<()>,
    /// The names changed since they were last written.
    names_unsaved: bool,
    names_version: u64,
}

impl GalleryCache {
    pub fn new(opened: OpenedGallery) -> Self {
        Self {
            opened,
            tags: Request::new(),
            version: 0,
            stale: true,
            threshold: None,
            names: SubjectNames::default(),
            names_file: None,
            names_load: Request::new(),
            names_save: Request::new(),
            names_unsaved: false,
            names_version: 0,
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

    /// Keeps the subjects' names in `file` (read when the gallery opens, written on change).
    pub fn keeping_names_in(mut self, file: PathBuf) -> Self {
        self.names_file = Some(file);
        self
    }

    /// The names the console gives the gallery's subjects.
    pub fn names(&self) -> &SubjectNames {
        &self.names
    }

    /// Changes whenever a name is given, changed or removed (or the names file was read).
    pub fn names_version(&self) -> u64 {
        self.names_version
    }

    /// True while the names file is being read or written.
    pub fn names_busy(&self) -> bool {
        self.names_load.is_pending() || self.names_save.is_pending() || self.names_unsaved
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
        if let GalleryChange::Named(names) = change {
            for (subject_id, name) in names {
                self.names.set(subject_id.clone(), name);
            }
            self.names_version += 1;
            self.names_unsaved = true;
            return;
        }
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
        self.update_names(outbox);
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

impl GalleryCache {
    /// Reads the names file once, then writes it after every change (one write at a time).
    fn update_names(&mut self, outbox: &mut Outbox) {
        let Some(file) = self.names_file.clone() else {
            return;
        };
        match self.names_load.poll() {
            Some(Finished::Succeeded(loaded)) => {
                // Names given while the file was being read win over the file's.
                let mut loaded = loaded.clone();
                for (subject_id, name) in self.names.iter() {
                    loaded.set(subject_id.clone(), name);
                }
                self.names = loaded;
                self.names_version += 1;
            }
            Some(Finished::Failed(error)) => {
                tracing::warn!(%error, "the subject names were not read");
            }
            None => {}
        }
        if let Some(Finished::Failed(error)) = self.names_save.poll() {
            tracing::warn!(%error, "the subject names were not written");
        }
        if self.names_load.is_not_requested() {
            let path = file.clone();
            self.names_load
                .read(outbox, "reading the subject names", move |worker| {
                    worker.blocking("reading the subject names", move || {
                        Ok(SubjectNames::load(&path)?)
                    })
                });
            return;
        }
        if self.names_unsaved && !self.names_load.is_pending() && !self.names_save.is_pending() {
            self.names_unsaved = false;
            let names = self.names.clone();
            self.names_save
                .write(outbox, "saving the subject names", move |worker| {
                    worker.blocking("saving the subject names", move || Ok(names.save(&file)?))
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
