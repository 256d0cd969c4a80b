//! The Jobs pane: bulk registration from a folder of images.
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

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use egui::{ProgressBar, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{
    BatchId, BulkRegistration, GalleryId, RecordStatus, RegisterStatus, RegisterSummary, TagName,
};

use super::{ConnectionState, PaneContext, pane_header};
use crate::backend::subjects::{BucketCopy, CopyOutcome, FolderImage, JobRecords};
use crate::backend::{Command, OpenedGallery, SubjectsCommand};
use crate::request::{Finished, Request};
use crate::widgets::error_label;
use crate::widgets::tag_chips::{chosen, tag_chips};

/// How often a running job's progress is asked for.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Which part of a file's path names the identity it stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdentityFrom {
    /// `photos/alice.jpg` is "alice".
    #[default]
    FileStem,
    /// `photos/alice/1.jpg` is "alice" (one folder per identity).
    ParentFolder,
}

impl IdentityFrom {
    /// The identity label of a path relative to the chosen folder.
    pub fn label(self, relative: &str) -> String {
        let (folder, file) = relative.rsplit_once('/').unwrap_or(("", relative));
        match self {
            Self::FileStem => file
                .rsplit_once('.')
                .map_or(file, |(stem, _)| stem)
                .to_owned(),
            Self::ParentFolder if !folder.is_empty() => folder.to_owned(),
            // A loose file in the chosen folder has no identity folder: its stem stands in.
            Self::ParentFolder => Self::FileStem.label(relative),
        }
    }
}

/// One file of a job: its bucket key and the identity it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFile {
    pub relative: String,
    pub key: String,
    pub label: String,
}

/// A bulk job started in this session.
#[derive(Debug)]
struct Job {
    gallery_id: GalleryId,
    gallery_name: String,
    /// The handle the job's requests go through, and the client it belongs to
    /// ([`crate::connection::Connection::generation`]): a handle of an older client is never
    /// used (see [`Job::follow`]).
    gallery: necid::Gallery,
    generation: u64,
    files: Vec<JobFile>,
    tags: Vec<TagName>,
    batch: Request<BatchId>,
    records: Request<JobRecords>,
    next_poll: Instant,
    finished: bool,
}

impl Job {
    /// Keeps the job on the profile's current client: when the shell has built a new one, the
    /// job takes the gallery's handle from the shell if that gallery is open there, and
    /// otherwise sends nothing (false), so no request goes to servers the profile left.
    fn follow(&mut self, cx: &PaneContext<'_>) -> bool {
        let ConnectionState::Ready(connection) = cx.connection else {
            return false;
        };
        if connection.generation == self.generation {
            return true;
        }
        match cx.gallery.filter(|g| g.gallery_id == self.gallery_id) {
            Some(open) => {
                self.gallery = open.gallery.clone();
                self.generation = connection.generation;
                true
            }
            None => false,
        }
    }

    fn by_key(&self) -> HashMap<&str, &JobFile> {
        self.files.iter().map(|f| (f.key.as_str(), f)).collect()
    }

    /// Processed records and the successes and failures among them.
    fn counts(&self) -> (usize, usize, usize) {
        let records = self
            .records
            .data()
            .map_or(&[][..], |r| r.records.as_slice());
        let processed = records
            .iter()
            .filter(|r| r.status == RecordStatus::Processed)
            .count();
        let registered = records
            .iter()
            .filter(|r| r.register_status == Some(RegisterStatus::Success))
            .count();
        let failed = records
            .iter()
            .filter(|r| r.register_status == Some(RegisterStatus::Failed))
            .count();
        (processed, registered, failed)
    }
}

/// The Jobs pane's view state.
#[derive(Debug, Default)]
pub struct JobsPane {
    folder: String,
    pick: Request<Option<PathBuf>>,
    listing: Request<Vec<FolderImage>>,
    /// The folder `listing` is of.
    listed_folder: String,
    identity: IdentityFrom,
    tags: Request<Vec<TagName>>,
    tags_for: Option<GalleryId>,
    tags_on: BTreeSet<TagName>,
    copy: Request<Vec<BucketCopy>>,
    copied: Arc<AtomicUsize>,
    copy_total: usize,
    /// The gallery the copy was made for (id and name): the job starts in it when the copy is
    /// done, through the handle the shell holds then.
    copy_for: Option<(GalleryId, String)>,
    job: Option<Job>,
    export: Request<Option<PathBuf>>,
    export_path: String,
    write: Request<PathBuf>,
    /// For a remote bucket: the prefix the user uploaded the folder under.
    key_prefix: String,
}

