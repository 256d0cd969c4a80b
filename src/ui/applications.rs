//! The Applications pane: the API keys that use the galleries. Create one for a gallery, change
//! its minimum face quality, delete it, and reveal or copy its API key.

use std::collections::HashSet;

use egui::{Grid, RichText, Slider, TextEdit, Ui};
use egui_extras::{Column, TableBuilder};
use necid::{
    Application, ApplicationId, CreateApplication, GalleryId, GallerySummary, UpdateApplication,
};

use super::{Pane, PaneContext, PaneId, pane_header};
use crate::connection::Connection;
use crate::request::{Finished, Request};
use crate::widgets::{ConfirmSlot, FormFocus, FormKeys, SortOrder, error_label};

#[derive(Debug, Default)]
struct NewApplication {
    name: String,
    description: String,
    gallery_id: Option<GalleryId>,
    minimum_quality: f64,
    focus: FormFocus,
}

/// The columns the list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ApplicationColumn {
    Name,
    Gallery,
    MinimumQuality,
}

/// The Applications pane's view state.
#[derive(Debug, Default)]
pub struct ApplicationsPane {
    /// The client the lists came from ([`crate::connection::Connection::generation`]): a new
    /// one (another profile, or this one's URL, keys or region changed) fetches them again.
    listed_for: Option<u64>,
    list: Request<Vec<Application>>,
    galleries: Request<Vec<GallerySummary>>,
    /// Applications whose key is shown in clear.
    revealed: HashSet<ApplicationId>,
    /// Minimum quality being edited, per application.
    editing_quality: Option<(ApplicationId, f64)>,
    /// The quality's slider takes the keyboard when Edit is clicked.
    editing_focus: FormFocus,
    sort: SortOrder<ApplicationColumn>,
    new_application: Option<NewApplication>,
    change: Request<Application>,
    create: Request<Application>,
    delete: Request<()>,
    confirm_delete: ConfirmSlot<Application>,
}

impl Pane for ApplicationsPane {
    fn id(&self) -> PaneId {
        PaneId::Applications
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(
            ui,
            "Applications",
            "Each application has an API key that names its gallery, and a minimum face quality.",
        );
        let Some(connection) = cx.connection_ui(ui) else {
            return;
        };
        if self.listed_for != Some(connection.generation) {
            *self = Self {
                sort: self.sort,
                ..Self::default()
            };
            self.listed_for = Some(connection.generation);
        }
        self.poll(cx, &connection);
        if self.list.is_not_requested() {
            self.refresh(cx, &connection);
        }
        ui.horizontal(|ui| {
            if ui.button("Refresh").clicked() {
                self.refresh(cx, &connection);
            }
            if ui.button("New application").clicked() {
                self.new_application = Some(NewApplication {
                    minimum_quality: 0.5,
                    gallery_id: cx.gallery.map(|g| g.gallery_id.clone()),
                    ..NewApplication::default()
                });
                self.create.reset();
            }
            if self.list.is_pending() || self.galleries.is_pending() {
                ui.spinner();
            }
        });
        let list_error = self.list.error().or(self.galleries.error()).cloned();
        if let Some(error) = list_error
            && error_label(ui, &error)
        {
            self.refresh(cx, &connection);
        }
        if let Some(error) = self.change.error().or(self.delete.error()) {
            error_label(ui, error);
        }
        self.list_ui(ui, cx, &connection);
        ui.add_space(8.0);
        self.new_application_ui(ui, cx, &connection);
        self.confirm_delete_ui(ui, cx, &connection);
    }
}

impl ApplicationsPane {
    fn refresh(&mut self, cx: &mut PaneContext<'_>, connection: &Connection) {
        // Every application with its details: the list alone has no minimum quality.
        let client = connection.client.clone();
        self.list
            .read(cx.outbox, "listing the applications", move |_| async move {
                let applications = client.applications();
                let summaries = applications.list().await?;
                let mut details = Vec::with_capacity(summaries.len());
                for summary in summaries {
                    details.push(applications.get(&summary.id).await?);
                }
                Ok::<_, necid::Error>(details)
            });
        let client = connection.client.clone();
        self.galleries
            .read(cx.outbox, "listing the galleries", move |_| async move {
                client.galleries().list().await
            });
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>, connection: &Connection) {
        self.list.poll();
        self.galleries.poll();
        let mut refresh = false;
        if let Some(Finished::Succeeded(application)) = self.change.poll() {
            cx.toasts
                .info(format!("Application “{}” saved.", application.name));
            self.editing_quality = None;
            refresh = true;
        }
        if let Some(Finished::Succeeded(application)) = self.create.poll() {
            cx.toasts
                .info(format!("Application “{}” created.", application.name));
            self.new_application = None;
            refresh = true;
        }
        if let Some(Finished::Succeeded(())) = self.delete.poll() {
            cx.toasts.info("Application deleted.");
            refresh = true;
        }
        if refresh {
            self.refresh(cx, connection);
        }
    }

