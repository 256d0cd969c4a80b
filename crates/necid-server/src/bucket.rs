//! The tenant's bucket, where bulk jobs read their images.
//!
//! A local deployment keeps it in a folder, and a folder is only as safe as the way it is read:
//! a file name comes from the client, and the folder may hold a symlink to a face or a secret
//! elsewhere, a FIFO that never answers, or a device that never ends. [`ConfinedDir`] reads a
//! name only when it resolves to a regular file inside the folder: the last component is opened
//! without following a link, non-blocking (a FIFO opens at once instead of waiting for a
//! writer), the open file is checked to be a regular file of at most the size limit before a
//! byte is read, and the read runs under a time limit.
//!
//! Replicas on several machines share an S3-compatible bucket instead (`s3://bucket/prefix`, the
//! `s3` feature): [`S3Bucket`] reads through `object_store`, with the endpoint and keys from the
//! usual AWS environment variables, under the same name rules, size limit and time limit.
//!
//! Errors say what is wrong without a server path: bulk records show them to the client.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// How long reading one file may take before the record fails.
pub const READ_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Why a file of the bucket could not be read. `Display` names no path; the caller adds the
/// client's file name, quoted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BucketError {
    #[error("File name is not valid")]
    InvalidName,
    #[error("File not found in the bucket")]
    NotFound,
    /// The name resolves to somewhere outside the bucket (a link, or `..`).
    #[error("File is outside the bucket")]
    OutsideBucket,
    /// A link, a directory, a FIFO, a socket or a device.
    #[error("File is not a regular file")]
    NotARegularFile,
    #[error("File is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("Reading the file took longer than {} seconds", READ_TIME_LIMIT.as_secs())]
    TimedOut,
    /// Any other I/O failure; the detail is for the log, not the client.
    #[error("File could not be read")]
    Unreadable(#[source] std::io::Error),
}

/// The bucket a service reads bulk images from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Bucket {
    Local(ConfinedDir),
    #[cfg(feature = "s3")]
    S3(s3::S3Bucket),
}

impl Bucket {
    /// A bucket folder on this machine (created if missing).
    pub fn local(dir: &Path) -> std::io::Result<Self> {
        Ok(Self::Local(ConfinedDir::new(dir)?))
    }

    /// The bytes of `name`, refused when larger than `max_bytes`.
    pub async fn read(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, BucketError> {
        match self {
            Self::Local(dir) => dir.read(name, max_bytes, READ_TIME_LIMIT).await,
            #[cfg(feature = "s3")]
            Self::S3(bucket) => bucket.read(name, max_bytes).await,
        }
    }
}

#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3")]
pub use s3::S3Bucket;

/// A folder whose files are read only when they are regular files inside it.
#[derive(Debug, Clone)]
pub struct ConfinedDir {
    /// Canonical: no links, absolute.
    root: PathBuf,
}

impl ConfinedDir {
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            root: dir.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads `name` on a blocking thread, giving up after `time_limit` (the thread may stay
    /// blocked on a stuck file system, but the caller moves on).
    pub async fn read(
        &self,
        name: &str,
        max_bytes: u64,
        time_limit: Duration,
    ) -> Result<Vec<u8>, BucketError> {
        let path = self.resolve(name)?;
        let read = tokio::task::spawn_blocking(move || read_regular_file(&path, max_bytes));
        match tokio::time::timeout(time_limit, read).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(BucketError::Unreadable(std::io::Error::other(join))),
            Err(_) => Err(BucketError::TimedOut),
        }
    }

    /// The canonical path of `name`, which must stay inside the root. Links on the way are
    /// resolved here; the final open refuses a link, so one swapped in after this check is not
    /// followed either.
    fn resolve(&self, name: &str) -> Result<PathBuf, BucketError> {
        let relative = Path::new(name);
        let plain = !name.contains('\0')
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
            && relative
                .components()
                .any(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(BucketError::InvalidName);
        }
        let path = self.root.join(relative);
        let canonical = path.canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BucketError::NotFound,
            _ => classify(e),
        })?;
        if !canonical.starts_with(&self.root) || canonical == self.root {
            return Err(BucketError::OutsideBucket);
        }
        Ok(canonical)
    }
}

