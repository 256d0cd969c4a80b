//! The Subjects pane's enrolment form: one image (dropped, picked or typed), measured before it
//! is sent. Extract runs on it first, so the face count, quality and pose are shown against the
//! application's minimum before anything is registered, and the gallery is searched with it, so
//! that a person already enrolled is offered before a second subject is made for them
//! (`duplicates.rs`); then it is registered as a new subject, added as an event, or replaces a
//! subject's or an event's face.
//!
//! The form names the subject it adds to, and only that one: selecting another subject in the
//! list while the form is open changes nothing until the user says so. Each form starts with no
//! tag chosen.

use std::collections::BTreeSet;

use egui::{RichText, Ui};
use necid::{Enrolment, EventId, FaceAttributes, FaceImage, GalleryId, SubjectId, TagName};

use super::Confirmation;
use super::duplicates::{self, CandidateTextures, DuplicateCheck, DuplicateChoice};
use crate::backend::OpenedGallery;
use crate::error::UiError;
use crate::request::{Finished, Request};
use crate::thumbnails::Thumbnails;
use crate::ui::PaneContext;
use crate::widgets::image_input::ImageSource;
use crate::widgets::tag_chips::{chosen, tag_chips};
use crate::widgets::{FormFocus, FormKeys, error_label};

/// The minimum face quality an enrolment must reach, and which application sets it.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityRule {
    pub minimum: f64,
    /// Which application the minimum comes from, and why that one applies.
    pub source: String,
}

/// An image checked and measured, ready to enrol.
#[derive(Clone, Debug)]
pub struct PreparedImage {
    pub name: String,
    /// What enrolment sends: the image itself, or a smaller copy when it is too large for a
    /// request (see [`FaceImage::copy_of`]); the faces are on the original's pixels either way.
    pub image: FaceImage,
    /// The faces Extract found (the API refuses enrolment unless there is exactly one).
    pub faces: Vec<FaceAttributes>,
    /// The minimum that applies, when the applications could be read.
    pub rule: Result<QualityRule, UiError>,
    /// The gallery searched with the face, when there is exactly one.
    pub duplicates: Option<Result<DuplicateCheck, UiError>>,
}

/// How to enrol an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnrolTarget {
    NewSubject,
    NewEvent(SubjectId),
    ReplaceSubject(SubjectId),
    ReplaceEvent(SubjectId, EventId),
}

/// The enrolment form: one image, measured before it is sent.
#[derive(Debug)]
pub(super) struct EnrolForm {
    pub(super) source: ImageSource,
    pub(super) prepared: Request<PreparedImage>,
    /// The subject an event is added to, as shown on the form (a new subject gets its id from
    /// the service); the list's selection only fills it when the form opens.
    subject_id: String,
    /// The duplicate check's thumbnails.
    textures: CandidateTextures,
    pub(super) tags_on: BTreeSet<TagName>,
    pub(super) enrol: Request<Enrolment>,
    /// What `enrol` is doing, to say what happened and to retry it.
    pub(super) target: Option<EnrolTarget>,
    /// The sentence shown after the last success.
    pub(super) done: Option<String>,
    /// Subject ID takes the keyboard when the form opens: Enter then adds the face to the
    /// subject named there, or registers a new subject when none is.
    focus: FormFocus,
}

/// What the user did in the form this frame.
pub(super) struct FormOutcome {
    pub(super) close: bool,
    pub(super) confirm: Option<Confirmation>,
}

impl EnrolForm {
    /// A form for `source`, measuring it at once.
    pub(super) fn open(
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
        source: ImageSource,
        subject_id: String,
    ) -> Self {
        let mut form = Self {
            source,
            prepared: Request::new(),
            subject_id,
            textures: CandidateTextures::default(),
            tags_on: BTreeSet::new(),
            enrol: Request::new(),
            target: None,
            done: None,
            focus: FormFocus::default(),
        };
        form.prepare(cx, gallery, client);
        form
    }

    /// Whether the image is measured and can be sent.
    pub(super) fn is_ready(&self) -> bool {
        self.prepared.data().is_some() && !self.prepared.is_pending()
    }

