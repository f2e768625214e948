//! Scoring a lead's own data, in the same write as its creation or its change: the
//! screening of everyone it names, the velocity of its signals, a re-check of its
//! identity documents when who it names changed, then the domain's verdict
//! (`kyc_domain::risk::judge_data`) turned into the lead, its events and the documents
//! to write. The caller commits all of it in one transaction.

use chrono::{DateTime, Duration, Utc};

use kyc_domain::audit::EventDraft;
use kyc_domain::documents::{Document, DocumentStatus};
use kyc_domain::events::{self, EventPayload};
use kyc_domain::lead::Lead;
use kyc_domain::requirement::Evidence;
use kyc_domain::risk::{DataFacts, DataVerdict, judge_data};
use kyc_domain::verification::{identity_changed, recheck_identity};

use crate::Deps;
use crate::documents::record::{document_item_with_read, documents_with_reads_of, still_verified};
use crate::error::AppError;
use crate::ports::table::Write;
use crate::store::counters::{VELOCITY_COUNTER, velocity_signals};
use crate::store::layout;
use crate::store::unit_of_work::{actor, event};
use crate::tenant::TenantId;

/// The most identity documents one write re-checks: each takes a document put and may
/// take a `document.rejected` event, and a transaction holds at most 100 writes
/// (the lead, its other events, counters and an idempotency record take the rest).
/// A lead with more waits with `identity_changed` for a person.
pub const MAX_RECHECKED_DOCUMENTS: usize = 40;

/// A creation or a change to score.
pub struct DataChange<'a> {
    pub tenant: &'a TenantId,
    /// The lead before the change; `None` at its creation.
    pub before: Option<&'a Lead>,
    /// The lead as the change makes it: its new data, requirements and version.
    pub lead: Lead,
    pub evidence: &'a Evidence,
    /// A change of identity whose documents were not re-checked yet.
    pub identity_pending: bool,
}

/// The scored lead, with the events and writes the scoring adds to the change's.
pub struct ScoredData {
    pub lead: Lead,
    pub evidence: Evidence,
    pub identity_pending: bool,
    pub events: Vec<EventDraft>,
    pub extra: Vec<Write>,
    pub verdict: DataVerdict,
}

/// Scores a new or changed lead. Reads: the lead's documents when it existed before
/// (one query), the velocity counters of the signals it has (two reads each), and the
/// screening list (in memory after its first use).
pub async fn score_data(deps: &Deps, change: DataChange<'_>, now: DateTime<Utc>) -> Result<ScoredData, AppError> {
    let DataChange { tenant, before, lead, evidence, identity_pending } = change;
    let mut stored = match before {
        Some(before) => documents_with_reads_of(deps, tenant, &before.id).await?,
        None => Vec::new(),
    };

    // Who the lead names changed: its identity documents are checked against the new
    // data from what was read of them, in this same write where they fit.
    let mut pending = identity_pending;
    let mut rechecked: Vec<usize> = Vec::new();
    if before.is_some_and(|b| identity_changed(b, &lead)) {
        let today = now.date_naive();
        let updates: Vec<(usize, Document)> = stored
            .iter()
            .enumerate()
            .filter_map(|(i, (doc, read))| recheck_identity(&lead, doc, read.as_ref(), today).map(|d| (i, d)))
            .collect();
        if updates.len() > MAX_RECHECKED_DOCUMENTS {
            tracing::warn!(lead = %lead.id, documents = updates.len(), "too many identity documents to re-check in one write");
            pending = true;
        } else {
            for (i, doc) in updates {
                stored[i].0 = doc;
                rechecked.push(i);
            }
            pending = false;
        }
    }
    let documents: Vec<Document> = stored.iter().map(|(doc, _)| doc.clone()).collect();

    let [(ip, ip_value), (device, device_value)] = velocity_signals(&lead);
    let counted = |signal: &str| before.and_then(|b| velocity_signals(b).into_iter().find(|(s, _)| *s == signal)?.1);
    let leads_same_ip_last_hour = velocity(deps, tenant, ip, ip_value, counted(ip), &lead, now).await?;
    let leads_same_device_last_hour = velocity(deps, tenant, device, device_value, counted(device), &lead, now).await?;
    let screening = deps.risk.screening.screen(&lead).await?;

    let verdict = judge_data(
        DataFacts {
            lead: &lead,
            previous_risk: before.and_then(|b| b.risk.as_ref()),
            evidence,
            documents: &documents,
            leads_same_ip_last_hour,
            leads_same_device_last_hour,
            screening: &screening,
            identity_changed: pending,
        },
        &deps.risk.policy,
        deps.risk.lists,
        now,
    )?;

    let mut extra = Vec::with_capacity(rechecked.len());
    let mut events = Vec::new();
    for i in rechecked {
        let (doc, read) = &stored[i];
        extra.push(Write::Put {
            item: document_item_with_read(tenant, doc, read.as_ref())?,
            condition: still_verified(),
        });
        if doc.status == DocumentStatus::Rejected {
            let rejected = events::DocumentVerdict::of(doc, verdict.lead.version);
            events.push(event(deps, now, actor::RISK_SCORER, EventPayload::DocumentRejected(rejected)));
        }
    }
    events.extend(events_of(deps, &verdict, now));
    Ok(ScoredData {
        lead: verdict.lead.clone(),
        evidence: verdict.evidence.clone(),
        identity_pending: pending,
        events,
        extra,
        verdict,
    })
}

