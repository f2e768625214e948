//! Sumsub's API as a port: redeem a share token (reusable KYC) and read an applicant's
//! review. The adapter (`kyc_aws::sumsub`) signs every call with the tenant's app token
//! and secret key and retries timeouts and 429 within the request's budget; the use
//! cases see only the applicant and its review, never how it was asked.

use kyc_domain::sumsub::SumsubReview;

/// Why Sumsub gave no answer the use case can act on. Never carries the share token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SumsubError {
    /// Sumsub answered 400 or 401 to the import: an expired, used or foreign token.
    #[error("Sumsub refused the share token")]
    TokenRejected,
    /// Unreachable, timed out or 5xx (after retries); the detail is for logs.
    #[error("Sumsub is unavailable: {0}")]
    Unavailable(String),
    /// No app token and secret for this tenant.
    #[error("no Sumsub credentials are configured for this tenant")]
    NotConfigured,
}

#[async_trait::async_trait]
pub trait Sumsub: Send + Sync {
    /// Imports the applicant shared under `share_token` for `tenant` and answers its
    /// id in this tenant's Sumsub account. The token is single-use: called once.
    async fn import_shared(&self, tenant: &str, share_token: &str) -> Result<String, SumsubError>;

    /// The applicant's review as it stands.
    async fn review(&self, tenant: &str, applicant_id: &str) -> Result<SumsubReview, SumsubError>;

    /// The secret Sumsub signs this tenant's webhooks with (`X-Payload-Digest`), if any.
    async fn webhook_secret(&self, tenant: &str) -> Result<Option<String>, SumsubError>;
}

/// No Sumsub account: every call is [`SumsubError::NotConfigured`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSumsub;

#[async_trait::async_trait]
impl Sumsub for NoSumsub {
    async fn import_shared(&self, _: &str, _: &str) -> Result<String, SumsubError> {
        Err(SumsubError::NotConfigured)
    }
    async fn review(&self, _: &str, _: &str) -> Result<SumsubReview, SumsubError> {
        Err(SumsubError::NotConfigured)
    }
    async fn webhook_secret(&self, _: &str) -> Result<Option<String>, SumsubError> {
        Ok(None)
    }
}
