//! How the Subjects list is shown: which subjects (the filter), in which order (the column
//! clicked), and the table itself with a name, a thumbnail and a copy button per subject.
//! Which rows are shown is worked out only when the listing, the names, the filter or the
//! order changed, never per frame, so the table stays fast at 100,000 rows.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{SubjectId, TagName};

use super::list::{SubjectGroup, SubjectList};
use crate::subject_names::SubjectNames;
use crate::widgets::sort_header::sort_title_ui;

/// The side of a thumbnail in a row, and when the pointer is over it, in points.
const ROW_THUMBNAIL: f32 = 20.0;
const HOVER_THUMBNAIL: f32 = 160.0;

/// What the list's columns take at their first widths, with the spaces between them: the
/// details panel beside the list leaves it at least this much.
pub(super) const LIST_MIN_WIDTH: f32 = 420.0;

/// The column the shown subjects are sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// The order the service listed them in (oldest or newest first).
    #[default]
    Listed,
    Name,
    SubjectId,
    Faces,
    LastUpdated,
}

/// What decides which subjects are shown and in which order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ShownFor {
    names_version: u64,
    filter: String,
    sort_by: SortBy,
    descending: bool,
    show_deleted: bool,
}

impl SubjectList {
    /// Works out the subjects shown (filter, order) when anything they depend on changed.
    pub(super) fn update_shown(
        &mut self,
        names: Option<&SubjectNames>,
        names_version: u64,
        tags_of: &dyn Fn(&SubjectGroup) -> Vec<TagName>,
    ) {
        let wanted = ShownFor {
            names_version,
            filter: self.filter.trim().to_lowercase(),
            sort_by: self.sort_by,
            descending: self.descending,
            show_deleted: self.show_deleted,
        };
        if !self.visible_dirty && self.shown_for.as_ref() == Some(&wanted) {
            return;
        }
        let no_names = SubjectNames::default();
        let names = names.unwrap_or(&no_names);
        let name_of = |group: &SubjectGroup| names.get(&group.subject_id).unwrap_or("");
        let mut visible = self.index.visible(self.show_deleted);
        if !wanted.filter.is_empty() {
            let needle = wanted.filter.as_str();
            visible.retain(|&i| {
                let group = self.index.group(i);
                name_of(group).to_lowercase().contains(needle)
                    || group.subject_id.as_str().to_lowercase().contains(needle)
                    || tags_of(group)
                        .iter()
                        .any(|t| t.as_str().to_lowercase().contains(needle))
            });
        }
        let index = &self.index;
        match wanted.sort_by {
            SortBy::Listed => {}
            SortBy::Name => visible.sort_by_cached_key(|&i| {
                let name = name_of(index.group(i)).to_lowercase();
                // Subjects without a name after those with one.
                (name.is_empty(), name)
            }),
            SortBy::SubjectId => {
                visible.sort_by(|&a, &b| index.group(a).subject_id.cmp(&index.group(b).subject_id))
            }
            SortBy::Faces => visible.sort_by_key(|&i| index.group(i).active_events),
            SortBy::LastUpdated => visible.sort_by(|&a, &b| {
                index
                    .group(a)
                    .last_updated
                    .cmp(&index.group(b).last_updated)
            }),
        }
        if wanted.descending {
            visible.reverse();
        }
        self.visible = visible;
        self.visible_dirty = false;
        self.shown_for = Some(wanted);
    }

