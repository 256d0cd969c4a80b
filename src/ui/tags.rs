//! The Tags pane: the open gallery's tags (at most 64), created, renamed and deleted here.

use egui::{Grid, ProgressBar, RichText, TextEdit, Ui};
use necid::{GalleryId, TagName};

use super::{PaneContext, pane_header};
use crate::backend::{Command, OpenedGallery};
use crate::request::{Finished, Request};
use crate::widgets::{Confirm, ConfirmOutcome, error_label};

/// The API's limit of tags per gallery.
pub const MAX_TAGS: usize = necid::MAX_TAGS;

/// The Tags pane's view state.
#[derive(Debug, Default)]
pub struct TagsPane {
    list: Request<Vec<TagName>>,
    listed_for: Option<GalleryId>,
    new_name: String,
    /// The tag being renamed and the name typed for it.
    renaming: Option<(TagName, String)>,
    change: Request<()>,
    /// What `change` is doing, for the toast when it finishes.
    change_label: String,
    confirm_delete: Option<TagName>,
}

impl TagsPane {
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        pane_header(ui, "Tags", "Labels for subjects, at most 64 per gallery.");
        let Some(gallery) = cx.gallery_ui(ui) else {
            return;
        };
        if self.listed_for.as_ref() != Some(&gallery.gallery_id) {
            *self = Self::default();
            self.listed_for = Some(gallery.gallery_id.clone());
        }
        self.poll(cx, &gallery);
        if self.list.is_not_requested() {
            self.refresh(cx, &gallery);
        }
        ui.label(format!("Gallery “{}”", gallery.name));
        let count = self.list.data().map_or(0, Vec::len);
        ui.horizontal(|ui| {
            ui.add(
                ProgressBar::new(count as f32 / MAX_TAGS as f32)
                    .desired_width(200.0)
                    .text(format!("{count} of {MAX_TAGS} tags")),
            );
            if ui.button("Refresh").clicked() {
                self.refresh(cx, &gallery);
            }
            if self.list.is_pending() || self.change.is_pending() {
                ui.spinner();
            }
        });
        if let Some(error) = self.list.error()
            && error_label(ui, error)
        {
            self.refresh(cx, &gallery);
        }
        ui.horizontal(|ui| {
            let label = ui.label("New tag");
            let response = ui
                .add(TextEdit::singleline(&mut self.new_name).desired_width(200.0))
                .labelled_by(label.id);
            let full = count >= MAX_TAGS;
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let create = ui.add_enabled(
                !full && !self.change.is_pending(),
                egui::Button::new("Create tag"),
            );
            if (create.clicked() || enter) && !self.new_name.trim().is_empty() && !full {
                let name = TagName::new(self.new_name.trim());
                self.change_label = format!("Tag “{}” created.", name.as_str());
                let handle = gallery.gallery.clone();
                self.change.send(cx.outbox, |reply| Command::CreateTag {
                    gallery: handle,
                    name,
                    reply,
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
        self.list_ui(ui, cx, &gallery);
        self.confirm_delete_ui(ui, cx, &gallery);
    }

    fn refresh(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let handle = gallery.gallery.clone();
        self.list.send(cx.outbox, |reply| Command::ListTags {
            gallery: handle,
            reply,
        });
    }

    fn poll(&mut self, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        self.list.poll();
        if let Some(Finished::Succeeded(())) = self.change.poll() {
            cx.toasts.info(std::mem::take(&mut self.change_label));
            self.new_name.clear();
            self.renaming = None;
            self.refresh(cx, gallery);
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery: &OpenedGallery) {
        let Some(tags) = self.list.data() else {
            return;
        };
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
                            ui.horizontal(|ui| {
                                let label = ui.label(format!("Rename “{}” to", tag.as_str()));
                                ui.add(TextEdit::singleline(new_name).desired_width(160.0))
                                    .labelled_by(label.id);
                            });
                            ui.horizontal(|ui| {
                                if ui.button("Save name").clicked() && !new_name.trim().is_empty() {
                                    rename = Some((old.clone(), TagName::new(new_name.trim())));
                                }
                                if ui.button("Cancel").clicked() {
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
            self.renaming = choice.map(|tag| {
                let name = tag.as_str().to_owned();
                (tag, name)
            });
        }
        if let Some(tag) = delete {
            self.confirm_delete = Some(tag);
        }
        if let Some((old_name, new_name)) = rename {
            self.change_label = format!(
                "Tag “{}” renamed to “{}”.",
                old_name.as_str(),
                new_name.as_str()
            );
            let handle = gallery.gallery.clone();
            self.change.send(cx.outbox, |reply| Command::RenameTag {
                gallery: handle,
                old_name,
                new_name,
                reply,
            });
        }
    }

    fn confirm_delete_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        gallery: &OpenedGallery,
    ) {
        let Some(tag) = self.confirm_delete.clone() else {
            return;
        };
        let title = format!("Delete the tag “{}”?", tag.as_str());
        let consequences = "The tag leaves the gallery's list and can no longer be used to \
                            register or search. Subjects and events already tagged with it are \
                            not changed.";
        match Confirm::new(
            egui::Id::unique("confirm_delete_tag"),
            &title,
            consequences,
            "Delete tag",
        )
        .ui(ui)
        {
            ConfirmOutcome::Waiting => {}
            ConfirmOutcome::Cancelled => self.confirm_delete = None,
            ConfirmOutcome::Confirmed => {
                self.confirm_delete = None;
                self.change_label = format!("Tag “{}” deleted.", tag.as_str());
                let handle = gallery.gallery.clone();
                self.change.send(cx.outbox, |reply| Command::DeleteTag {
                    gallery: handle,
                    name: tag,
                    reply,
                });
            }
        }
    }
}
