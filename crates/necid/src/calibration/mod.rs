//! Threshold calibration on a labelled folder (one sub-folder per person), through the API only,
//! so that it measures whichever back end the client talks to, the local service or the cloud.
//!
//! [`calibrate`] creates a scratch gallery, enrols every image as a subject of its own, searches
//! with every enrolled image (threshold 0, limit 50), deletes the gallery, and returns the genuine
//! (same person) and impostor score of every pair of images ([`Figures`]). The gallery is deleted
//! on success, on error, on [`CancelFlag::cancel`], and when the future is dropped. An image the
//! service refuses (no face, several, too poor) is listed in [`Calibration::unusable`], and its
//! pairs score 0, as the face engine's own matching test counts a missing face.
//!
//! It makes at most [`LabelledFolder::planned_calls`] API calls: a caller working against a
//! cloud profile (where calls are billed) states that number and asks first.

mod figures;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{StreamExt, stream};
use necid_wire::{CreateGallery, EventId, GalleryId, MatchScore};

pub use figures::{Bin, Figures, PairScore, Rates, ThresholdChoice, clopper_pearson_upper};

use crate::{Client, FaceImage, Gallery};

/// Events a search returns at most (the API's cap), so the scores a probe can tell.
pub const SEARCH_LIMIT: u32 = 50;
/// File name endings read as images.
const IMAGE_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "gif", "webp", "bmp"];

/// A labelled folder: each sub-folder is one person, each image in it one photo of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledFolder {
    pub people: Vec<Person>,
}

/// One person of a [`LabelledFolder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The sub-folder's name.
    pub name: String,
    /// The images, in name order.
    pub images: Vec<PathBuf>,
}

impl LabelledFolder {
    /// Reads the sub-folders of `dir` (files beside them and sub-folders without images are
    /// skipped), in name order.
    pub fn read(dir: &Path) -> Result<Self, CalibrationError> {
        let folder_error = |e: std::io::Error| CalibrationError::Folder(e.to_string());
        let mut people = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(folder_error)? {
            let entry = entry.map_err(folder_error)?;
            if !entry.file_type().map_err(folder_error)?.is_dir() {
                continue;
            }
            let mut images: Vec<PathBuf> = std::fs::read_dir(entry.path())
                .map_err(folder_error)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|x| x.to_str())
                            .is_some_and(|x| IMAGE_EXTENSIONS.contains(&x.to_lowercase().as_str()))
                })
                .collect();
            if images.is_empty() {
                continue;
            }
            images.sort();
            people.push(Person {
                name: entry.file_name().to_string_lossy().into_owned(),
                images,
            });
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        if people.len() < 2 {
            return Err(CalibrationError::Folder(
                "a calibration needs at least two sub-folders (people) with images".into(),
            ));
        }
        Ok(Self { people })
    }

    /// Images in all.
    pub fn images(&self) -> usize {
        self.people.iter().map(|p| p.images.len()).sum()
    }

    /// The most API calls a calibration makes: the gallery's creation and deletion, and one
    /// enrolment and one search per image.
    pub fn planned_calls(&self) -> u64 {
        2 * self.images() as u64 + 2
    }
}

/// The step a calibration is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    CreatingGallery,
    Enrolling,
    Searching,
    DeletingGallery,
}

/// Where a calibration is, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    /// Images done in this stage.
    pub done: usize,
    pub total: usize,
    /// API calls made so far.
    pub calls: u64,
}

/// Stops a running calibration at its next call (its gallery is still deleted). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How to run a calibration.
#[derive(Clone, Debug)]
pub struct CalibrationOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    pub cancel: CancelFlag,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        Self {
            concurrency: 2,
            cancel: CancelFlag::default(),
        }
    }
}

/// An image that could not take part, and why (the service's reason or the file's error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnusableImage {
    pub path: PathBuf,
    pub reason: String,
}

/// The outcome of a calibration.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub figures: Figures,
    pub unusable: Vec<UnusableImage>,
    /// API calls made.
    pub calls: u64,
}

/// Why a calibration stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    #[error("the labelled folder could not be read: {0}")]
    Folder(String),
    #[error(transparent)]
    Api(#[from] crate::Error),
    #[error("the calibration was cancelled")]
    Cancelled,
}

/// The scratch gallery: deleted by [`ScratchGallery::delete`], or in the background when dropped
/// (a cancelled future) so that no calibration leaves one behind.
struct ScratchGallery {
    client: Client,
    gallery_id: Option<GalleryId>,
}

impl ScratchGallery {
    async fn delete(mut self) -> crate::Result<()> {
        match self.gallery_id.take() {
            Some(id) => self.client.galleries().delete(&id).await,
            None => Ok(()),
        }
    }
}

