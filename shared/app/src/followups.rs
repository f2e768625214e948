//! The follow-up job: finds leads waiting (`not_started` / `in_progress`) longer than
//! the delay and records a `follow_up.sent` event for each — the outbox record behind
//! `kyc.follow_up_due` — and re-reads the Sumsub imports pending for over an hour
//! (`sumsub::refresh`). It reads only what is due (the sparse GSI2 slots, by anchor
//! time), never every lead. Running it twice, or two runs at once, never sends one
//! slot twice: each send is a conditional write on the lead's chain head, and the
//! slot is re-checked on a fresh read.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use kyc_domain::events::{EventPayload, FollowUpSent};
use kyc_domain::lead::followup::FollowUps;

use crate::Deps;
use crate::error::AppError;
use crate::ports::table::{Index, Query, SortKey};
use crate::store::idempotency::Replayable;
use crate::store::layout::{self, FOLLOW_UP_SHARDS};
use crate::store::unit_of_work::{actor, event};
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, mutate};

/// Leads handled per shard in one run; the next run picks up the rest.
const MAX_PER_SHARD: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FollowUpRun {
    /// Follow-ups recorded by this run.
    pub sent: usize,
    /// Slots that were due when read but no longer when re-checked (moved on, or sent
    /// by a concurrent run).
    pub skipped: usize,
    /// Sumsub imports pending for over an hour whose final answer this run read from
    /// Sumsub (the fallback for a lost `applicantReviewed` webhook).
    pub sumsub_decided: usize,
}

#[derive(Serialize)]
struct Sent(bool);

impl Replayable for Sent {}

struct SendFollowUp<'a> {
    deps: &'a Deps,
    delay: TimeDelta,
}

#[async_trait::async_trait]
impl AsyncChange<Sent> for SendFollowUp<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<Sent>, AppError> {
        let lead = &record.lead;
        if !record.follow_ups.is_due(lead, self.delay, now) {
            return Ok(Outcome::Unchanged(Sent(false)));
        }
        let next: FollowUps = record.follow_ups.after_sending(now);
        let payload = EventPayload::FollowUpSent(FollowUpSent {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            attempt: next.sent,
            missing: lead.requirements.missing.clone(),
        });
        let event = event(self.deps, now, actor::FOLLOW_UP, payload);
        // A follow-up changes the trail, not the lead's data: its version stays.
        Ok(Outcome::Changed(Change {
            lead: lead.clone(),
            evidence: None,
            follow_ups: Some(next),
            first_approval: None,
            identity_pending: None,
            events: vec![event],
            extra: Vec::new(),
            output: Sent(true),
        }))
    }
}

/// Sends every follow-up due at the clock's now.
pub async fn run(deps: &Deps, delay: TimeDelta) -> Result<FollowUpRun, AppError> {
    let now = deps.clock.now();
    let cutoff = layout::sortable_time_end(now - delay);
    let mut result = FollowUpRun { sent: 0, skipped: 0, sumsub_decided: 0 };
    for shard in 0..FOLLOW_UP_SHARDS {
        let mut query = Query {
            index: Index::Gsi2,
            partition: layout::follow_up_slots_pk(shard),
            sort: SortKey::Between(String::new(), cutoff.clone()),
            forward: true,
            limit: 100,
            start_after: None,
        };
        let mut handled = 0;
        loop {
            let page = deps.table.query(&query).await?;
            for item in &page.items {
                let slot = LeadRecord::from_indexed_item(item)?;
                let lead = slot.lead.id.as_str();
                match mutate(deps, &slot.tenant, lead, None, None, SendFollowUp { deps, delay }).await {
                    Ok(Sent(true)) => result.sent += 1,
                    Ok(Sent(false)) | Err(AppError::NotFound(_)) => result.skipped += 1,
                    Err(e) => return Err(e),
                }
                handled += 1;
            }
            match page.next {
                Some(next) if handled < MAX_PER_SHARD => query.start_after = Some(next),
                _ => break,
            }
        }
    }
    result.sumsub_decided = crate::sumsub::refresh::refresh_pending(deps).await?;
    if result.sent > 0 {
        tracing::info!(sent = result.sent, skipped = result.skipped, "follow-ups sent");
    }
    Ok(result)
}
