//! Starting a job from the listed folder: where its files go (copied into the Local bucket, or
//! already uploaded to a remote one under a prefix), and the guard against registering a
//! folder twice by accident: refused while a job from it runs in the gallery, asked first once
//! it has run there.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{ProgressBar, RichText, Ui};

use super::records::{JobFile, remote_key};
use super::{JobPlan, JobsPane, history};
use crate::backend::files::CopyOutcome;
use crate::backend::{Command, FileCommand, OpenedGallery};
use crate::ui::PaneContext;
use crate::widgets::error_label;

impl JobsPane {
    /// Where the listed files go (the Local bucket, or a remote one under a prefix), the Start
    /// button, why a Start was refused, and the copy's progress.
    pub(super) fn bucket_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        bucket_dir: Option<PathBuf>,
    ) {
        let has_files = self
            .listing
            .data()
            .is_some_and(|listing| !listing.images.is_empty());
        let history_read = history::open_gallery_file(cx).is_some_and(|f| self.history.is_read(&f));
        let starting = self.copy.is_pending()
            || self.again.waiting().is_some()
            || self
                .job
                .as_ref()
                .is_some_and(|j| j.batch_id.is_none() && j.is_busy());
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
                    has_files && !starting && !self.listing.is_pending() && history_read,
                    egui::Button::new("Start bulk job"),
                )
                .on_hover_text("Register every listed image in the open gallery");
            if start.clicked() {
                self.start_clicked(cx, gallery, bucket_dir);
            }
        });
        if let Some(refusal) = &self.refusal {
            ui.add(
                egui::Label::new(RichText::new(refusal).color(ui.visuals().warn_fg_color)).wrap(),
            );
        }
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

    /// Starts the listed folder, unless a job from it is running in the gallery (refused, and
    /// that job shown), or asks first when it was registered in the gallery before.
    fn start_clicked(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        bucket_dir: Option<PathBuf>,
    ) {
        self.refusal = None;
        let Some(file) = history::open_gallery_file(cx) else {
            return;
        };
        let folder = self.listed_folder.clone();
        let last = self
            .history
            .of(&file)
            .and_then(|h| h.last_from(&folder))
            .cloned();
        match last {
            Some(kept) if !kept.finished => {
                let shown = self.job.as_ref().and_then(|j| j.batch_id.as_ref());
                self.refusal = Some(format!(
                    "Not started: a job from this folder is still running in this gallery \
                     (batch {}, started {}, {} of {} files processed when last seen). Its \
                     progress is shown above; start the folder again once it has finished.",
                    kept.batch_id.as_str(),
                    kept.started_on(),
                    kept.counts.processed,
                    kept.counts.files
                ));
                if shown != Some(&kept.batch_id) {
                    self.show_earlier(cx, kept, file);
                }
            }
            Some(kept) => self.again.ask(kept),
            None => self.begin(cx, gallery, bucket_dir),
        }
    }

    /// Starts the listed folder: for the Local bucket, copies it first.
    pub(super) fn begin(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        bucket_dir: Option<PathBuf>,
    ) {
        let Some(listing) = self.listing.data().cloned() else {
            return;
        };
        let mut plan = JobPlan {
            folder: self.listed_folder.clone(),
            files: Vec::new(),
            skipped: listing.skipped,
        };
        let files = listing.images;
        match bucket_dir {
            Some(dir) => {
                self.copied = Arc::new(AtomicUsize::new(0));
                self.copy_total = files.len();
                self.copy_for = Some((gallery.gallery_id.clone(), gallery.name.clone(), plan));
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
                plan.files = files
                    .iter()
                    .map(|f| JobFile {
                        relative: f.relative.clone(),
                        object_name: remote_key(&self.key_prefix, &f.relative),
                        identity: self.identity.label(&f.relative),
                    })
                    .collect();
                self.start(cx, &gallery.gallery_id, &gallery.name, plan);
            }
        }
    }
}
