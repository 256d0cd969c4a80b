//! The keys of a form, the same in every pane: its first field takes the keyboard when the form
//! opens, Enter in any of its fields submits it and Escape cancels it, as in a desktop dialog.
//!
//! A form keeps a [`FormFocus`] with its state and adds its fields through a [`FormKeys`] each
//! frame; afterwards [`FormKeys::entered`] and [`FormKeys::escaped`] say what the keys asked
//! for. Whether the form is valid (and so whether Enter does anything) stays the form's call.

use egui::{Key, Response, Ui, Widget};

/// How many frames a form's first field asks for the keyboard before giving up: its id can
/// move in the frame its form appears (what was drawn before it changed), and egui drops the
/// focus of an id no longer drawn.
const FOCUS_TRIES: u8 = 3;

/// Kept with a form's state: whether its first field has the keyboard yet. A new form (its
/// state built anew, or [`Self::reset`]) gives it again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormFocus {
    /// The first field had the keyboard, or asked for it long enough.
    settled: bool,
    tries: u8,
}

impl FormFocus {
    /// The form was opened anew: its first field takes the keyboard again.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// One frame of a form's keys.
#[derive(Debug)]
pub struct FormKeys<'a> {
    focus: &'a mut FormFocus,
    /// A field was watched this frame (the first one is the one that takes the keyboard).
    watched: bool,
    entered: bool,
    escaped: bool,
}

impl<'a> FormKeys<'a> {
    pub fn new(focus: &'a mut FormFocus) -> Self {
        Self {
            focus,
            watched: false,
            entered: false,
            escaped: false,
        }
    }

    /// Adds a field of the form (a text field, a number, a slider…) named by the label
    /// `label_id`.
    pub fn add(&mut self, ui: &mut Ui, field: impl Widget, label_id: egui::Id) -> Response {
        let response = ui.add(field).labelled_by(label_id);
        self.watch(ui, &response);
        response
    }

    /// Watches a field the form added itself: the first one watched takes the keyboard when the
    /// form opens; Enter or Escape pressed in one is noted.
    pub fn watch(&mut self, ui: &Ui, response: &Response) {
        if !self.watched {
            self.watched = true;
            let focus = &mut *self.focus;
            if !focus.settled {
                // Asked again only while no widget has the keyboard: one the user chose in
                // the meantime keeps it.
                let elsewhere = ui.memory(|m| m.focused().is_some());
                if response.has_focus()
                    || focus.tries >= FOCUS_TRIES
                    || (focus.tries > 0 && elsewhere)
                {
                    focus.settled = true;
                } else {
                    focus.tries += 1;
                    response.request_focus();
                }
            }
        }
        self.entered |= entered(ui, response);
        self.escaped |= pressed_in(ui, response, Key::Escape);
    }

    /// Enter was pressed in one of the form's fields this frame: submit it, if it is valid.
    pub fn entered(&self) -> bool {
        self.entered
    }

    /// Escape was pressed in one of the form's fields this frame: cancel it.
    pub fn escaped(&self) -> bool {
        self.escaped
    }
}

/// A form's frame, whose fields keep their ids whatever is drawn above it (a list that
/// arrives, a line that appears): egui drops the keyboard of a field whose id moved, so without
/// it a form could lose its first field's focus, or the user's, while they type. `name` is the
/// form's, unique in its pane.
pub fn frame<R>(ui: &mut Ui, name: &str, add_contents: impl FnOnce(&mut Ui) -> R) -> R {
    let scope_id = ui.scope_id().with(name);
    ui.scope_builder(egui::UiBuilder::new().scope_id(scope_id), |ui| {
        egui::Frame::group(ui.style()).show(ui, add_contents).inner
    })
    .inner
}

/// Enter was pressed in this field this frame: for a lone field that acts at once (a path to
/// import, a name to save) without being a form that takes the keyboard.
pub fn entered(ui: &Ui, field: &Response) -> bool {
    pressed_in(ui, field, Key::Enter)
}

/// `key` was pressed while `field` had the keyboard. A text field lets go of it on Enter and
/// Escape, in the same frame; a slider keeps it.
fn pressed_in(ui: &Ui, field: &Response, key: Key) -> bool {
    (field.has_focus() || field.lost_focus()) && ui.input(|i| i.key_pressed(key))
}
