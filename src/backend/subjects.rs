//! Background commands of the Subjects and Jobs panes: subjects, events, enrolment (with the
//! Extract preview that explains a refusal before it happens) and bulk registration (copying a
//! folder into the Local bucket, starting the job, following its progress, exporting its CSV).
//!
//! Kept apart from the shell's commands in `backend.rs`; [`Backend::execute`] hands every
//! [`SubjectsCommand`] here. Everything that reads or writes a file, opens a dialog or talks to
//! the service happens here, never on the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use necid::{
    BatchId, BulkRegistration, Enrolment, EventId, FaceAttributes, FaceImage, GalleryId,
    RegisterSummary, SubjectEvents, SubjectId, TagName,
};

use super::{Backend, Reply, api_error};
use crate::error::UiError;
use crate::thumbnails::Thumbnails;

/// The extensions the Subjects and Jobs panes treat as images.
pub const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "jfif",
];

/// Where an image to enrol comes from.
#[derive(Clone)]
pub enum ImageSource {
    /// A file on disk (dropped with a path, or picked).
    Path(PathBuf),
    /// Bytes a drop already carried, with the name to show.
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
}

/// The minimum face quality an enrolment must reach, and which application sets it.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityRule {
    pub minimum: f64,
    /// Which application the minimum comes from, and why that one applies.
    pub source: String,
}

/// An image checked and measured, ready to enrol.
#[derive(Clone, Debug)]
pub struct PreparedImage {
    pub name: String,
    /// What enrolment sends: the image itself, or a smaller copy when it is too large for a
    /// request (see [`FaceImage::copy_of`]); the faces are on the original's pixels either way.
    pub image: FaceImage,
    /// The faces Extract found (the API refuses enrolment unless there is exactly one).
    pub faces: Vec<FaceAttributes>,
    /// The minimum that applies, when the applications could be read.
    pub rule: Result<QualityRule, UiError>,
}

/// How to enrol an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnrolTarget {
    NewSubject,
    NewEvent(SubjectId),
    ReplaceSubject(SubjectId),
    ReplaceEvent(SubjectId, EventId),
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

/// Every record of a bulk job, gathered page by page.
#[derive(Clone, Debug, Default)]
pub struct JobRecords {
    pub records: Vec<RegisterSummary>,
    /// How many progress pages (`lastEvaluatedKey`) were followed.
    pub pages: usize,
}

/// Something the Subjects or Jobs pane wants done in the background.
#[non_exhaustive]
pub enum SubjectsCommand {
    /// Open the file dialog for one image.
    PickImage { reply: Reply<Option<PathBuf>> },
    /// Read and check an image, run Extract on it and find the minimum quality that applies.
    PrepareImage {
        client: necid::Client,
        gallery: necid::Gallery,
        gallery_id: GalleryId,
        source: ImageSource,
        reply: Reply<PreparedImage>,
    },
    /// Register, add, or replace a face; then keep its thumbnail.
    Enrol {
        gallery: necid::Gallery,
        target: EnrolTarget,
        image: FaceImage,
        tags: Vec<TagName>,
        reply: Reply<Enrolment>,
    },
    ListEvents {
        gallery: necid::Gallery,
        subject_id: SubjectId,
        reply: Reply<SubjectEvents>,
    },
    UnregisterSubject {
        gallery: necid::Gallery,
        subject_id: SubjectId,
        reply: Reply<()>,
    },
    UnregisterEvent {
        gallery: necid::Gallery,
        subject_id: SubjectId,
        event_id: EventId,
        reply: Reply<()>,
    },
    /// The thumbnail this console kept for an event, decoded.
    LoadThumbnail {
        event_id: EventId,
        reply: Reply<Option<egui::ColorImage>>,
    },
    /// Open the folder dialog.
    PickFolder { reply: Reply<Option<PathBuf>> },
    /// The images in a folder and in its direct subfolders.
    ListFolder {
        folder: PathBuf,
        reply: Reply<Vec<FolderImage>>,
    },
    /// Copy images into the Local bucket; `copied` counts files done.
    CopyToBucket {
        files: Vec<FolderImage>,
        bucket_dir: PathBuf,
        copied: Arc<AtomicUsize>,
        reply: Reply<Vec<BucketCopy>>,
    },
    StartBulk {
        gallery: necid::Gallery,
        registrations: Vec<BulkRegistration>,
        reply: Reply<BatchId>,
    },
    /// Every record of a job, following `lastEvaluatedKey`.
    BulkRecords {
        gallery: necid::Gallery,
        batch_id: BatchId,
        reply: Reply<JobRecords>,
    },
    /// Ask where to save, then write `text` there. `None` when the dialog was cancelled.
    ExportCsv {
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

impl std::fmt::Debug for SubjectsCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SubjectsCommand")
            .field(&self.name())
            .finish()
    }
}

