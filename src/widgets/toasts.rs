//! Background failures and confirmations as short-lived messages in the corner, and the list of
//! the last [`HISTORY_CAP`] of them, so that a message that vanished (a gallery that did not
//! open) can still be read in Activity.

use std::collections::VecDeque;
use std::time::SystemTime;

use egui::{Align2, Area, Frame, Id, Label, Order, RichText, Ui};

/// How long a confirmation stays on screen.
const INFO_SECS: f64 = 6.0;
/// How long an error stays: long enough to read a sentence and what to do about it. Dismiss
/// removes it sooner; Activity keeps it afterwards.
const ERROR_SECS: f64 = 20.0;
/// The width of a toast, in points; longer messages wrap.
const TOAST_WIDTH: f32 = 380.0;
/// How many messages the notifications list keeps.
pub const HISTORY_CAP: usize = 100;

/// Whether a message reports a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    Info,
    Error,
}

/// A message as it was shown.
#[derive(Clone, Debug)]
pub struct Notification {
    pub kind: NotificationKind,
    pub text: String,
    pub at: SystemTime,
    /// The technical account of a failure, for Activity (never on the toast).
    pub detail: Option<String>,
}

#[derive(Debug)]
struct Toast {
    kind: NotificationKind,
    text: String,
    /// egui time when first shown; set on the first frame it is drawn.
    shown_at: Option<f64>,
}

impl Toast {
    fn lasts_secs(&self) -> f64 {
        match self.kind {
            NotificationKind::Info => INFO_SECS,
            NotificationKind::Error => ERROR_SECS,
        }
    }
}

/// The toasts on screen and the messages shown so far.
#[derive(Debug, Default)]
pub struct Toasts {
    toasts: Vec<Toast>,
    history: VecDeque<Notification>,
}

impl Toasts {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(NotificationKind::Info, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.push(NotificationKind::Error, text.into());
    }

    /// A failure: its message and advice on the toast, its technical detail kept for Activity.
    pub fn failure(&mut self, error: &crate::error::UiError) {
        self.push_with_detail(
            NotificationKind::Error,
            error.with_advice(),
            error.detail().map(str::to_owned),
        );
    }

    fn push(&mut self, kind: NotificationKind, text: String) {
        self.push_with_detail(kind, text, None);
    }

    fn push_with_detail(&mut self, kind: NotificationKind, text: String, detail: Option<String>) {
        if self.history.len() == HISTORY_CAP {
            self.history.pop_front();
        }
        self.history.push_back(Notification {
            kind,
            text: text.clone(),
            at: SystemTime::now(),
            detail,
        });
        self.toasts.push(Toast {
            kind,
            text,
            shown_at: None,
        });
    }

    /// The last [`HISTORY_CAP`] messages, oldest first, including those no longer on screen.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &Notification> + ExactSizeIterator {
        self.history.iter()
    }

    /// Draws the toasts in the bottom-right corner and drops the expired ones.
    pub fn ui(&mut self, ui: &mut Ui) {
        let now = ui.input(|i| i.time);
        self.toasts.retain(|t| {
            let lasts = t.lasts_secs();
            t.shown_at.is_none_or(|shown| now - shown < lasts)
        });
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
                        // A fixed width, so the text wraps inside it instead of growing the
                        // right-anchored area off the left of the window.
                        ui.set_width(TOAST_WIDTH);
                        let text = match toast.kind {
                            NotificationKind::Info => RichText::new(&toast.text),
                            NotificationKind::Error => {
                                RichText::new(&toast.text).color(ui.visuals().error_fg_color)
                            }
                        };
                        ui.add(Label::new(text).wrap());
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
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
        let next_expiry = self
            .toasts
            .iter()
            .filter_map(|t| t.shown_at.map(|shown| shown + t.lasts_secs() - now))
            .fold(ERROR_SECS, f64::min)
            .max(0.1);
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs_f64(next_expiry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notifications_list_keeps_the_last_hundred_messages() {
        let mut toasts = Toasts::default();
        for n in 0..150 {
            toasts.error(format!("message {n}"));
        }
        assert_eq!(toasts.history().len(), HISTORY_CAP);
        assert_eq!(
            toasts.history().next().map(|m| m.text.as_str()),
            Some("message 50")
        );
        assert_eq!(
            toasts.history().next_back().map(|m| m.text.as_str()),
            Some("message 149")
        );
    }
}
