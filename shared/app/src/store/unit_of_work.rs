//! The read-modify-write of a lead: one read of the lead item (which carries the head
//! of its audit chain) and ONE transaction — the lead conditioned on the chain head it
//! was read at, its new audit events (the outbox records), the counters the change
//! moves, and any other item the change writes. A concurrent writer fails the
//! condition instead of forking the chain, and is retried from a fresh read, so
//! nothing is lost and nothing applies twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use kyc_domain::audit::EventDraft;
use kyc_domain::events::EventPayload;
use kyc_domain::ids::{EventId, LeadId};
use kyc_domain::lead::Lead;
use kyc_domain::lead::followup::FollowUps;
use kyc_domain::requirement::Evidence;

use crate::Deps;
use crate::error::AppError;
use crate::ports::table::{TableError, Write};
use crate::store::counters;
use crate::store::idempotency::{self, Idempotency, Replayable};
use crate::store::layout;
use crate::store::lead_record::{FirstApproval, LeadRecord, event_item, put_new};
use crate::tenant::TenantId;

/// Attempts of a read-modify-write before answering `concurrent_modification`. Each
/// failed attempt means another writer committed, so N concurrent writers all succeed
/// while N <= MAX_ATTEMPTS.
const MAX_ATTEMPTS: u32 = 32;

/// What a change makes of a lead.
#[allow(clippy::large_enum_variant)] // built once per request, never stored
pub enum Outcome<T> {
    /// Nothing to write; answer this.
    Unchanged(T),
    Changed(Change<T>),
}

/// A change to commit: the lead as it becomes, its audit events (chained in order),
/// and other items written in the same transaction.
pub struct Change<T> {
    pub lead: Lead,
    /// New evidence behind the requirements (`None`: unchanged).
    pub evidence: Option<Evidence>,
    /// New follow-up state (`None`: unchanged).
    pub follow_ups: Option<FollowUps>,
    /// A first approval this change records (four eyes). Any change of the lead that
    /// does not record one voids the one standing.
    pub first_approval: Option<FirstApproval>,
    /// Whether a change of identity still waits for its documents' re-check (`None`:
    /// unchanged).
    pub identity_pending: Option<bool>,
    pub events: Vec<EventDraft>,
    pub extra: Vec<Write>,
    pub output: T,
}

impl<T> Change<T> {
    /// A change of the lead (or of its trail only) with one event.
    pub fn one(lead: Lead, event: EventDraft, output: T) -> Outcome<T> {
        Change::one_with(lead, event, Vec::new(), output)
    }

    /// As [`Change::one`], with other items written in the same transaction.
    pub fn one_with(lead: Lead, event: EventDraft, extra: Vec<Write>, output: T) -> Outcome<T> {
        Outcome::Changed(Change {
            lead,
            evidence: None,
            follow_ups: None,
            first_approval: None,
            identity_pending: None,
            events: vec![event],
            extra,
            output,
        })
    }
}

/// A change computed from the lead as read; it may read more (documents, lists).
#[async_trait::async_trait]
pub trait AsyncChange<T>: Send + Sync {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<T>, AppError>;
}

/// Plain closures are changes too.
#[async_trait::async_trait]
impl<T, F> AsyncChange<T> for F
where
    F: Fn(&LeadRecord, DateTime<Utc>) -> Result<Outcome<T>, AppError> + Send + Sync,
    T: Send,
{
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<T>, AppError> {
        self(record, now)
    }
}

/// Reads a lead of the tenant (`NotFound` for an id that is not one).
pub async fn load(deps: &Deps, tenant: &TenantId, id: &str) -> Result<LeadRecord, AppError> {
    let id = LeadId::parse(id).ok_or(AppError::NotFound("lead"))?;
    let item = deps.table.get(&layout::lead_key(tenant, &id)).await?.ok_or(AppError::NotFound("lead"))?;
    LeadRecord::from_item(tenant, &item)
}