impl JobsPane {
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Jobs",
            "Bulk registration: every image of a folder enrolled by a background job.",
        );
        self.poll(cx);
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
            let handle = gallery.gallery.clone();
            self.tags.send(cx.outbox, |reply| Command::ListTags {
                gallery: handle,
                reply,
            });
        }
        ui.separator();
        ui.strong(format!("New job in gallery “{}”", gallery.name));
        self.folder_ui(ui, cx);
        self.listing_ui(ui);
        ui.horizontal(|ui| {
            ui.label("Tags for every file");
            match self.tags.data() {
                Some(tags) if !tags.is_empty() => {
                    let tags = tags.clone();
                    tag_chips(ui, &tags, &mut self.tags_on, true);
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

    fn poll(&mut self, cx: &mut PaneContext<'_>) {
        self.tags.poll();
        if let Some(Finished::Succeeded(Some(folder))) = self.pick.poll() {
            self.folder = folder.display().to_string();
            self.list(cx);
        }
        self.listing.poll();
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
        let Some(job) = &mut self.job else {
            return;
        };
        job.batch.poll();
        job.records.poll();
        let (processed, _, _) = job.counts();
        if job.records.data().is_some() && !job.records.is_pending() && processed >= job.files.len()
        {
            job.finished = true;
        }
        if let Some(batch_id) = job.batch.data().cloned()
            && !job.finished
            && !job.records.is_pending()
            && Instant::now() >= job.next_poll
            && job.follow(cx)
        {
            job.next_poll = Instant::now() + POLL_EVERY;
            let gallery = job.gallery.clone();
            job.records.send(cx.outbox, |reply| {
                Command::Subjects(SubjectsCommand::BulkRecords {
                    gallery,
                    batch_id,
                    reply,
                })
            });
        }
    }

    fn list(&mut self, cx: &mut PaneContext<'_>) {
        let folder = self.folder.trim().to_owned();
        if folder.is_empty() {
            return;
        }
        self.listed_folder = folder.clone();
        self.listing.send(cx.outbox, |reply| {
            Command::Subjects(SubjectsCommand::ListFolder {
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
                    Command::Subjects(SubjectsCommand::PickFolder { reply })
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
        let busy = self.copy.is_pending()
            || self
                .job
                .as_ref()
                .is_some_and(|j| j.batch.is_pending() || (j.batch.data().is_some() && !j.finished));
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
                            Command::Subjects(SubjectsCommand::CopyToBucket {
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

    /// Starts a job in the gallery `gallery_id` through the handle the shell holds now: never
    /// one kept from before, which may belong to a client whose profile has changed since.
    fn start(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery_id: &GalleryId,
        gallery_name: &str,
        files: Vec<JobFile>,
    ) {
        let open = cx.gallery.filter(|g| g.gallery_id == *gallery_id).cloned();
        let (Some(gallery), ConnectionState::Ready(connection)) = (open, cx.connection) else {
            cx.toasts.error(format!(
                "The job was not started: the gallery “{gallery_name}” is no longer open \
                 (its profile changed, or another gallery was opened). Open it again in \
                 Galleries."
            ));
            return;
        };
        let generation = connection.generation;
        let tags = chosen(self.tags.data().map_or(&[], Vec::as_slice), &self.tags_on);
        let registrations = files
            .iter()
            .map(|f| BulkRegistration {
                filename: f.key.clone(),
                tags: tags.clone(),
            })
            .collect();
        let mut job = Job {
            gallery_id: gallery.gallery_id.clone(),
            gallery_name: gallery.name.clone(),
            gallery: gallery.gallery.clone(),
            generation,
            files,
            tags,
            batch: Request::new(),
            records: Request::new(),
            next_poll: Instant::now(),
            finished: false,
        };
        let handle = gallery.gallery.clone();
        job.batch.send(cx.outbox, |reply| {
            Command::Subjects(SubjectsCommand::StartBulk {
                gallery: handle,
                registrations,
                reply,
            })
        });
        self.job = Some(job);
    }

    fn job_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(job) = &self.job else {
            return;
        };
        let total = job.files.len();
        let (processed, registered, failed) = job.counts();
        ui.horizontal(|ui| {
            let tagged = if job.tags.is_empty() {
                String::new()
            } else {
                let tags: Vec<&str> = job.tags.iter().map(TagName::as_str).collect();
                format!(", tagged {}", tags.join(", "))
            };
            ui.strong(format!(
                "Bulk job in gallery “{}”: {total} files{tagged}",
                job.gallery_name
            ));
            ui.label(RichText::new(format!("gallery id {}", job.gallery_id.as_str())).weak());
        });
        if job.batch.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting the job…");
            });
        }
        let mut retry_start = false;
        if let Some(error) = job.batch.error() {
            retry_start = error_label(ui, error);
        }
        let mut retry_poll = false;
        if let Some(batch_id) = job.batch.data() {
            if job.finished {
                ui.label(RichText::new(format!("Job {} Completed", batch_id.as_str())).strong());
            } else {
                ui.add(
                    ProgressBar::new(processed as f32 / total.max(1) as f32)
                        .show_percentage()
                        .text(format!("{processed} of {total} processed")),
                );
                ui.ctx().request_repaint_after(POLL_EVERY);
            }
            ui.label(format!("{registered} registered, {failed} failed"));
            if let Some(error) = job.records.error() {
                retry_poll = error_label(ui, error);
            }
        }
        if retry_start {
            let files = job.files.clone();
            let (gallery_id, gallery_name) = (job.gallery_id.clone(), job.gallery_name.clone());
            self.start(cx, &gallery_id, &gallery_name, files);
            return;
        }
        if retry_poll && let Some(job) = &mut self.job {
            job.next_poll = Instant::now();
            job.records.reset();
        }
        self.results_ui(ui, cx);
    }

    fn results_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(job) = &self.job else {
            return;
        };
        let Some(records) = job.records.data() else {
            return;
        };
        let by_key = job.by_key();
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} records in {} page(s)",
                records.records.len(),
                records.pages
            ));
            if ui
                .add_enabled(!self.export.is_pending(), egui::Button::new("Export CSV…"))
                .clicked()
            {
                let text = records_csv(&records.records, &by_key);
                let suggested_name = job.batch.data().map_or_else(
                    || "bulk-job.csv".to_owned(),
                    |b| format!("bulk-{}.csv", b.as_str()),
                );
                self.export.send(cx.outbox, |reply| {
                    Command::Subjects(SubjectsCommand::ExportCsv {
                        suggested_name,
                        text,
                        reply,
                    })
                });
            }
            let label = ui.label("or write to");
            ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .desired_width(220.0)
                    .hint_text("/path/to/results.csv"),
            )
            .labelled_by(label.id);
            if ui
                .add_enabled(
                    !self.export_path.trim().is_empty() && !self.write.is_pending(),
                    egui::Button::new("Write CSV"),
                )
                .clicked()
            {
                let text = records_csv(&records.records, &by_key);
                let path = PathBuf::from(self.export_path.trim());
                self.write.send(cx.outbox, |reply| {
                    Command::Subjects(SubjectsCommand::WriteFile { path, text, reply })
                });
            }
            if self.export.is_pending() || self.write.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = self.export.error() {
            error_label(ui, error);
        }
        if let Some(error) = self.write.error() {
            error_label(ui, error);
        }
        let error_color = ui.visuals().error_fg_color;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        TableBuilder::new(ui)
            .id_salt("job_records")
            .striped(true)
            .max_scroll_height(260.0)
            .column(Column::initial(160.0).at_least(80.0).clip(true))
            .column(Column::initial(100.0).clip(true))
            .column(Column::exact(80.0))
            .column(Column::exact(70.0))
            .column(Column::initial(200.0).clip(true))
            .column(Column::exact(60.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in [
                    "File",
                    "Identity",
                    "Status",
                    "Result",
                    "Subject ID",
                    "Quality",
                    "Reason",
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, records.records.len(), |mut row| {
                    let record = &records.records[row.index()];
                    let failed = record.register_status == Some(RegisterStatus::Failed);
                    row.col(|ui| {
                        ui.label(&record.filename);
                    });
                    row.col(|ui| {
                        ui.label(
                            by_key
                                .get(record.filename.as_str())
                                .map_or("", |f| f.label.as_str()),
                        );
                    });
                    row.col(|ui| {
                        ui.label(record_status(record));
                    });
                    row.col(|ui| {
                        let text = register_status(record);
                        if failed {
                            ui.label(RichText::new(text).color(error_color));
                        } else {
                            ui.label(text);
                        }
                    });
                    row.col(|ui| {
                        ui.label(record.subject_id.as_ref().map_or("", |s| s.as_str()));
                    });
                    row.col(|ui| {
                        ui.label(quality(record));
                    });
                    row.col(|ui| {
                        if failed {
                            ui.label(RichText::new(&record.reason).color(error_color));
                        } else {
                            ui.label(&record.reason);
                        }
                    });
                });
            });
    }
}

/// A file's key in a remote bucket: the prefix the user gave (a `/` added if it lacks one),
/// then its path below the folder.
fn remote_key(prefix: &str, relative: &str) -> String {
    let prefix = prefix.trim().trim_start_matches('/');
    if prefix.is_empty() {
        relative.to_owned()
    } else if prefix.ends_with('/') {
        format!("{prefix}{relative}")
    } else {
        format!("{prefix}/{relative}")
    }
}

fn record_status(record: &RegisterSummary) -> &'static str {
    match record.status {
        RecordStatus::New => "New",
        RecordStatus::Processed => "Processed",
    }
}

