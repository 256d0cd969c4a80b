//! The dialogs and files of the panes, off the UI thread: choosing an image, a folder or where
//! to save; reading and decoding an image for display; the thumbnails this console keeps;
//! listing a folder of images, copying it into the Local bucket, and writing a CSV.
//!
//! [`Backend::execute`] hands every [`FileCommand`] here. The one list of the extensions the
//! console treats as images, [`IMAGE_EXTENSIONS`], is here too: the dialogs, the folder listing
//! and [`crate::widgets::ImageInput`] use it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use necid::{EventId, FaceImage};

use super::dialogs::{self, Picker, Wanted};
use super::{Backend, Reply};
use crate::error::UiError;
use crate::thumbnails::Thumbnails;

/// The extensions the console treats as images (the formats the client and the service read).
pub const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "jfif",
];

/// Where an image comes from: a file (dropped with a path, picked or typed), or bytes a drop
/// carried without a path.
#[derive(Clone, PartialEq, Eq)]
pub enum ImageSource {
    Path(PathBuf),
    Bytes { name: String, bytes: Arc<[u8]> },
}

impl std::fmt::Debug for ImageSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Self::Bytes { name, bytes } => write!(f, "Bytes({name}, {} bytes)", bytes.len()),
        }
    }
}

impl ImageSource {
    /// The file name to show.
    pub fn name(&self) -> String {
        match self {
            Self::Path(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            Self::Bytes { name, .. } => name.clone(),
        }
    }

    /// Reads and checks the image with the client's limits; `refusal` ends the message that
    /// names the file ("cannot be used", "cannot be enrolled").
    pub fn read(&self, refusal: &str) -> Result<FaceImage, UiError> {
        let checked = match self {
            Self::Path(path) => FaceImage::from_path(path),
            Self::Bytes { bytes, .. } => FaceImage::from_bytes(bytes.to_vec()),
        };
        checked.map_err(|error| UiError::new(format!("{} {refusal}: {error}", self.name())))
    }
}

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

/// An image found in a folder for a bulk job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderImage {
    pub path: PathBuf,
    /// The path below the chosen folder, with `/` separators (`alice/1.jpg` or `1.jpg`).
    pub relative: String,
    pub bytes: u64,
}

/// What copying one file into the bucket did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketCopy {
    pub relative: String,
    /// The object's name in the bucket, which the job refers to.
    pub key: String,
    pub outcome: CopyOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyOutcome {
    Copied,
    /// The bucket already held the same bytes under this name.
    AlreadyThere,
    /// The name was taken by different bytes, so the file was copied under a new name.
    Renamed,
}

/// A dialog, or a file read or written, for a pane.
#[non_exhaustive]
pub enum FileCommand {
    /// Ask the user for an image file (the portal's dialog, without blocking the UI), in the
    /// folder `picker` was last used in; an error when no dialog can open.
    PickImage {
        picker: Picker,
        reply: Reply<Option<PathBuf>>,
    },
    /// Ask the user for a folder, with the dialog titled `title`, as [`Self::PickImage`].
    PickFolder {
        title: &'static str,
        picker: Picker,
        reply: Reply<Option<PathBuf>>,
    },
    /// `picker` took an image without its dialog (a typed path): its dialog opens in that
    /// image's folder next time.
    UsedPath { picker: Picker, path: PathBuf },
    /// Read, check and decode an image for display.
    LoadImage {
        source: ImageSource,
        reply: Reply<LoadedImage>,
    },
    /// The thumbnail this console kept for an event, decoded.
    LoadThumbnail {
        event_id: EventId,
        reply: Reply<Option<egui::ColorImage>>,
    },
    /// The images in a folder and in its direct subfolders, and what was skipped.
    ListFolder {
        folder: PathBuf,
        reply: Reply<FolderListing>,
    },
    /// Copy images into the Local bucket; `copied` counts files done.
    CopyToBucket {
        files: Vec<FolderImage>,
        bucket_dir: PathBuf,
        copied: Arc<AtomicUsize>,
        reply: Reply<Vec<BucketCopy>>,
    },
    /// Ask where to save, then write `text` there. `None` when the dialog was cancelled.
    ExportCsv {
        picker: Picker,
        suggested_name: String,
        text: String,
        reply: Reply<Option<PathBuf>>,
    },
    /// Write `text` to a path the user typed.
    WriteFile {
        path: PathBuf,
        text: String,
        reply: Reply<PathBuf>,
    },
}

impl std::fmt::Debug for FileCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FileCommand").field(&self.name()).finish()
    }
}

