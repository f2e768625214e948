//! The `ObjectStore` port: where uploaded documents live (S3, or files in local mode).
//! Clients never stream files through the API: they get a short-lived URL bound to one
//! object key (and, for uploads, to one content type) and talk to storage directly.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A request the client makes itself, straight to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the client must send exactly (they are part of the signature).
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// The first bytes of an object and its full size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPrefix {
    pub bytes: Vec<u8>,
    pub size: u64,
    pub content_type: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ObjectError {
    #[error("invalid object request: {0}")]
    Invalid(String),
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A PUT of exactly this key with this `Content-Type`, valid until `expires_at`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError>;

    /// A GET of this key, valid until `expires_at`.
    async fn presign_get(&self, key: &str, expires_at: DateTime<Utc>) -> Result<PresignedRequest, ObjectError>;

    /// At most `max` bytes from the start of the object (never the whole of a huge
    /// one), with its total size; `None` when there is no such object.
    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError>;
}
