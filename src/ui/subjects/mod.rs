//! The Subjects pane: the people enrolled in the open gallery, each with its events.
//!
//! One struct per part, one file each: the paged list (`list.rs`), the selected subject's events
//! (`events.rs`) and the enrolment form (`enrol.rs`); this file ties them together. An image
//! dropped on the pane, picked or typed ([`ImageInput`]) opens the form. Subjects and events are
//! registered, updated and unregistered from here, each destructive step behind a confirmation
//! that names what is lost ([`ConfirmSlot`]). After every change the pane tells the shell
//! ([`PaneContext::gallery_changed`]), and it lists the gallery again whenever the gallery's
//! version moved, whichever pane changed it.

mod duplicates;
mod enrol;
mod events;
mod list;
mod names_csv;
mod table;
mod thumbs;

use egui::{RichText, Ui};
use necid::{EventId, GalleryId, SubjectId, SubjectPage};

use super::plural::count;
use super::{ConnectionState, GalleryChange, Pane, PaneContext, PaneId, pane_header};
use crate::backend::OpenedGallery;
use crate::request::{Finished, Request};
use crate::subject_names::SubjectNames;
use crate::widgets::ConfirmSlot;
use crate::widgets::image_input::{ImageInput, ImageSource, Picker};
use crate::widgets::tag_chips::{carry_rename, chosen};

pub use duplicates::DuplicateCheck;
pub use enrol::{EnrolTarget, PreparedImage, QualityRule};
pub use list::{SubjectGroup, SubjectIndex};

/// The name a subject is shown by wherever the console names one to decide on it (the
/// enrolment form's duplicate check, the folder check before a job, the audit's review): the
/// name the console keeps for it with the start of its id, or its id when it has no name.
pub fn subject_title(names: Option<&SubjectNames>, subject_id: &SubjectId) -> String {
    match names.and_then(|names| names.get(subject_id)) {
        Some(name) => {
            let id = subject_id.as_str();
            format!("{name} ({}…)", id.get(..8).unwrap_or(id))
        }
        None => format!("Subject {}", subject_id.as_str()),
    }
}

/// A destructive step waiting for the user's yes.
#[derive(Clone, Debug)]
enum Confirmation {
    UnregisterSubject(SubjectId),
    UnregisterEvent(SubjectId, EventId),
    Replace(EnrolTarget),
}

/// The Subjects pane's view state.
#[derive(Debug, Default)]
pub struct SubjectsPane {
    /// The gallery listed, the client its handle was built on ([`Connection::generation`]),
    /// and the gallery's version the listing is of.
    ///
    /// [`Connection::generation`]: crate::connection::Connection::generation
    listed_for: Option<(GalleryId, u64)>,
    listed_version: u64,
    list: list::SubjectList,
    selected: Option<SubjectId>,
    input: ImageInput,
    /// An image another pane handed over to be enrolled (a face cropped in Face's Extract).
    handed_over: Option<ImageSource>,
    form: Option<enrol::EnrolForm>,
    events: events::EventsView,
    confirm: ConfirmSlot<Confirmation>,
    change: Request<()>,
    change_label: String,
    /// Whose name is being edited, the text in the field, and the name it started from.
    name_edit: Option<(SubjectId, String, String)>,
    names_csv: names_csv::NamesCsv,
    thumbs: thumbs::ListThumbnails,
}

impl Pane for SubjectsPane {
    fn id(&self) -> PaneId {
        PaneId::Subjects
    }

