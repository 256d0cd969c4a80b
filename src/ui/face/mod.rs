//! The Face pane: extract every face of an image, search the open gallery with a probe, and
//! verify a probe against a subject or a second image; one tab each, one file each
//! (`extract.rs`, `search.rs`, `verify.rs`).
//!
//! Images come through [`ImageInput`] (picked, typed, or dropped onto the pane); reading,
//! checking and decoding them happens in the backend, so the pane only turns finished pixels
//! into textures. Results are drawn over the image with [`crate::widgets::ImageView`]. Errors
//! appear where the user acted, with the API's errorType and errorCode; a file that is not a
//! usable image is an error line, never a panic.

mod crop;
mod extract;
mod search;
mod verify;

use egui::{Color32, RichText, TextureHandle, Ui};
use necid::{FaceAttributes, FaceImage};

use super::{GalleryChange, Pane, PaneContext, PaneId, ShellAction, pane_header};
use crate::backend::files::LoadedImage;
use crate::backend::{Command, FileCommand, Worker};
use crate::error::UiError;
use crate::request::{Finished, Request};
use crate::widgets::error_label;
use crate::widgets::image_input::{ImageInput, ImageSource, Picker};
use crate::widgets::image_view::FaceOverlay;

pub use extract::LANDMARKS_NOTE;
pub(crate) use search::with_thumbnails;
pub use search::{FoundEvent, FoundSubject};

/// The score both Search's default threshold and Verify's pass mark are.
const PASS_SCORE: u16 = necid::MatchScore::DEFAULT_THRESHOLD.get();

/// The pane's three tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaceMode {
    #[default]
    Extract,
    Search,
    Verify,
}

/// The Face pane's view state: one struct per tab.
#[derive(Debug, Default)]
pub struct FacePane {
    mode: FaceMode,
    extract: extract::ExtractView,
    search: search::SearchView,
    verify: verify::VerifyView,
}

impl FacePane {
    /// The selected tab.
    pub fn mode(&self) -> FaceMode {
        self.mode
    }
}

impl Pane for FacePane {
    fn id(&self) -> PaneId {
        PaneId::Face
    }

    fn on_gallery_change(&mut self, change: &GalleryChange) {
        if let GalleryChange::TagRenamed { from, to } = change {
            self.search.rename_tag(from, to);
        }
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let ctx = ui.ctx().clone();
        if let Some((face_use, source)) = self.extract.poll(&ctx, cx) {
            match face_use {
                extract::FaceUse::Enrol => cx.actions.push(ShellAction::Enrol(source)),
                extract::FaceUse::Search => {
                    self.mode = FaceMode::Search;
                    self.search.probe.load(cx, source);
                }
            }
        }
        self.search.poll(&ctx, cx);
        self.verify.poll(&ctx, cx);
        pane_header(
            ui,
            "Face",
            "Extract every face of an image, search the open gallery with a probe, or verify a \
             probe against a subject or a second image. Drop an image on the pane or pick one.",
        );
        ui.horizontal(|ui| {
            for (mode, label) in [
                (FaceMode::Extract, "Extract"),
                (FaceMode::Search, "Search"),
                (FaceMode::Verify, "Verify"),
            ] {
                ui.selectable_value(&mut self.mode, mode, label);
            }
        });
        ui.separator();
        match ImageInput::dropped(ui) {
            Some(Ok(source)) => match self.mode {
                FaceMode::Extract => self.extract.image.load(cx, source),
                FaceMode::Search => self.search.probe.load(cx, source),
                FaceMode::Verify => self.verify.probe.load(cx, source),
            },
            Some(Err(error)) => cx.toasts.error(error),
            None => {}
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| match self.mode {
                FaceMode::Extract => self.extract.ui(ui, cx),
                FaceMode::Search => self.search.ui(ui, cx),
                FaceMode::Verify => self.verify.ui(ui, cx),
            });
    }
}

