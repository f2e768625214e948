//! A person's decision on a lead: approve, reject with reasons, send to review.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kyc_domain::events::{self, EventPayload, StatusChangeOrigin, StatusChanged};
use kyc_domain::lead::{Lead, RejectionReason};
use kyc_domain::status::{
    Decision, DecisionOrigin, Status, TransitionError, hold_after_manual_move, needs_two_approvals, transition,
};
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::auth::Principal;
use crate::error::AppError;
use crate::store::idempotency::{Idempotency, Replayable};
use crate::store::lead_record::FirstApproval;
use crate::store::unit_of_work::event;
use crate::store::{Change, LeadRecord, Outcome, mutate};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeInput {
    pub status: Option<Status>,
    pub reasons: Option<Vec<RejectionReason>>,
    pub note: Option<String>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
    pub reviewer: Option<String>,
}

/// The integrator's reasons in the order given, exact repeats dropped.
fn distinct_in_order(reasons: &[RejectionReason]) -> Vec<RejectionReason> {
    let mut out: Vec<RejectionReason> = Vec::with_capacity(reasons.len());
    for reason in reasons {
        if !out.contains(reason) {
            out.push(*reason);
        }
    }
    out
}

/// What a decision did: moved the lead, or recorded the first of two approvals.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum StatusAnswer {
    Moved(Lead),
    /// Four eyes: the lead stays `under_review` until another person approves it too.
    FirstApproval(Lead),
}

impl StatusAnswer {
    pub fn lead(&self) -> &Lead {
        match self {
            StatusAnswer::Moved(lead) | StatusAnswer::FirstApproval(lead) => lead,
        }
    }
}

impl Replayable for StatusAnswer {
    fn etag(&self) -> Option<String> {
        self.lead().etag()
    }

    fn status(&self) -> Option<u16> {
        matches!(self, StatusAnswer::FirstApproval(_)).then_some(202)
    }
}

pub async fn change_status(
    deps: &Deps,
    by: &Principal,
    id: &str,
    input: StatusChangeInput,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
) -> Result<StatusAnswer, AppError> {
    let mut errors = Errors::default();
    let to = errors.required("status", &input.status).copied();
    if let Some(note) = &input.note {
        errors.text("note", note, 1, 2000);
    }
    if let Some(reviewer) = &input.reviewer {
        errors.line("reviewer", reviewer, 100);
    }
    let Some(to) = to.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors.0));
    };
    let reasons = distinct_in_order(input.reasons.as_deref().unwrap_or_default());
    let is_final = input.is_final.unwrap_or(false);
    let actor = by.audit_actor();
    mutate(deps, &by.tenant, id, if_match, idempotency, |record: &LeadRecord, now: DateTime<Utc>| {
        let decision = Decision {
            to,
            reasons: reasons.clone(),
            note: input.note.clone(),
            is_final,
            origin: DecisionOrigin::Manual,
            at: now,
        };
        let moved = transition(&record.lead, &decision)?;
        if to == Status::Approved && needs_two_approvals(&record.lead) {
            match &record.first_approval {
                None => return Ok(first_approval(deps, record, &actor, input.reviewer.clone(), now)),
                Some(first) if first.actor == actor => return Err(TransitionError::SecondApprovalRequired.into()),
                Some(_) => {}
            }
        }
        let next = hold_after_manual_move(moved, &actor, now);
        let payload = EventPayload::StatusChanged(StatusChanged {
            lead_id: next.id.clone(),
            lead_version: next.version,
            origin: StatusChangeOrigin::Manual {
                reviewer_label: input.reviewer.clone(),
                // `final` is recorded for rejections only.
                is_final: (to == Status::Rejected).then_some(is_final),
            },
            capabilities: None,
        });
        let mut event = event(deps, now, actor.clone(), payload);
        event.from_status = Some(record.lead.status);
        event.to_status = Some(to);
        event.reasons = (!decision.reasons.is_empty()).then(|| decision.reasons.clone());
        event.note = decision.note.clone();
        Ok(Change::one(next.clone(), event, StatusAnswer::Moved(next)))
    })
    .await
}

/// The first of two approvals: a change of the lead (its version moves, which voids
/// nothing but this), recorded with its actor; the lead stays under review.
fn first_approval(
    deps: &Deps,
    record: &LeadRecord,
    actor: &str,
    reviewer_label: Option<String>,
    now: DateTime<Utc>,
) -> Outcome<StatusAnswer> {
    let mut lead = record.lead.clone();
    lead.version += 1;
    lead.updated_at = now;
    let payload = EventPayload::FirstApproval(events::FirstApproval {
        lead_id: lead.id.clone(),
        lead_version: lead.version,
        reviewer_label,
    });
    let event = event(deps, now, actor, payload);
    Outcome::Changed(Change {
        lead: lead.clone(),
        evidence: None,
        follow_ups: None,
        first_approval: Some(FirstApproval { actor: actor.to_string(), at: now }),
        identity_pending: None,
        events: vec![event],
        extra: Vec::new(),
        output: StatusAnswer::FirstApproval(lead),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use RejectionReason::*;

    #[test]
    fn rejection_reasons_keep_the_integrators_order_without_repeats() {
        assert_eq!(distinct_in_order(&[Incomplete, DocumentExpired, Incomplete]), [Incomplete, DocumentExpired]);
    }
}