    /// A renamed tag keeps its place in the form's choice and on the events this console
    /// enrolled with it.
    fn on_gallery_change(&mut self, change: &GalleryChange) {
        if let GalleryChange::TagRenamed { from, to } = change {
            if let Some(form) = &mut self.form {
                carry_rename(&mut form.tags_on, from, to);
            }
            self.events.rename_tag(from, to);
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Subjects",
            "The people enrolled in the open gallery, each with its events. Drop an image here to enrol it.",
        );
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        let ConnectionState::Ready(connection) = cx.connection else {
            return;
        };
        let client = connection.client.clone();
        let listed_for = (gallery.gallery_id.clone(), connection.generation);
        if self.listed_for.as_ref() != Some(&listed_for) {
            self.restart(listed_for, cx.gallery_version());
        } else if self.listed_version != cx.gallery_version() {
            // Changed here or in another pane: what is shown of the gallery is stale.
            self.listed_version = cx.gallery_version();
            self.list.reload();
            self.events.stale();
        }
        self.poll_answers(cx, ui.ctx());
        self.list.poll(cx, &gallery);
        self.dropped_ui(ui, cx, &gallery, &client);
        if let Some(source) = self.handed_over.take() {
            self.open_form(cx, &gallery, &client, source);
        }
        ui.horizontal(|ui| {
            ui.label(format!("Gallery “{}”", gallery.name));
            ui.separator();
            ui.add(
                egui::TextEdit::singleline(&mut self.list.filter)
                    .hint_text("Filter: name, id or tag")
                    .desired_width(160.0),
            )
            .labelled_by(ui.label("Filter").id);
            self.list.options_ui(ui);
        });
        ui.horizontal(|ui| {
            if let Some(source) = self
                .input
                .ui(ui, cx.outbox, Picker::EnrolImage, "Pick image…")
            {
                self.open_form(cx, &gallery, &client, source);
            }
            ui.separator();
            self.names_csv.ui(ui, cx, &gallery.name);
        });
        self.input.error_ui(ui);
        // The form and the selected subject get a column of their own, so the list keeps its
        // height and neither is pushed off a small window.
        egui::Panel::right("subjects_details")
            .resizable(true)
            .default_size(460.0)
            .min_size(320.0)
            // The list keeps at least half of a small window, and the room its columns need.
            .max_size(
                (ui.available_width() * 0.5)
                    .min(ui.available_width() - table::LIST_MIN_WIDTH)
                    .max(320.0),
            )
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .id_salt("subjects_details_scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if self.form.is_none() && self.selected.is_none() {
                            ui.label(
                                RichText::new(
                                    "Select a subject to see its events, or drop an image \
                                     (or Pick image…) to enrol it.",
                                )
                                .weak(),
                            );
                        }
                        self.form_ui(ui, cx, &gallery, &client);
                        self.events_ui(ui, cx, &gallery);
                    });
            });
        // Whatever the list's columns were dragged to, it never draws over the details beside
        // it (the form's first letters were once hidden under its last column).
        let list_rect = ui.available_rect_before_wrap();
        ui.shrink_clip_rect(list_rect);
        self.list.status_ui(ui, cx, &gallery);
        let tags_of = |group: &SubjectGroup| self.events.subject_tags(group);
        self.list.update_shown(
            cx.names(),
            cx.gallery.map_or(0, |g| g.names_version()),
            &tags_of,
        );
        let thumbs = &mut self.thumbs;
        let outbox = &mut *cx.outbox;
        let mut thumbnail_of = |group: &SubjectGroup| thumbs.of(outbox, group);
        self.list.table_ui(
            ui,
            &mut self.selected,
            cx.gallery.map(|g| g.names()),
            &tags_of,
            &mut thumbnail_of,
        );
        self.confirm_ui(ui, cx, &gallery);
    }
}

impl SubjectsPane {
    /// Opens the enrolment form for `source` when the pane is next drawn (the shell hands over
    /// a face another pane prepared, such as one face cropped out of a group photo).
    pub fn enrol_image(&mut self, source: ImageSource) {
        self.handed_over = Some(source);
    }

    /// Rows loaded so far (DELETED ones included).
    pub fn loaded_rows(&self) -> u64 {
        self.list.index().rows()
    }

    /// The subjects shown (filtered and sorted), in their order on screen.
    pub fn shown_subjects(&self) -> Vec<SubjectId> {
        self.list.shown().map(|g| g.subject_id.clone()).collect()
    }

    /// Shows only the subjects whose name, id or tag holds `text` (as the filter box does).
    pub fn set_filter(&mut self, text: &str) {
        self.list.filter = text.to_owned();
    }

    /// The subject selected in the list.
    pub fn selected(&self) -> Option<&SubjectId> {
        self.selected.as_ref()
    }

    /// Selects a subject (a search candidate's link): its events show beside the list.
    pub fn select(&mut self, subject_id: SubjectId) {
        self.selected = Some(subject_id);
    }

    /// True until every page of the listing has arrived.
    pub fn is_loading(&self) -> bool {
        self.list.is_loading()
    }

    /// Adds one List Subjects answer that started at `start` to the row cache, exactly as the
    /// paging does with each answer (grouping, counts, the visible list), without asking for
    /// the next page. The frame-time bench feeds a 100,000-row gallery through it.
    pub fn receive_page(&mut self, start: u64, page: SubjectPage) {
        self.list.receive_page(start, page);
    }

