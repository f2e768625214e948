//! Idempotency keys: the same key with the same request within 24 h answers the first
//! response again, with no second side effect.
//!
//! The record is written in the SAME transaction as the change it answers for, with a
//! "not exists (or expired)" condition: two concurrent requests with one key cannot
//! both apply, and a stored response always stands for a committed change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Deps;
use crate::error::AppError;
use crate::ports::keys::KeyWrapper;
use crate::sealing::{self, Sealed};
use crate::ports::table::{Condition, Item, TTL_ATTR, Table, TableError, Write};
use crate::store::layout;
use crate::tenant::TenantId;

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
    /// An answer holding a secret is kept sealed here (its `response.body` is null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_body: Option<Sealed>,
    created_at: DateTime<Utc>,
}

/// An answer that can be replayed for an idempotency key.
pub trait Replayable: Serialize {
    /// The `ETag` the answer carries, if any.
    fn etag(&self) -> Option<String> {
        None
    }

    /// The status this answer is given with, when it decides it (a first approval is
    /// 202 where an approval is 200); `None`: the route's usual status.
    fn status(&self) -> Option<u16> {
        None
    }
}

/// One request's idempotency context.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub tenant: TenantId,
    /// The id of the API key that sent it: keys of different callers never collide.
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub now: DateTime<Utc>,
    /// The status the first answer was given with, replayed with it.
    pub replay_status: u16,
}

/// What a request with a key finds.
pub enum Lookup {
    /// Not seen (or expired): go ahead, and write the record with the change.
    Fresh,
    /// Seen with the same request: answer this.
    Replay(StoredResponse),
}

/// Whether a key is 1-255 visible ASCII characters.
pub fn is_valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
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
    /// What this key finds; a sealed answer is opened with `keys`.
    pub async fn lookup(&self, table: &dyn Table, keys: &dyn KeyWrapper) -> Result<Lookup, AppError> {
        let Some(item) = table.get(&layout::idempotency_key(&self.tenant, &self.scope, &self.key)).await? else {
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
        let mut response = record.response;
        if let Some(sealed) = &record.sealed_body {
            let body = sealing::open(keys, sealed, &self.sealing_context()).await?;
            response.body =
                serde_json::from_str(&body).map_err(|e| AppError::unreadable("sealed idempotent answer", &e))?;
        }
        Ok(Lookup::Replay(response))
    }

    /// A sealed answer opens only for this key of this caller.
    fn sealing_context(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tenant", self.tenant.to_string()),
            ("scope", self.scope.clone()),
            ("idempotency_key", self.key.clone()),
            ("purpose", "idempotent-answer".to_string()),
        ]
    }

    /// The write that records `answer`, to join the change's transaction.
    pub fn record<T: Replayable>(&self, answer: &T) -> Result<Write, AppError> {
        self.record_as(answer, None)
    }

    fn record_as<T: Replayable>(&self, answer: &T, sealed_body: Option<Sealed>) -> Result<Write, AppError> {
        let body = match sealed_body {
            Some(_) => serde_json::Value::Null,
            None => crate::json::to_value("an idempotent answer", answer)?,
        };
        let response = StoredResponse { status: answer.status().unwrap_or(self.replay_status), body, etag: answer.etag() };
        let record = Record { request_hash: self.request_hash.clone(), response, sealed_body, created_at: self.now };
        let item = Item::new(
            layout::idempotency_key(&self.tenant, &self.scope, &self.key),
            crate::json::to_body("idempotency record", &record)?,
        )
        .with_n(TTL_ATTR, self.now.timestamp() + RETENTION_SECONDS);
        Ok(Write::Put { item, condition: Condition::NotExistsOrExpired { now: self.now.timestamp() } })
    }
}

/// As `commit`, for an answer that holds a secret (a webhook endpoint's signing secret):
/// the answer is kept for a replay only sealed (`sealing`), never in clear in the table.
pub async fn commit_sealed<T: Replayable>(
    deps: &Deps,
    writes: Vec<Write>,
    idempotency: Option<&Idempotency>,
    answer: &T,
) -> Result<(), AppError> {
    let record = match idempotency {
        Some(key) => {
            let body = crate::json::to_body("an idempotent answer", answer)?;
            let sealed = sealing::seal(deps.keys.as_ref(), &body, &key.sealing_context()).await?;
            Some(key.record_as(answer, Some(sealed))?)
        }
        None => None,
    };
    transact(deps.table.as_ref(), writes, record).await
}

/// Commits `writes` as one transaction, with the answer of a keyed request recorded
/// last. The record's condition failing means a concurrent request with the same key
/// committed first (`IdempotencyRace`: answer as it did); any other failure comes back
/// as `AppError::Store`, its index still that of `writes`.
pub async fn commit<T: Replayable>(
    table: &dyn Table,
    writes: Vec<Write>,
    idempotency: Option<&Idempotency>,
    answer: &T,
) -> Result<(), AppError> {
    let record = idempotency.map(|key| key.record(answer)).transpose()?;
    transact(table, writes, record).await
}

async fn transact(table: &dyn Table, mut writes: Vec<Write>, record: Option<Write>) -> Result<(), AppError> {
    let record_at = record.map(|record| {
        writes.push(record);
        writes.len() - 1
    });
    match table.transact(writes).await {
        Ok(()) => Ok(()),
        Err(TableError::ConditionFailed { index }) if Some(index) == record_at => Err(AppError::IdempotencyRace),
        Err(e) => Err(AppError::Store(e)),
    }
}