fn register_status(record: &RegisterSummary) -> &'static str {
    match record.register_status {
        Some(RegisterStatus::Success) => "Success",
        Some(RegisterStatus::Failed) => "Failed",
        None => "",
    }
}

fn quality(record: &RegisterSummary) -> String {
    record
        .attributes_json
        .attributes()
        .map_or_else(String::new, |a| format!("{:.3}", a.face_quality_score))
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The records as CSV with a header line, one row per record (so per file).
fn records_csv(records: &[RegisterSummary], by_key: &HashMap<&str, &JobFile>) -> String {
    let mut csv = String::from(
        "filename,identity,status,registerStatus,subjectId,eventId,faceQualityScore,reason\n",
    );
    for record in records {
        let fields = [
            record.filename.clone(),
            by_key
                .get(record.filename.as_str())
                .map_or_else(String::new, |f| f.label.clone()),
            record_status(record).to_owned(),
            register_status(record).to_owned(),
            record
                .subject_id
                .as_ref()
                .map_or_else(String::new, |s| s.as_str().to_owned()),
            record
                .event_id
                .as_ref()
                .map_or_else(String::new, |e| e.as_str().to_owned()),
            quality(record),
            record.reason.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_the_file_stem_or_the_folder_name() {
        assert_eq!(IdentityFrom::FileStem.label("alice/1.jpg"), "1");
        assert_eq!(IdentityFrom::FileStem.label("bob.smith.png"), "bob.smith");
        assert_eq!(IdentityFrom::ParentFolder.label("alice/1.jpg"), "alice");
        assert_eq!(IdentityFrom::ParentFolder.label("loose.jpg"), "loose");
    }

    #[test]
    fn a_remote_key_is_the_prefix_then_the_path_below_the_folder() {
        assert_eq!(remote_key("", "alice/1.jpg"), "alice/1.jpg");
        assert_eq!(remote_key(" uploads", "alice/1.jpg"), "uploads/alice/1.jpg");
        assert_eq!(remote_key("/uploads/", "1.jpg"), "uploads/1.jpg");
    }

    #[test]
    fn a_reason_with_commas_and_quotes_stays_one_csv_field() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
