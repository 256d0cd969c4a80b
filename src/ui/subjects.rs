//! The Subjects pane: every subject of the open gallery in a virtualised table, loaded page by
//! page (`start`/`length`/`dir`) and grouped by subject with its event counts. DELETED rows are
//! hidden unless asked for.
//!
//! A selected subject shows its events (status, time, eventId, and the tags, quality and
//! thumbnail where this console enrolled them). Dropping an image on the pane, or "Pick image…",
//! opens the enrolment form: Extract runs on the image first, so the face count, quality and
//! pose are shown against the application's minimum before anything is registered. Subjects
//! and events are registered, updated and unregistered from here, each destructive step behind a
//! confirmation that names what is lost.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{
    Enrolment, EventId, EventStatus, GalleryId, SortDirection, SubjectEvents, SubjectId,
    SubjectPage, SubjectRow, TagName,
};

use super::{ConnectionState, PaneContext, pane_header};
use crate::backend::subjects::{EnrolTarget, ImageSource, PreparedImage};
use crate::backend::{Command, OpenedGallery, SubjectsCommand};
use crate::request::{Finished, Request};
use crate::widgets::tag_chips::{chosen, tag_chips};
use crate::widgets::{Confirm, ConfirmOutcome, error_label};

/// Rows asked for per request: the API's maximum.
const PAGE_LENGTH: u32 = necid::MAX_SUBJECT_PAGE;
/// Width of the event-id cell of a subject's events, in points: an id of the local service fits.
const EVENT_ID_WIDTH: f32 = 260.0;

#[derive(Clone, Debug)]
pub struct SubjectGroup {
    pub subject_id: SubjectId,
    pub events: Vec<SubjectRow>,
    pub active_events: usize,
    pub last_updated: String,
}

/// The rows loaded so far, grouped by subject.
#[derive(Debug, Default)]
pub struct SubjectIndex {
    groups: Vec<SubjectGroup>,
    by_subject: HashMap<SubjectId, usize>,
    rows: u64,
}

impl SubjectIndex {
    /// Adds one page's rows.
    pub fn extend(&mut self, rows: Vec<SubjectRow>) {
        for row in rows {
            self.rows += 1;
            let index = *self.by_subject.entry(row.id.clone()).or_insert_with(|| {
                self.groups.push(SubjectGroup {
                    subject_id: row.id.clone(),
                    events: Vec::new(),
                    active_events: 0,
                    last_updated: String::new(),
                });
                self.groups.len() - 1
            });
            let group = &mut self.groups[index];
            if row.status == EventStatus::Active {
                group.active_events += 1;
            }
            if row.last_updated > group.last_updated {
                group.last_updated = row.last_updated.clone();
            }
            group.events.push(row);
        }
    }

    /// Indices of the groups to show: those with an active event, or all.
    pub fn visible(&self, show_deleted: bool) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&i| show_deleted || self.groups[i].active_events > 0)
            .collect()
    }

    pub fn group(&self, index: usize) -> &SubjectGroup {
        &self.groups[index]
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Tags and quality of an event this console enrolled (the API returns neither with an event).
#[derive(Clone, Debug)]
struct KnownEvent {
    tags: Vec<TagName>,
    quality: f64,
}

/// The enrolment form: one image, measured before it is sent.
#[derive(Debug)]
struct EnrolForm {
    source: ImageSource,
    prepared: Request<PreparedImage>,
    /// The subject an event is added to (a new subject gets its id from the service).
    subject_id: String,
    tags_on: BTreeSet<TagName>,
    enrol: Request<Enrolment>,
    /// What `enrol` is doing, to say what happened and to retry it.
    target: Option<EnrolTarget>,
    /// The sentence shown after the last success.
    done: Option<String>,
}

/// The thumbnails' textures, by event.
#[derive(Default)]
struct Textures(HashMap<EventId, egui::TextureHandle>);

impl std::fmt::Debug for Textures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Textures({})", self.0.len())
    }
}

/// A destructive step waiting for the user's yes.
#[derive(Clone, Debug)]
enum Confirmation {
    UnregisterSubject(SubjectId),
    UnregisterEvent(SubjectId, EventId),
    Replace(EnrolTarget),
}

/// A listing being fetched again while the previous one stays on screen.
#[derive(Debug, Default)]
struct Reloading {
    index: SubjectIndex,
    total: Option<u64>,
}

