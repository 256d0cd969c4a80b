//! The Galleries pane: every gallery of the profile with its count against its size; create,
//! edit (the size can only grow) and delete; open one for the gallery-scoped panes.
//!
//! The list is a virtualised table in its own scroll area, so a tenant with 10,000 galleries
//! costs the frame only the rows in view. It belongs to the client that fetched it: when the
//! profile's URL, keys or region change the shell builds a new client and the list is fetched
//! again from it. A failed refresh keeps the list it had beside the error.

use egui::{ProgressBar, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{GalleryId, GallerySummary};

mod form;

use form::GalleryForm;

use crate::backend::Command;
use crate::connection::Connection;
use crate::request::{Finished, Request};
use crate::ui::plural::count;
use crate::ui::{Pane, PaneContext, PaneId, ShellAction, pane_header};
use crate::widgets::{ConfirmSlot, SortOrder, error_label};

/// The columns the list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GalleryColumn {
    Name,
    Description,
    Faces,
}

/// The Galleries pane's view state.
#[derive(Debug, Default)]
pub struct GalleriesPane {
    list: Request<Vec<GallerySummary>>,
    /// The client the list came from ([`Connection::generation`]).
    listed_for: Option<u64>,
    selected: Option<GalleryId>,
    form: Option<GalleryForm>,
    create: Request<necid::CreatedGallery>,
    update: Request<necid::UpdatedGallery>,
    delete: Request<()>,
    confirm_delete: ConfirmSlot<GallerySummary>,
    /// The open gallery and its version when the list was asked for: a change made since in
    /// any pane (an enrolment, a bulk job) lists the galleries again, so counts stay current.
    listed_at: Option<(GalleryId, u64)>,
    /// The list's order; applied when a list arrives and when a column's title is clicked.
    sort: SortOrder<GalleryColumn>,
}

impl Pane for GalleriesPane {
    fn id(&self) -> PaneId {
        PaneId::Galleries
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Galleries",
            "Face collections: how full each is, and their settings.",
        );
        let Some(connection) = cx.connection_ui(ui) else {
            return;
        };
        if self.listed_for != Some(connection.generation) {
            // Another client (another profile, or this one's URL, keys or region changed):
            // nothing fetched through the old one is kept, and its pending answers are dropped.
            *self = Self {
                sort: self.sort,
                ..Self::default()
            };
            self.listed_for = Some(connection.generation);
        }
        self.poll(cx, &connection);
        // A change to the open gallery lists the galleries again; opening another one does not
        // (it was opened from this list).
        let open_version = cx.gallery.map(|g| (g.gallery_id.clone(), g.version()));
        let changed = matches!(
            (&self.listed_at, &open_version),
            (Some((listed, at)), Some((open, now))) if listed == open && at != now
        );
        if self.list.is_not_requested() || (changed && !self.list.is_pending()) {
            self.refresh(cx, &connection);
        } else if !changed {
            self.listed_at = open_version;
        }
        ui.horizontal(|ui| {
            let pending = self.list.is_pending();
            if ui
                .add_enabled(!pending, egui::Button::new("Refresh"))
                .clicked()
            {
                self.refresh(cx, &connection);
            }
            if ui.button("New gallery").clicked() {
                self.form = Some(GalleryForm::new_gallery());
            }
            if pending {
                ui.spinner();
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop waiting for the gallery list")
                    .clicked()
                {
                    self.list.cancel();
                }
            }
            if let Some(galleries) = self.list.data() {
                ui.label(RichText::new(count(galleries.len(), "gallery", "galleries")).weak());
            }
        });
        if let Some(error) = self.list.error()
            && !self.list.is_pending()
        {
            if self.list.data().is_some() {
                ui.label(
                    RichText::new("The list below is from the last refresh that worked.").weak(),
                );
            }
            if error_label(ui, error) {
                self.refresh(cx, &connection);
            }
        }
        self.selected_ui(ui, cx);
        self.form_ui(ui, cx, &connection);
        self.confirm_delete_ui(ui, cx, &connection);
        ui.add_space(4.0);
        self.list_ui(ui, cx);
    }
}

impl GalleriesPane {
    /// How many galleries the list on screen holds, once one arrived.
    pub fn listed(&self) -> Option<usize> {
        self.list.data().map(Vec::len)
    }

    fn refresh(&mut self, cx: &mut PaneContext<'_>, connection: &Connection) {
        self.listed_at = cx.gallery.map(|g| (g.gallery_id.clone(), g.version()));
        let client = connection.client.clone();
        self.list
            .read(cx.outbox, "listing the galleries", move |_| async move {
                client.galleries().list().await
            });
    }

