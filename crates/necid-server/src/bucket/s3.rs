//! An S3-compatible bucket (`s3://bucket/prefix`), read through `object_store`.
//!
//! The endpoint, region and keys come from the usual AWS environment variables
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ALLOW_HTTP` for a plain-HTTP endpoint), so no key is ever on a command line. A name is
//! the client's: it is refused when it could leave the prefix (`..`, an absolute or empty
//! component), its size is checked before a byte is read, and the read runs under the bucket's
//! time limit.

use std::sync::Arc;

use object_store::ObjectStoreExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;

use super::{BucketError, READ_TIME_LIMIT};

/// A prefix of an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    store: Arc<AmazonS3>,
    prefix: Vec<String>,
}

impl S3Bucket {
    /// `s3://bucket` or `s3://bucket/some/prefix`, with settings from the environment.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| "expected s3://bucket/prefix".to_owned())?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("the S3 URL names no bucket".into());
        }
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| format!("S3 settings: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: prefix
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    fn path(&self, name: &str) -> Result<ObjectPath, BucketError> {
        let parts: Vec<&str> = name.split('/').collect();
        if name.is_empty()
            || parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'))
        {
            return Err(BucketError::InvalidName);
        }
        let mut path = ObjectPath::default();
        for part in self.prefix.iter().map(String::as_str).chain(parts) {
            path = path.join(object_store::path::PathPart::from(part));
        }
        Ok(path)
    }

    /// The bytes of `name`, refused when larger than `max_bytes`.
    pub async fn read(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, BucketError> {
        let path = self.path(name)?;
        let read = async {
            let meta = self.store.head(&path).await.map_err(failure)?;
            if meta.size > max_bytes {
                return Err(BucketError::TooLarge { limit: max_bytes });
            }
            let bytes = self
                .store
                .get(&path)
                .await
                .map_err(failure)?
                .bytes()
                .await
                .map_err(failure)?;
            if bytes.len() as u64 > max_bytes {
                return Err(BucketError::TooLarge { limit: max_bytes });
            }
            Ok(bytes.to_vec())
        };
        tokio::time::timeout(READ_TIME_LIMIT, read)
            .await
            .map_err(|_| BucketError::TimedOut)?
    }
}

fn failure(e: object_store::Error) -> BucketError {
    match e {
        object_store::Error::NotFound { .. } => BucketError::NotFound,
        other => BucketError::Unreadable(std::io::Error::other(other)),
    }
}