    /// Reads, checks and measures the form's image.
    fn prepare(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
    ) {
        self.done = None;
        self.enrol.reset();
        let (client, handle, gallery_id, source) = (
            client.clone(),
            gallery.gallery.clone(),
            gallery.gallery_id.clone(),
            self.source.clone(),
        );
        let thumbnails = Thumbnails::new(cx.data_dir);
        let threshold = cx.threshold();
        self.prepared
            .read(cx.outbox, "checking the image", move |worker| async move {
                let name = source.name();
                let image = worker
                    .blocking("reading the image", move || {
                        source.read("cannot be enrolled")
                    })
                    .await?;
                let [image] = crate::ui::face::fit_for_request(&worker, &client, [image])
                    .await
                    .map_err(|mut error| {
                        error.message = format!("{name}: {}", error.message);
                        error
                    })?;
                let faces = match client.extract(&image).await {
                    Ok(found) => found.faces.into_iter().map(|f| f.attributes).collect(),
                    Err(error) if error.error_type() == Some("NoFace") => Vec::new(),
                    Err(error) => {
                        let mut error = UiError::from(error);
                        error.message = format!("{name}: {}", error.message);
                        return Err(error);
                    }
                };
                let rule = quality_rule(&client, &handle, &gallery_id).await;
                // Search refuses an image without exactly one face, as enrolment does.
                let duplicates = if faces.len() == 1 {
                    Some(duplicates::check(&worker, &handle, &image, threshold, thumbnails).await)
                } else {
                    None
                };
                Ok(PreparedImage {
                    name,
                    image,
                    faces,
                    rule,
                    duplicates,
                })
            });
    }

    /// Sends the measured image to be enrolled as `target`, then keeps its thumbnail.
    pub(super) fn enrol(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        gallery_tags: &[TagName],
        target: EnrolTarget,
    ) {
        let Some(prepared) = self.prepared.data() else {
            return;
        };
        let image = prepared.image.clone();
        let tags = chosen(gallery_tags, &self.tags_on);
        let handle = gallery.gallery.clone();
        let thumbnails = Thumbnails::new(cx.data_dir);
        self.target = Some(target.clone());
        self.done = None;
        self.enrol
            .write(cx.outbox, "enrolling the face", move |worker| async move {
                let enrolled = match &target {
                    EnrolTarget::NewSubject => handle.register_subject(&image, &tags).await,
                    EnrolTarget::NewEvent(subject_id) => {
                        handle.register_event(subject_id, &image, &tags).await
                    }
                    EnrolTarget::ReplaceSubject(subject_id) => {
                        handle.update_subject(subject_id, &image, &tags).await
                    }
                    EnrolTarget::ReplaceEvent(subject_id, event_id) => {
                        handle
                            .update_event(subject_id, event_id, &image, &tags)
                            .await
                    }
                }?;
                // The face is enrolled either way; a missing thumbnail only costs a picture.
                let event_id = enrolled.event_id.clone();
                let saved = worker
                    .blocking("keeping the thumbnail", move || {
                        thumbnails
                            .save(&event_id, image.bytes())
                            .map_err(|error| UiError::new(error.to_string()))
                    })
                    .await;
                if let Err(error) = saved {
                    tracing::warn!(%error, "the enrolled face's thumbnail was not kept");
                }
                Ok::<_, UiError>(enrolled)
            });
    }

