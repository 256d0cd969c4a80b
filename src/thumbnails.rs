//! Small pictures of the faces this console enrolled, by eventId.
//!
//! The API returns no image with a search result or an event, so the console keeps its own:
//! after a successful registration it writes a JPEG of at most [`THUMBNAIL_SIDE`] pixels a side
//! to `DATA_DIR/thumbnails/<eventId>.jpg`. Called from background tasks only (file I/O).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use necid::EventId;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 160;

/// Why a thumbnail could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("the image could not be decoded for its thumbnail: {0}")]
    Decode(#[from] image::ImageError),
    #[error("the thumbnail could not be written to {path}: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The thumbnails folder under the console's data folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnails {
    dir: PathBuf,
}

impl Thumbnails {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("thumbnails"),
        }
    }

    /// Where the thumbnail of `event_id` is (or would be).
    pub fn path(&self, event_id: &EventId) -> PathBuf {
        let name = crate::paths::file_safe(event_id.as_str());
        self.dir.join(format!("{name}.jpg"))
    }

    /// Writes the thumbnail of an enrolled image (the encoded file as the user gave it; EXIF
    /// orientation is not applied here). Replaces any older one atomically.
    pub fn save(&self, event_id: &EventId, image_bytes: &[u8]) -> Result<PathBuf, ThumbnailError> {
        let decoded = image::ImageReader::new(Cursor::new(image_bytes))
            .with_guessed_format()
            .map_err(|source| ThumbnailError::Write {
                path: self.dir.clone(),
                source,
            })?
            .decode()?;
        let small = decoded
            .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
            .into_rgb8();
        let mut jpeg = Vec::new();
        small.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)?;
        let path = self.path(event_id);
        crate::paths::write_replacing(&path, &jpeg).map_err(|source| ThumbnailError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// The events that have a thumbnail (one read of the folder): a list of many subjects
    /// asks only for those, instead of trying a file per row.
    pub fn event_ids(&self) -> std::collections::HashSet<EventId> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Default::default();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name();
                let stem = name.to_str()?.strip_suffix(".jpg")?;
                Some(EventId::new(stem))
            })
            .collect()
    }

    /// The thumbnail's JPEG bytes, if this console enrolled that event.
    pub fn load(&self, event_id: &EventId) -> Option<Vec<u8>> {
        std::fs::read(self.path(event_id)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_thumbnail_is_small_and_found_by_event_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let thumbnails = Thumbnails::new(dir.path());
        let big = image::RgbImage::from_pixel(640, 480, image::Rgb([200, 120, 40]));
        let mut png = Vec::new();
        big.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        let event = EventId::new("ev-1/../x");
        let path = thumbnails.save(&event, &png).expect("saved");
        assert!(path.starts_with(dir.path().join("thumbnails")));
        let back =
            image::load_from_memory(&thumbnails.load(&event).expect("found")).expect("a JPEG");
        assert_eq!((back.width(), back.height()), (160, 120));
        assert!(thumbnails.load(&EventId::new("other")).is_none());
        let listed = thumbnails.event_ids();
        assert_eq!(listed.len(), 1);
        assert!(listed.contains(&EventId::new("ev-1____x")));
    }

    #[test]
    fn an_undecodable_file_gives_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let thumbnails = Thumbnails::new(dir.path());
        let event = EventId::new("ev-2");
        assert!(thumbnails.save(&event, b"not an image").is_err());
        assert!(!thumbnails.path(&event).exists());
    }
}
