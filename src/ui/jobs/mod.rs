//! The Jobs pane: bulk registration from a folder of images. This file chooses the folder and
//! starts the job; the job itself is in `job.rs`, its results in `results.rs` (their rows and
//! CSV in `records.rs`), the gallery's earlier batches in `history.rs`.
//!
//! Choose or type a folder; its images (and those of its direct subfolders, the
//! one-folder-per-identity layout) are listed. For the Local profile they are copied into the
//! service's bucket folder; for a remote profile the pane says how to upload them to the
//! tenant's S3 bucket instead. Then a bulk job registers them: its progress is polled about
//! once a second, its records (paged by `lastEvaluatedKey`) fill a table with each failure's
//! reason, and the results can be exported as CSV. The job lives in the pane, so it is still
//! shown after switching panes.
//!
//! Every batch started from the console is kept ([`crate::job_history`]), so an earlier one can
//! be shown again, and a folder is not registered twice by accident: while a job from it runs
//! in the gallery, starting it again is refused; once it has run, the pane asks first.
//! Files of the folder that are not images are named, and are rows of the CSV.
//!
//! The API gives every registered face a new subject id (a bulk registration carries only a
//! file name and tags), so the identity a file stands for, its file stem or its folder's name,
//! is kept by the console beside the service's subject id, in the table and in the CSV.

mod duplicates;
mod history;
mod job;
mod records;
mod results;
mod start;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use egui::{RichText, Ui};
use necid::{BatchId, GalleryId, TagName};

use super::{ConnectionState, GalleryChange, Pane, PaneContext, PaneId, pane_header};
use crate::backend::dialogs::Picker;
use crate::backend::files::{BucketCopy, FolderListing};
use crate::backend::{Command, FileCommand};
use crate::job_history::KeptBatch;
use crate::request::{Finished, Request};
use crate::widgets::ConfirmSlot;
use crate::widgets::error_label;
use crate::widgets::tag_chips::{carry_rename, tag_chips};

pub use duplicates::{FileCheck, FileMatch};
pub use job::JobRecords;
use job::{Job, JobPlan};
use records::skipped_summary;
pub use records::{IdentityFrom, JobFile};

/// The Jobs pane's view state.
#[derive(Debug, Default)]
pub struct JobsPane {
    folder: String,
    pick: Request<Option<PathBuf>>,
    /// The folder field takes the keyboard on the next frame (no dialog could open).
    focus_folder: bool,
    listing: Request<FolderListing>,
    /// The folder `listing` is of.
    listed_folder: String,
    /// The listed files searched in the gallery before a job.
    duplicates: duplicates::FolderCheck,
    identity: IdentityFrom,
    /// The gallery `tags_on` are of.
    tags_for: Option<GalleryId>,
    tags_on: BTreeSet<TagName>,
    copy: Request<Vec<BucketCopy>>,
    copied: Arc<AtomicUsize>,
    copy_total: usize,
    /// The gallery the copy was made for (id and name) and what the job registers: the job
    /// starts in it when the copy is done, through the handle the shell holds then.
    copy_for: Option<(GalleryId, String, JobPlan)>,
    /// The job shown: the one started last, or an earlier batch chosen again.
    job: Option<Job>,
    /// The batches started from this console, per profile and gallery.
    history: history::Histories,
    /// A folder registered before, waiting for the user's yes to register it again.
    again: ConfirmSlot<KeptBatch>,
    /// Why the last Start was refused.
    refusal: Option<String>,
    export: Request<Option<PathBuf>>,
    export_path: String,
    write: Request<PathBuf>,
    /// For a remote bucket: the prefix the user uploaded the folder under.
    key_prefix: String,
}

impl Pane for JobsPane {
    fn id(&self) -> PaneId {
        PaneId::Jobs
    }

    /// A job goes on, and its progress is followed, whichever pane is shown.
    fn poll(&mut self, cx: &mut PaneContext<'_>) {
        self.poll_answers(cx);
    }

    fn on_gallery_change(&mut self, change: &GalleryChange) {
        if let GalleryChange::TagRenamed { from, to } = change {
            carry_rename(&mut self.tags_on, from, to);
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Jobs",
            "Bulk registration: every image of a folder enrolled by a background job.",
        );
        // A small window scrolls the pane rather than hide its lower part.
        egui::ScrollArea::vertical()
            .id_salt("jobs_pane")
            .auto_shrink([false, false])
            .show(ui, |ui| self.body_ui(ui, cx));
    }
}

