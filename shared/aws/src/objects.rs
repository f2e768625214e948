//! The `ObjectStore` port on S3: presigned PUT / GET URLs (a GET answers as an
//! attachment with the stored type) and bounded reads.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{DateTime, Utc};

use kyc_app::ports::objects::{Attachment, ObjectError, ObjectPrefix, ObjectStore, PresignedRequest};

/// S3 caps a presigned URL at 7 days; we never ask for more than minutes.
const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct S3Objects {
    client: std::sync::Arc<crate::Deferred<Client>>,
    bucket: String,
}

/// An S3 client from the shared configuration. Path-style addressing when an endpoint
/// is configured (moto, local S3-compatible stores), virtual-host style on AWS.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> Client {
    let path_style = sdk.endpoint_url().is_some();
    Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style).build())
}

impl S3Objects {
    pub fn new(client: impl Into<crate::Deferred<Client>>, bucket: impl Into<String>) -> Self {
        S3Objects { client: std::sync::Arc::new(client.into()), bucket: bucket.into() }
    }

    /// The bucket `bucket`, its client built from `sdk` ([`s3_client`]) at the first
    /// presign or read: a cold start builds no S3 client.
    pub fn deferred(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let sdk = sdk.clone();
        S3Objects::new(crate::Deferred::new(move || s3_client(&sdk)), bucket)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn ttl_until(expires_at: DateTime<Utc>) -> Result<PresigningConfig, ObjectError> {
    let seconds = (expires_at - Utc::now()).num_seconds().max(1) as u64;
    PresigningConfig::expires_in(Duration::from_secs(seconds).min(MAX_TTL))
        .map_err(|e| ObjectError::Invalid(e.to_string()))
}

fn unavailable(e: impl std::fmt::Display) -> ObjectError {
    ObjectError::Unavailable(e.to_string())
}

fn presigned(request: aws_sdk_s3::presigning::PresignedRequest, expires_at: DateTime<Utc>) -> PresignedRequest {
    PresignedRequest {
        method: request.method().to_string(),
        url: request.uri().to_string(),
        // Signed headers the client must repeat (Content-Type for uploads); `host` is
        // set by any HTTP client from the URL.
        headers: request
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|(n, v)| (canonical_header(n), v.to_string()))
            .collect(),
        expires_at,
    }
}

fn canonical_header(name: &str) -> String {
    if name.eq_ignore_ascii_case("content-type") {
        "Content-Type".to_string()
    } else if name.eq_ignore_ascii_case("if-none-match") {
        "If-None-Match".to_string()
    } else {
        name.to_string()
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            // S3 conditional write: the URL can create the object once, never replace a
            // file that was already scored with an unchecked one.
            .if_none_match("*")
            .presigned(ttl_until(expires_at)?)
            .await
            .map_err(unavailable)?;
        Ok(presigned(request, expires_at))
    }

    async fn presign_get(
        &self,
        key: &str,
        attachment: &Attachment,
        expires_at: DateTime<Utc>,
    ) -> Result<PresignedRequest, ObjectError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            // Signed into the URL: S3 answers with these headers, and a changed value
            // breaks the signature, so the file is saved, never rendered.
            .response_content_disposition(attachment.content_disposition())
            .response_content_type(attachment.content_type())
            .presigned(ttl_until(expires_at)?)
            .await
            .map_err(unavailable)?;
        Ok(presigned(request, expires_at))
    }

    async fn read_prefix(&self, key: &str, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        self.read_range(key, 0, max).await
    }

    async fn read_range(&self, key: &str, start: u64, max: u64) -> Result<Option<ObjectPrefix>, ObjectError> {
        // HEAD first: a range past the end (or any range of an empty object) is an error
        // (416), and the size tells how much to ask for.
        let head = match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => return Err(unavailable(aws_sdk_s3::error::DisplayErrorContext(e))),
        };
        let size = u64::try_from(head.content_length().unwrap_or(0)).unwrap_or(0);
        let content_type = head.content_type().map(String::from);
        let want = size.saturating_sub(start).min(max);
        if want == 0 {
            return Ok(Some(ObjectPrefix { bytes: Vec::new(), size, content_type }));
        }
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{}", start + want - 1))
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let mut bytes = object.body.collect().await.map_err(unavailable)?.into_bytes().to_vec();
        bytes.truncate(want as usize);
        Ok(Some(ObjectPrefix { bytes, size, content_type }))
    }
}
