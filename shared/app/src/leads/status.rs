//! A person's decision on a lead: approve, reject with reasons, send to review.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use kyc_domain::events::{EventPayload, StatusChangeOrigin, StatusChanged};
use kyc_domain::lead::{Lead, RejectionReason};
use kyc_domain::status::{Decision, DecisionOrigin, Status, transition};
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::error::AppError;
use crate::store::idempotency::Idempotency;
use crate::store::unit_of_work::{actor, event};
use crate::store::{Change, LeadRecord, mutate};
use crate::tenant::TenantId;

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

pub async fn change_status(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    input: StatusChangeInput,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
) -> Result<Lead, AppError> {
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
    mutate(deps, tenant, id, if_match, idempotency, |record: &LeadRecord, now: DateTime<Utc>| {
        let decision = Decision {
            to,
            reasons: reasons.clone(),
            note: input.note.clone(),
            is_final,
            origin: DecisionOrigin::Manual,
            at: now,
        };
        let next = transition(&record.lead, &decision)?;
        let payload = EventPayload::StatusChanged(StatusChanged {
            lead_id: next.id.clone(),
            lead_version: next.version,
            origin: StatusChangeOrigin::Manual {
                reviewer: input.reviewer.clone(),
                // `final` is recorded for rejections only.
                is_final: (to == Status::Rejected).then_some(is_final),
            },
        });
        let mut event = event(deps, now, actor::api(input.reviewer.as_deref()), payload);
        event.from_status = Some(record.lead.status);
        event.to_status = Some(to);
        event.reasons = (!decision.reasons.is_empty()).then(|| decision.reasons.clone());
        event.note = decision.note.clone();
        Ok(Change::one(next.clone(), event, next))
    })
    .await
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
