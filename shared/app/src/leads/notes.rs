//! Reviewers' notes on a lead: part of its trail, not of its data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kyc_domain::events::{EventPayload, NoteAdded};
use kyc_domain::ids::{EventId, LeadId};
use kyc_domain::lead::{Hold, ReviewReason};
use kyc_domain::status::Status;
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::auth::Principal;
use crate::error::AppError;
use crate::store::idempotency::{Idempotency, Replayable};
use crate::store::unit_of_work::event;
use crate::store::{Change, LeadRecord, mutate};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    pub body: Option<String>,
    pub reviewer: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Note {
    pub id: EventId,
    pub object: &'static str,
    pub lead_id: LeadId,
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Replayable for Note {}

pub async fn add_note(
    deps: &Deps,
    by: &Principal,
    id: &str,
    input: NoteInput,
    idempotency: Option<&Idempotency>,
) -> Result<Note, AppError> {
    let mut errors = Errors::default();
    let body = errors.required("body", &input.body).cloned();
    if let Some(body) = &body {
        errors.text("body", body, 1, 5000);
    }
    if let Some(reviewer) = &input.reviewer {
        errors.line("reviewer", reviewer, 100);
    }
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors.0));
    };
    mutate(deps, &by.tenant, id, None, idempotency, |record: &LeadRecord, now: DateTime<Utc>| {
        let lead = &record.lead;
        // A person's note on a lead under review holds it: automation stops moving it.
        let mut next = lead.clone();
        if lead.status == Status::UnderReview && lead.hold.is_none() {
            next.hold = Some(Hold { actor: by.audit_actor(), at: now });
            next.review_reasons.push(ReviewReason::HeldByReviewer);
            next.review_reasons.sort_unstable();
            next.review_reasons.dedup();
            next.version = lead.version + 1;
            next.updated_at = now;
        }
        let payload = EventPayload::NoteAdded(NoteAdded {
            lead_id: lead.id.clone(),
            lead_version: next.version,
            reviewer_label: input.reviewer.clone(),
        });
        let mut event = event(deps, now, by.audit_actor(), payload);
        event.note = Some(body.clone());
        let note = Note {
            id: event.id.clone(),
            object: "note",
            lead_id: lead.id.clone(),
            body: body.clone(),
            reviewer: input.reviewer.clone(),
            created_at: now,
        };
        // A note changes the trail, not the lead's data: its version stays, unless the
        // note starts a hold.
        Ok(Change::one(next, event, note))
    })
    .await
}
