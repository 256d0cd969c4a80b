//! The Tags pane: the open gallery's tags (at most 64), created, renamed and deleted here.
//!
//! The list is the shell's ([`crate::open_gallery::GalleryCache`]): after each change the pane
//! tells the shell, which fetches it again for every pane at once.

use egui::{Grid, ProgressBar, RichText, TextEdit, Ui};
use necid::{GalleryId, TagName};

use super::{GalleryChange, Pane, PaneContext, PaneId, pane_header};
use crate::backend::OpenedGallery;
use crate::request::{Finished, Request};
use crate::widgets::{ConfirmSlot, FormFocus, FormKeys, error_label};

/// The API's limit of tags per gallery.
pub const MAX_TAGS: usize = necid::MAX_TAGS;

/// The Tags pane's view state.
#[derive(Debug, Default)]
pub struct TagsPane {
    listed_for: Option<GalleryId>,
    new_name: String,
    /// The tag being renamed and the name typed for it.
    renaming: Option<(TagName, String)>,
    /// "New tag" takes the keyboard when the pane shows a gallery; the new name's field when
    /// Rename is clicked.
    new_focus: FormFocus,
    rename_focus: FormFocus,
    change: Request<()>,
    /// What `change` is doing, for the toast when it finishes, and what it changes.
    change_label: String,
    change_made: Option<GalleryChange>,
    confirm_delete: ConfirmSlot<TagName>,
}

impl Pane for TagsPane {
    fn id(&self) -> PaneId {
        PaneId::Tags
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>) {
        if let Some(Finished::Succeeded(())) = self.change.poll() {
            cx.toasts.info(std::mem::take(&mut self.change_label));
            self.new_name.clear();
            self.renaming = None;
            cx.gallery_changed(self.change_made.take().unwrap_or(GalleryChange::Tags));
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(ui, "Tags", "Labels for subjects, at most 64 per gallery.");
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        if self.listed_for.as_ref() != Some(&gallery.gallery_id) {
            *self = Self::default();
            self.listed_for = Some(gallery.gallery_id.clone());
        }
        let Some(list) = cx.gallery.map(|g| g.tags()) else {
            return;
        };
        let (list_pending, list_error) = (list.is_pending(), list.error().cloned());
        let tags = list.data().cloned();
        ui.label(format!("Gallery “{}”", gallery.name));
        let count = tags.as_ref().map_or(0, Vec::len);
        ui.horizontal(|ui| {
            ui.add(
                ProgressBar::new(count as f32 / MAX_TAGS as f32)
                    .desired_width(200.0)
                    .text(format!("{count} of {MAX_TAGS} tags")),
            );
            if ui.button("Refresh").clicked() {
                cx.gallery_changed(GalleryChange::Tags);
            }
            if list_pending || self.change.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = &list_error
            && error_label(ui, error)
        {
            cx.gallery_changed(GalleryChange::Tags);
        }
        ui.horizontal(|ui| {
            let label = ui.label("New tag");
            let mut keys = FormKeys::new(&mut self.new_focus);
            let field = TextEdit::singleline(&mut self.new_name)
                .id_salt("new_tag")
                .desired_width(200.0);
            keys.add(ui, field, label.id);
            let full = count >= MAX_TAGS;
            let enter = keys.entered();
            let create = ui.add_enabled(
                !full && !self.change.is_pending(),
                egui::Button::new("Create tag"),
            );
            if (create.clicked() || enter) && !self.new_name.trim().is_empty() && !full {
                let name = TagName::new(self.new_name.trim());
                self.change_label = format!("Tag “{}” created.", name.as_str());
                let handle = gallery.gallery.clone();
                self.change
                    .write(cx.outbox, "creating the tag", move |_| async move {
                        handle.create_tag(&name).await
                    });
            }
            if full {
                ui.label(RichText::new("The gallery has all 64 tags: delete one first.").weak());
            }
        });
        if let Some(error) = self.change.error() {
            error_label(ui, error);
        }
        ui.add_space(6.0);
        if let Some(tags) = &tags {
            self.list_ui(ui, cx, &gallery, tags);
        }
        self.confirm_delete_ui(ui, cx, &gallery);
    }
}

impl TagsPane {
    fn list_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
        tags: &[TagName],
    ) {
        if tags.is_empty() {
            ui.label("This gallery has no tags yet.");
            return;
        }
        let mut rename = None;
        let mut start_rename = None;
        let mut delete = None;
        Grid::new("tags")
            .num_columns(2)
            .striped(true)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for tag in tags {
                    match &mut self.renaming {
                        Some((old, new_name)) if old == tag => {
                            let mut keys = FormKeys::new(&mut self.rename_focus);
                            ui.horizontal(|ui| {
                                let label = ui.label(format!("Rename “{}” to", tag.as_str()));
                                let field = TextEdit::singleline(new_name)
                                    .id_salt("rename_tag")
                                    .desired_width(160.0);
                                keys.add(ui, field, label.id);
                            });
                            ui.horizontal(|ui| {
                                if (ui.button("Save name").clicked() || keys.entered())
                                    && !new_name.trim().is_empty()
                                {
                                    rename = Some((old.clone(), TagName::new(new_name.trim())));
                                }
                                if ui.button("Cancel").clicked() || keys.escaped() {
                                    start_rename = Some(None);
                                }
                            });
                        }
                        _ => {
                            ui.label(tag.as_str());
                            ui.horizontal(|ui| {
                                if ui
                                    .small_button("Rename")
                                    .on_hover_text(format!("Rename “{}”", tag.as_str()))
                                    .clicked()
                                {
                                    start_rename = Some(Some(tag.clone()));
                                }
                                if ui
                                    .small_button("Delete…")
                                    .on_hover_text(format!("Delete “{}”", tag.as_str()))
                                    .clicked()
                                {
                                    delete = Some(tag.clone());
                                }
                            });
                        }
                    }
                    ui.end_row();
                }
            });
        if let Some(choice) = start_rename {
            self.rename_focus.reset();
            self.renaming = choice.map(|tag| {
                let name = tag.as_str().to_owned();
                (tag, name)
            });
        }
        if let Some(tag) = delete {
            self.confirm_delete.ask(tag);
        }
        if let Some((old_name, new_name)) = rename {
            self.change_label = format!(
                "Tag “{}” renamed to “{}”.",
                old_name.as_str(),
                new_name.as_str()
            );
            self.change_made = Some(GalleryChange::TagRenamed {
                from: old_name.clone(),
                to: new_name.clone(),
            });
            let handle = gallery.gallery.clone();
            self.change
                .write(cx.outbox, "renaming the tag", move |_| async move {
                    handle.rename_tag(&old_name, &new_name).await
                });
        }
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
    ) {
        let confirmed = self.confirm_delete.ui(ui, "confirm_delete_tag", |tag| {
            (
                format!("Delete the tag “{}”?", tag.as_str()),
                "The tag leaves the gallery's list and can no longer be used to register or \
                 search. Subjects and events already tagged with it are not changed."
                    .to_owned(),
                "Delete tag",
            )
        });
        if let Some(tag) = confirmed {
            self.change_label = format!("Tag “{}” deleted.", tag.as_str());
            let handle = gallery.gallery.clone();
            self.change
                .write(cx.outbox, "deleting the tag", move |_| async move {
                    handle.delete_tag(&tag).await
                });
        }
    }
}
