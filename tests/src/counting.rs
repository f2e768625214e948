//! An object store that counts its calls, around the local one: how many S3 GETs a
//! flow makes, and how many URLs it signs (which call nothing).

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use kyc_app::ports::objects::{Attachment, ObjectError, ObjectPrefix, ObjectStore, PresignedRequest};
use kyc_embedded::LocalObjects;

pub struct CountingObjects {
    inner: LocalObjects,
    presigned: AtomicU64,
    reads: AtomicU64,
}

impl CountingObjects {
    pub fn new(inner: LocalObjects) -> CountingObjects {
        CountingObjects { inner, presigned: AtomicU64::new(0), reads: AtomicU64::new(0) }
    }

    /// Reads of stored objects (S3 `GetObject`).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// URLs signed (no call to storage).
    pub fn presigned(&self) -> u64 {
        self.presigned.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl ObjectStore for CountingObjects {
    async fn presign_put(&self, key: &str, ct: &str, at: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        self.presigned.fetch_add(1, Ordering::Relaxed);
        self.inner.presign_put(key, ct, at).await
    }

    async fn presign_get(&self, key: &str, a: &Attachment, at: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        self.presigned.fetch_add(1, Ordering::Relaxed);
        self.inner.presign_get(key, a, at).await
    }

    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read_prefix(key, max).await
    }
}
