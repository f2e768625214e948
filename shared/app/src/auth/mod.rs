//! API keys and who calls with them: each key belongs to one tenant, names an actor
//! and has a role. Keys are never stored or compared in clear (only their SHA-256
//! hashes are kept, in the table or in memory).

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

/// What a key may call (the route table lives in the HTTP layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads, decisions, notes and metrics.
    Reviewer,
    /// Reads and what an integration does: create and change leads, request documents.
    Integrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Reviewer, Role::Integrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who calls: the key's tenant, the actor it names and its role, and the key's id (the
/// first 16 hex digits of its hash) that scopes its idempotency keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: TenantId,
    pub actor: String,
    pub role: Role,
    pub key_id: String,
}

impl Principal {
    /// The actor as the audit trail names it.
    pub fn audit_actor(&self) -> String {
        format!("key:{}", self.actor)
    }
}

/// An actor's name: 1-64 letters, digits, `.`, `_`, `-` or `@`.
pub fn is_valid_actor(actor: &str) -> bool {
    (1..=64).contains(&actor.len())
        && actor.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// The id of a key: enough of its hash to tell keys apart, nothing to recover it from.
pub fn key_id(key: &str) -> String {
    hash_key(key)[..16].to_string()
}

/// A key as configured locally, with who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub key: String,
    pub tenant: TenantId,
    pub actor: String,
    pub role: Role,
}

/// `KYC_API_KEYS` form: `tenant:key[:actor[:role]],...`; the actor defaults to the
/// tenant, the role to `admin`.
pub fn parse_key_list(spec: &str) -> Result<Vec<KeySpec>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let mut parts = entry.split(':').map(str::trim);
            let (Some(tenant), Some(key)) = (parts.next(), parts.next()) else {
                return Err("each entry must be tenant:key[:actor[:role]]".to_string());
            };
            let tenant = TenantId::parse(tenant).ok_or("a tenant must be 1-64 letters, digits, '_' or '-'")?;
            if key.len() < 8 || key.len() > 256 || key.chars().any(char::is_whitespace) {
                return Err("a key must be 8-256 characters without spaces or ':'".to_string());
            }
            let actor = parts.next().unwrap_or(tenant.as_str()).to_string();
            if !is_valid_actor(&actor) {
                return Err("an actor must be 1-64 letters, digits, '.', '_', '-' or '@'".to_string());
            }
            let role = match parts.next() {
                None => Role::Admin,
                Some(role) => Role::parse(role).ok_or("a role must be admin, reviewer or integrator")?,
            };
            if parts.next().is_some() {
                return Err("each entry must be tenant:key[:actor[:role]]".to_string());
            }
            Ok(KeySpec { key: key.to_string(), tenant, actor, role })
        })
        .collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct ApiKeyRecord {
    tenant: TenantId,
    /// The tenant when left out (keys provisioned before actors).
    #[serde(default)]
    actor: Option<String>,
    /// `admin` when left out.
    #[serde(default)]
    role: Option<Role>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    revoked: bool,
}

/// The table write that provisions a key (its hash only).
pub fn provision_key(spec: &KeySpec, now: DateTime<Utc>) -> Result<Write, AppError> {
    key_record(spec, now, false, Condition::None)
}

/// The table write that revokes a key: its record again, `revoked`. The authorizer's
/// cache may still let it through for at most its time to live (60 s).
pub fn revoke_key(spec: &KeySpec, now: DateTime<Utc>) -> Result<Write, AppError> {
    key_record(spec, now, true, Condition::Exists)
}

fn key_record(spec: &KeySpec, now: DateTime<Utc>, revoked: bool, condition: Condition) -> Result<Write, AppError> {
    let record = ApiKeyRecord {
        tenant: spec.tenant.clone(),
        actor: Some(spec.actor.clone()),
        role: Some(spec.role),
        created_at: now,
        revoked,
    };
    let item = Item::new(layout::api_key_key(&hash_key(&spec.key)), crate::json::to_body("api key", &record)?)
        .with_s(layout::TENANT, spec.tenant.as_str());
    Ok(Write::Put { item, condition })
}

/// Who an API key is: keys in memory (local) or in the table (AWS).
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// The principal of a key, or `None` for an unknown or revoked key.
    async fn principal_of(&self, key: &str) -> Result<Option<Principal>, AppError>;
}

/// Keys held in memory as hashes (local mode: `KYC_API_KEYS` is the whole truth).
pub struct StaticKeys {
    by_hash: HashMap<String, Principal>,
}

impl StaticKeys {
    pub fn new(keys: &[KeySpec]) -> Self {
        let by_hash = keys
            .iter()
            .map(|k| {
                let principal = Principal {
                    tenant: k.tenant.clone(),
                    actor: k.actor.clone(),
                    role: k.role,
                    key_id: key_id(&k.key),
                };
                (hash_key(&k.key), principal)
            })
            .collect();
        StaticKeys { by_hash }
    }
}

#[async_trait]
impl ApiKeys for StaticKeys {
    async fn principal_of(&self, key: &str) -> Result<Option<Principal>, AppError> {
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
    async fn principal_of(&self, key: &str) -> Result<Option<Principal>, AppError> {
        let Some(item) = self.table.get(&layout::api_key_key(&hash_key(key))).await? else {
            return Ok(None);
        };
        let record: ApiKeyRecord = crate::json::from_body("api key", &item.body)?;
        if record.revoked {
            return Ok(None);
        }
        let actor = record.actor.unwrap_or_else(|| record.tenant.to_string());
        Ok(Some(Principal {
            tenant: record.tenant,
            actor,
            role: record.role.unwrap_or(Role::Admin),
            key_id: key_id(key),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lists_parse_and_refuse_weak_entries() {
        let keys = parse_key_list("acme:sk_live_12345678, beta:another-key-1").expect("valid");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].tenant.as_str(), "beta");
        assert!(parse_key_list("acme").is_err());
        assert!(parse_key_list("acme:short").is_err());
        assert!(parse_key_list("a#b:longenoughkey").is_err());
    }

    #[test]
    fn a_key_names_its_actor_and_role_or_defaults_to_the_tenant_as_admin() {
        let keys = parse_key_list("acme:sk_live_12345678,acme:sk_review_1234:ana:reviewer,acme:sk_shop_12345:shop")
            .expect("valid");
        assert_eq!((keys[0].actor.as_str(), keys[0].role), ("acme", Role::Admin));
        assert_eq!((keys[1].actor.as_str(), keys[1].role), ("ana", Role::Reviewer));
        assert_eq!((keys[2].actor.as_str(), keys[2].role), ("shop", Role::Admin));
        assert!(parse_key_list("acme:sk_live_12345678:ana:owner").is_err(), "an unknown role");
        assert!(parse_key_list("acme:sk_live_12345678:a b").is_err(), "an actor with a space");
        assert!(parse_key_list("acme:sk_live_12345678:ana:admin:extra").is_err());
    }

    #[test]
    fn bearer_tokens_need_the_scheme_and_a_key() {
        assert_eq!(bearer_token("Bearer sk_1"), Some("sk_1"));
        assert_eq!(bearer_token("bearer  sk_1 "), Some("sk_1"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