/// The trail of one scoring of the lead's data: scored, raised, moved.
fn events_of(deps: &Deps, verdict: &DataVerdict, now: DateTime<Utc>) -> Vec<EventDraft> {
    let (lead, risk) = (&verdict.lead, &verdict.risk);
    let factors: Vec<String> = risk.factors.iter().map(|f| f.code.clone()).collect();
    let scored = events::RiskScored {
        lead_id: lead.id.clone(),
        lead_version: lead.version,
        document_id: None,
        kind: None,
        score: risk.score,
        level: risk.level,
        policy_version: verdict.policy_version.clone(),
        factors: factors.clone(),
        alert: verdict.alert.then_some(events::RiskAlert {
            code: events::AlertCode::CriticalRisk,
            severity: events::AlertSeverity::Critical,
            score: risk.score,
        }),
    };
    let mut drafts = vec![event(deps, now, actor::RISK_SCORER, EventPayload::RiskScored(scored))];
    if let Some((from, to)) = verdict.raised {
        let raised = events::LevelRaised {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            from,
            to,
            factors: factors.clone(),
            missing: lead.requirements.missing.clone(),
        };
        drafts.push(event(deps, now, actor::RISK_SCORER, EventPayload::LevelRaised(raised)));
    }
    for (from, to) in &verdict.moves {
        let moved = events::StatusChanged {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            origin: events::StatusChangeOrigin::Policy(events::PolicyMove {
                document_id: None,
                kind: None,
                policy_version: verdict.policy_version.clone(),
                factors: factors.clone(),
                risk_level: risk.level,
            }),
            capabilities: None,
        };
        let mut draft = event(deps, now, actor::RISK_SCORER, EventPayload::StatusChanged(moved));
        draft.from_status = Some(*from);
        draft.to_status = Some(*to);
        drafts.push(draft);
    }
    drafts
}

/// Other leads from this signal value in this hour and the one before (the counters
/// that lead creations add). No read without a value. The lead itself is not counted:
/// at its creation its own count is not written yet; later it is subtracted when it
/// was counted under the value it had before this change and in one of these hours.
async fn velocity(
    deps: &Deps,
    tenant: &TenantId,
    signal: &str,
    value: Option<&str>,
    counted_value: Option<&str>,
    lead: &Lead,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let Some(value) = value else { return Ok(0) };
    let hours = [now, now - Duration::hours(1)];
    let mut total = 0i64;
    for at in hours {
        let item = deps.table.get(&layout::velocity_key(tenant, signal, value, at)).await?;
        total += item.and_then(|i| i.n(VELOCITY_COUNTER)).unwrap_or(0);
    }
    let hour = |at: DateTime<Utc>| at.format("%Y%m%d%H").to_string();
    let counted_here = counted_value == Some(value) && hours.iter().any(|at| hour(*at) == hour(lead.created_at));
    Ok(u32::try_from((total - i64::from(counted_here)).max(0)).unwrap_or(u32::MAX))
}