impl FileCommand {
    /// A short name for logs and errors; never includes arguments.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PickImage { .. } => "choosing an image",
            Self::PickFolder { .. } => "choosing a folder",
            Self::UsedPath { .. } => "remembering the folder",
            Self::LoadImage { .. } => "reading the image",
            Self::LoadThumbnail { .. } => "loading a thumbnail",
            Self::ListFolder { .. } => "listing the folder",
            Self::CopyToBucket { .. } => "copying the images into the bucket",
            Self::ExportCsv { .. } => "exporting the CSV",
            Self::WriteFile { .. } => "writing the file",
        }
    }

    pub(super) fn execute(self, backend: &Backend, ctx: &egui::Context) {
        let what = self.name();
        match self {
            Self::PickImage { picker, reply } => {
                let last_folders = backend.last_folders().clone();
                backend.task(ctx, what, reply, async move {
                    let title = "Choose a face image";
                    dialogs::ask(Wanted::Image, picker, title, None, last_folders).await
                });
            }
            Self::PickFolder {
                title,
                picker,
                reply,
            } => {
                let last_folders = backend.last_folders().clone();
                backend.task(ctx, what, reply, async move {
                    dialogs::ask(Wanted::Folder, picker, title, None, last_folders).await
                });
            }
            Self::UsedPath { picker, path } => {
                if let Some(folder) = dialogs::folder_used(&path, picker) {
                    backend.last_folders().record(picker, folder);
                }
            }
            Self::LoadImage { source, reply } => {
                backend.blocking(ctx, what, reply, move || load_image(source));
            }
            Self::LoadThumbnail { event_id, reply } => {
                let thumbnails = Thumbnails::new(&backend.paths().data_dir);
                backend.blocking(ctx, what, reply, move || {
                    let Some(jpeg) = thumbnails.load(&event_id) else {
                        return Ok(None);
                    };
                    let decoded = image::load_from_memory(&jpeg)
                        .map_err(|e| UiError::new(format!("The thumbnail is damaged: {e}")))?;
                    Ok(Some(color_image(&decoded)))
                });
            }
            Self::ListFolder { folder, reply } => {
                backend.blocking(ctx, what, reply, move || list_folder(&folder));
            }
            Self::CopyToBucket {
                files,
                bucket_dir,
                copied,
                reply,
            } => {
                let repaint = ctx.clone();
                backend.blocking(ctx, what, reply, move || {
                    let mut done = Vec::with_capacity(files.len());
                    for file in &files {
                        done.push(copy_into_bucket(file, &bucket_dir)?);
                        copied.fetch_add(1, Ordering::Relaxed);
                        repaint.request_repaint();
                    }
                    Ok(done)
                });
            }
            Self::ExportCsv {
                picker,
                suggested_name,
                text,
                reply,
            } => {
                let worker = backend.worker();
                let last_folders = backend.last_folders().clone();
                backend.task(ctx, what, reply, async move {
                    let title = "Export as CSV";
                    let picked = dialogs::ask(
                        Wanted::SaveCsv,
                        picker,
                        title,
                        Some(suggested_name),
                        last_folders,
                    )
                    .await?;
                    let Some(path) = picked else {
                        return Ok(None);
                    };
                    let written = worker
                        .blocking("writing the CSV", move || {
                            write_file(&path, &text).map(|()| path)
                        })
                        .await?;
                    Ok(Some(written))
                });
            }
            Self::WriteFile { path, text, reply } => {
                backend.blocking(ctx, what, reply, move || {
                    write_file(&path, &text).map(|()| path)
                });
            }
        }
    }
}

/// Reads, checks (the client's limits, so what is shown can also be sent) and decodes.
pub fn load_image(source: ImageSource) -> Result<LoadedImage, UiError> {
    let name = source.name();
    let face = source.read("cannot be used")?;
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

/// Decoded pixels as egui draws them.
pub fn color_image(image: &image::DynamicImage) -> egui::ColorImage {
    let rgba = image.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw())
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A folder listed for a bulk job: its images, and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderListing {
    pub images: Vec<FolderImage>,
    /// What is not an image (other files, links, folders below the subfolders), by its path
    /// below the folder, sorted: said in the pane and in the job's CSV, never left out silently.
    pub skipped: Vec<String>,
}

/// The images in `folder` and in its direct subfolders (the one-folder-per-identity layout),
/// sorted by relative path, and the rest, skipped.
pub fn list_folder(folder: &Path) -> Result<FolderListing, UiError> {
    let read = |dir: &Path| {
        std::fs::read_dir(dir)
            .map_err(|e| UiError::new(format!("The folder {} cannot be read: {e}", dir.display())))
    };
    let mut listing = FolderListing::default();
    let mut take = |entry: std::fs::DirEntry, relative: String| {
        let path = entry.path();
        if entry.file_type().is_ok_and(|k| k.is_file()) && is_image(&path) {
            listing.images.push(FolderImage {
                bytes: entry.metadata().map_or(0, |m| m.len()),
                relative,
                path,
            });
        } else if entry.file_type().is_ok_and(|k| k.is_dir()) {
            listing.skipped.push(format!("{relative}/"));
        } else {
            listing.skipped.push(relative);
        }
    };
    for entry in read(folder)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_ok_and(|k| k.is_dir()) {
            for inner in read(&entry.path())?.flatten() {
                let inner_name = inner.file_name().to_string_lossy().into_owned();
                take(inner, format!("{name}/{inner_name}"));
            }
        } else {
            take(entry, name);
        }
    }
    listing.images.sort_by(|a, b| a.relative.cmp(&b.relative));
    listing.skipped.sort();
    Ok(listing)
}

