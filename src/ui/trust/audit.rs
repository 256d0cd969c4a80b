//! The gallery audit's review queue: the Local service's audit (a local extension) lists
//! subjects that look like one person enrolled twice and events that look filed under the wrong
//! person; here each finding is shown with thumbnails and names and decided on:
//! - *same person* merges the subject with fewer events into the other: the events whose images
//!   this console holds are enrolled again under the subject kept and unregistered from the
//!   other; the others are listed with what to do;
//! - *different people* is remembered (in the journal), so the pair is never suggested again;
//! - *misfiled* unregisters the event.
//!
//! Every decision goes in the gallery's journal (`journal.rs`), shown under the queue.

use std::collections::HashMap;
use std::sync::Arc;

use crate::subject_names::SubjectNames;
use std::time::Duration;

use egui::{RichText, TextureHandle, Ui};
use necid::{AuditReport, AuditStatus, EventId, FaceImage, GalleryId, SubjectId};

use super::journal::{Decision, Journal, JournalEntry};
use crate::backend::files::color_image;
use crate::backend::{OpenedGallery, Worker};
use crate::error::UiError;
use crate::request::{Finished, Request};
use crate::thumbnails::Thumbnails;
use crate::ui::plural::count;
use crate::ui::subjects::subject_title;
use crate::ui::{GalleryChange, PaneContext};
use crate::widgets::error_label;

/// How often a running audit is asked for its progress.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// A subject of a finding: its events when the audit ran, and the first thumbnail this console
/// holds of them.
#[derive(Clone, Debug)]
pub struct FindingSubject {
    pub subject_id: SubjectId,
    pub events: Vec<EventId>,
    pub thumbnail: Option<Arc<egui::ColorImage>>,
}

/// The audit's findings with what the console knows of their subjects.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    pub report: Option<AuditReport>,
    pub subjects: HashMap<SubjectId, FindingSubject>,
}

/// The Audit tab's view state.
#[derive(Default)]
pub(super) struct AuditView {
    gallery_id: Option<GalleryId>,
    journal: Request<Vec<JournalEntry>>,
    run: Request<Findings>,
    decide: Request<JournalEntry>,
    textures: HashMap<SubjectId, TextureHandle>,
}

impl std::fmt::Debug for AuditView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditView")
            .field("run", &self.run)
            .field("decide", &self.decide)
            .finish_non_exhaustive()
    }
}

impl AuditView {
    pub(super) fn poll(&mut self, ctx: &egui::Context, cx: &mut PaneContext<'_>) {
        self.journal.poll();
        if let Some(Finished::Succeeded(findings)) = self.run.poll() {
            self.textures.clear();
            for subject in findings.subjects.values() {
                if let Some(pixels) = &subject.thumbnail {
                    let texture = ctx.load_texture(
                        format!("audit-{}", subject.subject_id.as_str()),
                        (**pixels).clone(),
                        egui::TextureOptions::LINEAR,
                    );
                    self.textures.insert(subject.subject_id.clone(), texture);
                }
            }
        }
        match self.decide.poll() {
            Some(Finished::Succeeded(entry)) => {
                let entry = entry.clone();
                cx.toasts.info(format!(
                    "Recorded: {} ({})",
                    entry.decision.label(),
                    entry.outcome
                ));
                if entry.decision != Decision::DifferentPeople {
                    cx.gallery_changed(GalleryChange::Subjects);
                }
                if let Some(entries) = self.journal.data_mut() {
                    entries.push(entry);
                }
            }
            Some(Finished::Failed(error)) => cx.toasts.failure(error),
            None => {}
        }
    }

