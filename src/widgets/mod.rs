//! Small widgets shared by the panes.

pub mod badge;
pub mod confirm;
pub mod error_label;
pub mod folder_picker;
pub mod form;
pub mod image_input;
pub mod image_view;
pub mod keys_view;
pub mod sort_header;
pub mod tag_chips;
pub mod toasts;

pub use badge::badge;
pub use confirm::{Confirm, ConfirmOutcome, ConfirmSlot};
pub use error_label::error_label;
pub use folder_picker::FolderPicker;
pub use form::{FormFocus, FormKeys};
pub use image_input::ImageInput;
pub use image_view::ImageView;
pub use keys_view::KeysView;
pub use sort_header::SortOrder;
pub use toasts::{Notification, NotificationKind, Toasts};
