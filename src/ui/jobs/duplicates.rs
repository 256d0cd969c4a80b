//! The duplicate check over a folder, before a bulk job: each listed image is searched in the
//! open gallery (through the API's Search, so any profile), and the pane lists which files
//! match whom, so that people already enrolled are not enrolled a second time by the job.
//! The same check the enrolment form makes for one image (`ui/subjects/duplicates.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{RichText, Ui};
use necid::{FaceImage, MatchScore, SubjectId};

use crate::backend::files::FolderImage;
use crate::error::UiError;
use crate::request::Request;
use crate::ui::PaneContext;
use crate::ui::face::fit_for_request;
use crate::ui::subjects::subject_title;
use crate::widgets::error_label;

/// What the check found for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileMatch {
    /// The best enrolled subject at or above the threshold.
    Matches { subject_id: SubjectId, score: u16 },
    /// Nobody at or above the threshold.
    NoMatch,
    /// Not searched: why (no face, several faces, not an image…).
    NotSearched(String),
}

/// One file's line of the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub relative: String,
    pub found: FileMatch,
}

/// The check's state in the Jobs pane.
#[derive(Debug, Default)]
pub(super) struct FolderCheck {
    check: Request<(MatchScore, Vec<FileCheck>)>,
    /// The folder the check is of.
    checked_folder: String,
    done: Arc<AtomicUsize>,
    total: usize,
}

impl FolderCheck {
    pub(super) fn poll(&mut self) {
        self.check.poll();
    }

    /// Searches the gallery with every file of `files`, one after the other.
    fn start(&mut self, cx: &mut PaneContext<'_>, folder: &str, files: Vec<FolderImage>) {
        let Some(gallery) = cx.gallery else {
            return;
        };
        let handle = gallery.opened().gallery.clone();
        let threshold = cx.threshold();
        self.checked_folder = folder.to_owned();
        self.total = files.len();
        self.done = Arc::default();
        let done = Arc::clone(&self.done);
        self.check.read(
            cx.outbox,
            "checking the folder against the gallery",
            move |worker| async move {
                let mut checks = Vec::with_capacity(files.len());
                for file in files {
                    let path = file.path.clone();
                    let image = worker
                        .blocking("reading an image", move || {
                            FaceImage::from_path(&path).map_err(|e| UiError::new(e.to_string()))
                        })
                        .await;
                    let found = match image {
                        Err(error) => FileMatch::NotSearched(error.message),
                        Ok(image) => {
                            let [image] =
                                fit_for_request(&worker, handle.client(), [image]).await?;
                            match handle
                                .search(&image)
                                .threshold(threshold)
                                .limit(1)
                                .send()
                                .await
                            {
                                Ok(Some(found)) => match found.candidates.into_iter().next() {
                                    Some(best) => FileMatch::Matches {
                                        subject_id: best.id,
                                        score: best.score.get(),
                                    },
                                    None => FileMatch::NoMatch,
                                },
                                Ok(None) => FileMatch::NoMatch,
                                // The file's own problem (no face, several): said, and on.
                                Err(error) if error.error_code().is_some() => {
                                    FileMatch::NotSearched(UiError::from(error).message)
                                }
                                Err(error) => return Err(UiError::from(error)),
                            }
                        }
                    };
                    checks.push(FileCheck {
                        relative: file.relative,
                        found,
                    });
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, UiError>((threshold, checks))
            },
        );
    }

    /// The button, the progress, and which files match whom.
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        folder: &str,
        files: &[FolderImage],
    ) {
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !files.is_empty() && !self.check.is_pending(),
                    egui::Button::new("Check for people already enrolled"),
                )
                .on_hover_text(
                    "Search the gallery with every listed image before the job enrols them",
                )
                .clicked()
            {
                self.start(cx, folder, files.to_vec());
            }
            if self.check.is_pending() {
                ui.spinner();
                ui.label(format!(
                    "{} of {} searched",
                    self.done.load(Ordering::Relaxed),
                    self.total
                ));
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(200));
            }
        });
        if let Some(error) = self.check.error() {
            error_label(ui, error);
        }
        let Some((threshold, checks)) = self.check.data() else {
            return;
        };
        if self.checked_folder != folder {
            return;
        }
        let matching: Vec<&FileCheck> = checks
            .iter()
            .filter(|c| matches!(c.found, FileMatch::Matches { .. }))
            .collect();
        let not_searched = checks
            .iter()
            .filter(|c| matches!(c.found, FileMatch::NotSearched(_)))
            .count();
        ui.label(
            RichText::new(format!(
                "{} of {} files match someone enrolled (score {} or more); {not_searched} could \
                 not be searched.",
                matching.len(),
                checks.len(),
                threshold.get()
            ))
            .strong(),
        );
        let names = cx.gallery.map(|gallery| gallery.names());
        egui::ScrollArea::vertical()
            .id_salt("job_duplicates")
            .max_height(120.0)
            .show(ui, |ui| {
                for check in checks {
                    match &check.found {
                        FileMatch::Matches { subject_id, score } => {
                            ui.label(format!(
                                "{}: matches {} · score {score}",
                                check.relative,
                                subject_title(names, subject_id)
                            ));
                        }
                        FileMatch::NotSearched(reason) => {
                            ui.label(
                                RichText::new(format!(
                                    "{}: not searched ({reason})",
                                    check.relative
                                ))
                                .weak(),
                            );
                        }
                        FileMatch::NoMatch => {}
                    }
                }
            });
    }
}
