//! Background commands of the Face pane (pick and decode images, extract, search, verify) and
//! of the Local profile (start the embedded service).
//!
//! Kept apart from the shell's commands in `backend.rs` so that the pane's work can grow
//! without touching them; [`Backend::execute`] hands every [`FaceCommand`] here. Decoding an
//! image for display happens here too, so the UI thread only turns finished pixels into a
//! texture.
//!
//! The console sees faces only through the API: the landmarks it draws for the Local profile come
//! from the Local service's Extract (`?landmarks=68`, a local extension), never from an engine of
//! its own.

use std::path::PathBuf;
use std::sync::Arc;

use necid::{ExtractedFace, FaceAttributes, FaceImage, MatchScore, ScaledCopy, SubjectId, TagName};

use super::{Backend, Reply, api_error};
use crate::error::UiError;
use crate::local::{LocalService, LocalSettings};
use crate::thumbnails::Thumbnails;

/// The longest side of the picture the pane draws; larger images are scaled down for display
/// only (the API gets the original bytes, and face coordinates stay in original pixels).
pub const DISPLAY_MAX_SIDE: u32 = 2048;

/// An image the user chose: the checked file for the API, and its pixels for display.
#[derive(Clone)]
pub struct LoadedImage {
    /// The file name, for captions.
    pub name: String,
    pub face: FaceImage,
    /// Decoded and possibly scaled down for display.
    pub pixels: Arc<egui::ColorImage>,
    /// Width and height of the original, in pixels (the faces' coordinate space).
    pub original_size: [u32; 2],
}

impl std::fmt::Debug for LoadedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedImage")
            .field("name", &self.name)
            .field("original_size", &self.original_size)
            .finish_non_exhaustive()
    }
}

/// Where an image comes from: a file, or bytes a drop carried without a path.
#[derive(Clone, Debug)]
pub enum ImageSource {
    Path(PathBuf),
    Bytes { name: String, bytes: Arc<[u8]> },
}

/// One search candidate's event with the thumbnail this console kept of it, if any.
#[derive(Clone, Debug)]
pub struct FoundEvent {
    pub event_id: necid::EventId,
    pub score: MatchScore,
    pub thumbnail: Option<Arc<egui::ColorImage>>,
}

/// One ranked candidate.
#[derive(Clone, Debug)]
pub struct FoundSubject {
    pub subject_id: SubjectId,
    pub score: MatchScore,
    pub events: Vec<FoundEvent>,
}

/// Extract's answer: the faces, on the original image's pixels, with their landmarks when they
/// were asked for and the back end offers them.
#[derive(Clone, Debug, Default)]
pub struct ExtractOutcome {
    pub faces: Vec<ExtractedFace>,
    /// Set when the image was too large for a request and a smaller copy was sent.
    pub sent_copy: Option<ScaledCopy>,
}

/// Search's answer: no candidate at or above the threshold is an answer too.
#[derive(Clone, Debug, Default)]
pub struct SearchOutcome {
    pub candidates: Vec<FoundSubject>,
    pub probe_face: Option<FaceAttributes>,
    /// Set when the probe was too large for a request and a smaller copy was sent.
    pub sent_copy: Option<ScaledCopy>,
}

/// Verify's answer: the score when it reached 7000 (the API says only "below" otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub score: Option<MatchScore>,
    /// Set when the probe was too large for a request and a smaller copy was sent.
    pub probe_copy: Option<ScaledCopy>,
    /// The same for the second image, when verifying two images.
    pub face_copy: Option<ScaledCopy>,
}

/// Something the Face pane or the shell's Local profile wants done in the background.
#[non_exhaustive]
pub enum FaceCommand {
    /// Find the keys and start the Local service (models, store, listener on 127.0.0.1).
    StartLocal {
        settings: LocalSettings,
        reply: Reply<LocalService>,
    },
    /// Ask the user for an image file (the portal's dialog, without blocking the UI).
    PickImage { reply: Reply<Option<PathBuf>> },
    /// Ask the user for a folder, with the dialog titled `title`.
    PickFolder {
        title: &'static str,
        reply: Reply<Option<PathBuf>>,
    },
    /// Read, check and decode an image.
    LoadImage {
        source: ImageSource,
        reply: Reply<LoadedImage>,
    },
    /// Every face of an image; with `landmarks`, each face's 68 landmarks too, which only the
    /// Local service offers (`extract?landmarks=68`; the NEC cloud answers 400).
    Extract {
        client: necid::Client,
        image: FaceImage,
        landmarks: bool,
        reply: Reply<ExtractOutcome>,
    },
    Search {
        gallery: necid::Gallery,
        probe: FaceImage,
        threshold: MatchScore,
        limit: u32,
        tags: Vec<TagName>,
        thumbnails: Thumbnails,
        reply: Reply<SearchOutcome>,
    },
    VerifySubject {
        gallery: necid::Gallery,
        probe: FaceImage,
        subject_id: SubjectId,
        reply: Reply<VerifyOutcome>,
    },
    VerifyFaces {
        gallery: necid::Gallery,
        face: FaceImage,
        probe: FaceImage,
        reply: Reply<VerifyOutcome>,
    },
}

