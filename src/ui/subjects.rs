//! The Subjects pane: every subject of the open gallery in a virtualised table, loaded page by
//! page (`start`/`length`/`dir`) and grouped by subject with its event counts. DELETED rows are
//! hidden unless asked for.

use std::collections::HashMap;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{EventStatus, GalleryId, SortDirection, SubjectId, SubjectPage, SubjectRow};

use super::{PaneContext, pane_header};
use crate::backend::{Command, OpenedGallery};
use crate::request::{Finished, Request};
use crate::widgets::error_label;

/// Rows asked for per request: the API's maximum.
const PAGE_LENGTH: u32 = necid::MAX_SUBJECT_PAGE;

/// One subject and its events, as the rows listed them.
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

/// The Subjects pane's view state.
#[derive(Debug, Default)]
pub struct SubjectsPane {
    listed_for: Option<GalleryId>,
    dir: SortDirection,
    index: SubjectIndex,
    /// The rows the service says there are (DELETED ones included).
    total: Option<u64>,
    /// Where the next page starts, while there is one to fetch.
    next_start: Option<u64>,
    page: Request<SubjectPage>,
    show_deleted: bool,
    /// `index.visible(show_deleted)`, kept between frames.
    visible: Vec<usize>,
    visible_dirty: bool,
    selected: Option<SubjectId>,
}

impl SubjectsPane {
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Subjects",
            "The people enrolled in the open gallery, each with its events.",
        );
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        if self.listed_for.as_ref() != Some(&gallery.gallery_id) {
            self.restart(&gallery.gallery_id);
        }
        self.poll();
        if let Some(start) = self.next_start
            && !self.page.is_pending()
            && self.page.error().is_none()
        {
            self.fetch(cx, &gallery, start);
        }
        ui.horizontal(|ui| {
            ui.label(format!("Gallery “{}”", gallery.name));
            ui.separator();
            let before = (self.dir, self.show_deleted);
            ui.radio_value(&mut self.dir, SortDirection::Asc, "Oldest first");
            ui.radio_value(&mut self.dir, SortDirection::Desc, "Newest first");
            ui.checkbox(&mut self.show_deleted, "Show deleted");
            if before.0 != self.dir {
                self.restart(&gallery.gallery_id);
            } else if before.1 != self.show_deleted {
                self.visible_dirty = true;
            }
            if ui.button("Reload").clicked() {
                self.restart(&gallery.gallery_id);
            }
        });
        ui.horizontal(|ui| {
            match self.total {
                Some(total) => ui.label(format!(
                    "{} rows of {total} loaded; {} subjects shown",
                    self.index.rows(),
                    self.visible.len()
                )),
                None => ui.label("Loading…"),
            };
            if self.page.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = self.page.error()
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
        self.events_ui(ui);
    }

    fn restart(&mut self, gallery_id: &GalleryId) {
        *self = Self {
            dir: self.dir,
            show_deleted: self.show_deleted,
            listed_for: Some(gallery_id.clone()),
            next_start: Some(0),
            ..Self::default()
        };
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

    fn poll(&mut self) {
        if let Some(Finished::Succeeded(page)) = self.page.poll() {
            let fetched = page.subjects.len() as u64;
            let start = self.next_start.unwrap_or(0);
            let following = start + fetched;
            self.total = Some(page.total);
            self.next_start = (fetched > 0 && following < page.total).then_some(following);
            let rows = page.subjects.clone();
            self.index.extend(rows);
            self.visible_dirty = true;
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
        let details = if self.selected.is_some() { 180.0 } else { 0.0 };
        let height = (ui.available_height() - details).max(120.0);
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

    fn events_ui(&mut self, ui: &mut Ui) {
        let Some(subject_id) = &self.selected else {
            return;
        };
        let Some(group) = self
            .index
            .by_subject
            .get(subject_id)
            .map(|&i| self.index.group(i))
        else {
            return;
        };
        ui.separator();
        ui.strong(format!("Subject {}", subject_id.as_str()));
        egui::ScrollArea::vertical()
            .id_salt("subject_events")
            .max_height(140.0)
            .show(ui, |ui| {
                egui::Grid::new("subject_events_grid")
                    .num_columns(3)
                    .spacing([16.0, 4.0])
                    .show(ui, |ui| {
                        for event in &group.events {
                            if event.status == EventStatus::Deleted && !self.show_deleted {
                                continue;
                            }
                            ui.label(event.event_id.as_str());
                            let status = match event.status {
                                EventStatus::Active => RichText::new("ACTIVE"),
                                EventStatus::Deleted => RichText::new("DELETED").weak(),
                            };
                            ui.label(status);
                            ui.label(&event.last_updated);
                            ui.end_row();
                        }
                    });
            });
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