/// An image being chosen, loaded or shown, with its texture once decoded.
#[derive(Default)]
struct Picture {
    input: ImageInput,
    loading: Request<LoadedImage>,
    texture: Option<TextureHandle>,
    /// How many images were asked for: a result about an older one is stale.
    version: u64,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture")
            .field("loading", &self.loading)
            .field("has_texture", &self.texture.is_some())
            .finish()
    }
}

impl Picture {
    fn load(&mut self, cx: &mut PaneContext<'_>, source: ImageSource) {
        self.version += 1;
        self.loading.send(cx.outbox, |reply| {
            Command::Files(FileCommand::LoadImage { source, reply })
        });
    }

    /// The pick button and path field; loads what was chosen.
    fn input_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, picker: Picker, label: &str) {
        if let Some(source) = self.input.ui(ui, cx.outbox, picker, label) {
            self.load(cx, source);
        }
    }

    /// Takes a finished load; true when a new image arrived this frame.
    fn poll(&mut self, ctx: &egui::Context) -> bool {
        match self.loading.poll() {
            Some(Finished::Succeeded(image)) => {
                self.texture = Some(ctx.load_texture(
                    format!("face-{}", image.name),
                    (*image.pixels).clone(),
                    egui::TextureOptions::LINEAR,
                ));
                true
            }
            Some(Finished::Failed(_)) => {
                self.texture = None;
                false
            }
            None => false,
        }
    }

    /// The image, unless the latest load failed.
    fn image(&self) -> Option<&LoadedImage> {
        if self.loading.error().is_some() {
            return None;
        }
        self.loading.data()
    }

    /// Spinner, error, or nothing; returns whether an image is ready.
    fn status_ui(&self, ui: &mut Ui) -> bool {
        self.input.error_ui(ui);
        if self.loading.is_pending() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the image…");
            });
            return false;
        }
        if let Some(error) = self.loading.error() {
            error_label(ui, error);
            return false;
        }
        self.image().is_some() && self.texture.is_some()
    }
}

/// The images of one request as the client will send them: smaller copies of those too large
/// for the back end's request limit. Made on the blocking pool, so that the pane can say what
/// was sent; the client then sends the copies unchanged and maps the coordinates of the answer
/// back onto the originals.
pub(crate) async fn fit_for_request<const N: usize>(
    worker: &Worker,
    client: &necid::Client,
    images: [FaceImage; N],
) -> Result<[FaceImage; N], UiError> {
    let client = client.clone();
    let fitted = worker
        .blocking("making a smaller copy of the image", move || {
            client
                .fit_images(&images.each_ref())
                .map_err(|error| UiError::new(format!("The image cannot be sent: {error}")))
        })
        .await?;
    fitted
        .try_into()
        .map_err(|_| UiError::new("The image cannot be sent: a copy went missing"))
}

fn overlays(faces: &[FaceAttributes]) -> Vec<FaceOverlay> {
    faces
        .iter()
        .map(|attributes| FaceOverlay {
            attributes: attributes.clone(),
            landmarks: Vec::new(),
        })
        .collect()
}

/// "12.3 MB photo sent as a 2.1 MB copy", when the image was too large for one request.
pub(crate) fn sent_copy_ui(ui: &mut Ui, copy: Option<&necid::ScaledCopy>) {
    if let Some(copy) = copy {
        let (width, height) = copy.copy_size;
        ui.label(RichText::new(copy.to_string()).weak())
            .on_hover_text(format!(
                "The image is larger than the back end accepts in one request, so a \
                 {width}×{height} JPEG copy was sent; faces are drawn on the original."
            ));
    }
}

fn drop_hint_ui(ui: &mut Ui, text: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_min_size(egui::vec2(ui.available_width(), 120.0));
        ui.centered_and_justified(|ui| {
            ui.label(RichText::new(text).weak());
        });
    });
}

/// The colour of a score that reaches 7000.
const PASS_COLOUR: Color32 = Color32::from_rgb(0x22, 0xa0, 0x4e);