impl std::fmt::Debug for FaceCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FaceCommand").field(&self.name()).finish()
    }
}

impl FaceCommand {
    /// A short name for logs and errors; never includes arguments.
    pub fn name(&self) -> &'static str {
        match self {
            Self::StartLocal { .. } => "starting the Local service",
            Self::PickImage { .. } => "choosing an image",
            Self::PickFolder { .. } => "choosing a folder",
            Self::LoadImage { .. } => "reading the image",
            Self::Extract { .. } => "extracting the faces",
            Self::Search { .. } => "searching the gallery",
            Self::VerifySubject { .. } => "verifying against the subject",
            Self::VerifyFaces { .. } => "verifying the two faces",
        }
    }

    pub(super) fn execute(self, backend: &Backend, ctx: &egui::Context) {
        let what = self.name();
        match self {
            Self::StartLocal { settings, reply } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let prepared = settings.clone();
                    let keys = runtime
                        .spawn_blocking(move || crate::local::prepare(&prepared))
                        .await
                        .map_err(|_| UiError::task_lost("starting the Local service"))??;
                    crate::local::start(settings, keys).await
                });
            }
            Self::PickImage { reply } => {
                backend.task(ctx, what, reply, async move {
                    let picked = rfd::AsyncFileDialog::new()
                        .set_title("Choose a face image")
                        .add_filter(
                            "Images",
                            &["jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"],
                        )
                        .pick_file()
                        .await;
                    Ok(picked.map(|file| file.path().to_path_buf()))
                });
            }
            Self::PickFolder { title, reply } => {
                backend.task(ctx, what, reply, async move {
                    let picked = rfd::AsyncFileDialog::new()
                        .set_title(title)
                        .pick_folder()
                        .await;
                    Ok(picked.map(|folder| folder.path().to_path_buf()))
                });
            }
            Self::LoadImage { source, reply } => {
                backend.blocking(ctx, what, reply, move || load_image(source));
            }
            Self::Extract {
                client,
                image,
                landmarks,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let [image] = fit_for_request(&runtime, &client, [image]).await?;
                    let extracted = if landmarks {
                        client.extract_with_landmarks(&image).await
                    } else {
                        client.extract(&image).await
                    }
                    .map_err(api_error)?;
                    Ok(ExtractOutcome {
                        faces: extracted.faces,
                        sent_copy: image.copy_of().copied(),
                    })
                });
            }
            Self::Search {
                gallery,
                probe,
                threshold,
                limit,
                tags,
                thumbnails,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let [probe] = fit_for_request(&runtime, gallery.client(), [probe]).await?;
                    let sent_copy = probe.copy_of().copied();
                    let found = gallery
                        .search(&probe)
                        .threshold(threshold)
                        .limit(limit)
                        .tags(tags)
                        .send()
                        .await
                        .map_err(api_error)?;
                    let Some(found) = found else {
                        return Ok(SearchOutcome {
                            sent_copy,
                            ..SearchOutcome::default()
                        });
                    };
                    // Thumbnails are files: read and decode them off the async threads.
                    let outcome = runtime
                        .spawn_blocking(move || with_thumbnails(found, &thumbnails))
                        .await
                        .map_err(|_| UiError::task_lost("reading the thumbnails"))?;
                    Ok(SearchOutcome {
                        sent_copy,
                        ..outcome
                    })
                });
            }
            Self::VerifySubject {
                gallery,
                probe,
                subject_id,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let [probe] = fit_for_request(&runtime, gallery.client(), [probe]).await?;
                    let verified = gallery
                        .verify_subject(&probe, &subject_id)
                        .await
                        .map_err(api_error)?;
                    Ok(VerifyOutcome {
                        score: verified.map(|v| v.score),
                        probe_copy: probe.copy_of().copied(),
                        face_copy: None,
                    })
                });
            }
            Self::VerifyFaces {
                gallery,
                face,
                probe,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let [face, probe] =
                        fit_for_request(&runtime, gallery.client(), [face, probe]).await?;
                    let verified = gallery
                        .verify_faces(&face, &probe)
                        .await
                        .map_err(api_error)?;
                    Ok(VerifyOutcome {
                        score: verified.map(|v| v.score),
                        probe_copy: probe.copy_of().copied(),
                        face_copy: face.copy_of().copied(),
                    })
                });
            }
        }
    }
}

