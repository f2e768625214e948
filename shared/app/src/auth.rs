//! API keys and tenants. Keys are never stored or compared in clear: only their
//! SHA-256 hashes are kept, in the table (`K#{hash}`) or in memory.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::keys;
use crate::table::{Condition, Item, Table, Write};

/// A tenant: `[A-Za-z0-9_-]{1,64}`, so it can never break out of a key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Option<TenantId> {
        let ok =
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| TenantId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decides which tenant a request acts for.
#[async_trait]
pub trait Authenticate: Send + Sync {
    async fn tenant(&self, parts: &http::request::Parts) -> Result<TenantId, AppError>;
}

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The key of `Authorization: Bearer <key>`, if well-formed.
pub fn bearer(parts: &http::request::Parts) -> Option<&str> {
    bearer_token(parts.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?)
}

/// The key of an `Authorization` header value `Bearer <key>`, if well-formed.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, key) = value.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty() && key.len() <= 256).then_some(key)
}

/// `KYC_API_KEYS` form: `tenant:key,tenant2:key2`.
pub fn parse_key_list(spec: &str) -> Result<Vec<(TenantId, String)>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (tenant, key) = pair.split_once(':').ok_or("each entry must be tenant:key")?;
            let tenant = TenantId::parse(tenant.trim()).ok_or("a tenant must be 1-64 letters, digits, '_' or '-'")?;
            let key = key.trim();
            if key.len() < 8 || key.len() > 256 || key.chars().any(char::is_whitespace) {
                return Err("a key must be 8-256 characters without spaces".to_string());
            }
            Ok((tenant, key.to_string()))
        })
        .collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct ApiKeyRecord {
    tenant: TenantId,
    created_at: DateTime<Utc>,
    #[serde(default)]
    revoked: bool,
}

/// The table write that provisions a key for a tenant (its hash only).
pub fn provision_key(tenant: &TenantId, key: &str, now: DateTime<Utc>) -> Write {
    let record = ApiKeyRecord { tenant: tenant.clone(), created_at: now, revoked: false };
    let body = serde_json::to_string(&record).unwrap_or_default();
    let item = Item::new(keys::api_key_key(&hash_key(key)), body).with_s("tenant", tenant.as_str());
    Write::Put { item, condition: Condition::None }
}

/// Keys held in memory as hashes (local mode: `KYC_API_KEYS` is the whole truth).
pub struct StaticKeys {
    by_hash: HashMap<String, TenantId>,
}

impl StaticKeys {
    pub fn new(keys: &[(TenantId, String)]) -> Self {
        StaticKeys { by_hash: keys.iter().map(|(t, k)| (hash_key(k), t.clone())).collect() }
    }
}

#[async_trait]
impl Authenticate for StaticKeys {
    async fn tenant(&self, parts: &http::request::Parts) -> Result<TenantId, AppError> {
        let key = bearer(parts).ok_or(AppError::Unauthorized)?;
        self.by_hash.get(&hash_key(key)).cloned().ok_or(AppError::Unauthorized)
    }
}

/// Keys provisioned in the table (what the Lambda authorizer reads).
pub struct TableKeys {
    table: Arc<dyn Table>,
}

impl TableKeys {
    pub fn new(table: Arc<dyn Table>) -> Self {
        TableKeys { table }
    }

    /// The tenant of a key, or `None` for an unknown or revoked key.
    pub async fn tenant_of(&self, key: &str) -> Result<Option<TenantId>, AppError> {
        let item = self.table.get(&keys::api_key_key(&hash_key(key))).await?;
        let record = item.and_then(|i| serde_json::from_str::<ApiKeyRecord>(&i.body).ok());
        Ok(record.filter(|r| !r.revoked).map(|r| r.tenant))
    }
}

#[async_trait]
impl Authenticate for TableKeys {
    async fn tenant(&self, parts: &http::request::Parts) -> Result<TenantId, AppError> {
        let key = bearer(parts).ok_or(AppError::Unauthorized)?;
        self.tenant_of(key).await?.ok_or(AppError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_cannot_smuggle_key_separators() {
        assert!(TenantId::parse("acme-eu_1").is_some());
        for bad in ["", "a#b", "a:b", "a b", &"x".repeat(65)] {
            assert!(TenantId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn key_lists_parse_and_refuse_weak_entries() {
        let keys = parse_key_list("acme:sk_live_12345678, beta:another-key-1").expect("valid");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].0.as_str(), "beta");
        assert!(parse_key_list("acme").is_err());
        assert!(parse_key_list("acme:short").is_err());
        assert!(parse_key_list("a#b:longenoughkey").is_err());
    }
}
