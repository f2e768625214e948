//! Creating a lead: validated input, its first audit event, the scoring of its data
//! (risk, the level it calls for, a move to review when it is critical, and their
//! events), the external-id guard and the counters, in one transaction.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use kyc_domain::audit::ChainHead;
use kyc_domain::events::{self, EventPayload};
use kyc_domain::ids::LeadId;
use kyc_domain::lead::followup::FollowUps;
use kyc_domain::lead::input::LeadInput;
use kyc_domain::lead::{Lead, Source};
use kyc_domain::requirement::{Evidence, evaluate};

use crate::Deps;
use crate::auth::Principal;
use crate::error::AppError;
use crate::json;
use crate::ports::table::{Item, TableError, Write};
use crate::scoring::lead::{DataChange, score_data};
use crate::store::idempotency::{self, Idempotency, Replayable};
use crate::store::lead_record::{event_item, put_new};
use crate::store::unit_of_work::{event, stamp_capabilities};
use crate::store::{LeadRecord, counters, layout};
use crate::tenant::TenantId;

/// What the external-id guard item holds: the lead that took the id.
#[derive(serde::Serialize, Deserialize)]
struct ExternalIdGuard {
    lead_id: LeadId,
}

pub async fn create_lead(
    deps: &Deps,
    by: &Principal,
    input: LeadInput,
    idempotency: Option<&Idempotency>,
) -> Result<Lead, AppError> {
    let now = deps.clock.now();
    let fresh = FreshLead::new(deps, input, Source::Api, now)?;
    fresh.commit(deps, &by.tenant, by.audit_actor(), Vec::new(), Vec::new(), idempotency, Lead::clone).await
}

/// A validated lead not stored yet, with its requirements (a lead from the API, or one
/// created with a KYC link).
pub struct FreshLead {
    pub lead: Lead,
    now: DateTime<Utc>,
}

impl FreshLead {
    pub fn new(deps: &Deps, input: LeadInput, source: Source, now: DateTime<Utc>) -> Result<FreshLead, AppError> {
        FreshLead::with_id(LeadId::from_uuid(deps.ids.uuid()), input, source, now)
    }

    /// As [`FreshLead::new`], under an id the caller chose (an import's row key).
    pub fn with_id(id: LeadId, input: LeadInput, source: Source, now: DateTime<Utc>) -> Result<FreshLead, AppError> {
        let data = input.validate(now.date_naive()).map_err(AppError::Validation)?;
        let mut lead = data.into_lead(id, source, now);
        lead.requirements = evaluate(&lead, &Evidence::default());
        Ok(FreshLead { lead, now })
    }

    /// Creates the lead in ONE transaction: the lead, its `lead.created` event, then
    /// `more` events chained after it (all by `actor`), then the events of the scoring
    /// of its data (risk, a level raised by it, a move to review when it is critical),
    /// the external-id guard, the counters, `extra` writes, and the answer made of the
    /// lead as stored under the idempotency key. Answers that answer.
    #[allow(clippy::too_many_arguments)]
    pub async fn commit<T: Replayable>(
        self,
        deps: &Deps,
        tenant: &TenantId,
        actor: String,
        more: Vec<EventPayload>,
        extra: Vec<Write>,
        idempotency: Option<&Idempotency>,
        answer: impl FnOnce(&Lead) -> T,
    ) -> Result<T, AppError> {
        let prepared = self.prepare(deps, tenant, actor, more).await?;
        let answer = answer(&prepared.lead);
        let guard_at = prepared.guard_at;
        let external_id = prepared.lead.external_id.clone();
        let mut writes = prepared.writes;
        writes.extend(prepared.counters);
        writes.extend(extra);
        match idempotency::commit(deps.table.as_ref(), writes, idempotency, &answer).await {
            Ok(()) => Ok(answer),
            Err(AppError::Store(TableError::ConditionFailed { index })) if Some(index) == guard_at => {
                let external_id = external_id.as_deref().unwrap_or_default();
                Err(AppError::DuplicateExternalId(existing_holder(deps, tenant, external_id).await?))
            }
            Err(e) => Err(e),
        }
    }

    /// The writes that create the lead, not committed: the lead, its `lead.created`
    /// event, then `more` events (all by `actor`), the events of the scoring of its
    /// data, and the external-id guard (`guard_at` in `writes`); the counters apart, so
    /// that a batch of leads can merge them (a transaction touches an item once).
    pub async fn prepare(
        self,
        deps: &Deps,
        tenant: &TenantId,
        actor: String,
        more: Vec<EventPayload>,
    ) -> Result<PreparedLead, AppError> {
        let FreshLead { lead, now } = self;
        let created = EventPayload::LeadCreated(events::LeadCreated {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            source: lead.source,
            lead_type: lead.lead_type,
            level: lead.level,
        });
        let drafts: Vec<_> =
            std::iter::once(created).chain(more).map(|payload| event(deps, now, actor.clone(), payload)).collect();
        let evidence = Evidence::default();
        let change = DataChange { tenant, before: None, lead, evidence: &evidence, identity_pending: false };
        let mut scored = score_data(deps, change, now).await?;
        stamp_capabilities(&mut scored.lead, &mut scored.events);

        let mut head = ChainHead::genesis();
        let mut event_items = Vec::with_capacity(drafts.len() + scored.events.len());
        for draft in drafts.into_iter().chain(scored.events) {
            let chained = draft.chain(&head)?;
            head = chained.head();
            event_items.push(put_new(event_item(tenant, &scored.lead, &chained)?));
        }
        let record = LeadRecord {
            tenant: tenant.clone(),
            lead: scored.lead,
            evidence: scored.evidence,
            follow_ups: FollowUps::default(),
            first_approval: None,
            identity_pending: false,
            head,
        };
        let mut writes = vec![put_new(record.to_item()?)];
        writes.extend(event_items);
        let mut guard_at = None;
        if let Some(external_id) = &record.lead.external_id {
            let guard = ExternalIdGuard { lead_id: record.lead.id.clone() };
            writes.push(put_new(Item::new(
                layout::external_id_key(tenant, external_id),
                json::to_body("guard", &guard)?,
            )));
            guard_at = Some(writes.len() - 1);
        }
        // The funnel metrics and the velocity counters (leads per IP / device per hour).
        let counters = counters::on_created(tenant, &record.lead);
        Ok(PreparedLead { lead: record.lead, writes, guard_at, counters })
    }
}

/// A new lead's writes, ready to commit (see [`FreshLead::prepare`]).
pub struct PreparedLead {
    /// The lead as it will be stored.
    pub lead: Lead,
    pub writes: Vec<Write>,
    /// Where in `writes` the external-id guard is (a failed condition there: the id is taken).
    pub guard_at: Option<usize>,
    pub counters: Vec<Write>,
}

async fn existing_holder(deps: &Deps, tenant: &TenantId, external_id: &str) -> Result<LeadId, AppError> {
    let item = deps
        .table
        .get(&layout::external_id_key(tenant, external_id))
        .await?
        .ok_or_else(|| AppError::internal("external id guard vanished after a conflict"))?;
    Ok(json::from_body::<ExternalIdGuard>("external id guard", &item.body)?.lead_id)
}