impl SubjectsCommand {
    /// A short name for logs and errors; never includes arguments.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PickImage { .. } => "choosing an image",
            Self::PrepareImage { .. } => "checking the image",
            Self::Enrol { .. } => "enrolling the face",
            Self::ListEvents { .. } => "listing the subject's events",
            Self::UnregisterSubject { .. } => "unregistering the subject",
            Self::UnregisterEvent { .. } => "unregistering the event",
            Self::LoadThumbnail { .. } => "loading a thumbnail",
            Self::PickFolder { .. } => "choosing a folder",
            Self::ListFolder { .. } => "listing the folder",
            Self::CopyToBucket { .. } => "copying the images into the bucket",
            Self::StartBulk { .. } => "starting the bulk job",
            Self::BulkRecords { .. } => "reading the bulk job's progress",
            Self::ExportCsv { .. } => "exporting the CSV",
            Self::WriteFile { .. } => "writing the file",
        }
    }

    pub(super) fn execute(self, backend: &Backend, ctx: &egui::Context) {
        let what = self.name();
        match self {
            Self::PickImage { reply } => backend.task(ctx, what, reply, async move {
                let picked = rfd::AsyncFileDialog::new()
                    .set_title("Choose a face image")
                    .add_filter("Images", &IMAGE_EXTENSIONS)
                    .pick_file()
                    .await;
                Ok(picked.map(|file| file.path().to_owned()))
            }),
            Self::PrepareImage {
                client,
                gallery,
                gallery_id,
                source,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let name = source.name();
                    let image = runtime
                        .spawn_blocking(move || read_image(&source))
                        .await
                        .map_err(|_| UiError::task_lost("reading the image"))??;
                    let [image] = super::face::fit_for_request(&runtime, &client, [image])
                        .await
                        .map_err(|mut error| {
                            error.message = format!("{name}: {}", error.message);
                            error
                        })?;
                    let faces = match client.extract(&image).await {
                        Ok(found) => found.faces.into_iter().map(|f| f.attributes).collect(),
                        Err(error) if error.error_type() == Some("NoFace") => Vec::new(),
                        Err(error) => {
                            let mut error = api_error(error);
                            error.message = format!("{name}: {}", error.message);
                            return Err(error);
                        }
                    };
                    let rule = quality_rule(&client, &gallery, &gallery_id).await;
                    Ok(PreparedImage {
                        name,
                        image,
                        faces,
                        rule,
                    })
                });
            }
            Self::Enrol {
                gallery,
                target,
                image,
                tags,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                let thumbnails = Thumbnails::new(&backend.paths().data_dir);
                backend.task(ctx, what, reply, async move {
                    let enrolled = match &target {
                        EnrolTarget::NewSubject => gallery.register_subject(&image, &tags).await,
                        EnrolTarget::NewEvent(subject_id) => {
                            gallery.register_event(subject_id, &image, &tags).await
                        }
                        EnrolTarget::ReplaceSubject(subject_id) => {
                            gallery.update_subject(subject_id, &image, &tags).await
                        }
                        EnrolTarget::ReplaceEvent(subject_id, event_id) => {
                            gallery
                                .update_event(subject_id, event_id, &image, &tags)
                                .await
                        }
                    }
                    .map_err(api_error)?;
                    // The face is enrolled either way; a missing thumbnail only costs a picture.
                    let event_id = enrolled.event_id.clone();
                    let saved = runtime
                        .spawn_blocking(move || thumbnails.save(&event_id, image.bytes()))
                        .await;
                    if let Ok(Err(error)) = saved {
                        tracing::warn!(%error, "the enrolled face's thumbnail was not kept");
                    }
                    Ok(enrolled)
                });
            }
            Self::ListEvents {
                gallery,
                subject_id,
                reply,
            } => backend.task(ctx, what, reply, async move {
                gallery.events(&subject_id).await.map_err(api_error)
            }),
            Self::UnregisterSubject {
                gallery,
                subject_id,
                reply,
            } => backend.task(ctx, what, reply, async move {
                gallery
                    .unregister_subject(&subject_id)
                    .await
                    .map_err(api_error)
            }),
            Self::UnregisterEvent {
                gallery,
                subject_id,
                event_id,
                reply,
            } => backend.task(ctx, what, reply, async move {
                gallery
                    .unregister_event(&subject_id, &event_id)
                    .await
                    .map_err(api_error)
            }),
            Self::LoadThumbnail { event_id, reply } => {
                let thumbnails = Thumbnails::new(&backend.paths().data_dir);
                backend.blocking(ctx, what, reply, move || {
                    let Some(jpeg) = thumbnails.load(&event_id) else {
                        return Ok(None);
                    };
                    let decoded = image::load_from_memory(&jpeg)
                        .map_err(|e| UiError::new(format!("The thumbnail is damaged: {e}")))?
                        .into_rgba8();
                    let size = [decoded.width() as usize, decoded.height() as usize];
                    Ok(Some(egui::ColorImage::from_rgba_unmultiplied(
                        size,
                        decoded.as_raw(),
                    )))
                });
            }
            Self::PickFolder { reply } => backend.task(ctx, what, reply, async move {
                let picked = rfd::AsyncFileDialog::new()
                    .set_title("Choose a folder of face images")
                    .pick_folder()
                    .await;
                Ok(picked.map(|folder| folder.path().to_owned()))
            }),
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
            Self::StartBulk {
                gallery,
                registrations,
                reply,
            } => backend.task(ctx, what, reply, async move {
                gallery
                    .bulk_register(registrations)
                    .await
                    .map_err(api_error)
            }),
            Self::BulkRecords {
                gallery,
                batch_id,
                reply,
            } => backend.task(ctx, what, reply, async move {
                let mut all = JobRecords::default();
                let mut paging_id = String::new();
                loop {
                    let page = gallery
                        .bulk_progress(&batch_id, Some(&paging_id))
                        .await
                        .map_err(api_error)?;
                    all.pages += 1;
                    all.records.extend(page.processed);
                    // A key that repeats would loop forever; the service is done paging then.
                    if page.last_evaluated_key.is_empty() || page.last_evaluated_key == paging_id {
                        return Ok(all);
                    }
                    paging_id = page.last_evaluated_key;
                }
            }),
            Self::ExportCsv {
                suggested_name,
                text,
                reply,
            } => {
                let runtime = backend.runtime.clone();
                backend.task(ctx, what, reply, async move {
                    let picked = rfd::AsyncFileDialog::new()
                        .set_title("Export the job's results")
                        .set_file_name(suggested_name)
                        .add_filter("CSV", &["csv"])
                        .save_file()
                        .await;
                    let Some(file) = picked else {
                        return Ok(None);
                    };
                    let path = file.path().to_owned();
                    let written = runtime
                        .spawn_blocking(move || write_file(&path, &text).map(|()| path))
                        .await
                        .map_err(|_| UiError::task_lost("writing the CSV"))??;
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

/// Reads and checks an image; the message names the file.
fn read_image(source: &ImageSource) -> Result<FaceImage, UiError> {
    let name = source.name();
    let checked = match source {
        ImageSource::Path(path) => FaceImage::from_path(path),
        ImageSource::Bytes { bytes, .. } => FaceImage::from_bytes(bytes.to_vec()),
    };
    checked.map_err(|error| UiError::new(format!("{name} cannot be enrolled: {error}")))
}

/// The minimum quality that applies to enrolments through `gallery`: that of the application
/// whose API key the console uses, else the strictest of the gallery's applications.
async fn quality_rule(
    client: &necid::Client,
    gallery: &necid::Gallery,
    gallery_id: &GalleryId,
) -> Result<QualityRule, UiError> {
    let detail = client
        .galleries()
        .get(gallery_id)
        .await
        .map_err(api_error)?;
    let used_key = gallery.api_key().expose();
    if let Some(used) = detail
        .applications
        .iter()
        .find(|a| a.api_key.expose() == used_key)
    {
        let application = client
            .applications()
            .get(&used.id)
            .await
            .map_err(api_error)?;
        return Ok(QualityRule {
            minimum: application.face_minimum_quality_score,
            source: format!(
                "application “{}”, whose API key this console uses for the gallery",
                application.name
            ),
        });
    }
    let mut strictest: Option<necid::Application> = None;
    for summary in &detail.applications {
        let application = client
            .applications()
            .get(&summary.id)
            .await
            .map_err(api_error)?;
        if strictest
            .as_ref()
            .is_none_or(|s| application.face_minimum_quality_score > s.face_minimum_quality_score)
        {
            strictest = Some(application);
        }
    }
    strictest
        .map(|application| QualityRule {
            minimum: application.face_minimum_quality_score,
            source: format!(
                "application “{}”, the strictest of the gallery's {} (the console's API key \
                 matches none of them)",
                application.name,
                detail.applications.len()
            ),
        })
        .ok_or_else(|| UiError::new("The gallery has no application, so no minimum is known."))
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The images in `folder` and in its direct subfolders (the one-folder-per-identity layout),
/// sorted by relative path.
pub fn list_folder(folder: &Path) -> Result<Vec<FolderImage>, UiError> {
    let read = |dir: &Path| {
        std::fs::read_dir(dir)
            .map_err(|e| UiError::new(format!("The folder {} cannot be read: {e}", dir.display())))
    };
    let mut found = Vec::new();
    for entry in read(folder)?.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let Some(sub) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            for inner in read(&path)?.flatten() {
                let inner_path = inner.path();
                if inner.file_type().is_ok_and(|k| k.is_file()) && is_image(&inner_path) {
                    let name = inner.file_name().to_string_lossy().into_owned();
                    found.push(FolderImage {
                        bytes: inner.metadata().map_or(0, |m| m.len()),
                        relative: format!("{sub}/{name}"),
                        path: inner_path,
                    });
                }
            }
        } else if kind.is_file() && is_image(&path) {
            found.push(FolderImage {
                bytes: entry.metadata().map_or(0, |m| m.len()),
                relative: entry.file_name().to_string_lossy().into_owned(),
                path,
            });
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
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
    fn a_folder_per_identity_is_listed_with_relative_paths_and_only_images() {
        let dir = tempfile::tempdir().expect("temp dir");
        image_in(dir.path(), "bob/1.jpg", b"b");
        image_in(dir.path(), "alice/2.PNG", b"a");
        image_in(dir.path(), "alice/notes.txt", b"n");
        image_in(dir.path(), "loose.jpeg", b"l");
        let found = list_folder(dir.path()).expect("listed");
        let names: Vec<_> = found.iter().map(|f| f.relative.as_str()).collect();
        assert_eq!(names, ["alice/2.PNG", "bob/1.jpg", "loose.jpeg"]);
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
}