impl Drop for ScratchGallery {
    fn drop(&mut self) {
        if let (Some(id), Ok(runtime)) = (
            self.gallery_id.take(),
            tokio::runtime::Handle::try_current(),
        ) {
            let client = self.client.clone();
            runtime.spawn(async move { client.galleries().delete(&id).await });
        }
    }
}

/// Runs a calibration (see the module's documentation), reporting each step to `progress`.
///
/// ```no_run
/// # async fn run(client: necid::Client) -> Result<(), necid::calibration::CalibrationError> {
/// use necid::calibration::{LabelledFolder, calibrate};
/// let folder = LabelledFolder::read("people".as_ref())?;
/// println!("{} API calls at most", folder.planned_calls());
/// let done = calibrate(&client, &folder, &Default::default(), |_| {}).await?;
/// let at_7000 = done.figures.rates_at(7000);
/// println!("FAR {:.3} %, FRR {:.3} %", at_7000.far() * 100.0, at_7000.frr() * 100.0);
/// # Ok(()) }
/// ```
pub async fn calibrate(
    client: &Client,
    folder: &LabelledFolder,
    options: &CalibrationOptions,
    mut progress: impl FnMut(Progress) + Send,
) -> Result<Calibration, CalibrationError> {
    let images: Vec<(usize, &Path)> = folder
        .people
        .iter()
        .enumerate()
        .flat_map(|(person, p)| p.images.iter().map(move |i| (person, i.as_path())))
        .collect();
    let total = images.len();
    let mut calls = 0u64;
    progress(Progress {
        stage: Stage::CreatingGallery,
        done: 0,
        total,
        calls,
    });
    if options.cancel.is_cancelled() {
        return Err(CalibrationError::Cancelled);
    }
    calls += 1;
    let created = client
        .galleries()
        .create(&CreateGallery {
            name: scratch_name(),
            description: "Threshold calibration (deleted when it ends)".into(),
            face_minimum_quality_score: 0.45,
            size: total as u64,
        })
        .await?;
    let scratch = ScratchGallery {
        client: client.clone(),
        gallery_id: Some(created.id),
    };
    let gallery = client.gallery(created.api_key);
    let outcome = measure(&gallery, &images, options, &mut calls, &mut progress).await;
    progress(Progress {
        stage: Stage::DeletingGallery,
        done: 0,
        total,
        calls,
    });
    calls += 1;
    let deleted = scratch.delete().await;
    let (figures, unusable) = outcome?;
    deleted?;
    Ok(Calibration {
        figures,
        unusable,
        calls,
    })
}

fn scratch_name() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "calibration-{}-{:09}",
        now.unix_timestamp(),
        now.nanosecond()
    )
}

/// What one search told: the exact scores it returned, and the bound of every other pair.
struct Searched {
    scores: Vec<(usize, u16)>,
    /// Every image it did not return scores at most this (`None`: it returned them all).
    bound: Option<u16>,
}