/// The Subjects pane's view state.
#[derive(Debug, Default)]
pub struct SubjectsPane {
    /// The gallery listed, and the client its handle was built on ([`Connection::generation`]).
    ///
    /// [`Connection::generation`]: crate::connection::Connection::generation
    listed_for: Option<(GalleryId, u64)>,
    dir: SortDirection,
    /// The listing on screen.
    index: SubjectIndex,
    /// The rows the service says there are (DELETED ones included).
    total: Option<u64>,
    /// A reload in progress: its pages gather here and replace `index` when the last one
    /// arrives, so a reload that fails or is cancelled leaves the previous listing in place.
    reloading: Option<Reloading>,
    /// Where the next page starts, while there is one to fetch.
    next_start: Option<u64>,
    page: Request<SubjectPage>,
    show_deleted: bool,
    /// `index.visible(show_deleted)`, kept between frames.
    visible: Vec<usize>,
    visible_dirty: bool,
    selected: Option<SubjectId>,
    /// The gallery's tags, for the chips.
    tags: Request<Vec<TagName>>,
    pick: Request<Option<std::path::PathBuf>>,
    form: Option<EnrolForm>,
    /// List Events of the selected subject.
    events: Request<SubjectEvents>,
    events_for: Option<SubjectId>,
    thumbnails: HashMap<EventId, Request<Option<egui::ColorImage>>>,
    textures: Textures,
    known: HashMap<EventId, KnownEvent>,
    confirm: Option<Confirmation>,
    change: Request<()>,
    change_label: String,
}