    /// Everything about another gallery (or the same one through another client) is
    /// forgotten; only the view options, what this console enrolled and an image handed over
    /// to be enrolled stay.
    fn restart(&mut self, listed_for: (GalleryId, u64), version: u64) {
        self.list.restart();
        self.events.restart();
        *self = Self {
            listed_for: Some(listed_for),
            listed_version: version,
            list: std::mem::take(&mut self.list),
            events: std::mem::take(&mut self.events),
            handed_over: self.handed_over.take(),
            ..Self::default()
        };
    }

    fn poll_answers(&mut self, cx: &mut PaneContext<'_>, ctx: &egui::Context) {
        self.events.poll(ctx);
        self.names_csv.poll(cx);
        self.thumbs.poll(cx, ctx);
        match self.change.poll() {
            Some(Finished::Succeeded(())) => {
                cx.toasts.info(self.change_label.clone());
                cx.gallery_changed(GalleryChange::Subjects);
            }
            Some(Finished::Failed(error)) => {
                cx.toasts
                    .failure(&error.clone().during(self.change_label.replacen(
                        "Unregistered",
                        "Unregistering",
                        1,
                    )));
            }
            None => {}
        }
        let Some(form) = &mut self.form else {
            return;
        };
        form.poll(ctx);
        if let Some(Finished::Succeeded(enrolment)) = form.enrol.poll() {
            let subject = enrolment.id.as_str();
            form.done = Some(match &form.target {
                Some(EnrolTarget::NewSubject) | None => format!("Registered subject {subject}"),
                Some(EnrolTarget::NewEvent(_)) => format!(
                    "Added event {} to subject {subject}",
                    enrolment.event_id.as_str()
                ),
                Some(EnrolTarget::ReplaceSubject(_)) => format!("Updated subject {subject}"),
                Some(EnrolTarget::ReplaceEvent(..)) => format!(
                    "Updated event {} of subject {subject}",
                    enrolment.event_id.as_str()
                ),
            });
            let known = events::KnownEvent {
                tags: chosen(cx.tags(), &form.tags_on),
                quality: enrolment.attributes.face_quality_score,
            };
            let (event_id, subject_id) = (enrolment.event_id.clone(), enrolment.id.clone());
            if matches!(form.target, Some(EnrolTarget::NewSubject) | None) {
                // The whole path: a file named by a number is named by its folder. Dropped
                // bytes have no file name to go by.
                let image_path = match &form.source {
                    ImageSource::Path(path) => path.display().to_string(),
                    ImageSource::Bytes { .. } => String::new(),
                };
                cx.name_enrolled_subject(&subject_id, &image_path);
            }
            self.events.enrolled(&event_id, known);
            self.selected = Some(subject_id);
            cx.gallery_changed(GalleryChange::Subjects);
        }
    }

    fn open_form(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
        source: ImageSource,
    ) {
        let subject_id = self
            .selected
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        // Tags are chosen for each face anew: the last enrolment's are not this one's.
        self.form = Some(enrol::EnrolForm::open(
            cx, gallery, client, source, subject_id,
        ));
    }

