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

/// How a downloaded file reaches the browser: always as an attachment to save under a
/// safe name with its stored type, never rendered in the page (a PDF's scripts, an
/// HTML or SVG file posing as an image, would run in the reviewer's session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    file_name: String,
    content_type: String,
}

impl Attachment {
    /// `file_name` keeps only letters, digits, `.`, `_` and `-` (anything else becomes
    /// `_`), so it needs no quoting or encoding in a header; a `content_type` that is
    /// not a plain `type/subtype` becomes `application/octet-stream`.
    pub fn new(file_name: &str, content_type: &str) -> Attachment {
        let mut file_name: String = file_name
            .chars()
            .take(128)
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
            .collect();
        if file_name.trim_matches('.').is_empty() {
            file_name = "document".to_string();
        }
        let token = |part: &str| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        let plain = content_type.split_once('/').is_some_and(|(kind, sub)| token(kind) && token(sub));
        let content_type = if plain { content_type.to_string() } else { "application/octet-stream".to_string() };
        Attachment { file_name, content_type }
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The `Content-Disposition` header value.
    pub fn content_disposition(&self) -> String {
        format!("attachment; filename=\"{}\"", self.file_name)
    }
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

    /// A GET of this key, valid until `expires_at`, whose answer carries
    /// `Content-Disposition: attachment` and the content type of `attachment`, whatever
    /// was stored with the object.
    async fn presign_get(
        &self,
        key: &str,
        attachment: &Attachment,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError>;

    /// At most `max` bytes from the start of the object (never the whole of a huge
    /// one), with its total size; `None` when there is no such object.
    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError>;

    /// At most `max` bytes from byte `start` of the object (none past its end), with its
    /// total size: a large file is read chunk by chunk in bounded memory. `None` when
    /// there is no such object.
    async fn read_range(&self, key: &str, start: u64, max: u64) -> Result<Option<ObjectPrefix>, ObjectError>;
}

/// For a process that keeps no documents (a Lambda function whose role may not touch
/// the bucket): every call is refused, so a route wired to the wrong function fails
/// loudly instead of pretending the object is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObjects;

const NO_OBJECTS: &str = "this function is not given the documents bucket";

#[async_trait]
impl ObjectStore for NoObjects {
    async fn presign_put(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        Err(ObjectError::Unavailable(NO_OBJECTS.into()))
    }

    async fn presign_get(&self, _: &str, _: &Attachment, _: DateTime<Utc>) -> Result<PresignedRequest, ObjectError> {
        Err(ObjectError::Unavailable(NO_OBJECTS.into()))
    }

    async fn read_prefix(&self, _: &str, _: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        Err(ObjectError::Unavailable(NO_OBJECTS.into()))
    }

    async fn read_range(&self, _: &str, _: u64, _: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        Err(ObjectError::Unavailable(NO_OBJECTS.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_a_file_name_has_unsafe_characters_should_replace_them() {
        let attachment = Attachment::new("doc_01.pdf\"; filename*=x\r\n", "application/pdf");
        assert_eq!(attachment.file_name(), "doc_01.pdf___filename__x__");
        assert_eq!(attachment.content_disposition(), "attachment; filename=\"doc_01.pdf___filename__x__\"");
        assert_eq!(Attachment::new("..", "image/png").file_name(), "document");
    }

    #[test]
    fn when_a_content_type_is_not_a_plain_media_type_should_fall_back_to_octet_stream() {
        assert_eq!(Attachment::new("a.pdf", "application/pdf").content_type(), "application/pdf");
        for odd in ["text/html; charset=utf-8", "image/svg+xml\r\nX: 1", "pdf", "/"] {
            assert_eq!(Attachment::new("a", odd).content_type(), "application/octet-stream", "{odd:?}");
        }
    }
}