/// Reads the lead, applies `change`, and commits the result in one transaction,
/// retrying from a fresh read when a concurrent writer got there first.
pub async fn mutate<T: Replayable>(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
    change: impl AsyncChange<T>,
) -> Result<T, AppError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let record = load(deps, tenant, id).await?;
        if if_match.is_some_and(|expected| record.lead.version != expected) {
            return Err(AppError::VersionConflict { current: record.lead.version });
        }
        let now = deps.clock.now();
        let change = match change.apply(&record, now).await? {
            Outcome::Unchanged(output) => return Ok(output),
            Outcome::Changed(change) => change,
        };
        let mut change = change;
        stamp_capabilities(&mut change.lead, &mut change.events);
        let mut head = record.head.clone();
        let mut event_writes = Vec::with_capacity(change.events.len());
        for draft in change.events {
            let event = draft.chain(&head)?;
            head = event.head();
            event_writes.push(put_new(event_item(tenant, &change.lead, &event)?));
        }
        let evidence = change.evidence.unwrap_or_else(|| record.evidence.clone());
        let follow_ups = change.follow_ups.unwrap_or(record.follow_ups);
        // A first approval stands while the lead stays as it was approved.
        let first_approval = match change.first_approval {
            Some(first) => Some(first),
            None if change.lead.version == record.lead.version => record.first_approval.clone(),
            None => None,
        };
        let identity_pending = change.identity_pending.unwrap_or(record.identity_pending);
        let after = LeadRecord {
            tenant: tenant.clone(),
            lead: change.lead,
            evidence,
            follow_ups,
            first_approval,
            identity_pending,
            head,
        };
        let mut writes = vec![after.put_after(&record.head)?];
        writes.extend(event_writes);
        writes.extend(change.extra);
        writes.extend(counters::on_change(tenant, &record.lead, &after.lead, now));
        match idempotency::commit(deps.table.as_ref(), writes, idempotency, &change.output).await {
            Ok(()) => return Ok(change.output),
            // Another writer moved the lead on: read it again and retry.
            Err(AppError::Store(TableError::ConditionFailed { .. } | TableError::Conflict)) => backoff(attempt).await,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Contention)
}

async fn backoff(attempt: u32) {
    let jitter = rand::rng().random_range(1..=8u64);
    tokio::time::sleep(Duration::from_millis(jitter * u64::from(attempt.min(6)))).await;
}

/// The service's own actors, as the audit trail names them (`system:<component>`);
/// API keys are `key:<actor>` (`Principal::audit_actor`).
pub mod actor {
    /// Document scoring and the decision policy.
    pub const RISK_SCORER: &str = "system:risk-scorer";
    /// The follow-up job.
    pub const FOLLOW_UP: &str = "system:follow-up";
    /// Sumsub's `applicantReviewed` webhook.
    pub const SUMSUB: &str = "system:sumsub";
}

/// Capabilities are the domain's, recomputed on every write of a lead; each status move
/// of the write carries them (`kyc.status_updated`'s `data.capabilities`): only a move
/// to `approved` can open crypto rails, and only as the lead is written.
pub(crate) fn stamp_capabilities(lead: &mut Lead, events: &mut [EventDraft]) {
    lead.capabilities = kyc_domain::sumsub::capabilities(lead);
    for draft in events {
        if let EventPayload::StatusChanged(moved) = &mut draft.payload {
            let open = draft.to_status == Some(kyc_domain::Status::Approved) && lead.capabilities.crypto_rails;
            moved.capabilities = Some(kyc_domain::sumsub::Capabilities { crypto_rails: open });
        }
    }
}

/// A new audit event of this change, to be chained by [`mutate`].
pub fn event(deps: &Deps, at: DateTime<Utc>, actor: impl Into<String>, payload: EventPayload) -> EventDraft {
    EventDraft::new(EventId::from_uuid(deps.ids.uuid()), at, actor, payload)
}