    /// Opens the form for an image dropped on the window; shows a hint while one hovers.
    fn dropped_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
    ) {
        if ImageInput::hovering(ui) {
            ui.label(RichText::new("Drop the image to enrol it").strong());
        }
        match ImageInput::dropped(ui) {
            Some(Ok(source)) => self.open_form(cx, gallery, client, source),
            Some(Err(error)) => cx.toasts.error(error),
            None => {}
        }
    }

    fn form_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
    ) {
        let Some(form) = &mut self.form else {
            return;
        };
        let gallery_tags = cx.tags().to_vec();
        let outcome = form.ui(
            ui,
            cx,
            gallery,
            client,
            &gallery_tags,
            self.selected.as_ref(),
        );
        if outcome.close {
            self.form = None;
        }
        if let Some(confirmation) = outcome.confirm {
            self.confirm.ask(confirmation);
        }
    }

    fn events_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let Some(subject_id) = self.selected.clone() else {
            return;
        };
        self.name_ui(ui, cx, &subject_id);
        let form_ready = self.form.as_ref().is_some_and(enrol::EnrolForm::is_ready);
        let confirmation = self.events.ui(
            ui,
            cx,
            gallery,
            subject_id,
            self.list.index(),
            self.list.show_deleted,
            form_ready,
            self.change.is_pending(),
        );
        if let Some(confirmation) = confirmation {
            self.confirm.ask(confirmation);
        }
    }

    /// The selected subject's name, editable: Enter or Save keeps it.
    fn name_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, subject_id: &SubjectId) {
        let current = cx.subject_name(subject_id).unwrap_or("").to_owned();
        // A name that arrives or changes elsewhere (enrolment, a job, an import) shows in the
        // field, unless the user is typing another one.
        let follows = self.name_edit.as_ref().is_none_or(|(id, edited, base)| {
            id != subject_id || (base != &current && edited == base)
        });
        if follows {
            self.name_edit = Some((subject_id.clone(), current.clone(), current.clone()));
        }
        let Some((_, edited, _)) = &mut self.name_edit else {
            return;
        };
        let mut save = false;
        ui.horizontal(|ui| {
            let label = ui.label("Subject name");
            let field = ui
                .add(
                    egui::TextEdit::singleline(edited)
                        .hint_text("a name for this person")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
            let entered = crate::widgets::form::entered(ui, &field);
            let changed = edited.trim() != current;
            if ui
                .add_enabled(changed, egui::Button::new("Save name"))
                .clicked()
                || (entered && changed)
            {
                save = true;
            }
        });
        if save {
            let name = edited.trim().to_owned();
            cx.name_subjects(vec![(subject_id.clone(), name)]);
        }
    }

    fn confirm_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let image_name = self
            .form
            .as_ref()
            .map_or_else(String::new, |f| f.source.name());
        let index = self.list.index();
        let confirmed = self
            .confirm
            .ui(ui, "confirm_subjects_change", |confirmation| {
                question(confirmation, index, &image_name)
            });
        let Some(confirmation) = confirmed else {
            return;
        };
        let handle = gallery.gallery.clone();
        match confirmation {
            Confirmation::UnregisterSubject(subject_id) => {
                self.change_label = format!("Unregistered subject {}", subject_id.as_str());
                if self.selected.as_ref() == Some(&subject_id) {
                    self.selected = None;
                }
                self.change.write(
                    cx.outbox,
                    "unregistering the subject",
                    move |_| async move { handle.unregister_subject(&subject_id).await },
                );
            }
            Confirmation::UnregisterEvent(subject_id, event_id) => {
                self.change_label = format!("Unregistered event {}", event_id.as_str());
                self.change
                    .write(cx.outbox, "unregistering the event", move |_| async move {
                        handle.unregister_event(&subject_id, &event_id).await
                    });
            }
            Confirmation::Replace(target) => {
                let gallery_tags = cx.tags().to_vec();
                if let Some(form) = &mut self.form {
                    form.enrol(cx, gallery, &gallery_tags, target);
                }
            }
        }
    }
}

/// The confirmation's title, what is lost, and its button.
fn question(
    confirmation: &Confirmation,
    index: &SubjectIndex,
    image_name: &str,
) -> (String, String, &'static str) {
    match confirmation {
        Confirmation::UnregisterSubject(subject_id) => {
            let events = index.group_of(subject_id).map_or(0, |g| g.active_events);
            (
                format!("Unregister subject {}?", subject_id.as_str()),
                format!(
                    "The subject and its {} leave the gallery: their faces no longer match \
                     in search or verify, and their rows stay listed as DELETED until the \
                     slots are reused. This cannot be undone.",
                    count(events, "active event", "active events")
                ),
                "Unregister subject",
            )
        }
        Confirmation::UnregisterEvent(subject_id, event_id) => (
            format!("Unregister event {}?", event_id.as_str()),
            format!(
                "This face of subject {} no longer matches in search or verify; its row stays \
                 listed as DELETED. The subject's other events stay. This cannot be undone.",
                subject_id.as_str()
            ),
            "Unregister event",
        ),
        Confirmation::Replace(EnrolTarget::ReplaceSubject(subject_id)) => (
            format!("Update subject {}?", subject_id.as_str()),
            format!(
                "The face of the subject's first event is replaced by “{image_name}”: the old \
                 face no longer matches and its row stays listed as DELETED beside the new one."
            ),
            "Update subject",
        ),
        Confirmation::Replace(target) => {
            let event = match target {
                EnrolTarget::ReplaceEvent(subject_id, event_id) => format!(
                    "event {} of subject {}",
                    event_id.as_str(),
                    subject_id.as_str()
                ),
                _ => "the event".to_owned(),
            };
            (
                "Update the event?".to_owned(),
                format!(
                    "The face of {event} is replaced by “{image_name}”: the old face no \
                     longer matches and its row stays listed as DELETED beside the new one."
                ),
                "Update event",
            )
        }
    }
}
