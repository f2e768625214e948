//! Outbound HTTP for webhook deliveries. The adapter (`kyc_aws::webhook_transport`)
//! owns TLS, timeouts, redirects and the SSRF-guarded resolver; the use case only
//! posts a signed body and reads what came back.

use async_trait::async_trait;

/// A response is judged by its status within this time.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// How much of a response body is kept with the attempt.
pub const RESPONSE_PREFIX_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportResponse {
    pub status: u16,
    /// At most [`RESPONSE_PREFIX_BYTES`] of the body, lossily decoded.
    pub body_prefix: String,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

/// Why an attempt got no response: said in words a reader of the delivery log
/// understands (timed out, could not connect, refused address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

#[async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
    ) -> Result<TransportResponse, TransportError>;
}