    /// Puts the list in the order chosen by the columns' titles.
    fn sort_list(&mut self) {
        let order = self.sort;
        if let Some(galleries) = self.list.data_mut() {
            order.sort(galleries, |column, gallery| match column {
                GalleryColumn::Name => (gallery.name.to_lowercase(), 0),
                GalleryColumn::Description => (gallery.description.to_lowercase(), 0),
                GalleryColumn::Faces => (String::new(), gallery.count),
            });
        }
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>, connection: &Connection) {
        if matches!(self.list.poll(), Some(Finished::Succeeded(_))) {
            self.sort_list();
        }
        let mut refresh = false;
        match self.create.poll() {
            Some(Finished::Succeeded(created)) => {
                // With no gallery open the new one opens; another open one stays open (the
                // panes' work is on it) and the new one is selected with its Open button.
                match cx.gallery {
                    None => {
                        cx.toasts.info(format!(
                            "Gallery “{}” created and opened; its API key is in the OS keyring.",
                            created.name
                        ));
                        cx.actions.push(ShellAction::OpenGallery(
                            created.id.clone(),
                            created.name.clone(),
                        ));
                    }
                    Some(open) => cx.toasts.info(format!(
                        "Gallery “{}” created; its API key is in the OS keyring. “{}” stays \
                         open: Open gallery switches to the new one.",
                        created.name, open.name
                    )),
                }
                self.selected = Some(created.id.clone());
                self.form = None;
                refresh = true;
            }
            Some(Finished::Failed(_)) | None => {}
        }
        if let Some(Finished::Succeeded(updated)) = self.update.poll() {
            cx.toasts.info(format!("Gallery “{}” saved.", updated.name));
            self.form = None;
            refresh = true;
        }
        match self.delete.poll() {
            Some(Finished::Succeeded(())) => {
                cx.toasts.info("Gallery deleted.");
                refresh = true;
            }
            Some(Finished::Failed(error)) => {
                cx.toasts.failure(error);
            }
            None => {}
        }
        if refresh {
            self.refresh(cx, connection);
        }
    }

    /// The galleries as a virtualised table filling the rest of the pane.
    fn list_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(galleries) = self.list.data() else {
            if !self.list.is_pending() && self.list.error().is_none() {
                ui.label("Not loaded: Refresh asks again.");
            }
            return;
        };
        if galleries.is_empty() {
            ui.label("This profile has no gallery yet: create one with New gallery.");
            return;
        }
        let open_id = cx.gallery.map(|g| &g.gallery_id);
        let mut clicked = None;
        let mut sorted = false;
        let sort = &mut self.sort;
        let row_height = ui
            .spacing()
            .interact_size
            .y
            .max(ui.text_style_height(&egui::TextStyle::Body))
            + 6.0;
        let height = ui.available_height().max(120.0);
        TableBuilder::new(ui)
            .id_salt("galleries")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .max_scroll_height(height)
            .auto_shrink([false, true])
            .column(
                Column::initial(240.0)
                    .at_least(120.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(
                Column::initial(280.0)
                    .at_least(80.0)
                    .clip(true)
                    .resizable(true),
            )
            .column(Column::exact(190.0))
            .column(Column::remainder().at_least(40.0))
            .header(row_height, |mut header| {
                for (title, hint, column) in [
                    ("Name", "The gallery's name", GalleryColumn::Name),
                    (
                        "Description",
                        "What the gallery is for",
                        GalleryColumn::Description,
                    ),
                    (
                        "Faces / slots",
                        "Enrolled faces against the gallery's size",
                        GalleryColumn::Faces,
                    ),
                ] {
                    header.col(|ui| {
                        sorted |= sort.title_ui(ui, title, hint, column);
                    });
                }
                header.col(|_| {});
            })
            .body(|body| {
                body.rows(row_height, galleries.len(), |mut row| {
                    let gallery = &galleries[row.index()];
                    let selected = self.selected.as_ref() == Some(&gallery.id);
                    row.col(|ui| {
                        if ui.selectable_label(selected, &gallery.name).clicked() {
                            clicked = Some(gallery.id.clone());
                        }
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(&gallery.description).weak());
                    });
                    row.col(|ui| {
                        let fraction = if gallery.size == 0 {
                            0.0
                        } else {
                            gallery.count as f32 / gallery.size as f32
                        };
                        ui.add(
                            ProgressBar::new(fraction)
                                .desired_width(180.0)
                                .text(format!("{} / {}", gallery.count, gallery.size)),
                        );
                    });
                    row.col(|ui| {
                        if open_id == Some(&gallery.id) {
                            ui.label("open");
                        }
                    });
                });
            });
        if let Some(gallery_id) = clicked {
            self.selected = Some(gallery_id);
        }
        if sorted {
            self.sort_list();
        }
    }

    /// What can be done with the selected gallery.
    fn selected_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let Some(gallery) = self
            .selected
            .as_ref()
            .and_then(|id| self.list.data()?.iter().find(|g| &g.id == id))
            .cloned()
        else {
            return;
        };
        let open_id = cx.gallery.map(|g| g.gallery_id.clone());
        ui.horizontal(|ui| {
            ui.label(format!("“{}”:", gallery.name));
            if open_id.as_ref() != Some(&gallery.id) && ui.button("Open gallery").clicked() {
                cx.actions.push(ShellAction::OpenGallery(
                    gallery.id.clone(),
                    gallery.name.clone(),
                ));
            }
            if ui.button("Edit gallery").clicked() {
                self.form = Some(GalleryForm::edit(&gallery));
            }
            if ui.button("Delete gallery…").clicked() {
                self.confirm_delete.ask(gallery.clone());
            }
        });
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        connection: &Connection,
    ) {
        let confirmed = self
            .confirm_delete
            .ui(ui, "confirm_delete_gallery", |gallery| {
                (
                    format!("Delete the gallery “{}”?", gallery.name),
                    format!(
                        "Its {}, its tags and the applications' access to it will be lost \
                         for good, on the server. This cannot be undone.",
                        count(
                            gallery.count,
                            "enrolled face record",
                            "enrolled face records"
                        )
                    ),
                    "Delete gallery",
                )
            });
        let Some(gallery) = confirmed else {
            return;
        };
        let connection = connection.clone();
        let gallery_id = gallery.id.clone();
        self.delete.send(cx.outbox, |reply| Command::DeleteGallery {
            connection,
            gallery_id,
            reply,
        });
        cx.actions
            .push(ShellAction::ForgetGallery(gallery.id.clone()));
        if self.selected.as_ref() == Some(&gallery.id) {
            self.selected = None;
        }
    }
}
