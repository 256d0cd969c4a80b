//! The Subjects pane's list: every subject of the open gallery in a virtualised table, loaded
//! page by page (`start`/`length`/`dir`) and grouped by subject with its event counts. DELETED
//! rows are hidden unless asked for. A reload keeps the listing on screen until the new one is
//! complete.

use std::collections::HashMap;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{EventStatus, SortDirection, SubjectId, SubjectPage, SubjectRow};

use crate::backend::OpenedGallery;
use crate::request::{Finished, Request};
use crate::ui::PaneContext;
use crate::widgets::error_label;

/// Rows asked for per request: the API's maximum.
const PAGE_LENGTH: u32 = necid::MAX_SUBJECT_PAGE;

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

    /// The group of a subject, if its rows are loaded.
    pub fn group_of(&self, subject_id: &SubjectId) -> Option<&SubjectGroup> {
        self.by_subject.get(subject_id).map(|&i| &self.groups[i])
    }
}

/// A listing being fetched again while the previous one stays on screen.
#[derive(Debug, Default)]
struct Reloading {
    index: SubjectIndex,
    total: Option<u64>,
}

/// The listing and how it is shown.
#[derive(Debug)]
pub(super) struct SubjectList {
    pub(super) dir: SortDirection,
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
    pub(super) show_deleted: bool,
    /// `index.visible(show_deleted)`, kept between frames.
    visible: Vec<usize>,
    visible_dirty: bool,
}

impl Default for SubjectList {
    fn default() -> Self {
        Self {
            dir: SortDirection::default(),
            index: SubjectIndex::default(),
            total: None,
            reloading: None,
            next_start: Some(0),
            page: Request::new(),
            show_deleted: false,
            visible: Vec::new(),
            visible_dirty: false,
        }
    }
}

impl SubjectList {
    /// A fresh listing (another gallery, or another client) with the same view options.
    pub(super) fn restart(&mut self) {
        *self = Self {
            dir: self.dir,
            show_deleted: self.show_deleted,
            ..Self::default()
        };
    }

    pub(super) fn index(&self) -> &SubjectIndex {
        &self.index
    }

    /// True until every page of the listing has arrived.
    pub(super) fn is_loading(&self) -> bool {
        self.total.is_none()
            || self.next_start.is_some()
            || self.page.is_pending()
            || self.reloading.is_some()
    }

    /// Adds one List Subjects answer that started at `start`, without asking for the next page.
    pub(super) fn receive_page(&mut self, start: u64, page: SubjectPage) {
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

    /// Lists the gallery again from the first page. The listing on screen stays until the new
    /// one is complete.
    pub(super) fn reload(&mut self) {
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

    /// Takes a page that arrived and asks for the next one.
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        if let Some(Finished::Succeeded(page)) = self.page.poll() {
            let page = page.clone();
            let start = self.next_start.unwrap_or(0);
            self.accept_page(start, page);
        }
        if let Some(start) = self.next_start
            && !self.page.is_pending()
            && self.page.error().is_none()
        {
            self.fetch(cx, gallery, start);
        }
    }

    fn fetch(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery, start: u64) {
        let handle = gallery.gallery.clone();
        let dir = self.dir;
        self.page
            .read(cx.outbox, "listing the subjects", move |_| async move {
                handle
                    .list_subjects()
                    .start(start)
                    .length(PAGE_LENGTH)
                    .dir(dir)
                    .send()
                    .await
            });
    }

    /// The view options (order, deleted rows) and Reload, on the current line.
    pub(super) fn options_ui(&mut self, ui: &mut Ui) {
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
    }

    /// How much is loaded, Cancel while loading, the failure with its Retry.
    pub(super) fn status_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
    ) {
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
            self.fetch(cx, gallery, start);
        }
        if self.visible_dirty {
            self.visible = self.index.visible(self.show_deleted);
            self.visible_dirty = false;
        }
    }

    /// The table; a click on a row selects its subject in `selected`.
    pub(super) fn table_ui(&mut self, ui: &mut Ui, selected: &mut Option<SubjectId>) {
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
                    row.set_selected(selected.as_ref() == Some(&group.subject_id));
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
            *selected = clicked;
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