/// Copies one image into the bucket under its relative path. A name that holds the same bytes
/// already is reused; one that holds other bytes gets `-2`, `-3`, … before the extension.
pub fn copy_into_bucket(file: &FolderImage, bucket_dir: &Path) -> Result<BucketCopy, UiError> {
    let bytes = std::fs::read(&file.path)
        .map_err(|e| UiError::new(format!("{} cannot be read: {e}", file.path.display())))?;
    let (stem, extension) = match file.relative.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.contains('/') => {
            (stem.to_owned(), format!(".{ext}"))
        }
        _ => (file.relative.clone(), String::new()),
    };
    let mut key = file.relative.clone();
    let mut outcome = CopyOutcome::Copied;
    for attempt in 2.. {
        let target = bucket_dir.join(&key);
        match std::fs::read(&target) {
            Ok(existing) if existing == bytes => {
                return Ok(BucketCopy {
                    relative: file.relative.clone(),
                    key,
                    outcome: CopyOutcome::AlreadyThere,
                });
            }
            Ok(_) => {
                key = format!("{stem}-{attempt}{extension}");
                outcome = CopyOutcome::Renamed;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        UiError::new(format!("{} cannot be created: {e}", parent.display()))
                    })?;
                }
                std::fs::write(&target, &bytes).map_err(|e| {
                    UiError::new(format!("{} cannot be written: {e}", target.display()))
                })?;
                return Ok(BucketCopy {
                    relative: file.relative.clone(),
                    key,
                    outcome,
                });
            }
            Err(error) => {
                return Err(UiError::new(format!(
                    "{} cannot be read: {error}",
                    target.display()
                )));
            }
        }
    }
    unreachable!("the attempts never run out")
}

fn write_file(path: &Path, text: &str) -> Result<(), UiError> {
    std::fs::write(path, text)
        .map_err(|e| UiError::new(format!("{} cannot be written: {e}", path.display())).retryable())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_in(dir: &Path, relative: &str, bytes: &[u8]) -> FolderImage {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        FolderImage {
            path,
            relative: relative.to_owned(),
            bytes: bytes.len() as u64,
        }
    }

    #[test]
    fn a_folder_per_identity_is_listed_with_relative_paths_and_what_is_not_an_image_is_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        image_in(dir.path(), "bob/1.jpg", b"b");
        image_in(dir.path(), "alice/2.PNG", b"a");
        image_in(dir.path(), "alice/notes.txt", b"n");
        image_in(dir.path(), "loose.jpeg", b"l");
        image_in(dir.path(), "a.pdf", b"p");
        image_in(dir.path(), "bob/old/3.jpg", b"o");
        let found = list_folder(dir.path()).expect("listed");
        let names: Vec<_> = found.images.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(names, ["alice/2.PNG", "bob/1.jpg", "loose.jpeg"]);
        assert_eq!(found.skipped, ["a.pdf", "alice/notes.txt", "bob/old/"]);
    }

    #[test]
    fn a_taken_bucket_name_is_reused_for_the_same_bytes_and_suffixed_for_others() {
        let source = tempfile::tempdir().expect("temp dir");
        let bucket = tempfile::tempdir().expect("temp dir");
        let first = image_in(source.path(), "a/1.jpg", b"one");
        let copy = copy_into_bucket(&first, bucket.path()).expect("copied");
        assert_eq!(
            (copy.key.as_str(), copy.outcome),
            ("a/1.jpg", CopyOutcome::Copied)
        );
        let again = copy_into_bucket(&first, bucket.path()).expect("copied");
        assert_eq!(again.outcome, CopyOutcome::AlreadyThere);
        std::fs::write(&first.path, b"other").expect("write");
        let other = copy_into_bucket(&first, bucket.path()).expect("copied");
        assert_eq!(
            (other.key.as_str(), other.outcome),
            ("a/1-2.jpg", CopyOutcome::Renamed)
        );
        assert_eq!(
            std::fs::read(bucket.path().join("a/1.jpg")).expect("kept"),
            b"one"
        );
    }

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
