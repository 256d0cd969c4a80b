//! The Galleries pane's form: a gallery created (name, description, size, minimum quality) or
//! edited (the size can only grow), from the keyboard as from the mouse.

use egui::{DragValue, Grid, RichText, Slider, TextEdit, Ui};
use necid::{CreateGallery, GalleryId, GallerySummary, UpdateGallery};

use super::GalleriesPane;
use crate::backend::Command;
use crate::connection::Connection;
use crate::request::Request;
use crate::ui::PaneContext;
use crate::widgets::{FormFocus, FormKeys, error_label};

/// The largest gallery size the form offers.
const MAX_GALLERY_SIZE: u64 = 10_000_000;

/// The gallery being created or edited.
#[derive(Debug)]
pub(super) struct GalleryForm {
    /// `None` for a new gallery.
    gallery_id: Option<GalleryId>,
    name: String,
    description: String,
    size: u64,
    /// The size before editing: the size can only grow.
    min_size: u64,
    minimum_quality: f64,
    focus: FormFocus,
}

impl GalleryForm {
    pub(super) fn new_gallery() -> Self {
        Self {
            gallery_id: None,
            name: String::new(),
            description: String::new(),
            size: 1000,
            min_size: 1,
            minimum_quality: 0.5,
            focus: FormFocus::default(),
        }
    }

    pub(super) fn edit(gallery: &GallerySummary) -> Self {
        Self {
            gallery_id: Some(gallery.id.clone()),
            name: gallery.name.clone(),
            description: gallery.description.clone(),
            size: gallery.size,
            min_size: gallery.size,
            minimum_quality: 0.5,
            focus: FormFocus::default(),
        }
    }
}

impl GalleriesPane {
    pub(super) fn form_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        connection: &Connection,
    ) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        let mut close = false;
        crate::widgets::form::frame(ui, "gallery_form", |ui| {
            ui.strong(if form.gallery_id.is_none() {
                "New gallery"
            } else {
                "Edit gallery"
            });
            let mut keys = FormKeys::new(&mut form.focus);
            Grid::new("gallery_form")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let label = ui.label("Gallery name");
                    let name = TextEdit::singleline(&mut form.name).desired_width(320.0);
                    keys.add(ui, name, label.id);
                    ui.end_row();
                    let label = ui.label("Description");
                    let description =
                        TextEdit::singleline(&mut form.description).desired_width(320.0);
                    keys.add(ui, description, label.id);
                    ui.end_row();
                    let label = ui.label("Size (subjects)");
                    let size =
                        DragValue::new(&mut form.size).range(form.min_size..=MAX_GALLERY_SIZE);
                    keys.add(ui, size, label.id);
                    ui.end_row();
                    if form.gallery_id.is_none() {
                        let label = ui.label("Minimum face quality");
                        let quality = Slider::new(&mut form.minimum_quality, 0.0..=1.0);
                        keys.add(ui, quality, label.id);
                        ui.end_row();
                    }
                });
            let (entered, escaped) = (keys.entered(), keys.escaped());
            if form.gallery_id.is_some() {
                ui.label(
                    RichText::new(format!(
                        "The size can only grow: at least {}. The minimum quality is set per \
                         application, in Applications.",
                        form.min_size
                    ))
                    .weak(),
                );
            }
            let busy = self.create.is_pending() || self.update.is_pending();
            ui.horizontal(|ui| {
                let label = if form.gallery_id.is_none() {
                    "Create gallery"
                } else {
                    "Save gallery"
                };
                if ui.add_enabled(!busy, egui::Button::new(label)).clicked() || (entered && !busy) {
                    submit(form, cx, connection, &mut self.create, &mut self.update);
                }
                if ui.button("Cancel").clicked() || escaped {
                    close = true;
                }
                if busy {
                    ui.spinner();
                }
            });
            if form.name.trim().is_empty() {
                ui.label(RichText::new("A gallery needs a name.").weak());
            }
            let error = if form.gallery_id.is_none() {
                self.create.error()
            } else {
                self.update.error()
            };
            if let Some(error) = error
                && error_label(ui, error)
            {
                submit(form, cx, connection, &mut self.create, &mut self.update);
            }
        });
        if close {
            self.form = None;
        }
    }
}

fn submit(
    form: &GalleryForm,
    cx: &mut PaneContext<'_>,
    connection: &Connection,
    create: &mut Request<necid::CreatedGallery>,
    update: &mut Request<necid::UpdatedGallery>,
) {
    if form.name.trim().is_empty() {
        return;
    }
    match &form.gallery_id {
        None => {
            let gallery = CreateGallery {
                name: form.name.trim().to_owned(),
                description: form.description.trim().to_owned(),
                face_minimum_quality_score: form.minimum_quality,
                size: form.size,
            };
            let connection = connection.clone();
            create.send(cx.outbox, |reply| Command::CreateGallery {
                connection,
                gallery,
                reply,
            });
        }
        Some(gallery_id) => {
            let change = UpdateGallery {
                name: Some(form.name.trim().to_owned()),
                description: Some(form.description.trim().to_owned()),
                size: Some(form.size),
            };
            let client = connection.client.clone();
            let gallery_id = gallery_id.clone();
            update.write(cx.outbox, "saving the gallery", move |_| async move {
                client.galleries().update(&gallery_id, &change).await
            });
        }
    }
}