    /// The table; a click anywhere on a row (its text included) selects its subject in
    /// `selected`.
    pub(super) fn table_ui(
        &mut self,
        ui: &mut Ui,
        selected: &mut Option<SubjectId>,
        names: Option<&SubjectNames>,
        tags_of: &dyn Fn(&SubjectGroup) -> Vec<TagName>,
        thumbnail_of: &mut dyn FnMut(&SubjectGroup) -> Option<egui::TextureHandle>,
    ) {
        if self.visible.is_empty() {
            if self.total.is_some() && self.next_start.is_none() {
                ui.label(if !self.filter.trim().is_empty() && self.index.rows() > 0 {
                    "No subject matches the filter."
                } else if self.show_deleted || self.index.rows() == 0 {
                    "No subject is enrolled in this gallery yet."
                } else {
                    "Every subject here is deleted: tick Show deleted to see them."
                });
            }
            return;
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let height = ui.available_height().max(120.0);
        let mut clicked = None;
        let mut sort_clicked = None;
        // Text in a row is not selectable, so a click on it selects the row.
        ui.style_mut().interaction.selectable_labels = false;
        TableBuilder::new(ui)
            .id_salt("subjects")
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(height)
            .column(Column::exact(ROW_THUMBNAIL + 4.0))
            .column(
                Column::initial(100.0)
                    .at_least(60.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(76.0)
                    .at_least(60.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::exact(48.0))
            .column(
                Column::initial(50.0)
                    .at_least(36.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::remainder().at_least(80.0).clip(true))
            .header(row_height, |mut header| {
                header.col(|_| {});
                for (title, sort_by, hint) in [
                    (
                        "Name",
                        Some(SortBy::Name),
                        "The name this console gives the subject",
                    ),
                    ("ID", Some(SortBy::SubjectId), "The id the service gave"),
                    (
                        "Events",
                        Some(SortBy::Faces),
                        "Active events: the subject's faces that match",
                    ),
                    (
                        "Tags",
                        None,
                        "Tags this console put on the subject's events",
                    ),
                    (
                        "Last update",
                        Some(SortBy::LastUpdated),
                        "The subject's latest change",
                    ),
                ] {
                    header.col(|ui| {
                        let Some(sort_by) = sort_by else {
                            ui.horizontal_centered(|ui| {
                                ui.strong(title).on_hover_text(hint);
                            });
                            return;
                        };
                        let sorted = (self.sort_by == sort_by).then_some(self.descending);
                        if sort_title_ui(ui, title, hint, sorted) {
                            sort_clicked = Some(sort_by);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, self.visible.len(), |mut row| {
                    let group = self.index.group(self.visible[row.index()]);
                    row.set_selected(selected.as_ref() == Some(&group.subject_id));
                    let name = names.and_then(|n| n.get(&group.subject_id));
                    row.col(|ui| {
                        if let Some(texture) = thumbnail_of(group) {
                            let small = egui::Image::new(&texture)
                                .fit_to_exact_size(egui::vec2(ROW_THUMBNAIL, ROW_THUMBNAIL));
                            ui.add(small).on_hover_ui(|ui| {
                                ui.add(
                                    egui::Image::new(&texture)
                                        .max_size(egui::vec2(HOVER_THUMBNAIL, HOVER_THUMBNAIL)),
                                );
                            });
                        }
                    });
                    row.col(|ui| {
                        match name {
                            Some(name) => ui.label(name),
                            None => ui.label(RichText::new("no name").weak().italics()),
                        };
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            if ui
                                .small_button("Copy")
                                .on_hover_text("Copy the subject ID")
                                .clicked()
                            {
                                ui.ctx().copy_text(group.subject_id.as_str().to_owned());
                            }
                            ui.add(egui::Label::new(group.subject_id.as_str()).truncate())
                                .on_hover_text(group.subject_id.as_str());
                        });
                    });
                    row.col(|ui| {
                        let deleted = group.events.len() - group.active_events;
                        let events = ui.label(group.active_events.to_string());
                        if deleted > 0 {
                            events.on_hover_text(format!("and {deleted} deleted"));
                        }
                    });
                    row.col(|ui| {
                        let tags = tags_of(group);
                        if !tags.is_empty() {
                            let tags: Vec<&str> = tags.iter().map(TagName::as_str).collect();
                            ui.add(egui::Label::new(tags.join(", ")).truncate());
                        }
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(short_time(&group.last_updated)).truncate())
                            .on_hover_text(&group.last_updated);
                    });
                    if row.response().clicked() {
                        clicked = Some(group.subject_id.clone());
                    }
                });
            });
        if let Some(sort_by) = sort_clicked {
            if self.sort_by == sort_by {
                self.descending = !self.descending;
            } else {
                self.sort_by = sort_by;
                self.descending = sort_by == SortBy::LastUpdated;
            }
        }
        if clicked.is_some() {
            *selected = clicked;
        }
    }
}

/// An RFC 3339 time as date and time to the minute (`2026-11-01 13:04`); the whole time
/// shows on hover.
fn short_time(at: &str) -> String {
    let trimmed = at.get(..16).unwrap_or(at);
    trimmed.replacen('T', " ", 1)
}