    /// Takes the measurement when it arrives (and the duplicate check's thumbnails with it).
    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        if let Some(Finished::Succeeded(prepared)) = self.prepared.poll()
            && let Some(Ok(check)) = &prepared.duplicates
        {
            self.textures.load(ctx, check);
        }
    }

    /// The subject the form adds to, if one is named.
    pub(super) fn subject_id(&self) -> Option<SubjectId> {
        let subject_id = self.subject_id.trim();
        (!subject_id.is_empty()).then(|| SubjectId::new(subject_id))
    }

    /// The form; `gallery_tags` are the shell's list of the gallery's tags, `selected` the
    /// subject selected in the list (which the form does not follow by itself).
    #[allow(clippy::too_many_arguments)] // the pane's state the form reads, named
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
        gallery_tags: &[TagName],
        selected: Option<&SubjectId>,
    ) -> FormOutcome {
        let mut close = false;
        let mut confirm = None;
        crate::widgets::form::frame(ui, "enrol_form", |ui| {
            ui.horizontal(|ui| {
                ui.strong(format!("Enrol “{}”", self.source.name()));
                if ui.small_button("Close").clicked() {
                    close = true;
                }
            });
            if self.prepared.is_pending() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Finding the face, measuring its quality, searching the gallery…");
                });
            }
            if let Some(error) = self.prepared.error().cloned()
                && error_label(ui, &error)
            {
                self.prepare(cx, gallery, client);
            }
            let ready = !self.prepared.is_pending() && self.prepared.error().is_none();
            let can_send = ready && self.prepared.data().is_some() && !self.enrol.is_pending();
            let mut target = None;
            let mut has_candidates = false;
            if ready && let Some(prepared) = self.prepared.data() {
                quality_ui(ui, prepared);
                has_candidates = prepared
                    .duplicates
                    .as_ref()
                    .is_some_and(|check| check.as_ref().is_ok_and(|c| !c.candidates.is_empty()));
                if let Some(DuplicateChoice::AddTo(subject_id)) = duplicates::outcome_ui(
                    ui,
                    prepared.duplicates.as_ref(),
                    &self.textures,
                    cx.gallery.map(|gallery| gallery.names()),
                    can_send,
                ) {
                    target = Some(EnrolTarget::NewEvent(subject_id));
                }
            }
            let mut keys = FormKeys::new(&mut self.focus);
            ui.horizontal(|ui| {
                let label = ui.label("Subject ID");
                // An id of its own: the measurement's lines arrive above it, and a field whose
                // id moved would lose the keyboard.
                let field = egui::TextEdit::singleline(&mut self.subject_id)
                    .id_salt("enrol_subject_id")
                    .desired_width(280.0)
                    .hint_text(
                        "for Add event or Update; a new subject gets its id from the service",
                    );
                keys.add(ui, field, label.id);
            });
            let (entered, escaped) = (keys.entered(), keys.escaped());
            self.named_subject_ui(ui, selected);
            ui.horizontal(|ui| {
                ui.label("Tags");
                if gallery_tags.is_empty() {
                    ui.label(RichText::new("the gallery has no tags (create them in Tags)").weak());
                } else {
                    tag_chips(ui, gallery_tags, &mut self.tags_on, true);
                }
            });
            let subject_id = self.subject_id();
            ui.horizontal(|ui| {
                let new_subject = if has_candidates {
                    "Enrol as a new subject anyway"
                } else {
                    "Register subject"
                };
                if ui
                    .add_enabled(can_send, egui::Button::new(new_subject))
                    .on_hover_text("A new subject with this face; the service chooses its id")
                    .clicked()
                    // Enter registers only when nobody is named and nobody already enrolled
                    // looks like the face: then the choice is the user's to click.
                    || (entered && can_send && subject_id.is_none() && !has_candidates)
                {
                    target = Some(EnrolTarget::NewSubject);
                }
                if (ui
                    .add_enabled(
                        can_send && subject_id.is_some(),
                        egui::Button::new("Add event"),
                    )
                    .on_hover_text("Add this face to the subject named in Subject ID")
                    .clicked()
                    || (entered && can_send))
                    && let Some(subject_id) = &subject_id
                {
                    target = Some(EnrolTarget::NewEvent(subject_id.clone()));
                }
                if ui
                    .add_enabled(
                        can_send && subject_id.is_some(),
                        egui::Button::new("Update subject…"),
                    )
                    .on_hover_text("Replace the face of the subject's first event")
                    .clicked()
                    && let Some(subject_id) = &subject_id
                {
                    confirm = Some(Confirmation::Replace(EnrolTarget::ReplaceSubject(
                        subject_id.clone(),
                    )));
                }
                if ui
                    .button("Cancel")
                    .on_hover_text("Close the form; nothing is enrolled")
                    .clicked()
                    || escaped
                {
                    close = true;
                }
                if self.enrol.is_pending() {
                    ui.spinner();
                }
            });
            if let Some(target) = target {
                if let EnrolTarget::NewEvent(subject_id) = &target {
                    self.subject_id = subject_id.as_str().to_owned();
                }
                self.enrol(cx, gallery, gallery_tags, target);
            }
            if let Some(error) = self.enrol.error().cloned() {
                if error_label(ui, &error)
                    && let Some(target) = self.target.clone()
                {
                    self.enrol(cx, gallery, gallery_tags, target);
                }
            } else if let Some(done) = &self.done
                && !self.enrol.is_pending()
            {
                ui.label(RichText::new(done).strong());
            }
        });
        FormOutcome { close, confirm }
    }

    /// Whom "Add event" adds to, and the selected subject when it is another one: the form
    /// takes it only when asked.
    fn named_subject_ui(&mut self, ui: &mut Ui, selected: Option<&SubjectId>) {
        let named = self.subject_id();
        match &named {
            Some(subject_id) => {
                ui.label(format!(
                    "Add event adds this face to subject {}.",
                    subject_id.as_str()
                ));
            }
            None => {
                ui.label(RichText::new("No subject named: Add event needs a Subject ID.").weak());
            }
        }
        if let Some(selected) = selected
            && named.as_ref() != Some(selected)
        {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Subject {} is selected in the list; this form does not add to it.",
                        selected.as_str()
                    ))
                    .weak(),
                );
                if ui.small_button("Use the selected subject").clicked() {
                    self.subject_id = selected.as_str().to_owned();
                }
            });
        }
    }
}

