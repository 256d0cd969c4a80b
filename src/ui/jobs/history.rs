//! The Jobs pane's earlier batches: the history of each gallery ([`JobHistory`], one file per
//! profile and gallery) read once in the background, kept up to date as jobs go on and written
//! after every change, and the list the pane shows of the open gallery's, newest first.
//!
//! A job may go on in a gallery that is no longer open, so the histories are kept by file,
//! not only the open gallery's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use egui::{RichText, Ui};
use necid::BatchId;

use crate::backend::Outbox;
use crate::job_history::{JobHistory, KeptBatch};
use crate::request::{Finished, Request};
use crate::ui::ConnectionState;
use crate::ui::PaneContext;

/// The history file of the open gallery of the active profile.
pub(super) fn open_gallery_file(cx: &PaneContext<'_>) -> Option<PathBuf> {
    let ConnectionState::Ready(connection) = cx.connection else {
        return None;
    };
    let gallery = cx.gallery?;
    Some(JobHistory::file(
        cx.data_dir,
        &connection.profile_id,
        &gallery.gallery_id,
    ))
}

/// One gallery's history and its file's reads and writes.
#[derive(Debug, Default)]
struct Kept {
    batches: JobHistory,
    load: Request<JobHistory>,
    save: Request<()>,
    /// Changed since last written.
    unsaved: bool,
}

/// Every history the pane has used, by file.
#[derive(Debug, Default)]
pub(super) struct Histories {
    kept: HashMap<PathBuf, Kept>,
}

impl Histories {
    /// The batches kept in `file` (none until it has been read).
    pub(super) fn of(&self, file: &Path) -> Option<&JobHistory> {
        self.kept.get(file).map(|k| &k.batches)
    }

    /// Whether `file` was read (or found missing): what it holds is known.
    pub(super) fn is_read(&self, file: &Path) -> bool {
        self.kept
            .get(file)
            .is_some_and(|k| !k.load.is_not_requested() && !k.load.is_pending())
    }

    /// Asks for `file` to be read (on the next [`Histories::poll`]).
    pub(super) fn want(&mut self, file: &Path) {
        self.kept.entry(file.to_owned()).or_default();
    }

    /// Keeps a batch in `file`'s history and writes it; a batch kept already is replaced.
    pub(super) fn keep(&mut self, file: &Path, batch: KeptBatch) {
        let kept = self.kept.entry(file.to_owned()).or_default();
        if kept.batches.get(&batch.batch_id) != Some(&batch) {
            kept.batches.keep(batch);
            kept.unsaved = true;
        }
    }

    /// Reads each history once, then writes it after every change (one write at a time).
    pub(super) fn poll(&mut self, outbox: &mut Outbox) {
        for (file, kept) in &mut self.kept {
            match kept.load.poll() {
                Some(Finished::Succeeded(read)) => {
                    // Batches kept while the file was being read win over the file's.
                    let mut read = read.clone();
                    read.merge(&kept.batches);
                    kept.batches = read;
                }
                Some(Finished::Failed(error)) => {
                    tracing::warn!(%error, "the earlier bulk jobs were not read");
                }
                None => {}
            }
            if let Some(Finished::Failed(error)) = kept.save.poll() {
                tracing::warn!(%error, "the earlier bulk jobs were not written");
            }
            if kept.load.is_not_requested() {
                let path = file.clone();
                kept.load
                    .read(outbox, "reading the earlier bulk jobs", move |worker| {
                        worker.blocking("reading the earlier bulk jobs", move || {
                            Ok(JobHistory::load(&path)?)
                        })
                    });
                continue;
            }
            // A history that could not be read is not written over.
            let read = kept.load.data().is_some();
            if read && kept.unsaved && !kept.load.is_pending() && !kept.save.is_pending() {
                kept.unsaved = false;
                let (batches, path) = (kept.batches.clone(), file.clone());
                kept.save
                    .write(outbox, "saving the earlier bulk jobs", move |worker| {
                        worker.blocking("saving the earlier bulk jobs", move || {
                            Ok(batches.save(&path)?)
                        })
                    });
            }
        }
    }

    /// True while a history is being read or written.
    pub fn busy(&self) -> bool {
        self.kept
            .values()
            .any(|k| k.load.is_pending() || k.save.is_pending() || k.unsaved)
    }

    /// The open gallery's earlier batches, newest first; `shown` is the batch the pane shows.
    /// Returns the batch the user chose.
    pub(super) fn ui(
        &self,
        ui: &mut Ui,
        file: &Path,
        shown: Option<&BatchId>,
    ) -> Option<KeptBatch> {
        let kept = self.kept.get(file)?;
        if let Some(error) = kept.load.error() {
            ui.label(
                RichText::new(format!("Earlier bulk jobs: {}", error.message))
                    .color(ui.visuals().error_fg_color),
            );
            return None;
        }
        if kept.batches.is_empty() {
            return None;
        }
        let mut chosen = None;
        ui.strong(format!(
            "Bulk jobs started in this gallery ({}), the newest first: choose one to see its \
             progress and records",
            kept.batches.len()
        ));
        egui::ScrollArea::vertical()
            .id_salt("job_history")
            .max_height(96.0)
            .show(ui, |ui| {
                for batch in kept.batches.newest_first() {
                    let counts = batch.counts;
                    let progress = if batch.finished {
                        format!("{} registered, {} failed", counts.registered, counts.failed)
                    } else {
                        format!(
                            "{} of {} processed when last seen",
                            counts.processed, counts.files
                        )
                    };
                    let text = format!(
                        "{} · {}: {progress} · {} · batch {}",
                        batch.started_on(),
                        crate::ui::plural::count(counts.files, "file", "files"),
                        batch.folder,
                        batch.batch_id.as_str()
                    );
                    let is_shown = shown == Some(&batch.batch_id);
                    // A small window cuts the line's end (the folder, the batch id); the
                    // tooltip has it whole.
                    if ui
                        .add(egui::Button::selectable(is_shown, text.as_str()).truncate())
                        .on_hover_text(text.as_str())
                        .clicked()
                        && !is_shown
                    {
                        chosen = Some(batch.clone());
                    }
                }
            });
        chosen
    }
}
