//! The Jobs pane: bulk registration from a folder of images. This file chooses the folder and
//! starts the job; the job itself is in `job.rs`, its records and their CSV in `records.rs`.
//!
//! Choose or type a folder; its images (and those of its direct subfolders, the
//! one-folder-per-identity layout) are listed. For the Local profile they are copied into the
//! service's bucket folder; for a remote profile the pane says how to upload them to the
//! tenant's S3 bucket instead. Then a bulk job registers them: its progress is polled about
//! once a second, its records (paged by `lastEvaluatedKey`) fill a table with each failure's
//! reason, and the results can be exported as CSV. The job lives in the pane, so it is still
//! shown after switching panes.
//!
//! The API gives every registered face a new subject id (a bulk registration carries only a
//! file name and tags), so the identity a file stands for, its file stem or its folder's name,
//! is kept by the console beside the service's subject id, in the table and in the CSV.

mod duplicates;
mod job;
mod records;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{ProgressBar, RichText, Ui};
use necid::{BatchId, GalleryId, TagName};

use super::{ConnectionState, GalleryChange, Pane, PaneContext, PaneId, pane_header};
use crate::backend::files::{BucketCopy, CopyOutcome, FolderImage};
use crate::backend::{Command, FileCommand, OpenedGallery};
use crate::request::{Finished, Request};
use crate::widgets::error_label;
use crate::widgets::tag_chips::{carry_rename, tag_chips};

pub use duplicates::{FileCheck, FileMatch};
pub use job::JobRecords;
pub use records::{IdentityFrom, JobFile};
use records::{records_csv, remote_key};

/// The Jobs pane's view state.
#[derive(Debug, Default)]
pub struct JobsPane {
    folder: String,
    pick: Request<Option<PathBuf>>,
    listing: Request<Vec<FolderImage>>,
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
    /// The gallery the copy was made for (id and name): the job starts in it when the copy is
    /// done, through the handle the shell holds then.
    copy_for: Option<(GalleryId, String)>,
    job: Option<job::Job>,
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
        if let Some(files) = self.listing.data().cloned() {
            let folder = self.listed_folder.clone();
            self.duplicates.ui(ui, cx, &folder, &files);
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
        self.bucket_ui(ui, cx, &gallery, bucket_dir);
    }
}

impl JobsPane {
    /// Every record of the current job as CSV, one row per file; `None` before a job.
    pub fn csv(&self) -> Option<String> {
        let job = self.job.as_ref()?;
        let by_key = job.by_key();
        let records = job.records.data().map_or(&[][..], |r| r.records.as_slice());
        Some(records_csv(records, &by_key))
    }

    /// The current job's batch id, once the service has given it.
    pub fn batch_id(&self) -> Option<&BatchId> {
        self.job.as_ref().and_then(|j| j.batch.data())
    }

