//! The job the Jobs pane shows: one it started in the open gallery, or an earlier batch chosen
//! again. Its progress is polled about once a second until every file is processed, its
//! subjects are named after their files' identities, and its counts are kept in the gallery's
//! history as they change.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{ProgressBar, RichText, Ui};
use necid::{
    BatchId, BulkRegistration, GalleryId, RecordStatus, RegisterStatus, RegisterSummary, SubjectId,
    TagName,
};

use super::JobsPane;
use super::records::JobFile;
use crate::backend::OpenedGallery;
use crate::job_history::{BatchCounts, KeptBatch, now_rfc3339};
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

/// What a job registers, apart from where and how it runs.
#[derive(Clone, Debug)]
pub(super) struct JobPlan {
    /// The folder the files were listed from.
    pub(super) folder: String,
    pub(super) files: Vec<JobFile>,
    /// The folder's files that are not images.
    pub(super) skipped: Vec<String>,
}

/// The bulk job the pane shows.
#[derive(Debug)]
pub(super) struct Job {
    gallery_id: GalleryId,
    gallery_name: String,
    /// The handle the job's requests go through, and the client it belongs to
    /// ([`crate::connection::Connection::generation`]): a handle of an older client is never
    /// used (see [`Job::follow`]).
    gallery: necid::Gallery,
    generation: u64,
    pub(super) plan: JobPlan,
    started_at: String,
    tags: Vec<TagName>,
    /// Starting the job; an earlier batch chosen again was started before.
    start: Request<BatchId>,
    pub(super) batch_id: Option<BatchId>,
    pub(super) records: Request<JobRecords>,
    next_poll: Instant,
    pub(super) finished: bool,
    /// The service does not know the batch (not found, or no record of it: its data was reset,
    /// or the batch was made on other servers): nothing is left to follow.
    unknown_to_service: bool,
    /// The gallery's history file, which keeps this batch.
    pub(super) history_file: PathBuf,
    /// The counts, and whether it had finished, as last written to the history.
    kept: Option<(BatchCounts, bool)>,
    /// The subjects this job registered that were seen already.
    seen: HashSet<SubjectId>,
    /// Subjects registered by the job, to be named after their identities while their gallery
    /// is open (a name given meanwhile is not replaced).
    unnamed: Vec<(SubjectId, String)>,
}

impl Job {
    /// An earlier batch of the open gallery, shown again: its progress is asked for at once.
    pub(super) fn reopen(
        kept: KeptBatch,
        gallery: &OpenedGallery,
        generation: u64,
        history_file: PathBuf,
    ) -> Self {
        Self {
            gallery_id: gallery.gallery_id.clone(),
            gallery_name: gallery.name.clone(),
            gallery: gallery.gallery.clone(),
            generation,
            plan: JobPlan {
                folder: kept.folder,
                files: kept.files,
                skipped: kept.skipped,
            },
            started_at: kept.started_at,
            tags: kept.tags,
            start: Request::new(),
            batch_id: Some(kept.batch_id),
            records: Request::new(),
            next_poll: Instant::now(),
            finished: false,
            unknown_to_service: false,
            history_file,
            kept: Some((kept.counts, kept.finished)),
            seen: HashSet::new(),
            unnamed: Vec::new(),
        }
    }

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

    /// The job's files by their objects' names, which the records call them.
    pub(super) fn by_object(&self) -> HashMap<&str, &JobFile> {
        super::records::by_object(&self.plan.files)
    }

    /// How far the job has got, as the records last read say (or as last kept, before them or
    /// without them).
    pub(super) fn counts(&self) -> BatchCounts {
        // No records at all: the service does not know the batch (any more).
        let Some(records) = self.records.data().filter(|r| !r.records.is_empty()) else {
            return self.kept.map(|(counts, _)| counts).unwrap_or(BatchCounts {
                files: self.plan.files.len(),
                ..BatchCounts::default()
            });
        };
        let records = &records.records;
        BatchCounts {
            files: self.plan.files.len(),
            processed: records
                .iter()
                .filter(|r| r.status == RecordStatus::Processed)
                .count(),
            registered: records
                .iter()
                .filter(|r| r.register_status == Some(RegisterStatus::Success))
                .count(),
            failed: records
                .iter()
                .filter(|r| r.register_status == Some(RegisterStatus::Failed))
                .count(),
        }
    }