/// The images of one request as the client will send them: smaller copies of those too large
/// for the back end's request limit. Made here, off the async threads, so that the pane can
/// say what was sent; the client then sends the copies unchanged and maps the coordinates of
/// the answer back onto the originals.
pub(crate) async fn fit_for_request<const N: usize>(
    runtime: &tokio::runtime::Handle,
    client: &necid::Client,
    images: [FaceImage; N],
) -> Result<[FaceImage; N], UiError> {
    let client = client.clone();
    let fitted = runtime
        .spawn_blocking(move || client.fit_images(&images.each_ref()))
        .await
        .map_err(|_| UiError::task_lost("making a smaller copy of the image"))?
        .map_err(|error| UiError::new(format!("The image cannot be sent: {error}")))?;
    fitted
        .try_into()
        .map_err(|_| UiError::new("The image cannot be sent: a copy went missing"))
}

/// Reads, checks (the client's limits, so what is shown can also be sent) and decodes.
pub fn load_image(source: ImageSource) -> Result<LoadedImage, UiError> {
    let (name, face) = match source {
        ImageSource::Path(path) => {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            let face = FaceImage::from_path(&path)
                .map_err(|error| UiError::new(format!("{name} cannot be used: {error}")))?;
            (name, face)
        }
        ImageSource::Bytes { name, bytes } => {
            let face = FaceImage::from_bytes(bytes.to_vec())
                .map_err(|error| UiError::new(format!("{name} cannot be used: {error}")))?;
            (name, face)
        }
    };
    // Upright as the face engine decodes it (EXIF orientation applied), so the faces'
    // coordinates the service returns fall on the right pixels.
    let shown = face
        .decode_for_display(DISPLAY_MAX_SIDE)
        .map_err(|error| UiError::new(format!("{name} could not be decoded: {error}")))?;
    let size = [shown.size.0 as usize, shown.size.1 as usize];
    Ok(LoadedImage {
        name,
        face,
        pixels: Arc::new(egui::ColorImage::from_rgba_unmultiplied(size, &shown.rgba)),
        original_size: [shown.upright_size.0, shown.upright_size.1],
    })
}

fn color_image(image: &image::DynamicImage) -> egui::ColorImage {
    let rgba = image.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw())
}

fn with_thumbnails(found: necid::SearchResponse, thumbnails: &Thumbnails) -> SearchOutcome {
    let candidates = found
        .candidates
        .into_iter()
        .map(|candidate| FoundSubject {
            subject_id: candidate.id,
            score: candidate.score,
            events: candidate
                .events
                .into_iter()
                .map(|event| {
                    let thumbnail = thumbnails
                        .load(&event.id)
                        .and_then(|jpeg| image::load_from_memory(&jpeg).ok())
                        .map(|decoded| Arc::new(color_image(&decoded)));
                    FoundEvent {
                        event_id: event.id,
                        score: event.score,
                        thumbnail,
                    }
                })
                .collect(),
        })
        .collect();
    SearchOutcome {
        candidates,
        probe_face: Some(found.attributes),
        sent_copy: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_an_image_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notes.jpg");
        std::fs::write(&path, b"hello").expect("write");
        let error = load_image(ImageSource::Path(path)).expect_err("refused");
        assert!(error.message.contains("notes.jpg"), "{}", error.message);
        let error = load_image(ImageSource::Bytes {
            name: "empty.png".into(),
            bytes: Arc::from(Vec::new()),
        })
        .expect_err("refused");
        assert!(error.message.contains("empty.png"));
    }

    #[test]
    fn a_large_image_is_scaled_for_display_but_keeps_its_original_size() {
        let big = image::RgbImage::from_pixel(3000, 1000, image::Rgb([10, 20, 30]));
        let mut png = Vec::new();
        big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        let loaded = load_image(ImageSource::Bytes {
            name: "big.png".into(),
            bytes: Arc::from(png),
        })
        .expect("loaded");
        assert_eq!(loaded.original_size, [3000, 1000]);
        assert_eq!(loaded.pixels.size[0], DISPLAY_MAX_SIDE as usize);
    }
}