impl SubjectsPane {
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
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
            self.restart(listed_for);
        }
        self.poll(cx, &gallery, &client, ui.ctx());
        if let Some(start) = self.next_start
            && !self.page.is_pending()
            && self.page.error().is_none()
        {
            self.fetch(cx, &gallery, start);
        }
        if self.tags.is_not_requested() {
            let handle = gallery.gallery.clone();
            self.tags.send(cx.outbox, |reply| Command::ListTags {
                gallery: handle,
                reply,
            });
        }
        self.dropped_ui(ui, cx, &gallery, &client);
        ui.horizontal(|ui| {
            ui.label(format!("Gallery “{}”", gallery.name));
            ui.separator();
            let before = (self.dir, self.show_deleted);
            ui.radio_value(&mut self.dir, SortDirection::Asc, "Oldest first");
            ui.radio_value(&mut self.dir, SortDirection::Desc, "Newest first");
            ui.checkbox(&mut self.show_deleted, "Show deleted");
            if before.0 != self.dir {
                self.reload();
            } else if before.1 != self.show_deleted {
                self.visible_dirty = true;
            }
            let listing = self.page.is_pending();
            if ui
                .add_enabled(!listing, egui::Button::new("Reload"))
                .clicked()
            {
                self.reload();
            }
            ui.separator();
            if ui
                .add_enabled(!self.pick.is_pending(), egui::Button::new("Pick image…"))
                .on_hover_text("Choose a face image to register as a subject or an event")
                .clicked()
            {
                self.pick.send(cx.outbox, |reply| {
                    Command::Subjects(SubjectsCommand::PickImage { reply })
                });
            }
            if self.pick.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = self.pick.error() {
            error_label(ui, error);
        }
        // The form and the selected subject get a column of their own, so the list keeps its
        // height and neither is pushed off a small window.
        egui::Panel::right("subjects_details")
            .resizable(true)
            .default_size(460.0)
            .min_size(320.0)
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
        ui.horizontal(|ui| {
            match self.total {
                Some(total) => ui.label(format!(
                    "{} rows of {total} loaded; {} subjects shown",
                    self.index.rows(),
                    self.visible.len()
                )),
                None if self.page.is_pending() => ui.label("Loading…"),
                None => ui.label("Not loaded."),
            };
            if let Some(reloading) = &self.reloading {
                ui.label(
                    RichText::new(match reloading.total {
                        Some(total) => {
                            format!("reloading: {} of {total} rows", reloading.index.rows())
                        }
                        None => "reloading…".to_owned(),
                    })
                    .weak(),
                );
            }
            if self.page.is_pending() {
                ui.spinner();
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop listing; what is shown stays")
                    .clicked()
                {
                    self.cancel_listing();
                }
            }
        });
        if let Some(error) = self.page.error()
            && !self.page.is_pending()
            && error_label(ui, error)
            && let Some(start) = self.next_start
        {
            self.fetch(cx, &gallery, start);
        }
        if self.visible_dirty {
            self.visible = self.index.visible(self.show_deleted);
            self.visible_dirty = false;
        }
        self.table_ui(ui);
        self.confirm_ui(ui, cx, &gallery);
    }

    /// Rows loaded so far (DELETED ones included).
    pub fn loaded_rows(&self) -> u64 {
        self.index.rows()
    }

    /// True until every page of the listing has arrived.
    pub fn is_loading(&self) -> bool {
        self.total.is_none()
            || self.next_start.is_some()
            || self.page.is_pending()
            || self.reloading.is_some()
    }

    /// Adds one List Subjects answer that started at `start` to the row cache, exactly as the
    /// paging does with each answer (grouping, counts, the visible list), without asking for
    /// the next page. The frame-time bench feeds a 100,000-row gallery through it.
    pub fn receive_page(&mut self, start: u64, page: SubjectPage) {
        self.accept_page(start, page);
        self.next_start = None;
    }

    fn accept_page(&mut self, start: u64, page: SubjectPage) {
        let fetched = page.subjects.len() as u64;
        let following = start + fetched;
        self.next_start = (fetched > 0 && following < page.total).then_some(following);
        match &mut self.reloading {
            Some(reloading) => {
                reloading.total = Some(page.total);
                reloading.index.extend(page.subjects);
                if self.next_start.is_none()
                    && let Some(done) = self.reloading.take()
                {
                    self.index = done.index;
                    self.total = done.total;
                    self.visible_dirty = true;
                }
            }
            None => {
                self.total = Some(page.total);
                self.index.extend(page.subjects);
                self.visible_dirty = true;
            }
        }
    }

    /// Everything about another gallery (or the same one through another client) is
    /// forgotten; only the view options stay.
    fn restart(&mut self, listed_for: (GalleryId, u64)) {
        *self = Self {
            dir: self.dir,
            show_deleted: self.show_deleted,
            listed_for: Some(listed_for),
            next_start: Some(0),
            known: std::mem::take(&mut self.known),
            ..Self::default()
        };
    }

    /// Lists the gallery again from the first page, keeping the selection and the form. The
    /// listing on screen stays until the new one is complete.
    fn reload(&mut self) {
        self.page.reset();
        self.next_start = Some(0);
        if self.total.is_some() {
            self.reloading = Some(Reloading::default());
        } else {
            // Nothing complete to keep (the first listing failed or was cancelled).
            self.index = SubjectIndex::default();
            self.visible.clear();
            self.visible_dirty = true;
        }
    }

    /// Stops listing: a reload is dropped and the previous listing stays; a first listing keeps
    /// the pages it has.
    fn cancel_listing(&mut self) {
        self.page.cancel();
        self.next_start = None;
        self.reloading = None;
    }

    fn fetch(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery, start: u64) {
        let handle = gallery.gallery.clone();
        let dir = self.dir;
        self.page.send(cx.outbox, |reply| Command::ListSubjects {
            gallery: handle,
            start,
            length: PAGE_LENGTH,
            dir,
            reply,
        });
    }

    fn poll(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
        ctx: &egui::Context,
    ) {
        if let Some(Finished::Succeeded(page)) = self.page.poll() {
            let page = page.clone();
            let start = self.next_start.unwrap_or(0);
            self.accept_page(start, page);
        }
        self.tags.poll();
        self.events.poll();
        if let Some(Finished::Succeeded(Some(path))) = self.pick.poll() {
            let source = ImageSource::Path(path.clone());
            self.open_form(cx, gallery, client, source);
        }
        for (event_id, request) in &mut self.thumbnails {
            if let Some(Finished::Succeeded(Some(image))) = request.poll() {
                let texture = ctx.load_texture(
                    format!("thumbnail-{}", event_id.as_str()),
                    image.clone(),
                    egui::TextureOptions::LINEAR,
                );
                self.textures.0.insert(event_id.clone(), texture);
            }
        }
        match self.change.poll() {
            Some(Finished::Succeeded(())) => {
                cx.toasts.info(self.change_label.clone());
                self.after_change(cx, gallery);
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
        let mut enrolled = None;
        if let Some(form) = &mut self.form {
            form.prepared.poll();
            if let Some(Finished::Succeeded(enrolment)) = form.enrol.poll() {
                let subject = enrolment.id.as_str();
                form.done = Some(match &form.target {
                    Some(EnrolTarget::NewSubject) | None => {
                        format!("Registered subject {subject}")
                    }
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
                let tags = chosen(self.tags.data().map_or(&[], Vec::as_slice), &form.tags_on);
                enrolled = Some((enrolment.clone(), tags));
            }
        }
        if let Some((enrolment, tags)) = enrolled {
            self.known.insert(
                enrolment.event_id.clone(),
                KnownEvent {
                    tags,
                    quality: enrolment.attributes.face_quality_score,
                },
            );
            self.thumbnails.remove(&enrolment.event_id);
            self.textures.0.remove(&enrolment.event_id);
            self.selected = Some(enrolment.id.clone());
            self.after_change(cx, gallery);
        }
    }

    /// The list and the selected subject's events are stale after a change: ask again.
    fn after_change(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        self.reload();
        self.events_for = None;
        if let Some(subject_id) = self.selected.clone() {
            self.request_events(cx, gallery, subject_id);
        }
    }

    fn request_events(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        subject_id: SubjectId,
    ) {
        self.events_for = Some(subject_id.clone());
        let handle = gallery.gallery.clone();
        self.events.send(cx.outbox, |reply| {
            Command::Subjects(SubjectsCommand::ListEvents {
                gallery: handle,
                subject_id,
                reply,
            })
        });
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
        let tags_on = self.form.take().map(|f| f.tags_on).unwrap_or_default();
        let mut form = EnrolForm {
            source,
            prepared: Request::new(),
            subject_id,
            tags_on,
            enrol: Request::new(),
            target: None,
            done: None,
        };
        prepare(&mut form, cx, gallery, client);
        self.form = Some(form);
    }

    /// Opens the form for an image dropped on the window; shows a hint while one hovers.
    fn dropped_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
    ) {
        let (hovering, dropped) = ui.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw.dropped_files.first().cloned(),
            )
        });
        if hovering {
            ui.label(RichText::new("Drop the image to enrol it").strong());
        }
        let Some(file) = dropped else {
            return;
        };
        let path = file.path().to_owned();
        let source = if path.as_os_str().is_empty() {
            // No path (e.g. dragged from a browser): the integration holds the bytes in memory.
            match file.bytes() {
                Ok(bytes) => ImageSource::Bytes {
                    name: "the dropped image".to_owned(),
                    bytes: Arc::from(bytes),
                },
                Err(error) => {
                    cx.toasts
                        .error(format!("The dropped file cannot be read: {error}"));
                    return;
                }
            }
        } else {
            ImageSource::Path(path)
        };
        self.open_form(cx, gallery, client, source);
    }

    fn form_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        client: &necid::Client,
    ) {
        let gallery_tags = self.tags.data().cloned().unwrap_or_default();
        let Some(form) = &mut self.form else {
            return;
        };
        let mut close = false;
        let mut confirm = None;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong(format!("Enrol “{}”", form.source.name()));
                if ui.small_button("Close").clicked() {
                    close = true;
                }
            });
            if form.prepared.is_pending() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Finding the face and measuring its quality…");
                });
            }
            if let Some(error) = form.prepared.error().cloned()
                && error_label(ui, &error)
            {
                prepare(form, cx, gallery, client);
            }
            let ready = !form.prepared.is_pending() && form.prepared.error().is_none();
            if ready && let Some(prepared) = form.prepared.data() {
                quality_ui(ui, prepared);
            }
            ui.horizontal(|ui| {
                let label = ui.label("Subject ID");
                ui.add(
                    egui::TextEdit::singleline(&mut form.subject_id)
                        .desired_width(280.0)
                        .hint_text(
                            "for Add event or Update; a new subject gets its id from the service",
                        ),
                )
                .labelled_by(label.id);
            });
            ui.horizontal(|ui| {
                ui.label("Tags");
                if gallery_tags.is_empty() {
                    ui.label(RichText::new("the gallery has no tags (create them in Tags)").weak());
                } else {
                    tag_chips(ui, &gallery_tags, &mut form.tags_on, true);
                }
            });
            let subject_id = form.subject_id.trim().to_owned();
            let can_send = ready && form.prepared.data().is_some() && !form.enrol.is_pending();
            let mut target = None;
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(can_send, egui::Button::new("Register subject"))
                    .on_hover_text("A new subject with this face; the service chooses its id")
                    .clicked()
                {
                    target = Some(EnrolTarget::NewSubject);
                }
                let has_subject = !subject_id.is_empty();
                if ui
                    .add_enabled(can_send && has_subject, egui::Button::new("Add event"))
                    .on_hover_text("Add this face to the subject named in Subject ID")
                    .clicked()
                {
                    target = Some(EnrolTarget::NewEvent(SubjectId::new(&subject_id)));
                }
                if ui
                    .add_enabled(
                        can_send && has_subject,
                        egui::Button::new("Update subject…"),
                    )
                    .on_hover_text("Replace the face of the subject's first event")
                    .clicked()
                {
                    confirm = Some(Confirmation::Replace(EnrolTarget::ReplaceSubject(
                        SubjectId::new(&subject_id),
                    )));
                }
                if form.enrol.is_pending() {
                    ui.spinner();
                }
            });
            if let Some(target) = target {
                enrol(form, cx, gallery, &gallery_tags, target);
            }
            if let Some(error) = form.enrol.error().cloned() {
                if error_label(ui, &error)
                    && let Some(target) = form.target.clone()
                {
                    enrol(form, cx, gallery, &gallery_tags, target);
                }
            } else if let Some(done) = &form.done
                && !form.enrol.is_pending()
            {
                ui.label(RichText::new(done).strong());
            }
        });
        if close {
            self.form = None;
        }
        if confirm.is_some() {
            self.confirm = confirm;
        }
    }

    fn table_ui(&mut self, ui: &mut Ui) {
        if self.visible.is_empty() {
            if self.total.is_some() && self.next_start.is_none() {
                ui.label(if self.show_deleted || self.index.rows() == 0 {
                    "No subject is enrolled in this gallery yet."
                } else {
                    "Every subject here is deleted: tick Show deleted to see them."
                });
            }
            return;
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let height = ui.available_height().max(120.0);
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("subjects")
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(height)
            .column(Column::initial(300.0).at_least(120.0).clip(true))
            .column(Column::exact(100.0))
            .column(Column::exact(100.0))
            .column(Column::remainder())
            .header(row_height, |mut header| {
                for title in ["Subject", "Active events", "All events", "Last updated"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, self.visible.len(), |mut row| {
                    let group = self.index.group(self.visible[row.index()]);
                    row.set_selected(self.selected.as_ref() == Some(&group.subject_id));
                    row.col(|ui| {
                        ui.label(group.subject_id.as_str());
                    });
                    row.col(|ui| {
                        ui.label(group.active_events.to_string());
                    });
                    row.col(|ui| {
                        ui.label(group.events.len().to_string());
                    });
                    row.col(|ui| {
                        ui.label(&group.last_updated);
                    });
                    if row.response().clicked() {
                        clicked = Some(group.subject_id.clone());
                    }
                });
            });
        if clicked.is_some() {
            self.selected = clicked;
        }
    }

    fn events_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let Some(subject_id) = self.selected.clone() else {
            return;
        };
        if self.events_for.as_ref() != Some(&subject_id) {
            self.request_events(cx, gallery, subject_id.clone());
        }
        let rows: Vec<SubjectRow> = self
            .index
            .by_subject
            .get(&subject_id)
            .map(|&i| self.index.group(i).events.clone())
            .unwrap_or_default();
        ui.separator();
        let mut confirm = None;
        ui.horizontal(|ui| {
            ui.strong(format!("Subject {}", subject_id.as_str()));
            if ui
                .add_enabled(
                    !self.change.is_pending(),
                    egui::Button::new("Unregister subject…"),
                )
                .clicked()
            {
                confirm = Some(Confirmation::UnregisterSubject(subject_id.clone()));
            }
            if self.events.is_pending() || self.change.is_pending() {
                ui.spinner();
            }
        });
        // Tags this console put on the subject's events (the API does not return them).
        let mut subject_tags = BTreeSet::new();
        for row in &rows {
            if let Some(known) = self.known.get(&row.event_id) {
                subject_tags.extend(known.tags.iter().cloned());
            }
        }
        if !subject_tags.is_empty() {
            ui.horizontal(|ui| {
                ui.label("Tags");
                let shown: Vec<TagName> = subject_tags.iter().cloned().collect();
                tag_chips(ui, &shown, &mut subject_tags, false);
            });
        }
        if let Some(error) = self.events.error().cloned()
            && error_label(ui, &error)
        {
            self.request_events(cx, gallery, subject_id.clone());
        }
        // Events List Events knows that the loaded rows do not (enrolled since) still show.
        let mut listed: Vec<(EventId, Option<&SubjectRow>)> = rows
            .iter()
            .map(|row| (row.event_id.clone(), Some(row)))
            .collect();
        if let Some(events) = self.events.data()
            && events.id == subject_id
        {
            for event in &events.events {
                if !rows.iter().any(|r| r.event_id == event.id) {
                    listed.push((event.id.clone(), None));
                }
            }
        }
        let form_ready = self
            .form
            .as_ref()
            .is_some_and(|f| f.prepared.data().is_some() && !f.prepared.is_pending());
        let mut wanted_thumbnails = Vec::new();
        egui::ScrollArea::vertical()
            .id_salt("subject_events")
            .max_height(320.0)
            .show(ui, |ui| {
                egui::Grid::new("subject_events_grid")
                    .num_columns(7)
                    .spacing([12.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for title in ["", "Event", "Status", "Last updated", "Tags", "Quality", ""] {
                            ui.strong(title);
                        }
                        ui.end_row();
                        for (event_id, row) in &listed {
                            let status = row.map(|r| r.status);
                            if status == Some(EventStatus::Deleted) && !self.show_deleted {
                                continue;
                            }
                            match self.textures.0.get(event_id) {
                                Some(texture) => {
                                    ui.add(
                                        egui::Image::new(texture)
                                            .max_size(egui::vec2(48.0, 48.0)),
                                    );
                                }
                                None => {
                                    wanted_thumbnails.push(event_id.clone());
                                    ui.label("");
                                }
                            }
                            // A fixed-width cell: the grid's columns then do not move with
                            // the characters of the id (a proportional font).
                            let height = ui.spacing().interact_size.y;
                            ui.add_sized(
                                [EVENT_ID_WIDTH, height],
                                egui::Label::new(event_id.as_str()).truncate(),
                            )
                            .on_hover_text(event_id.as_str());
                            ui.label(match status {
                                Some(EventStatus::Active) | None => RichText::new("ACTIVE"),
                                Some(EventStatus::Deleted) => RichText::new("DELETED").weak(),
                            });
                            ui.label(row.map_or("not loaded yet", |r| r.last_updated.as_str()));
                            let known = self.known.get(event_id);
                            ui.label(known.map_or_else(
                                || "—".to_owned(),
                                |k| {
                                    k.tags
                                        .iter()
                                        .map(TagName::as_str)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                },
                            ));
                            ui.label(
                                known.map_or_else(|| "—".to_owned(), |k| format!("{:.3}", k.quality)),
                            );
                            ui.horizontal(|ui| {
                                if status == Some(EventStatus::Deleted) {
                                    return;
                                }
                                if ui
                                    .add_enabled(form_ready, egui::Button::new("Update with image…").small())
                                    .on_hover_text("Replace this event's face with the image in the enrolment form")
                                    .clicked()
                                {
                                    confirm = Some(Confirmation::Replace(EnrolTarget::ReplaceEvent(
                                        subject_id.clone(),
                                        event_id.clone(),
                                    )));
                                }
                                if ui.small_button("Unregister…").clicked() {
                                    confirm = Some(Confirmation::UnregisterEvent(
                                        subject_id.clone(),
                                        event_id.clone(),
                                    ));
                                }
                            });
                            ui.end_row();
                        }
                    });
            });
        for event_id in wanted_thumbnails {
            if !self.thumbnails.contains_key(&event_id) {
                let request = self.thumbnails.entry(event_id.clone()).or_default();
                request.send(cx.outbox, |reply| {
                    Command::Subjects(SubjectsCommand::LoadThumbnail { event_id, reply })
                });
            }
        }
        if confirm.is_some() {
            self.confirm = confirm;
        }
    }

    fn confirm_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let Some(confirmation) = self.confirm.clone() else {
            return;
        };
        let image_name = self
            .form
            .as_ref()
            .map_or_else(String::new, |f| f.source.name());
        let (title, consequences, button) = match &confirmation {
            Confirmation::UnregisterSubject(subject_id) => {
                let events = self
                    .index
                    .by_subject
                    .get(subject_id)
                    .map_or(0, |&i| self.index.group(i).active_events);
                (
                    format!("Unregister subject {}?", subject_id.as_str()),
                    format!(
                        "The subject and its {events} active event(s) leave the gallery: their \
                         faces no longer match in search or verify, and their rows stay listed as \
                         DELETED until the slots are reused. This cannot be undone."
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
        };
        match Confirm::new(
            egui::Id::unique("confirm_subjects_change"),
            &title,
            &consequences,
            button,
        )
        .ui(ui)
        {
            ConfirmOutcome::Waiting => {}
            ConfirmOutcome::Cancelled => self.confirm = None,
            ConfirmOutcome::Confirmed => {
                self.confirm = None;
                let handle = gallery.gallery.clone();
                match confirmation {
                    Confirmation::UnregisterSubject(subject_id) => {
                        self.change_label = format!("Unregistered subject {}", subject_id.as_str());
                        if self.selected.as_ref() == Some(&subject_id) {
                            self.selected = None;
                        }
                        self.change.send(cx.outbox, |reply| {
                            Command::Subjects(SubjectsCommand::UnregisterSubject {
                                gallery: handle,
                                subject_id,
                                reply,
                            })
                        });
                    }
                    Confirmation::UnregisterEvent(subject_id, event_id) => {
                        self.change_label = format!("Unregistered event {}", event_id.as_str());
                        self.change.send(cx.outbox, |reply| {
                            Command::Subjects(SubjectsCommand::UnregisterEvent {
                                gallery: handle,
                                subject_id,
                                event_id,
                                reply,
                            })
                        });
                    }
                    Confirmation::Replace(target) => {
                        let gallery_tags = self.tags.data().cloned().unwrap_or_default();
                        if let Some(form) = &mut self.form {
                            enrol(form, cx, gallery, &gallery_tags, target);
                        }
                    }
                }
            }
        }
    }
}

/// Sends the form's image to be read, checked and measured.
fn prepare(
    form: &mut EnrolForm,
    cx: &mut PaneContext<'_>,
    gallery: &OpenedGallery,
    client: &necid::Client,
) {
    form.done = None;
    form.enrol.reset();
    let (client, handle, gallery_id, source) = (
        client.clone(),
        gallery.gallery.clone(),
        gallery.gallery_id.clone(),
        form.source.clone(),
    );
    form.prepared.send(cx.outbox, |reply| {
        Command::Subjects(SubjectsCommand::PrepareImage {
            client,
            gallery: handle,
            gallery_id,
            source,
            reply,
        })
    });
}

/// Sends the form's measured image to be enrolled as `target`.
fn enrol(
    form: &mut EnrolForm,
    cx: &mut PaneContext<'_>,
    gallery: &OpenedGallery,
    gallery_tags: &[TagName],
    target: EnrolTarget,
) {
    let Some(prepared) = form.prepared.data() else {
        return;
    };
    let image = prepared.image.clone();
    let tags = chosen(gallery_tags, &form.tags_on);
    let handle = gallery.gallery.clone();
    form.target = Some(target.clone());
    form.done = None;
    form.enrol.send(cx.outbox, |reply| {
        Command::Subjects(SubjectsCommand::Enrol {
            gallery: handle,
            target,
            image,
            tags,
            reply,
        })
    });
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
                "1 face · faceQualityScore {:.3} · roll {:.1}° · pan {:.1}° · tilt {:.1}°",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(subject: &str, event: &str, status: EventStatus, at: &str) -> SubjectRow {
        SubjectRow {
            id: SubjectId::new(subject),
            event_id: necid::EventId::new(event),
            status,
            last_updated: at.to_owned(),
        }
    }

    #[test]
    fn rows_are_grouped_by_subject_across_pages_and_deleted_subjects_are_hidden() {
        let mut index = SubjectIndex::default();
        index.extend(vec![
            row("s1", "e1", EventStatus::Active, "2026-01-01"),
            row("s2", "e2", EventStatus::Deleted, "2026-01-02"),
        ]);
        index.extend(vec![row("s1", "e3", EventStatus::Active, "2026-01-03")]);
        assert_eq!(index.rows(), 3);
        let visible = index.visible(false);
        assert_eq!(visible.len(), 1);
        let s1 = index.group(visible[0]);
        assert_eq!(s1.subject_id.as_str(), "s1");
        assert_eq!((s1.active_events, s1.events.len()), (2, 2));
        assert_eq!(s1.last_updated, "2026-01-03");
        assert_eq!(index.visible(true).len(), 2);
    }
}
