//! Which tenant an API key acts for: keys in memory (local) or in the table (AWS).

use async_trait::async_trait;

use crate::error::AppError;
use crate::tenant::TenantId;

#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// The tenant of a key, or `None` for an unknown or revoked key.
    async fn tenant_of(&self, key: &str) -> Result<Option<TenantId>, AppError>;
}