    fn poll_answers(&mut self, cx: &mut PaneContext<'_>) {
        if let Some(Finished::Succeeded(Some(folder))) = self.pick.poll() {
            self.folder = folder.display().to_string();
            self.list(cx);
        }
        self.listing.poll();
        self.duplicates.poll();
        if let Some(Finished::Succeeded(copies)) = self.copy.poll() {
            let copies = copies.clone();
            if let Some((gallery_id, gallery_name)) = self.copy_for.take() {
                let files = copies
                    .into_iter()
                    .map(|copy| JobFile {
                        label: self.identity.label(&copy.relative),
                        relative: copy.relative,
                        key: copy.key,
                    })
                    .collect();
                self.start(cx, &gallery_id, &gallery_name, files);
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
        }
    }

    fn list(&mut self, cx: &mut PaneContext<'_>) {
        let folder = self.folder.trim().to_owned();
        if folder.is_empty() {
            return;
        }
        self.listed_folder = folder.clone();
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
                    egui::TextEdit::singleline(&mut self.folder)
                        .desired_width(420.0)
                        .hint_text("a folder of images, or of one folder per identity"),
                )
                .labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .add_enabled(!self.pick.is_pending(), egui::Button::new("Choose folder…"))
                .clicked()
            {
                self.pick.send(cx.outbox, |reply| {
                    Command::Files(FileCommand::PickFolder {
                        title: "Choose a folder of face images",
                        picker: crate::backend::dialogs::Picker::JobsFolder,
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
        let Some(files) = self.listing.data() else {
            return;
        };
        let in_subfolders = files.iter().filter(|f| f.relative.contains('/')).count();
        ui.label(format!(
            "{} images in {} ({in_subfolders} of them in subfolders)",
            files.len(),
            self.listed_folder
        ));
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

    fn bucket_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        bucket_dir: Option<PathBuf>,
    ) {
        let files = self.listing.data().cloned().unwrap_or_default();
        let busy = self.copy.is_pending() || self.job.as_ref().is_some_and(job::Job::is_busy);
        match &bucket_dir {
            Some(dir) => {
                ui.label(format!(
                    "The images are copied into the Local service's bucket, {}, keeping their \
                     names (folder/name for subfolders). A name that already holds the same bytes \
                     is reused; one that holds other bytes gets -2, -3, … before its extension.",
                    dir.display()
                ));
            }
            None => {
                ui.label(
                    "This profile's bucket is the tenant's S3 bucket, which the console cannot \
                     write. Upload the images there first, keeping their paths relative to the \
                     folder as object keys (for example `aws s3 cp --recursive <folder> \
                     s3://<bucket>/<prefix>`); the job then registers them by those keys: the \
                     prefix below, then the names as listed above.",
                );
                ui.horizontal(|ui| {
                    let label = ui.label("Key prefix");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.key_prefix)
                            .desired_width(220.0)
                            .hint_text("empty, or e.g. uploads/2026/"),
                    )
                    .labelled_by(label.id);
                });
            }
        }
        ui.horizontal(|ui| {
            let start = ui
                .add_enabled(
                    !files.is_empty() && !busy,
                    egui::Button::new("Start bulk job"),
                )
                .on_hover_text("Register every listed image in the open gallery");
            if start.clicked() {
                match bucket_dir {
                    Some(dir) => {
                        self.copied = Arc::new(AtomicUsize::new(0));
                        self.copy_total = files.len();
                        self.copy_for = Some((gallery.gallery_id.clone(), gallery.name.clone()));
                        let copied = Arc::clone(&self.copied);
                        self.copy.send(cx.outbox, |reply| {
                            Command::Files(FileCommand::CopyToBucket {
                                files,
                                bucket_dir: dir,
                                copied,
                                reply,
                            })
                        });
                    }
                    None => {
                        let job_files = files
                            .iter()
                            .map(|f| JobFile {
                                relative: f.relative.clone(),
                                key: remote_key(&self.key_prefix, &f.relative),
                                label: self.identity.label(&f.relative),
                            })
                            .collect();
                        self.start(cx, &gallery.gallery_id, &gallery.name, job_files);
                    }
                }
            }
        });
        if self.copy.is_pending() {
            let done = self.copied.load(Ordering::Relaxed);
            ui.add(
                ProgressBar::new(done as f32 / self.copy_total.max(1) as f32).text(format!(
                    "Copying {done} of {} into the bucket",
                    self.copy_total
                )),
            );
        }
        if let Some(copies) = self.copy.data() {
            let reused = copies
                .iter()
                .filter(|c| c.outcome == CopyOutcome::AlreadyThere)
                .count();
            let renamed: Vec<String> = copies
                .iter()
                .filter(|c| c.outcome == CopyOutcome::Renamed)
                .map(|c| format!("{} as {}", c.relative, c.key))
                .collect();
            ui.label(format!(
                "{} copied into the bucket, {reused} already there{}",
                copies.len() - reused - renamed.len(),
                if renamed.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", renamed because the name held other bytes: {}",
                        renamed.join(", ")
                    )
                }
            ));
        }
        if let Some(error) = self.copy.error() {
            error_label(ui, error);
        }
    }
}
