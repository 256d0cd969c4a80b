//! The Subjects pane's list: every subject of the open gallery in a virtualised table, loaded
//! page by page (`start`/`length`/`dir`) and grouped by subject with its event counts. DELETED
//! rows are hidden unless asked for. A reload keeps the listing on screen until the new one is
//! complete.
//!
//! Each subject shows the name the console gives it ([`SubjectNames`]), its id with a copy
//! button, its faces (active events) and all its events, the tags this console put on them, and
//! its last update. A filter box matches name, id or tag; a click on a column's title sorts by
//! it. Which rows are shown, in which order, is worked out only when the listing, the names,
//! the filter or the order changed, never per frame: the table stays fast at 100,000 rows.

use std::collections::HashMap;

use egui::{RichText, Ui};
use necid::{EventStatus, SortDirection, SubjectId, SubjectPage, SubjectRow};

use super::table::{ShownFor, SortBy};
use crate::backend::OpenedGallery;
use crate::request::{Finished, Request};
use crate::ui::PaneContext;
use crate::ui::plural::{count, grouped};
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
    /// Subjects with at least one active event, and their active events (faces).
    subjects: usize,
    faces: usize,
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
                if group.active_events == 0 {
                    self.subjects += 1;
                }
                group.active_events += 1;
                self.faces += 1;
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
    pub(super) index: SubjectIndex,
    total: Option<u64>,
}

/// The listing and how it is shown.
#[derive(Debug)]
pub(super) struct SubjectList {
    pub(super) dir: SortDirection,
    /// The listing on screen.
    pub(super) index: SubjectIndex,
    /// The rows the service says there are (DELETED ones included).
    pub(super) total: Option<u64>,
    /// A reload in progress: its pages gather here and replace `index` when the last one
    /// arrives, so a reload that fails or is cancelled leaves the previous listing in place.
    reloading: Option<Reloading>,
    /// Where the next page starts, while there is one to fetch.
    pub(super) next_start: Option<u64>,
    page: Request<SubjectPage>,
    pub(super) show_deleted: bool,
    /// The groups shown, filtered and sorted, kept between frames.
    pub(super) visible: Vec<usize>,
    pub(super) visible_dirty: bool,
    /// What `visible` was worked out for.
    pub(super) shown_for: Option<ShownFor>,
    /// Matches a subject's name, id or tag (case aside).
    pub(super) filter: String,
    pub(super) sort_by: SortBy,
    pub(super) descending: bool,
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
            shown_for: None,
            filter: String::new(),
            sort_by: SortBy::default(),
            descending: false,
        }
    }
}

impl SubjectList {
    /// A fresh listing (another gallery, or another client) with the same view options.
    pub(super) fn restart(&mut self) {
        *self = Self {
            dir: self.dir,
            show_deleted: self.show_deleted,
            sort_by: self.sort_by,
            descending: self.descending,
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
        // The order is chosen by the columns' titles; the service's listing order stays.
        ui.checkbox(&mut self.show_deleted, "Show deleted");
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
                Some(total) => ui.label(counts_line(&self.index, total, self.visible.len())),
                None if self.page.is_pending() => ui.label("Loading…"),
                None => ui.label("Not loaded."),
            };
            if let Some(reloading) = &self.reloading {
                ui.label(
                    RichText::new(match reloading.total {
                        Some(total) => {
                            format!(
                                "reloading: {} of {}",
                                grouped(reloading.index.rows()),
                                count(total, "row", "rows")
                            )
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
    }

    /// The subjects shown, in their order.
    pub(super) fn shown(&self) -> impl Iterator<Item = &SubjectGroup> + '_ {
        self.visible.iter().map(|&i| self.index.group(i))
    }
}

/// How much is loaded, each count named: subjects (people), faces (their active events) and
/// event rows (what the service pages through, deleted ones included).
fn counts_line(index: &SubjectIndex, total_rows: u64, shown: usize) -> String {
    format!(
        "{} with {}; {} of {} loaded; {} shown",
        count(index.subjects, "subject", "subjects"),
        count(index.faces, "face", "faces"),
        grouped(index.rows()),
        count(total_rows, "event row", "event rows"),
        count(shown, "subject", "subjects"),
    )
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