    fn start(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let handle = gallery.gallery.clone();
        let thumbnails = Thumbnails::new(cx.data_dir);
        self.run.read(
            cx.outbox,
            "auditing the gallery",
            move |worker| async move {
                let audit_id = handle.start_audit(None).await?;
                let report = loop {
                    let report = handle.audit(&audit_id).await?;
                    if report.status == AuditStatus::Completed {
                        break report;
                    }
                    tokio::time::sleep(POLL_EVERY).await;
                };
                let mut subjects = HashMap::new();
                let named = report
                    .duplicates
                    .iter()
                    .flat_map(|pair| pair.subject_ids.iter())
                    .chain(report.outliers.iter().map(|outlier| &outlier.subject_id));
                for subject_id in named {
                    if subjects.contains_key(subject_id) {
                        continue;
                    }
                    let events: Vec<EventId> = handle
                        .events(subject_id)
                        .await?
                        .events
                        .into_iter()
                        .map(|event| event.id)
                        .collect();
                    let thumbnail = first_thumbnail(&worker, &thumbnails, &events).await;
                    subjects.insert(
                        subject_id.clone(),
                        FindingSubject {
                            subject_id: subject_id.clone(),
                            events,
                            thumbnail,
                        },
                    );
                }
                Ok::<_, UiError>(Findings {
                    report: Some(report),
                    subjects,
                })
            },
        );
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        if self.gallery_id.as_ref() != Some(&gallery.gallery_id) {
            *self = Self {
                gallery_id: Some(gallery.gallery_id.clone()),
                ..Self::default()
            };
            let journal = Journal::of(cx.data_dir, &gallery.gallery_id);
            self.journal.read(
                cx.outbox,
                "reading the audit journal",
                move |worker| async move {
                    worker
                        .blocking("reading the audit journal", move || journal.read())
                        .await
                },
            );
        }
        ui.label(format!(
            "Audit of the gallery “{}”: subjects that look like one person enrolled twice, and \
             events that look filed under someone else (a Local service extension).",
            gallery.name
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.run.is_pending(), egui::Button::new("Run the audit"))
                .clicked()
            {
                self.start(cx, &gallery);
            }
            if self.run.is_pending() {
                ui.spinner();
                ui.label("Auditing every pair of events…");
                ui.ctx().request_repaint_after(POLL_EVERY);
            }
        });
        if let Some(error) = self.run.error().cloned()
            && error_label(ui, &error)
        {
            self.start(cx, &gallery);
        }
        if let Some(error) = self.journal.error() {
            error_label(ui, error);
        }
        self.queue_ui(ui, cx, &gallery);
        self.journal_ui(ui);
    }

    /// The findings not decided yet, each with its three buttons.
    fn queue_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let Some(findings) = self.run.data() else {
            return;
        };
        let Some(report) = &findings.report else {
            return;
        };
        let journal = self.journal.data().map_or(&[][..], Vec::as_slice);
        let decided_pair = |a: &SubjectId, b: &SubjectId| {
            journal.iter().any(|entry| {
                entry.subject_ids.contains(a)
                    && entry.subject_ids.contains(b)
                    && entry.decision != Decision::Misfiled
            })
        };
        let decided_event = |event_id: &EventId| {
            journal
                .iter()
                .any(|entry| entry.event_id.as_ref() == Some(event_id))
        };
        let pairs: Vec<_> = report
            .duplicates
            .iter()
            .filter(|pair| !decided_pair(&pair.subject_ids[0], &pair.subject_ids[1]))
            .cloned()
            .collect();
        let outliers: Vec<_> = report
            .outliers
            .iter()
            .filter(|outlier| !decided_event(&outlier.event_id))
            .cloned()
            .collect();
        ui.separator();
        if pairs.is_empty() && outliers.is_empty() {
            ui.label("Nothing to review: the audit found no finding that is not decided yet.");
            return;
        }
        ui.strong(format!(
            "To review: {}, {}",
            count(pairs.len(), "possible duplicate", "possible duplicates"),
            count(
                outliers.len(),
                "possibly misfiled event",
                "possibly misfiled events"
            )
        ));
        let busy = self.decide.is_pending();
        let names = cx.gallery.map(|gallery| gallery.names());
        let mut decided: Option<(Decision, Vec<SubjectId>, Option<EventId>, u16)> = None;
        for pair in &pairs {
            let [a, b] = &pair.subject_ids;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    self.subject_ui(ui, findings, names, a);
                    ui.label(format!("score {}", pair.score.get()));
                    self.subject_ui(ui, findings, names, b);
                });
                ui.horizontal(|ui| {
                    let ids = vec![a.clone(), b.clone()];
                    if ui
                        .add_enabled(!busy, egui::Button::new("Same person"))
                        .on_hover_text("Merge the subject with fewer events into the other")
                        .clicked()
                    {
                        decided = Some((Decision::SamePerson, ids.clone(), None, pair.score.get()));
                    }
                    if ui
                        .add_enabled(!busy, egui::Button::new("Different people"))
                        .on_hover_text("Keep both; this pair is not suggested again")
                        .clicked()
                    {
                        decided = Some((Decision::DifferentPeople, ids, None, pair.score.get()));
                    }
                });
            });
        }
        for outlier in &outliers {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    self.subject_ui(ui, findings, names, &outlier.subject_id);
                    ui.label(format!(
                        "event {} scores only {} against the subject's other events",
                        outlier.event_id.as_str(),
                        outlier.score.get()
                    ));
                    if ui
                        .add_enabled(!busy, egui::Button::new("Misfiled"))
                        .on_hover_text("Unregister this event from the subject")
                        .clicked()
                    {
                        decided = Some((
                            Decision::Misfiled,
                            vec![outlier.subject_id.clone()],
                            Some(outlier.event_id.clone()),
                            outlier.score.get(),
                        ));
                    }
                });
            });
        }
        if busy {
            ui.spinner();
        }
        if let Some((decision, subject_ids, event_id, score)) = decided {
            self.decide(
                cx,
                gallery,
                JournalEntry::new(decision, subject_ids, event_id, score, String::new()),
            );
        }
    }

    /// A subject's thumbnail and name.
    fn subject_ui(
        &self,
        ui: &mut Ui,
        findings: &Findings,
        names: Option<&SubjectNames>,
        subject_id: &SubjectId,
    ) {
        ui.vertical(|ui| {
            match self.textures.get(subject_id) {
                Some(texture) => {
                    ui.add(egui::Image::new(texture).max_size(egui::vec2(56.0, 56.0)));
                }
                None => {
                    ui.label(RichText::new("no thumbnail").weak().small());
                }
            }
            let events = findings
                .subjects
                .get(subject_id)
                .map_or(0, |s| s.events.len());
            ui.label(subject_title(names, subject_id))
                .on_hover_text(count(events, "event", "events"));
        });
    }

    /// Carries out `entry`'s decision and writes it in the journal with what was done.
    fn decide(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        mut entry: JournalEntry,
    ) {
        let handle = gallery.gallery.clone();
        let journal = Journal::of(cx.data_dir, &gallery.gallery_id);
        let thumbnails = Thumbnails::new(cx.data_dir);
        self.decide.write(
            cx.outbox,
            "recording the decision",
            move |worker| async move {
                entry.outcome = match (entry.decision, entry.subject_ids.as_slice()) {
                    (Decision::DifferentPeople, [a, b]) => format!(
                        "subjects {} and {} kept apart; not suggested again",
                        a.as_str(),
                        b.as_str()
                    ),
                    (Decision::SamePerson, [a, b]) => {
                        // Into the subject with more events: fewer faces to move. Listed now,
                        // not when the audit ran: a decision since may have changed them.
                        let events_of = |subject_id: SubjectId| {
                            let handle = handle.clone();
                            async move {
                                let events = handle.events(&subject_id).await?.events;
                                Ok::<_, UiError>(
                                    events.into_iter().map(|e| e.id).collect::<Vec<_>>(),
                                )
                            }
                        };
                        let (of_a, of_b) =
                            (events_of(a.clone()).await?, events_of(b.clone()).await?);
                        let (keep, merged, moved) = if of_b.len() > of_a.len() {
                            (b.clone(), a.clone(), of_a)
                        } else {
                            (a.clone(), b.clone(), of_b)
                        };
                        entry.subject_ids = vec![keep.clone(), merged.clone()];
                        merge(&worker, &handle, &thumbnails, &keep, &merged, moved).await?
                    }
                    (Decision::Misfiled, [subject_id]) => {
                        let event_id = entry
                            .event_id
                            .clone()
                            .ok_or_else(|| UiError::new("The finding names no event."))?;
                        handle.unregister_event(subject_id, &event_id).await?;
                        format!(
                            "event {} unregistered from subject {}",
                            event_id.as_str(),
                            subject_id.as_str()
                        )
                    }
                    _ => return Err(UiError::new("The finding does not fit the decision.")),
                };
                let written = entry.clone();
                worker
                    .blocking("writing the audit journal", move || {
                        journal.append(&written)
                    })
                    .await?;
                Ok(entry)
            },
        );
    }

    /// Every decision taken on this gallery, newest first.
    fn journal_ui(&self, ui: &mut Ui) {
        let Some(entries) = self.journal.data() else {
            return;
        };
        ui.separator();
        egui::CollapsingHeader::new(format!(
            "Journal ({})",
            count(entries.len(), "decision", "decisions")
        ))
        .id_salt("audit_journal")
        .default_open(true)
        .show(ui, |ui| {
            if entries.is_empty() {
                ui.label(RichText::new("No decision taken yet.").weak());
            }
            for entry in entries.iter().rev() {
                ui.label(format!(
                    "{} · {} · {}",
                    entry.at,
                    entry.decision.label(),
                    entry.outcome
                ));
            }
        });
    }
}

