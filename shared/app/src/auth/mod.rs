//! API keys: provisioned per tenant, never stored or compared in clear (only their
//! SHA-256 hashes are kept, in the table or in memory).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::ports::table::{Condition, Item, Table, Write};
use crate::store::layout;
use crate::tenant::TenantId;

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
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
pub fn provision_key(tenant: &TenantId, key: &str, now: DateTime<Utc>) -> Result<Write, AppError> {
    let record = ApiKeyRecord { tenant: tenant.clone(), created_at: now, revoked: false };
    let item = Item::new(layout::api_key_key(&hash_key(key)), crate::json::to_body("api key", &record)?)
        .with_s(layout::TENANT, tenant.as_str());
    Ok(Write::Put { item, condition: Condition::None })
}

/// Which tenant an API key acts for: keys in memory (local) or in the table (AWS).
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// The tenant of a key, or `None` for an unknown or revoked key.
    async fn tenant_of(&self, key: &str) -> Result<Option<TenantId>, AppError>;
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
impl ApiKeys for StaticKeys {
    async fn tenant_of(&self, key: &str) -> Result<Option<TenantId>, AppError> {
        Ok(self.by_hash.get(&hash_key(key)).cloned())
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
}

#[async_trait]
impl ApiKeys for TableKeys {
    async fn tenant_of(&self, key: &str) -> Result<Option<TenantId>, AppError> {
        let Some(item) = self.table.get(&layout::api_key_key(&hash_key(key))).await? else {
            return Ok(None);
        };
        let record: ApiKeyRecord = crate::json::from_body("api key", &item.body)?;
        Ok((!record.revoked).then_some(record.tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lists_parse_and_refuse_weak_entries() {
        let keys = parse_key_list("acme:sk_live_12345678, beta:another-key-1").expect("valid");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].0.as_str(), "beta");
        assert!(parse_key_list("acme").is_err());
        assert!(parse_key_list("acme:short").is_err());
        assert!(parse_key_list("a#b:longenoughkey").is_err());
    }

    #[test]
    fn bearer_tokens_need_the_scheme_and_a_key() {
        assert_eq!(bearer_token("Bearer sk_1"), Some("sk_1"));
        assert_eq!(bearer_token("bearer  sk_1 "), Some("sk_1"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