    fn gallery_name(&self, gallery_id: Option<&GalleryId>) -> String {
        let Some(gallery_id) = gallery_id else {
            return "no gallery".to_owned();
        };
        self.galleries
            .data()
            .and_then(|galleries| galleries.iter().find(|g| &g.id == gallery_id))
            .map_or_else(|| gallery_id.to_string(), |g| g.name.clone())
    }

    fn list_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, connection: &Connection) {
        let Some(mut applications) = self.list.data().cloned() else {
            return;
        };
        if applications.is_empty() {
            ui.label("This profile has no application yet.");
            return;
        }
        // A profile has a handful of applications: sorting them each frame costs nothing.
        self.sort
            .sort(&mut applications, |column, application| match column {
                ApplicationColumn::Name => (application.name.to_lowercase(), 0),
                ApplicationColumn::Gallery => (
                    self.gallery_name(application.gallery_id.as_ref())
                        .to_lowercase(),
                    0,
                ),
                ApplicationColumn::MinimumQuality => (
                    String::new(),
                    (application.face_minimum_quality_score * 1000.0).round() as i64,
                ),
            });
        let mut save_quality = None;
        let mut cancel_quality = false;
        let mut sort = self.sort;
        let row_height = ui.spacing().interact_size.y + 6.0;
        // In a child of its own, so the resize lines end with the table's last row.
        ui.vertical(|ui| {
            TableBuilder::new(ui)
                .id_salt("applications")
                .striped(true)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(
                    Column::initial(130.0)
                        .at_least(80.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(120.0)
                        .at_least(80.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(
                    Column::initial(300.0)
                        .at_least(120.0)
                        .clip(true)
                        .resizable(true),
                )
                .column(Column::remainder().at_least(230.0).clip(true))
                .header(row_height, |mut header| {
                    header.col(|ui| {
                        sort.title_ui(
                            ui,
                            "Name",
                            "The application's name",
                            ApplicationColumn::Name,
                        );
                    });
                    header.col(|ui| {
                        sort.title_ui(
                            ui,
                            "Gallery",
                            "The gallery its API key names",
                            ApplicationColumn::Gallery,
                        );
                    });
                    header.col(|ui| {
                        sort.title_ui(
                            ui,
                            "Minimum quality",
                            "The least face quality it enrols",
                            ApplicationColumn::MinimumQuality,
                        );
                    });
                    header.col(|ui| {
                        ui.strong("API key");
                    });
                })
                .body(|mut body| {
                    for application in &applications {
                        body.row(row_height, |mut row| {
                            row.col(|ui| {
                                ui.label(&application.name)
                                    .on_hover_text(&application.description);
                            });
                            row.col(|ui| {
                                ui.label(self.gallery_name(application.gallery_id.as_ref()));
                            });
                            row.col(|ui| match &mut self.editing_quality {
                                Some((id, quality)) if id == &application.id => {
                                    let mut keys = FormKeys::new(&mut self.editing_focus);
                                    ui.spacing_mut().slider_width = 70.0;
                                    let label = ui.label("Quality");
                                    keys.add(ui, Slider::new(quality, 0.0..=1.0), label.id);
                                    if ui
                                        .button("Save")
                                        .on_hover_text("Save the minimum quality")
                                        .clicked()
                                        || keys.entered()
                                    {
                                        save_quality = Some((id.clone(), *quality));
                                    }
                                    if ui.button("Cancel").clicked() || keys.escaped() {
                                        cancel_quality = true;
                                    }
                                }
                                _ => {
                                    ui.label(format!(
                                        "{:.2}",
                                        application.face_minimum_quality_score
                                    ));
                                    if ui
                                        .small_button("Edit")
                                        .on_hover_text(format!(
                                            "Edit the minimum quality of “{}”",
                                            application.name
                                        ))
                                        .clicked()
                                    {
                                        self.editing_quality = Some((
                                            application.id.clone(),
                                            application.face_minimum_quality_score,
                                        ));
                                        self.editing_focus.reset();
                                    }
                                }
                            });
                            row.col(|ui| {
                                self.key_ui(ui, cx, application);
                            });
                        });
                    }
                });
        });
        self.sort = sort;
        if cancel_quality {
            self.editing_quality = None;
        }
        if let Some((application_id, quality)) = save_quality {
            let client = connection.client.clone();
            let change = UpdateApplication {
                face_minimum_quality_score: Some(quality),
                ..UpdateApplication::default()
            };
            self.change
                .write(cx.outbox, "saving the application", move |_| async move {
                    client.applications().update(&application_id, &change).await
                });
        }
    }

    /// An application's API key, hidden unless revealed, with Copy and Delete.
    fn key_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, application: &Application) {
        let revealed = self.revealed.contains(&application.id);
        if revealed {
            ui.monospace(application.api_key.expose());
            if ui.small_button("Hide").clicked() {
                self.revealed.remove(&application.id);
            }
        } else {
            ui.monospace("••••••••");
            if ui
                .small_button("Reveal")
                .on_hover_text(format!("Show the API key of “{}”", application.name))
                .clicked()
            {
                self.revealed.insert(application.id.clone());
            }
        }
        if ui
            .small_button("Copy")
            .on_hover_text(format!("Copy the API key of “{}”", application.name))
            .clicked()
        {
            ui.ctx().copy_text(application.api_key.expose().to_owned());
            cx.toasts.info("API key copied.");
        }
        if ui
            .small_button("Delete…")
            .on_hover_text(format!("Delete “{}”", application.name))
            .clicked()
        {
            self.confirm_delete.ask(application.clone());
        }
    }

    fn new_application_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        connection: &Connection,
    ) {
        let Some(form) = self.new_application.as_mut() else {
            return;
        };
        let galleries = self.galleries.data().cloned().unwrap_or_default();
        let mut close = false;
        let mut create = false;
        crate::widgets::form::frame(ui, "application_form", |ui| {
            ui.strong("New application");
            let mut keys = FormKeys::new(&mut form.focus);
            Grid::new("application_form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let label = ui.label("Application name");
                    let name = TextEdit::singleline(&mut form.name).desired_width(320.0);
                    keys.add(ui, name, label.id);
                    ui.end_row();
                    let label = ui.label("Application description");
                    let description =
                        TextEdit::singleline(&mut form.description).desired_width(320.0);
                    keys.add(ui, description, label.id);
                    ui.end_row();
                    let label = ui.label("For gallery");
                    let selected = form
                        .gallery_id
                        .as_ref()
                        .and_then(|id| galleries.iter().find(|g| &g.id == id))
                        .map_or_else(|| "choose…".to_owned(), |g| g.name.clone());
                    let choice = egui::ComboBox::from_id_salt("application_gallery")
                        .selected_text(selected)
                        .show_ui(ui, |ui| {
                            for gallery in &galleries {
                                ui.selectable_value(
                                    &mut form.gallery_id,
                                    Some(gallery.id.clone()),
                                    &gallery.name,
                                );
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    keys.watch(ui, &choice);
                    ui.end_row();
                    let label = ui.label("Minimum face quality");
                    keys.add(
                        ui,
                        Slider::new(&mut form.minimum_quality, 0.0..=1.0),
                        label.id,
                    );
                    ui.end_row();
                });
            let ready = !form.name.trim().is_empty() && form.gallery_id.is_some();
            let can_create = ready && !self.create.is_pending();
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(can_create, egui::Button::new("Create application"))
                    .clicked()
                    || (keys.entered() && can_create)
                {
                    create = true;
                }
                if ui.button("Cancel").clicked() || keys.escaped() {
                    close = true;
                }
                if self.create.is_pending() {
                    ui.spinner();
                }
                if !ready {
                    ui.label(RichText::new("Give it a name and choose its gallery.").weak());
                }
            });
            if let Some(error) = self.create.error() {
                error_label(ui, error);
            }
        });
        if create && let Some(gallery_id) = form.gallery_id.clone() {
            let client = connection.client.clone();
            let application = CreateApplication {
                name: form.name.trim().to_owned(),
                description: form.description.trim().to_owned(),
                face_minimum_quality_score: form.minimum_quality,
                gallery_id,
            };
            self.create
                .write(cx.outbox, "creating the application", move |_| async move {
                    client.applications().create(&application).await
                });
        }
        if close {
            self.new_application = None;
        }
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        connection: &Connection,
    ) {
        let confirmed = self
            .confirm_delete
            .ui(ui, "confirm_delete_application", |application| {
                (
                    format!("Delete the application “{}”?", application.name),
                    "Its API key stops working at once: every program that uses it loses access \
                     to its gallery. The gallery and its subjects stay."
                        .to_owned(),
                    "Delete application",
                )
            });
        if let Some(application) = confirmed {
            let client = connection.client.clone();
            let application_id = application.id.clone();
            self.delete
                .write(cx.outbox, "deleting the application", move |_| async move {
                    client.applications().delete(&application_id).await
                });
        }
    }
}