    /// The batch as the history keeps it, when it was just started or what its records say
    /// changed since it was last kept.
    pub(super) fn take_changes(&mut self) -> Option<KeptBatch> {
        let batch_id = self.batch_id.clone()?;
        if self.records.data().is_none() && !self.finished && self.kept.is_some() {
            return None;
        }
        let now = (self.counts(), self.finished);
        if self.kept == Some(now) {
            return None;
        }
        self.kept = Some(now);
        let (counts, finished) = now;
        Some(KeptBatch {
            batch_id,
            folder: self.plan.folder.clone(),
            started_at: self.started_at.clone(),
            tags: self.tags.clone(),
            counts,
            finished,
            files: self.plan.files.clone(),
            skipped: self.plan.skipped.clone(),
        })
    }

    /// Whether the job is starting or running.
    pub(super) fn is_busy(&self) -> bool {
        self.start.is_pending() || (self.batch_id.is_some() && !self.finished)
    }

    /// Takes the answers, and asks for the progress again when it is time.
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>) {
        if let Some(Finished::Succeeded(batch_id)) = self.start.poll() {
            self.batch_id = Some(batch_id.clone());
        }
        match self.records.poll() {
            Some(Finished::Succeeded(records)) => {
                let records = records.records.clone();
                self.take_registered(&records);
            }
            Some(Finished::Failed(error)) if error.status() == Some(404) => {
                self.unknown_to_service = true;
                self.finished = true;
            }
            _ => {}
        }
        self.name_registered(cx);
        // Done when no record waits: a file the service has no record of is not waited for
        // (its row says so), nor is a batch it has no record of at all.
        if let Some(records) = self.records.data()
            && !self.records.is_pending()
            && records
                .records
                .iter()
                .all(|r| r.status == RecordStatus::Processed)
        {
            self.unknown_to_service = records.records.is_empty();
            self.finished = true;
        }
        if let Some(batch_id) = self.batch_id.clone()
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

    /// Notes the subjects registered since the last look, with their files' identities.
    fn take_registered(&mut self, records: &[RegisterSummary]) {
        let by_object = super::records::by_object(&self.plan.files);
        for record in records {
            if record.register_status != Some(RegisterStatus::Success) {
                continue;
            }
            let Some(subject_id) = &record.subject_id else {
                continue;
            };
            if !self.seen.insert(subject_id.clone()) {
                continue;
            }
            if let Some(file) = by_object.get(record.filename.as_str()) {
                self.unnamed
                    .push((subject_id.clone(), file.identity.clone()));
            }
        }
    }

    /// Names the subjects noted when their gallery is open, unless they have a name already
    /// (an earlier batch chosen again does not undo a rename); every pane that lists the
    /// gallery lists it again. The names were read when the gallery opened, long before a
    /// batch's records can arrive.
    fn name_registered(&mut self, cx: &mut PaneContext<'_>) {
        if self.unnamed.is_empty() {
            return;
        }
        let Some(gallery) = cx.gallery.filter(|g| g.gallery_id == self.gallery_id) else {
            return;
        };
        let names: Vec<(SubjectId, String)> = std::mem::take(&mut self.unnamed)
            .into_iter()
            .filter(|(subject_id, _)| gallery.names().get(subject_id).is_none())
            .collect();
        if !names.is_empty() {
            cx.name_subjects(names);
            cx.gallery_changed(GalleryChange::Subjects);
        }
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
        plan: JobPlan,
    ) {
        let open = cx
            .gallery
            .filter(|g| g.gallery_id == *gallery_id)
            .map(|g| g.opened().clone());
        let history_file = super::history::open_gallery_file(cx);
        let (Some(gallery), ConnectionState::Ready(connection), Some(history_file)) =
            (open, cx.connection, history_file)
        else {
            cx.toasts.error(format!(
                "The job was not started: the gallery “{gallery_name}” is no longer open \
                 (its profile changed, or another gallery was opened). Open it again in \
                 Galleries."
            ));
            return;
        };
        let generation = connection.generation;
        let tags = chosen(cx.tags(), &self.tags_on);
        let registrations = plan
            .files
            .iter()
            .map(|f| BulkRegistration {
                filename: f.object_name.clone(),
                tags: tags.clone(),
            })
            .collect();
        let mut job = Job {
            gallery_id: gallery.gallery_id.clone(),
            gallery_name: gallery.name.clone(),
            gallery: gallery.gallery.clone(),
            generation,
            plan,
            started_at: now_rfc3339(),
            tags,
            start: Request::new(),
            batch_id: None,
            records: Request::new(),
            next_poll: Instant::now(),
            finished: false,
            unknown_to_service: false,
            history_file,
            kept: None,
            seen: HashSet::new(),
            unnamed: Vec::new(),
        };
        let handle = gallery.gallery.clone();
        job.start
            .write(cx.outbox, "starting the bulk job", move |_| async move {
                handle.bulk_register(registrations).await
            });
        self.job = Some(job);
    }

    pub(super) fn job_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(job) = &self.job else {
            return;
        };
        let counts = job.counts();
        ui.horizontal(|ui| {
            let tagged = if job.tags.is_empty() {
                String::new()
            } else {
                let tags: Vec<&str> = job.tags.iter().map(TagName::as_str).collect();
                format!(", tagged {}", tags.join(", "))
            };
            let skipped = match job.plan.skipped.len() {
                0 => String::new(),
                1 => " (1 other file skipped, not an image)".to_owned(),
                n => format!(" ({n} other files skipped, not images)"),
            };
            ui.strong(format!(
                "Bulk job in gallery “{}”: {}{tagged}{skipped}",
                job.gallery_name,
                crate::ui::plural::count(counts.files, "file", "files")
            ));
            ui.label(RichText::new(format!("from {}", job.plan.folder)).weak());
        });
        if job.start.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting the job…");
            });
        }
        let mut retry_start = false;
        if let Some(error) = job.start.error() {
            retry_start = error_label(ui, error);
        }
        let mut retry_poll = false;
        if let Some(batch_id) = &job.batch_id {
            if job.finished {
                ui.label(RichText::new(format!("Job {} Completed", batch_id.as_str())).strong());
            } else {
                ui.label(RichText::new(format!("Job {}", batch_id.as_str())).weak());
                ui.add(
                    ProgressBar::new(counts.processed as f32 / counts.files.max(1) as f32)
                        .show_percentage()
                        .text(format!(
                            "{} of {} processed",
                            counts.processed, counts.files
                        )),
                );
                ui.ctx().request_repaint_after(POLL_EVERY);
            }
            ui.label(format!(
                "{} registered, {} failed",
                counts.registered, counts.failed
            ));
            if job.unknown_to_service {
                ui.label(
                    RichText::new(
                        "The service has no record of this batch any more (its data was reset, \
                         or it was made on other servers): the counts are as last seen.",
                    )
                    .color(ui.visuals().warn_fg_color),
                );
            }
            if let Some(error) = job.records.error()
                && !job.unknown_to_service
            {
                retry_poll = error_label(ui, error);
            }
        }
        if retry_start {
            let plan = job.plan.clone();
            let (gallery_id, gallery_name) = (job.gallery_id.clone(), job.gallery_name.clone());
            self.start(cx, &gallery_id, &gallery_name, plan);
            return;
        }
        if retry_poll && let Some(job) = &mut self.job {
            job.next_poll = Instant::now();
            job.records.reset();
        }
        self.results_ui(ui, cx);
    }
}
