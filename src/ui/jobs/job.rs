//! The Jobs pane's running job: started in the open gallery, its progress polled about once a
//! second, its records (paged by `lastEvaluatedKey`) in a table with each failure's reason, and
//! the results exported as CSV.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{ProgressBar, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{
    BatchId, BulkRegistration, GalleryId, RecordStatus, RegisterStatus, RegisterSummary, TagName,
};

use super::JobsPane;
use super::records::{JobFile, quality, record_status, records_csv, register_status};
use crate::backend::{Command, FileCommand};
use crate::request::{Finished, Request};
use crate::ui::{ConnectionState, GalleryChange, PaneContext};
use crate::widgets::error_label;
use crate::widgets::tag_chips::chosen;

/// How often a running job's progress is asked for.
pub(super) const POLL_EVERY: Duration = Duration::from_secs(1);

/// Every record of a bulk job, gathered page by page.
#[derive(Clone, Debug, Default)]
pub struct JobRecords {
    pub records: Vec<RegisterSummary>,
    /// How many progress pages (`lastEvaluatedKey`) were followed.
    pub pages: usize,
}

/// A bulk job started in this session.
#[derive(Debug)]
pub(super) struct Job {
    gallery_id: GalleryId,
    gallery_name: String,
    /// The handle the job's requests go through, and the client it belongs to
    /// ([`crate::connection::Connection::generation`]): a handle of an older client is never
    /// used (see [`Job::follow`]).
    gallery: necid::Gallery,
    generation: u64,
    pub(super) files: Vec<JobFile>,
    tags: Vec<TagName>,
    pub(super) batch: Request<BatchId>,
    pub(super) records: Request<JobRecords>,
    next_poll: Instant,
    finished: bool,
    /// The subjects this job registered that were already named and announced.
    named: std::collections::HashSet<necid::SubjectId>,
}

impl Job {
    /// Keeps the job on the profile's current client: when the shell has built a new one, the
    /// job takes the gallery's handle from the shell if that gallery is open there, and
    /// otherwise sends nothing (false), so no request goes to servers the profile left.
    pub(super) fn follow(&mut self, cx: &PaneContext<'_>) -> bool {
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

    pub(super) fn by_key(&self) -> HashMap<&str, &JobFile> {
        self.files.iter().map(|f| (f.key.as_str(), f)).collect()
    }

    /// Processed records and the successes and failures among them.
    pub(super) fn counts(&self) -> (usize, usize, usize) {
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

impl Job {
    /// Takes the answers, and asks for the progress again when it is time.
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>) {
        self.batch.poll();
        if let Some(Finished::Succeeded(records)) = self.records.poll() {
            let records = records.records.clone();
            self.take_registered(cx, &records);
        }
        let (processed, _, _) = self.counts();
        if self.records.data().is_some()
            && !self.records.is_pending()
            && processed >= self.files.len()
        {
            self.finished = true;
        }
        if let Some(batch_id) = self.batch.data().cloned()
            && !self.finished
            && !self.records.is_pending()
            && Instant::now() >= self.next_poll
            && self.follow(cx)
        {
            self.next_poll = Instant::now() + POLL_EVERY;
            let gallery = self.gallery.clone();
            self.records.read(
                cx.outbox,
                "reading the bulk job's progress",
                move |_| async move {
                    let mut all = JobRecords::default();
                    let mut paging_id = String::new();
                    loop {
                        let page = gallery.bulk_progress(&batch_id, Some(&paging_id)).await?;
                        all.pages += 1;
                        all.records.extend(page.processed);
                        // A key that repeats would loop forever; the service is done paging.
                        if page.last_evaluated_key.is_empty()
                            || page.last_evaluated_key == paging_id
                        {
                            return Ok::<_, necid::Error>(all);
                        }
                        paging_id = page.last_evaluated_key;
                    }
                },
            );
        }
    }

    /// Records registered since the last look: their subjects are named after the identity
    /// their file stands for, and every pane that lists the gallery lists it again.
    fn take_registered(&mut self, cx: &mut PaneContext<'_>, records: &[RegisterSummary]) {
        let by_key: HashMap<&str, &JobFile> =
            self.files.iter().map(|f| (f.key.as_str(), f)).collect();
        let mut names = Vec::new();
        for record in records {
            if record.register_status != Some(RegisterStatus::Success) {
                continue;
            }
            let Some(subject_id) = &record.subject_id else {
                continue;
            };
            if !self.named.insert(subject_id.clone()) {
                continue;
            }
            if let Some(file) = by_key.get(record.filename.as_str()) {
                names.push((subject_id.clone(), file.label.clone()));
            }
        }
        if names.is_empty() {
            return;
        }
        let in_open_gallery = cx.gallery.is_some_and(|g| g.gallery_id == self.gallery_id);
        if in_open_gallery {
            cx.name_subjects(names);
            cx.gallery_changed(GalleryChange::Subjects);
        }
    }

    /// Whether the job is starting or running.
    pub(super) fn is_busy(&self) -> bool {
        self.batch.is_pending() || (self.batch.data().is_some() && !self.finished)
    }
}

impl JobsPane {
    /// Starts a job in the gallery `gallery_id` through the handle the shell holds now: never
    /// one kept from before, which may belong to a client whose profile has changed since.
    pub(super) fn start(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery_id: &GalleryId,
        gallery_name: &str,
        files: Vec<JobFile>,
    ) {
        let open = cx
            .gallery
            .filter(|g| g.gallery_id == *gallery_id)
            .map(|g| g.opened().clone());
        let (Some(gallery), ConnectionState::Ready(connection)) = (open, cx.connection) else {
            cx.toasts.error(format!(
                "The job was not started: the gallery “{gallery_name}” is no longer open \
                 (its profile changed, or another gallery was opened). Open it again in \
                 Galleries."
            ));
            return;
        };
        let generation = connection.generation;
        let tags = chosen(cx.tags(), &self.tags_on);
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
            named: Default::default(),
        };
        let handle = gallery.gallery.clone();
        job.batch
            .write(cx.outbox, "starting the bulk job", move |_| async move {
                handle.bulk_register(registrations).await
            });
        self.job = Some(job);
    }

    pub(super) fn job_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
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
                    Command::Files(FileCommand::ExportCsv {
                        picker: crate::backend::dialogs::Picker::JobsExport,
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
                    Command::Files(FileCommand::WriteFile { path, text, reply })
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
