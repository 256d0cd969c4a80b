//! Background failures and confirmations as short-lived messages in the corner.

use egui::{Align2, Area, Frame, Id, Order, RichText, Ui};

const SHOW_SECS: f64 = 6.0;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Info,
    Error,
}

#[derive(Debug)]
struct Toast {
    kind: Kind,
    text: String,
    /// egui time when first shown; set on the first frame it is drawn.
    shown_at: Option<f64>,
}

/// The queue of toasts.
#[derive(Debug, Default)]
pub struct Toasts {
    toasts: Vec<Toast>,
}

impl Toasts {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Kind::Info, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Kind::Error, text.into());
    }

    fn push(&mut self, kind: Kind, text: String) {
        self.toasts.push(Toast {
            kind,
            text,
            shown_at: None,
        });
    }

    /// Draws the toasts in the bottom-right corner and drops the expired ones.
    pub fn ui(&mut self, ui: &mut Ui) {
        let now = ui.input(|i| i.time);
        self.toasts
            .retain(|t| t.shown_at.is_none_or(|shown| now - shown < SHOW_SECS));
        if self.toasts.is_empty() {
            return;
        }
        let mut dismissed = None;
        Area::new(Id::unique("toasts"))
            .order(Order::Foreground)
            .anchor(Align2::RIGHT_BOTTOM, [-12.0, -36.0])
            .show(ui.ctx(), |ui| {
                for (index, toast) in self.toasts.iter_mut().enumerate() {
                    toast.shown_at.get_or_insert(now);
                    Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(360.0);
                        ui.horizontal(|ui| {
                            let text = match toast.kind {
                                Kind::Info => RichText::new(&toast.text),
                                Kind::Error => {
                                    RichText::new(&toast.text).color(ui.visuals().error_fg_color)
                                }
                            };
                            ui.label(text);
                            if ui.small_button("Dismiss").clicked() {
                                dismissed = Some(index);
                            }
                        });
                    });
                }
            });
        if let Some(index) = dismissed {
            self.toasts.remove(index);
        }
        // Wake up again to expire them even if nothing else happens.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs_f64(SHOW_SECS));
    }
}
