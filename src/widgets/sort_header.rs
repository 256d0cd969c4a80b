//! Column titles that sort a table: a click sorts by the column, a second click reverses it,
//! and a small triangle shows which way. The Subjects list, Galleries, Applications and a
//! subject's events share them, so every table sorts the same way.

use egui::{RichText, Ui};

/// Which column a table is sorted by, and which way; no column keeps the order it came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortOrder<C> {
    pub column: Option<C>,
    pub descending: bool,
}

impl<C> Default for SortOrder<C> {
    fn default() -> Self {
        Self {
            column: None,
            descending: false,
        }
    }
}

impl<C: Copy + PartialEq> SortOrder<C> {
    /// A click on `column`'s title: sorts by it from the smallest, or reverses it when the
    /// table already is sorted by it.
    pub fn click(&mut self, column: C) {
        if self.column == Some(column) {
            self.descending = !self.descending;
        } else {
            self.column = Some(column);
            self.descending = false;
        }
    }

    /// The column's title, clickable; true when it changed the order.
    pub fn title_ui(&mut self, ui: &mut Ui, title: &str, hint: &str, column: C) -> bool {
        let sorted = (self.column == Some(column)).then_some(self.descending);
        let clicked = sort_title_ui(ui, title, hint, sorted);
        if clicked {
            self.click(column);
        }
        clicked
    }

    /// Sorts `items` by the column's key (`key(column, item)`), reversed when descending; no
    /// column leaves them as they are.
    pub fn sort<T, K: Ord>(&self, items: &mut [T], key: impl Fn(C, &T) -> K) {
        let Some(column) = self.column else {
            return;
        };
        items.sort_by_cached_key(|item| key(column, item));
        if self.descending {
            items.reverse();
        }
    }
}

/// A column title that sorts when clicked: `sorted` is `Some(descending)` when the table is
/// sorted by this column. True when it was clicked.
pub fn sort_title_ui(ui: &mut Ui, title: &str, hint: &str, sorted: Option<bool>) -> bool {
    ui.horizontal_centered(|ui| {
        let button = egui::Button::new(RichText::new(title).strong()).frame(false);
        let clicked = ui
            .add(button)
            .on_hover_text(format!("{hint}; click to sort"))
            .clicked();
        if let Some(descending) = sorted {
            sort_arrow(ui, descending);
        }
        clicked
    })
    .inner
}

/// A small triangle after a column's title: pointing down when the column is sorted from the
/// largest (or latest) down. Drawn, not typed: the console's font has no arrow glyphs.
fn sort_arrow(ui: &mut Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let (top, bottom) = (rect.top() + 2.0, rect.bottom() - 2.0);
    let points = if descending {
        vec![
            egui::pos2(rect.left(), top),
            egui::pos2(rect.right(), top),
            egui::pos2(rect.center().x, bottom),
        ]
    } else {
        vec![
            egui::pos2(rect.left(), bottom),
            egui::pos2(rect.right(), bottom),
            egui::pos2(rect.center().x, top),
        ]
    };
    let color = ui.visuals().strong_text_color();
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
}
