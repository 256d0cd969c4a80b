//! The Subjects pane's selected subject: its events (status, time, eventId, and the tags,
//! quality and thumbnail where this console enrolled them), with Unregister and Update for each.

use std::collections::{BTreeSet, HashMap};

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{EventId, EventStatus, SubjectEvents, SubjectId, SubjectRow, TagName};

use super::Confirmation;
use super::enrol::EnrolTarget;
use super::list::{SubjectGroup, SubjectIndex};
use crate::backend::{Command, FileCommand, OpenedGallery};
use crate::request::{Finished, Request};
use crate::ui::PaneContext;
use crate::widgets::tag_chips::tag_chips;
use crate::widgets::{SortOrder, error_label};

/// Width of the event-id cell of a subject's events, in points: an id of the local service fits.
const EVENT_ID_WIDTH: f32 = 260.0;

/// The side of an event's face in its row, in points.
const THUMBNAIL: f32 = 48.0;

/// Tags and quality of an event this console enrolled (the API returns neither with an event).
#[derive(Clone, Debug)]
pub(super) struct KnownEvent {
    pub(super) tags: Vec<TagName>,
    pub(super) quality: f64,
}

/// The columns a subject's events can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EventColumn {
    Status,
    Quality,
    Updated,
    Event,
}

/// The thumbnails' textures, by event.
#[derive(Default)]
struct Textures(HashMap<EventId, egui::TextureHandle>);

impl std::fmt::Debug for Textures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Textures({})", self.0.len())
    }
}

/// The selected subject's events, and what this console knows of events it enrolled.
#[derive(Debug, Default)]
pub(super) struct EventsView {
    /// List Events of the selected subject.
    events: Request<SubjectEvents>,
    events_for: Option<SubjectId>,
    thumbnails: HashMap<EventId, Request<Option<egui::ColorImage>>>,
    textures: Textures,
    /// Kept across galleries and reloads: the API never returns an event's tags or quality.
    known: HashMap<EventId, KnownEvent>,
    /// The events' order, kept from subject to subject.
    sort: SortOrder<EventColumn>,
}

impl EventsView {
    /// Forgets what was fetched of another gallery; keeps what this console enrolled.
    pub(super) fn restart(&mut self) {
        *self = Self {
            known: std::mem::take(&mut self.known),
            sort: self.sort,
            ..Self::default()
        };
    }

    /// The events are fetched again when next shown.
    pub(super) fn stale(&mut self) {
        self.events_for = None;
    }

    /// An event this console just enrolled: its tags and quality, and a new thumbnail.
    pub(super) fn enrolled(&mut self, event_id: &EventId, known: KnownEvent) {
        self.known.insert(event_id.clone(), known);
        self.thumbnails.remove(event_id);
        self.textures.0.remove(event_id);
    }

    /// The events enrolled with a tag that was renamed carry its new name.
    pub(super) fn rename_tag(&mut self, from: &TagName, to: &TagName) {
        for known in self.known.values_mut() {
            for tag in &mut known.tags {
                if tag == from {
                    *tag = to.clone();
                }
            }
        }
    }