/// The first of `events` whose thumbnail this console holds, decoded.
async fn first_thumbnail(
    worker: &Worker,
    thumbnails: &Thumbnails,
    events: &[EventId],
) -> Option<Arc<egui::ColorImage>> {
    let (thumbnails, events) = (thumbnails.clone(), events.to_vec());
    worker
        .blocking("reading the thumbnails", move || {
            Ok(events.iter().find_map(|event_id| {
                let jpeg = thumbnails.load(event_id)?;
                let decoded = image::load_from_memory(&jpeg).ok()?;
                Some(Arc::new(color_image(&decoded)))
            }))
        })
        .await
        .ok()
        .flatten()
}

/// Enrols again under `keep` the events of `merged` whose images this console holds, and
/// unregisters them from `merged`; says what was done and what is left to do.
async fn merge(
    worker: &Worker,
    gallery: &necid::Gallery,
    thumbnails: &Thumbnails,
    keep: &SubjectId,
    merged: &SubjectId,
    events: Vec<EventId>,
) -> Result<String, UiError> {
    let held = {
        let (thumbnails, events) = (thumbnails.clone(), events.clone());
        worker
            .blocking("reading the held images", move || {
                Ok(events
                    .into_iter()
                    .map(|event_id| {
                        let image = thumbnails
                            .load(&event_id)
                            .and_then(|bytes| FaceImage::from_bytes(bytes).ok());
                        (event_id, image)
                    })
                    .collect::<Vec<_>>())
            })
            .await?
    };
    let (mut moved, mut left) = (0, Vec::new());
    for (event_id, image) in held {
        let Some(image) = image else {
            left.push(event_id);
            continue;
        };
        match gallery.register_event(keep, &image, &[]).await {
            Ok(_) => {
                gallery.unregister_event(merged, &event_id).await?;
                moved += 1;
            }
            Err(error) => {
                tracing::info!(%error, "an event's held image could not be enrolled again");
                left.push(event_id);
            }
        }
    }
    let mut outcome = format!(
        "{} of subject {} enrolled again under subject {}",
        count(moved, "event", "events"),
        merged.as_str(),
        keep.as_str()
    );
    if left.is_empty() {
        outcome.push_str(&format!("; subject {} has no event left", merged.as_str()));
    } else {
        let ids: Vec<&str> = left.iter().map(EventId::as_str).collect();
        outcome.push_str(&format!(
            "; this console holds no usable image of {} {}: enrol them under subject {} \
             from their original photos, then unregister subject {}",
            if ids.len() == 1 { "event" } else { "events" },
            ids.join(", "),
            keep.as_str(),
            merged.as_str()
        ));
    }
    Ok(outcome)
}