impl JobsPane {
    fn body_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if let Some(file) = history::open_gallery_file(cx) {
            self.history.want(&file);
            let shown = self.job.as_ref().and_then(|j| j.batch_id.as_ref());
            if let Some(kept) = self.history.ui(ui, &file, shown) {
                self.show_earlier(cx, kept, file);
            }
            ui.separator();
        }
        // A job keeps going (and showing) whatever gallery is open now.
        self.job_ui(ui, cx);
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        let ConnectionState::Ready(connection) = cx.connection else {
            return;
        };
        let bucket_dir = connection.bucket_dir.clone();
        if self.tags_for.as_ref() != Some(&gallery.gallery_id) {
            self.tags_for = Some(gallery.gallery_id.clone());
            self.tags_on.clear();
        }
        let tags = cx.gallery.map(|g| g.tags());
        ui.separator();
        ui.strong(format!("New job in gallery “{}”", gallery.name));
        self.folder_ui(ui, cx);
        self.listing_ui(ui);
        if let Some(listing) = self.listing.data().cloned() {
            let folder = self.listed_folder.clone();
            self.duplicates.ui(ui, cx, &folder, &listing.images);
        }
        ui.horizontal(|ui| {
            ui.label("Tags for every file");
            match tags.and_then(|t| t.data()) {
                Some(tags) if !tags.is_empty() => {
                    tag_chips(ui, tags, &mut self.tags_on, true);
                }
                Some(_) => {
                    ui.label(RichText::new("the gallery has no tags").weak());
                }
                None => {
                    ui.spinner();
                }
            }
        });
        self.bucket_ui(ui, cx, &gallery, bucket_dir.clone());
        let again = self.again.ui(ui, "jobs_register_again", |kept| {
            (
                "Register this folder again?".to_owned(),
                format!(
                    "This folder was registered on {} as batch {}: {}. Register it again? \
                     Each of its faces would be enrolled a second time, as a new subject.",
                    kept.started_on(),
                    kept.batch_id.as_str(),
                    faces_enrolled(kept.counts.registered)
                ),
                "Register again",
            )
        });
        if again.is_some() {
            self.begin(cx, &gallery, bucket_dir);
        }
    }
}

/// "1 face enrolled", "3 faces enrolled".
fn faces_enrolled(count: usize) -> String {
    match count {
        1 => "1 face enrolled".to_owned(),
        n => format!("{n} faces enrolled"),
    }
}

impl JobsPane {
    /// The shown job's batch id, once the service has given it.
    pub fn batch_id(&self) -> Option<&BatchId> {
        self.job.as_ref().and_then(|j| j.batch_id.as_ref())
    }

    /// True while the earlier batches are being read or written.
    pub fn history_busy(&self) -> bool {
        self.history.busy()
    }

    /// Shows an earlier batch of the open gallery again: its progress and records are read.
    fn show_earlier(&mut self, cx: &PaneContext<'_>, kept: KeptBatch, file: PathBuf) {
        let (Some(gallery), ConnectionState::Ready(connection)) = (cx.gallery, cx.connection)
        else {
            return;
        };
        self.job = Some(Job::reopen(
            kept,
            gallery.opened(),
            connection.generation,
            file,
        ));
    }

    fn poll_answers(&mut self, cx: &mut PaneContext<'_>) {
        match self.pick.poll() {
            Some(Finished::Succeeded(Some(folder))) => {
                self.folder = folder.display().to_string();
                self.list(cx);
            }
            // No dialog could open: the reason shows, and the keyboard goes to the typed path.
            Some(Finished::Failed(_)) => self.focus_folder = true,
            _ => {}
        }
        if self.listing.poll().is_some() {
            self.refusal = None;
        }
        self.duplicates.poll();
        if let Some(Finished::Succeeded(copies)) = self.copy.poll() {
            let copies = copies.clone();
            if let Some((gallery_id, gallery_name, mut plan)) = self.copy_for.take() {
                plan.files = copies
                    .into_iter()
                    .map(|copy| JobFile {
                        identity: self.identity.label(&copy.relative),
                        relative: copy.relative,
                        object_name: copy.key,
                    })
                    .collect();
                self.start(cx, &gallery_id, &gallery_name, plan);
            }
        }
        match self.export.poll() {
            Some(Finished::Succeeded(Some(path))) => {
                cx.toasts
                    .info(format!("Results written to {}", path.display()));
            }
            Some(Finished::Failed(error)) => {
                cx.toasts.error(format!("The CSV was not written: {error}"));
            }
            _ => {}
        }
        if let Some(Finished::Succeeded(path)) = self.write.poll() {
            cx.toasts
                .info(format!("Results written to {}", path.display()));
        }
        if let Some(job) = &mut self.job {
            job.poll(cx);
            if let Some(kept) = job.take_changes() {
                self.history.keep(&job.history_file, kept);
            }
        }
        self.history.poll(cx.outbox);
    }