fn classify(e: std::io::Error) -> BucketError {
    match e.kind() {
        std::io::ErrorKind::NotFound => BucketError::NotFound,
        std::io::ErrorKind::IsADirectory | std::io::ErrorKind::NotADirectory => {
            BucketError::NotARegularFile
        }
        _ if e.raw_os_error() == Some(libc::ELOOP) => BucketError::NotARegularFile,
        _ => BucketError::Unreadable(e),
    }
}

fn read_regular_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, BucketError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(classify)?;
    let meta = file.metadata().map_err(BucketError::Unreadable)?;
    if !meta.file_type().is_file() {
        return Err(BucketError::NotARegularFile);
    }
    if meta.len() > max_bytes {
        return Err(BucketError::TooLarge { limit: max_bytes });
    }
    // The size was checked, but a file can grow while it is read: never take more than allowed.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(BucketError::Unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(BucketError::TooLarge { limit: max_bytes });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> (tempfile::TempDir, ConfinedDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let bucket = ConfinedDir::new(&dir.path().join("bucket")).expect("bucket");
        (dir, bucket)
    }

    async fn read(bucket: &ConfinedDir, name: &str) -> Result<Vec<u8>, BucketError> {
        bucket.read(name, 1000, Duration::from_secs(5)).await
    }

    #[tokio::test]
    async fn a_regular_file_inside_the_bucket_is_read() {
        let (_dir, bucket) = bucket();
        std::fs::create_dir(bucket.root().join("sub")).expect("mkdir");
        std::fs::write(bucket.root().join("sub/a.jpg"), b"face").expect("write");
        assert_eq!(read(&bucket, "sub/a.jpg").await.expect("read"), b"face");
        assert_eq!(read(&bucket, "./sub/a.jpg").await.expect("read"), b"face");
    }

    #[tokio::test]
    async fn names_that_climb_out_or_are_absolute_are_refused() {
        let (dir, bucket) = bucket();
        std::fs::write(dir.path().join("outside.jpg"), b"x").expect("write");
        for name in [
            "../outside.jpg",
            "/etc/passwd",
            "",
            "a/../../outside.jpg",
            ".",
        ] {
            assert!(
                matches!(read(&bucket, name).await, Err(BucketError::InvalidName)),
                "{name:?}"
            );
        }
    }

    #[tokio::test]
    async fn links_out_of_the_bucket_and_links_inside_it_are_not_followed() {
        let (dir, bucket) = bucket();
        std::fs::write(dir.path().join("outside.jpg"), b"x").expect("write");
        std::fs::write(bucket.root().join("inside.jpg"), b"x").expect("write");
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, bucket.root().join(name)).expect("symlink");
        };
        link(&dir.path().join("outside.jpg"), "out.jpg");
        link(Path::new("/etc/passwd"), "passwd");
        link(dir.path(), "up");
        assert!(matches!(
            read(&bucket, "out.jpg").await,
            Err(BucketError::OutsideBucket)
        ));
        assert!(matches!(
            read(&bucket, "passwd").await,
            Err(BucketError::OutsideBucket)
        ));
        assert!(matches!(
            read(&bucket, "up/outside.jpg").await,
            Err(BucketError::OutsideBucket)
        ));
        // A link that stays inside resolves to its target, which is a regular file of the bucket.
        link(&bucket.root().join("inside.jpg"), "alias.jpg");
        assert_eq!(read(&bucket, "alias.jpg").await.expect("read"), b"x");
    }

    #[tokio::test]
    async fn a_fifo_a_directory_and_an_oversized_file_are_refused_at_once() {
        let (_dir, bucket) = bucket();
        let fifo = bucket.root().join("fifo.jpg");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("cstring");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        std::fs::create_dir(bucket.root().join("dir.jpg")).expect("mkdir");
        std::fs::write(bucket.root().join("big.jpg"), vec![0u8; 1001]).expect("write");
        let started = std::time::Instant::now();
        assert!(matches!(
            read(&bucket, "fifo.jpg").await,
            Err(BucketError::NotARegularFile)
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(matches!(
            read(&bucket, "dir.jpg").await,
            Err(BucketError::NotARegularFile)
        ));
        assert!(matches!(
            read(&bucket, "big.jpg").await,
            Err(BucketError::TooLarge { limit: 1000 })
        ));
        assert!(matches!(
            read(&bucket, "missing.jpg").await,
            Err(BucketError::NotFound)
        ));
    }
}
