//! The duplicate check before an enrolment: the form's face is searched in the gallery first,
//! so that a person already enrolled is offered (add the face to them) before a second subject
//! is made for them. It goes through the API's Search, so it works for every profile.

use std::collections::HashMap;

use egui::{RichText, TextureHandle, Ui};
use necid::{EventId, FaceImage, MatchScore, SubjectId};

use super::subject_title;
use crate::backend::Worker;
use crate::error::UiError;
use crate::subject_names::SubjectNames;
use crate::thumbnails::Thumbnails;
use crate::ui::face::{FoundSubject, with_thumbnails};
use crate::ui::plural::count;

/// How many enrolled subjects the check shows at most.
const CANDIDATE_LIMIT: u32 = 5;

/// The subjects already in the gallery that the face matches at or above `threshold`.
#[derive(Clone, Debug)]
pub struct DuplicateCheck {
    pub threshold: MatchScore,
    pub candidates: Vec<FoundSubject>,
}

/// What the user chose among the candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum DuplicateChoice {
    /// Add the face as an event of this (already enrolled) subject.
    AddTo(SubjectId),
}

/// Searches `gallery` with the (already fitted) `image`, with the thumbnails this console kept
/// of the candidates' events.
pub(super) async fn check(
    worker: &Worker,
    gallery: &necid::Gallery,
    image: &FaceImage,
    threshold: MatchScore,
    thumbnails: Thumbnails,
) -> Result<DuplicateCheck, UiError> {
    let found = gallery
        .search(image)
        .threshold(threshold)
        .limit(CANDIDATE_LIMIT)
        .send()
        .await?;
    let candidates = match found {
        None => Vec::new(),
        Some(found) => {
            worker
                .blocking("reading the thumbnails", move || {
                    Ok(with_thumbnails(found, &thumbnails).candidates)
                })
                .await?
        }
    };
    Ok(DuplicateCheck {
        threshold,
        candidates,
    })
}

/// The candidates' thumbnails as textures, by event.
#[derive(Default)]
pub(super) struct CandidateTextures(HashMap<EventId, TextureHandle>);

impl std::fmt::Debug for CandidateTextures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CandidateTextures({})", self.0.len())
    }
}

impl CandidateTextures {
    /// Makes textures of the thumbnails that arrived with `check`.
    pub(super) fn load(&mut self, ctx: &egui::Context, check: &DuplicateCheck) {
        self.0.clear();
        for event in check.candidates.iter().flat_map(|c| &c.events) {
            if let Some(pixels) = &event.thumbnail {
                let texture = ctx.load_texture(
                    format!("duplicate-{}", event.event_id),
                    (**pixels).clone(),
                    egui::TextureOptions::LINEAR,
                );
                self.0.insert(event.event_id.clone(), texture);
            }
        }
    }
}

/// The check's answer, or why the gallery could not be searched (which does not keep the face
/// from being enrolled); returns what the user chose.
pub(super) fn outcome_ui(
    ui: &mut Ui,
    outcome: Option<&Result<DuplicateCheck, UiError>>,
    textures: &CandidateTextures,
    names: Option<&SubjectNames>,
    enabled: bool,
) -> Option<DuplicateChoice> {
    match outcome? {
        Ok(check) => check_ui(ui, check, textures, names, enabled),
        Err(error) => {
            ui.label(
                RichText::new(format!(
                    "The gallery could not be searched for this face first: {}",
                    error.message
                ))
                .weak(),
            );
            None
        }
    }
}

/// The check's answer with a button per candidate; returns what the user chose.
fn check_ui(
    ui: &mut Ui,
    check: &DuplicateCheck,
    textures: &CandidateTextures,
    names: Option<&SubjectNames>,
    enabled: bool,
) -> Option<DuplicateChoice> {
    let threshold = check.threshold.get();
    if check.candidates.is_empty() {
        ui.label(format!(
            "Not in the gallery yet: no enrolled subject scores {threshold} or more."
        ));
        return None;
    }
    ui.label(
        RichText::new(format!(
            "Already in the gallery? {} {threshold} or more against this face:",
            count(
                check.candidates.len(),
                "enrolled subject scores",
                "enrolled subjects score"
            )
        ))
        .strong(),
    );
    let mut choice = None;
    for candidate in &check.candidates {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                let event = candidate
                    .events
                    .iter()
                    .find(|e| textures.0.contains_key(&e.event_id));
                match event.and_then(|e| textures.0.get(&e.event_id)) {
                    Some(texture) => {
                        ui.add(egui::Image::new(texture).max_size(egui::vec2(56.0, 56.0)));
                    }
                    None => {
                        ui.label(RichText::new("no thumbnail").weak().small())
                            .on_hover_text("Only events enrolled through this console have one.");
                    }
                }
                ui.vertical(|ui| {
                    ui.label(format!(
                        "{} · score {}",
                        subject_title(names, &candidate.subject_id),
                        candidate.score.get()
                    ));
                    if ui
                        .add_enabled(
                            enabled,
                            egui::Button::new("Add as an event to this subject"),
                        )
                        .on_hover_text(format!(
                            "Add this face to subject {}",
                            candidate.subject_id.as_str()
                        ))
                        .clicked()
                    {
                        choice = Some(DuplicateChoice::AddTo(candidate.subject_id.clone()));
                    }
                });
            });
        });
    }
    choice
}