/// The minimum quality that applies to enrolments through `gallery`: that of the application
/// whose API key the console uses, else the strictest of the gallery's applications.
async fn quality_rule(
    client: &necid::Client,
    gallery: &necid::Gallery,
    gallery_id: &GalleryId,
) -> Result<QualityRule, UiError> {
    let detail = client.galleries().get(gallery_id).await?;
    let used_key = gallery.api_key().expose();
    if let Some(used) = detail
        .applications
        .iter()
        .find(|a| a.api_key.expose() == used_key)
    {
        let application = client.applications().get(&used.id).await?;
        return Ok(QualityRule {
            minimum: application.face_minimum_quality_score,
            source: format!(
                "application “{}”, whose API key this console uses for the gallery",
                application.name
            ),
        });
    }
    let mut strictest: Option<necid::Application> = None;
    for summary in &detail.applications {
        let application = client.applications().get(&summary.id).await?;
        if strictest
            .as_ref()
            .is_none_or(|s| application.face_minimum_quality_score > s.face_minimum_quality_score)
        {
            strictest = Some(application);
        }
    }
    strictest
        .map(|application| QualityRule {
            minimum: application.face_minimum_quality_score,
            source: format!(
                "application “{}”, the strictest of the gallery's {} (the console's API key \
                 matches none of them)",
                application.name,
                detail.applications.len()
            ),
        })
        .ok_or_else(|| UiError::new("The gallery has no application, so no minimum is known."))
}

/// What the service will think of the image, said before it is sent.
fn quality_ui(ui: &mut Ui, prepared: &PreparedImage) {
    let error = ui.visuals().error_fg_color;
    let (width, height) = prepared
        .image
        .copy_of()
        .map_or_else(|| prepared.image.dimensions(), |copy| copy.original_size);
    ui.label(format!("{} · {width}×{height} pixels", prepared.name));
    crate::ui::face::sent_copy_ui(ui, prepared.image.copy_of());
    match prepared.faces.as_slice() {
        [] => {
            ui.label(
                RichText::new(
                    "No face found: the service will refuse it (errorType NoFace, errorCode 2001).",
                )
                .color(error),
            );
        }
        [face] => {
            ui.label(format!(
                "1 face · face quality {:.3} · roll {:.1}° · pan {:.1}° · tilt {:.1}°",
                face.face_quality_score, face.face_roll, face.face_pan, face.face_tilt
            ));
            match &prepared.rule {
                Ok(rule) if face.face_quality_score < rule.minimum => {
                    ui.label(
                        RichText::new(format!(
                            "Below the minimum of {:.2} set by {}: the service will refuse it \
                             (errorType PoorQuality, errorCode 2002).",
                            rule.minimum, rule.source
                        ))
                        .color(error),
                    );
                }
                Ok(rule) => {
                    ui.label(format!(
                        "Meets the minimum quality of {:.2} set by {}.",
                        rule.minimum, rule.source
                    ));
                }
                Err(rule_error) => {
                    ui.label(
                        RichText::new(format!(
                            "The minimum quality is unknown ({}); the service may still refuse a \
                             poor face.",
                            rule_error.message
                        ))
                        .weak(),
                    );
                }
            }
        }
        faces => {
            ui.label(
                RichText::new(format!(
                    "{} faces found: the service refuses an image with more than one face \
                     (errorType MultipleFaces, errorCode 2003).",
                    faces.len()
                ))
                .color(error),
            );
        }
    }
}
