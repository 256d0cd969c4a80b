//! The subjects' names in and out as CSV (`subjectId,name`), beside the gallery's labels: an
//! admin keeps them with the rest of the gallery's records, or brings in names made elsewhere.

use std::path::PathBuf;

use egui::Ui;

use crate::backend::{Command, FileCommand};
use crate::error::UiError;
use crate::request::{Finished, Request};
use crate::subject_names::SubjectNames;
use crate::ui::PaneContext;
use crate::ui::plural::count;

/// Export and import of the names.
#[derive(Debug, Default)]
pub(super) struct NamesCsv {
    export: Request<Option<PathBuf>>,
    /// The CSV file to import, as typed.
    import_path: String,
    import: Request<SubjectNames>,
}

impl NamesCsv {
    pub(super) fn poll(&mut self, cx: &mut PaneContext<'_>) {
        match self.export.poll() {
            Some(Finished::Succeeded(Some(path))) => {
                cx.toasts
                    .info(format!("Names written to {}", path.display()));
            }
            Some(Finished::Failed(error)) => {
                cx.toasts
                    .failure(&error.clone().during("Exporting the names"));
            }
            _ => {}
        }
        match self.import.poll() {
            Some(Finished::Succeeded(names)) => {
                let names: Vec<_> = names
                    .iter()
                    .map(|(id, name)| (id.clone(), name.to_owned()))
                    .collect();
                cx.toasts
                    .info(format!("Imported {}", count(names.len(), "name", "names")));
                cx.name_subjects(names);
            }
            Some(Finished::Failed(error)) => {
                cx.toasts
                    .failure(&error.clone().during("Importing the names"));
            }
            None => {}
        }
    }

    /// "Export names…" and the import field, on the current line.
    pub(super) fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, gallery_name: &str) {
        let has_names = cx.names().is_some_and(|names| !names.is_empty());
        if ui
            .add_enabled(
                has_names && !self.export.is_pending(),
                egui::Button::new("Export names…"),
            )
            .on_hover_text("Save the subjects' names as CSV (subjectId,name)")
            .clicked()
        {
            let text = cx.names().map(SubjectNames::to_csv).unwrap_or_default();
            let suggested_name = format!("{gallery_name}-names.csv");
            self.export.send(cx.outbox, |reply| {
                Command::Files(FileCommand::ExportCsv {
                    picker: crate::backend::dialogs::Picker::NamesExport,
                    suggested_name,
                    text,
                    reply,
                })
            });
        }
        let field = ui.add(
            egui::TextEdit::singleline(&mut self.import_path)
                .desired_width(150.0)
                .hint_text("names CSV to import"),
        );
        let entered = crate::widgets::form::entered(ui, &field);
        let path = self.import_path.trim().to_owned();
        if (ui
            .add_enabled(
                !path.is_empty() && !self.import.is_pending(),
                egui::Button::new("Import names"),
            )
            .clicked()
            || (entered && !path.is_empty()))
            && !self.import.is_pending()
        {
            self.import
                .read(cx.outbox, "importing the names", move |worker| {
                    worker.blocking("importing the names", move || {
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            UiError::new(format!("The file could not be read: {e}"))
                        })?;
                        let mut names = SubjectNames::default();
                        names.merge_csv(&text)?;
                        Ok(names)
                    })
                });
        }
        if self.import.is_pending() || self.export.is_pending() {
            ui.spinner();
        }
    }
}