async fn measure(
    gallery: &Gallery,
    images: &[(usize, &Path)],
    options: &CalibrationOptions,
    calls: &mut u64,
    progress: &mut (impl FnMut(Progress) + Send),
) -> Result<(Figures, Vec<UnusableImage>), CalibrationError> {
    let total = images.len();
    let concurrency = options.concurrency.max(1);
    let cancel = &options.cancel;
    let mut unusable = Vec::new();

    // Enrol every image as a subject of its own.
    let mut events: Vec<Option<EventId>> = vec![None; total];
    // Indices, not references, go through the stream: a closure over borrowed items makes a
    // future that the compiler cannot show to be `Send` for every lifetime, so a caller could
    // not spawn the calibration.
    let mut enrolments = stream::iter(0..total)
        .map(|i| async move {
            let path = images[i].1;
            if cancel.is_cancelled() {
                return (i, Err(CalibrationError::Cancelled));
            }
            let image = match FaceImage::from_path(path) {
                Ok(image) => image,
                Err(e) => return (i, Ok(Unanswered(e.to_string()))),
            };
            let enrolled = gallery.register_subject(&image, &[]).await;
            (i, Ok(Answered(refused_or(enrolled))))
        })
        .buffer_unordered(concurrency);
    let mut done = 0;
    while let Some((i, outcome)) = enrolments.next().await {
        let reason = match outcome? {
            Answered(Ok(enrolled)) => {
                *calls += 1;
                events[i] = Some(enrolled?.event_id);
                None
            }
            Answered(Err(refused)) => {
                *calls += 1;
                Some(refused)
            }
            Unanswered(reason) => Some(reason),
        };
        if let Some(reason) = reason {
            unusable.push(UnusableImage {
                path: images[i].1.to_owned(),
                reason,
            });
        }
        done += 1;
        progress(Progress {
            stage: Stage::Enrolling,
            done,
            total,
            calls: *calls,
        });
    }
    drop(enrolments);
    let image_of: HashMap<&EventId, usize> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|e| (e, i)))
        .collect();

    // Search with every enrolled image.
    let mut searched: Vec<Option<Searched>> = (0..total).map(|_| None).collect();
    let probes: Vec<usize> = (0..total).filter(|&i| events[i].is_some()).collect();
    let mut searches = stream::iter(probes.iter().copied())
        .map(|i| async move {
            if cancel.is_cancelled() {
                return (i, Err(CalibrationError::Cancelled));
            }
            let found = match FaceImage::from_path(images[i].1) {
                Ok(image) => {
                    gallery
                        .search(&image)
                        .threshold(MatchScore::saturating(0.0))
                        .limit(SEARCH_LIMIT)
                        .send()
                        .await
                }
                Err(e) => return (i, Ok(Unanswered(e.to_string()))),
            };
            (i, Ok(Answered(refused_or(found))))
        })
        .buffer_unordered(concurrency);
    let mut done = 0;
    while let Some((i, outcome)) = searches.next().await {
        let outcome = outcome?;
        if let Answered(_) = outcome {
            *calls += 1;
        }
        // A probe the service refuses now (it enrolled it before) tells nothing: its pairs are
        // known from the other side only.
        if let Answered(Ok(found)) = outcome {
            let returned: Vec<(usize, u16)> = found?
                .into_iter()
                .flat_map(|r| r.candidates)
                .flat_map(|c| c.events)
                .filter_map(|e| Some((*image_of.get(&e.id)?, e.score.get())))
                .collect();
            let bound = (returned.len() >= SEARCH_LIMIT as usize)
                .then(|| returned.iter().map(|r| r.1).min().unwrap_or(0));
            searched[i] = Some(Searched {
                scores: returned,
                bound,
            });
        }
        done += 1;
        progress(Progress {
            stage: Stage::Searching,
            done,
            total: probes.len(),
            calls: *calls,
        });
    }
    drop(searches);
    Ok((pair_scores(images, &events, &searched), unusable))
}

/// One image's call: answered by the service, or not made (the file could not be read).
enum Call<T> {
    Answered(T),
    Unanswered(String),
}

use Call::{Answered, Unanswered};

/// `Ok(Ok(answer))`, `Err(reason)` when the service refused this image (a 400: no face,
/// several, too poor, not an image), or `Ok(Err(_))` for a failure that stops the calibration.
fn refused_or<T>(answer: crate::Result<T>) -> Result<crate::Result<T>, String> {
    match answer {
        Err(e) if e.status() == Some(400) => Err(e.to_string()),
        other => Ok(other),
    }
}

/// Every pair of images, genuine when both are of one person.
fn pair_scores(
    images: &[(usize, &Path)],
    events: &[Option<EventId>],
    searched: &[Option<Searched>],
) -> Figures {
    let n = images.len();
    let mut exact: HashMap<(usize, usize), u16> = HashMap::new();
    for (probe, s) in searched.iter().enumerate() {
        for &(other, score) in s.iter().flat_map(|s| &s.scores) {
            if other != probe {
                let key = (probe.min(other), probe.max(other));
                let best = exact.entry(key).or_insert(score);
                *best = (*best).max(score);
            }
        }
    }
    // What a search that did not return a pair says of it (no search: nothing).
    let bound = |i: usize| match &searched[i] {
        Some(s) => s.bound,
        None => Some(MatchScore::MAX.get()),
    };
    let mut figures = Figures::default();
    for i in 0..n {
        for j in i + 1..n {
            let score = if events[i].is_none() || events[j].is_none() {
                // An image without its one face cannot match.
                PairScore {
                    score: 0,
                    exact: true,
                }
            } else if let Some(&score) = exact.get(&(i, j)) {
                PairScore { score, exact: true }
            } else {
                match (bound(i), bound(j)) {
                    (Some(a), Some(b)) => PairScore {
                        score: a.min(b),
                        exact: false,
                    },
                    // A search that returned every event did not return this one: below 0 is
                    // impossible, so the service left it out; count it as not matching.
                    _ => PairScore {
                        score: 0,
                        exact: true,
                    },
                }
            };
            if images[i].0 == images[j].0 {
                figures.genuine.push(score);
            } else {
                figures.impostor.push(score);
            }
        }
    }
    figures
}
