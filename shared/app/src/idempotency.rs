//! Idempotency keys: the same key with the same request within 24 h answers the first
//! response again, with no second side effect.
//!
//! The record is written in the SAME transaction as the change it answers for, with a
//! "not exists (or expired)" condition: two concurrent requests with one key cannot
//! both apply, and a stored response always stands for a committed change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::TenantId;
use crate::error::AppError;
use crate::keys;
use crate::table::{Condition, Item, TTL_ATTR, Table, Write};

pub const HEADER: &str = "idempotency-key";
pub const RETENTION_SECONDS: i64 = 24 * 60 * 60;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub etag: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    request_hash: String,
    response: StoredResponse,
    created_at: DateTime<Utc>,
}

/// One request's idempotency context.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub tenant: TenantId,
    pub key: String,
    pub request_hash: String,
    pub now: DateTime<Utc>,
}

/// What a request with a key finds.
pub enum Lookup {
    /// Not seen (or expired): go ahead, and write the record with the change.
    Fresh,
    /// Seen with the same request: answer this.
    Replay(StoredResponse),
}

pub fn validate_key(key: &str) -> Result<(), AppError> {
    let ok = (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok { Ok(()) } else { Err(AppError::bad_parameter("Idempotency-Key", "must be 1-255 visible ASCII characters")) }
}

/// Hash of what makes two requests "the same": method, path and the body's canonical JSON.
pub fn request_hash(method: &str, path: &str, canonical_body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_body.as_bytes());
    hex::encode(hasher.finalize())
}

impl Idempotency {
    pub async fn lookup(&self, table: &dyn Table) -> Result<Lookup, AppError> {
        let Some(item) = table.get(&keys::idempotency_key(&self.tenant, &self.key)).await? else {
            return Ok(Lookup::Fresh);
        };
        if item.n(TTL_ATTR).is_some_and(|ttl| ttl <= self.now.timestamp()) {
            return Ok(Lookup::Fresh);
        }
        let record: Record =
            serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("idempotency record", &e))?;
        if record.request_hash != self.request_hash {
            return Err(AppError::IdempotencyKeyReused);
        }
        Ok(Lookup::Replay(record.response))
    }

    /// The write that records `response`, to join the change's transaction.
    pub fn record(&self, response: StoredResponse) -> Write {
        let record = Record { request_hash: self.request_hash.clone(), response, created_at: self.now };
        let item = Item::new(
            keys::idempotency_key(&self.tenant, &self.key),
            serde_json::to_string(&record).unwrap_or_default(),
        )
        .with_n(TTL_ATTR, self.now.timestamp() + RETENTION_SECONDS);
        Write::Put { item, condition: Condition::NotExistsOrExpired { now: self.now.timestamp() } }
    }
}

/// Commits `writes` as one transaction, with the response record of a keyed request
/// last. The record's condition failing means a concurrent request with the same key
/// committed first (`IdempotencyRace`: answer as it did); any other failure comes back
/// as `AppError::Store`, its index still that of `writes`.
pub async fn transact_recorded(
    table: &dyn Table,
    mut writes: Vec<Write>,
    record: Option<(&Idempotency, StoredResponse)>,
) -> Result<(), AppError> {
    let record_at = record.map(|(key, response)| {
        writes.push(key.record(response));
        writes.len() - 1
    });
    match table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(crate::table::TableError::ConditionFailed { index }) if Some(index) == record_at => {
            Err(AppError::IdempotencyRace)
        }
        Err(e) => Err(AppError::Store(e)),
    }
}