    fn list(&mut self, cx: &mut PaneContext<'_>) {
        let folder = self.folder.trim().to_owned();
        if folder.is_empty() {
            return;
        }
        self.listed_folder = folder.clone();
        cx.outbox.push(Command::Files(FileCommand::UsedPath {
            picker: Picker::JobsFolder,
            path: PathBuf::from(&folder),
        }));
        self.listing.send(cx.outbox, |reply| {
            Command::Files(FileCommand::ListFolder {
                folder: PathBuf::from(folder),
                reply,
            })
        });
    }

    fn folder_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        ui.horizontal(|ui| {
            let label = ui.label("Folder");
            let field = ui
                .add(
                    // An id of its own: the list of earlier batches, read in the background,
                    // may appear above it while the user types, and a field whose id moves
                    // loses the keyboard.
                    egui::TextEdit::singleline(&mut self.folder)
                        .id(egui::Id::unique("jobs_folder"))
                        .desired_width(420.0)
                        .hint_text("a folder of images, or of one folder per identity"),
                )
                .labelled_by(label.id);
            if std::mem::take(&mut self.focus_folder) {
                field.request_focus();
            }
            let enter = crate::widgets::form::entered(ui, &field);
            if ui
                .add_enabled(!self.pick.is_pending(), egui::Button::new("Choose folder…"))
                .clicked()
            {
                self.pick.send(cx.outbox, |reply| {
                    Command::Files(FileCommand::PickFolder {
                        title: "Choose a folder of face images",
                        picker: Picker::JobsFolder,
                        reply,
                    })
                });
            }
            if ui.button("List images").clicked() || enter {
                self.list(cx);
            }
            if self.pick.is_pending() || self.listing.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = self.pick.error() {
            error_label(ui, error);
        }
        if let Some(error) = self.listing.error().cloned()
            && error_label(ui, &error)
        {
            self.list(cx);
        }
    }

    fn listing_ui(&mut self, ui: &mut Ui) {
        let Some(listing) = self.listing.data() else {
            return;
        };
        let files = &listing.images;
        let in_subfolders = files.iter().filter(|f| f.relative.contains('/')).count();
        let images = crate::ui::plural::count(files.len(), "image", "images");
        ui.label(format!(
            "{images} in {} ({in_subfolders} of them in subfolders)",
            self.listed_folder
        ));
        if let Some(summary) = skipped_summary(&listing.skipped) {
            let shown: Vec<&str> = listing
                .skipped
                .iter()
                .take(40)
                .map(String::as_str)
                .collect();
            ui.add(egui::Label::new(RichText::new(summary).weak()).wrap())
                .on_hover_text(shown.join("\n"));
        }
        ui.horizontal(|ui| {
            ui.label("Identity of each file");
            ui.radio_value(
                &mut self.identity,
                IdentityFrom::FileStem,
                "File name (alice.jpg gives alice)",
            );
            ui.radio_value(
                &mut self.identity,
                IdentityFrom::ParentFolder,
                "Folder name (alice/1.jpg gives alice)",
            );
        });
        ui.label(
            RichText::new(
                "The service gives every registered face a new subject id; the identity is kept \
                 beside it in the results and the CSV.",
            )
            .weak(),
        );
        let identity = self.identity;
        egui::ScrollArea::vertical()
            .id_salt("job_files")
            .max_height(90.0)
            .show_rows(ui, 18.0, files.len(), |ui, range| {
                for file in &files[range] {
                    ui.label(format!(
                        "{}: identity {} ({} bytes)",
                        file.relative,
                        identity.label(&file.relative),
                        file.bytes
                    ));
                }
            });
    }
}