    /// The tags this console put on a subject's active events (the API does not return them).
    pub(super) fn subject_tags(&self, group: &SubjectGroup) -> Vec<TagName> {
        if self.known.is_empty() {
            return Vec::new();
        }
        let mut tags = BTreeSet::new();
        for row in &group.events {
            if row.status == EventStatus::Active
                && let Some(known) = self.known.get(&row.event_id)
            {
                tags.extend(known.tags.iter().cloned());
            }
        }
        tags.into_iter().collect()
    }

    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        self.events.poll();
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
    }

    fn request_events(
        &mut self,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        subject_id: SubjectId,
    ) {
        self.events_for = Some(subject_id.clone());
        let handle = gallery.gallery.clone();
        self.events.read(
            cx.outbox,
            "listing the subject's events",
            move |_| async move { handle.events(&subject_id).await },
        );
    }

    /// The subject's events; returns the destructive step the user asked for, if any.
    /// `form_ready` enables "Update with image…"; `changing` is set while a change runs.
    #[allow(clippy::too_many_arguments)] // the pane's state this view reads, named
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        subject_id: SubjectId,
        index: &SubjectIndex,
        show_deleted: bool,
        form_ready: bool,
        changing: bool,
    ) -> Option<Confirmation> {
        if self.events_for.as_ref() != Some(&subject_id) {
            self.request_events(cx, gallery, subject_id.clone());
        }
        let rows: Vec<SubjectRow> = index
            .group_of(&subject_id)
            .map(|group| group.events.clone())
            .unwrap_or_default();
        ui.separator();
        let mut confirm = None;
        // The button first: the id after it is what a narrow window cuts, never the action.
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!changing, egui::Button::new("Unregister subject…"))
                .clicked()
            {
                confirm = Some(Confirmation::UnregisterSubject(subject_id.clone()));
            }
            if self.events.is_pending() || changing {
                ui.spinner();
            }
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Subject {}", subject_id.as_str())).strong(),
                )
                .truncate(),
            );
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
        let known = &self.known;
        self.sort
            .sort(&mut listed, |column, (event_id, row)| match column {
                // Active first, then deleted, then those not loaded yet.
                EventColumn::Status => (
                    row.map_or(2, |r| u8::from(r.status == EventStatus::Deleted)),
                    0,
                    String::new(),
                ),
                EventColumn::Quality => (
                    0,
                    known
                        .get(event_id)
                        .map_or(-1, |k| (k.quality * 1000.0).round() as i64),
                    String::new(),
                ),
                EventColumn::Updated => (
                    0,
                    0,
                    row.map_or_else(String::new, |r| r.last_updated.clone()),
                ),
                EventColumn::Event => (0, 0, event_id.as_str().to_owned()),
            });
        listed.retain(|(_, row)| {
            show_deleted || row.is_none_or(|r| r.status != EventStatus::Deleted)
        });
        let mut sort = self.sort;
        let mut wanted_thumbnails = Vec::new();
        // Room for the face and the two actions beside it.
        let row_height = THUMBNAIL + 6.0;
        let header_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        // The actions come first, beside the face: on a narrow window the id and time at the
        // end are what scrolls out of sight, never Update or Unregister. No column takes "the
        // rest": the details beside the list scroll sideways, so there is no rest to take.
        // In a child of its own, so the resize lines end with the table's last row.
        ui.vertical(|ui| {
            TableBuilder::new(ui)
                .id_salt("subject_events")
                .striped(true)
                .max_scroll_height(320.0)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::exact(THUMBNAIL))
                .column(Column::exact(140.0))
                .column(
                    Column::initial(64.0)
                        .at_least(48.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(56.0)
                        .at_least(40.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(80.0)
                        .at_least(40.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(170.0)
                        .at_least(60.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(EVENT_ID_WIDTH)
                        .at_least(60.0)
                        .clip(true)
                        .resizable(true),
                )
                .header(header_height, |mut header| {
                    header.col(|_| {});
                    header.col(|_| {});
                    header.col(|ui| {
                        sort.title_ui(ui, "Status", "Active or deleted", EventColumn::Status);
                    });
                    header.col(|ui| {
                        sort.title_ui(
                            ui,
                            "Quality",
                            "The face's quality, where this console enrolled it",
                            EventColumn::Quality,
                        );
                    });
                    header.col(|ui| {
                        ui.strong("Tags");
                    });
                    header.col(|ui| {
                        sort.title_ui(
                            ui,
                            "Updated",
                            "When the event last changed",
                            EventColumn::Updated,
                        );
                    });
                    header.col(|ui| {
                        sort.title_ui(ui, "Event", "The event's id", EventColumn::Event);
                    });
                })
                .body(|body| {
                    body.rows(row_height, listed.len(), |mut table_row| {
                        let (event_id, row) = &listed[table_row.index()];
                        let status = row.map(|r| r.status);
                        table_row.col(|ui| match self.textures.0.get(event_id) {
                            Some(texture) => {
                                let image = egui::Image::new(texture)
                                    .max_size(egui::vec2(THUMBNAIL, THUMBNAIL));
                                ui.add(image).on_hover_ui(|ui| {
                                    ui.add(
                                        egui::Image::new(texture)
                                            .max_size(egui::vec2(240.0, 240.0)),
                                    );
                                });
                            }
                            None => wanted_thumbnails.push(event_id.clone()),
                        });
                        table_row.col(|ui| {
                            if status == Some(EventStatus::Deleted) {
                                return;
                            }
                            ui.vertical(|ui| {
                                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                                if ui
                                    .add_enabled(
                                        form_ready,
                                        egui::Button::new("Update with image…").small(),
                                    )
                                    .on_hover_text(
                                        "Replace this event's face with the image in the enrolment \
                                     form",
                                    )
                                    .clicked()
                                {
                                    confirm =
                                        Some(Confirmation::Replace(EnrolTarget::ReplaceEvent(
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
                        });
                        table_row.col(|ui| {
                            ui.label(match status {
                                Some(EventStatus::Active) | None => RichText::new("ACTIVE"),
                                Some(EventStatus::Deleted) => RichText::new("DELETED").weak(),
                            });
                        });
                        let known = self.known.get(event_id);
                        table_row.col(|ui| {
                            ui.label(
                                known.map_or_else(
                                    || "—".to_owned(),
                                    |k| format!("{:.3}", k.quality),
                                ),
                            );
                        });
                        table_row.col(|ui| {
                            let tags = known.map_or_else(
                                || "—".to_owned(),
                                |k| {
                                    k.tags
                                        .iter()
                                        .map(TagName::as_str)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                },
                            );
                            ui.add(egui::Label::new(tags).truncate());
                        });
                        table_row.col(|ui| {
                            let updated = row.map_or("not loaded yet", |r| r.last_updated.as_str());
                            ui.add(egui::Label::new(updated).truncate())
                                .on_hover_text(updated);
                        });
                        table_row.col(|ui| {
                            ui.add(egui::Label::new(event_id.as_str()).truncate())
                                .on_hover_text(event_id.as_str());
                        });
                    });
                });
        });
        self.sort = sort;
        for event_id in wanted_thumbnails {
            if !self.thumbnails.contains_key(&event_id) {
                let request = self.thumbnails.entry(event_id.clone()).or_default();
                request.send(cx.outbox, |reply| {
                    Command::Files(FileCommand::LoadThumbnail { event_id, reply })
                });
            }
        }
        confirm
    }
}
