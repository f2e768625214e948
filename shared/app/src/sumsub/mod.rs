//! Sumsub share tokens: redeem a token at once, read the applicant's review, and map it
//! onto the lead in one write (`sumsub.imported` and the status moves it causes), also
//! on an approved or rejected lead (a refresh). The token is never stored, logged or
//! answered: only the applicant id, the answer and the time stay (`Lead.sumsub`).
//!
//! Nothing reaches Sumsub before the lead is found and the rest of the PATCH is valid,
//! and any failure of Sumsub leaves the lead as it was. A lead's applicant is indexed
//! (`layout::sumsub_applicant_key`) so that Sumsub's `applicantReviewed` webhook finds it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use kyc_domain::events::{EventPayload, StatusChangeOrigin, StatusChanged, SumsubImported};
use kyc_domain::ids::LeadId;
use kyc_domain::lead::{Lead, RejectionReason};
use kyc_domain::status::Status;
use kyc_domain::sumsub::{SumsubReview, apply_import};

use crate::Deps;
use crate::auth::Principal;
use crate::error::AppError;
use crate::leads::patch::PatchLead;
use crate::ports::table::{Condition, Item, Write};
use crate::store::idempotency::Idempotency;
use crate::store::unit_of_work::event;
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, layout, load, mutate};
use crate::tenant::TenantId;

pub mod refresh;
pub mod webhook;

/// The PATCH field that carries a share token.
pub const TOKEN_FIELD: &str = "sumsub_share_token";

/// Longest share token accepted (Sumsub's are JWT-like, well under this).
const MAX_TOKEN_CHARS: usize = 4096;

/// The share token of a PATCH body, checked for shape only (Sumsub judges the rest).
/// Errors never quote it.
pub fn share_token(value: Value) -> Result<String, AppError> {
    match value {
        Value::String(token)
            if !token.is_empty()
                && token.chars().count() <= MAX_TOKEN_CHARS
                && token.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(token)
        }
        Value::String(_) => Err(AppError::field(
            TOKEN_FIELD,
            format!("must be 1-{MAX_TOKEN_CHARS} visible ASCII characters, as Sumsub issues it"),
        )),
        _ => Err(AppError::field(TOKEN_FIELD, "must be a string")),
    }
}

/// A PATCH with a share token: the rest of the patch checked against the lead as it
/// stands, the token redeemed (one import, one read: two calls), then the patch, the
/// import and its status moves in one write.
pub(crate) async fn import_into(
    deps: &Deps,
    by: &Principal,
    id: &str,
    if_match: Option<u64>,
    idempotency: Option<&Idempotency>,
    patch: PatchLead<'_>,
    token: String,
) -> Result<Lead, AppError> {
    let record = load(deps, &by.tenant, id).await?;
    if if_match.is_some_and(|expected| record.lead.version != expected) {
        return Err(AppError::VersionConflict { current: record.lead.version });
    }
    // A patch that would be refused is refused before the single-use token is spent.
    patch.apply(&record, deps.clock.now()).await?;
    let applicant_id = deps.sumsub.import_shared(by.tenant.as_str(), &token).await?;
    drop(token);
    let review = deps.sumsub.review(by.tenant.as_str(), &applicant_id).await?;
    tracing::info!(lead_id = %record.lead.id, answer = ?review.answer, "sumsub applicant imported");
    let change = ImportReview { deps, actor: by.audit_actor(), patch: Some(patch), review };
    mutate(deps, &by.tenant, id, if_match, idempotency, change).await
}

/// Maps a review onto the lead (after the PATCH's own changes, if any).
pub(crate) struct ImportReview<'a> {
    pub deps: &'a Deps,
    pub actor: String,
    pub patch: Option<PatchLead<'a>>,
    pub review: SumsubReview,
}

#[async_trait::async_trait]
impl AsyncChange<Lead> for ImportReview<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<Lead>, AppError> {
        let patched = match &self.patch {
            Some(patch) => match patch.apply(record, now).await? {
                Outcome::Changed(change) => Some(change),
                Outcome::Unchanged(_) => None,
            },
            None => None,
        };
        let base = patched.as_ref().map_or(&record.lead, |c| &c.lead);
        let version = record.lead.version + 1;
        let imported = apply_import(base, &self.review, now)?;
        let mut lead = imported.lead;
        lead.version = version;
        lead.updated_at = now;

        let mut events = Vec::new();
        events.push(event(
            self.deps,
            now,
            self.actor.clone(),
            EventPayload::SumsubImported(SumsubImported {
                lead_id: lead.id.clone(),
                lead_version: version,
                applicant_id: self.review.applicant_id.clone(),
                review_answer: self.review.answer,
                review_status: Some(self.review.review_status.clone()),
            }),
        ));
        for (from, to) in imported.moves {
            let payload = EventPayload::StatusChanged(StatusChanged {
                lead_id: lead.id.clone(),
                lead_version: version,
                origin: StatusChangeOrigin::Sumsub { applicant_id: self.review.applicant_id.clone() },
                capabilities: None,
            });
            let mut moved = event(self.deps, now, self.actor.clone(), payload);
            moved.from_status = Some(from);
            moved.to_status = Some(to);
            if to == Status::Rejected {
                moved.reasons = Some(vec![RejectionReason::Other]);
                moved.note = lead.rejection.as_ref().and_then(|r| r.note.clone());
            }
            events.push(moved);
        }
        let mut index = vec![applicant_index(&record.tenant, &lead, &self.review, now)?];
        // A refresh with another applicant: the previous one no longer names this lead.
        if let Some(previous) = record.lead.sumsub.as_ref().filter(|s| s.applicant_id != self.review.applicant_id) {
            index.push(Write::Delete {
                key: layout::sumsub_applicant_key(&previous.applicant_id),
                condition: Condition::None,
            });
        }
        let change = match patched {
            Some(mut change) => {
                change.events.extend(events);
                change.extra.extend(index);
                change.lead = lead.clone();
                change.output = lead;
                change
            }
            None => Change {
                lead: lead.clone(),
                evidence: None,
                follow_ups: None,
                first_approval: None,
                identity_pending: None,
                events,
                extra: index,
                output: lead,
            },
        };
        Ok(Outcome::Changed(change))
    }
}

/// The applicant → lead item that Sumsub's webhook and the follow-up job find a lead
/// by (the webhook names only the applicant).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ApplicantIndex {
    pub tenant: String,
    pub lead_id: LeadId,
    pub applicant_id: String,
}

/// The applicant → lead index item, written with every import and every answer learnt
/// (a refresh rewrites it); while Sumsub's answer is pending it is also in the pending
/// imports (GSI2), by `read_at`, for the follow-up job to re-read after an hour.
pub(crate) fn applicant_index(
    tenant: &TenantId,
    lead: &Lead,
    review: &SumsubReview,
    read_at: DateTime<Utc>,
) -> Result<Write, AppError> {
    let index = ApplicantIndex {
        tenant: tenant.as_str().to_string(),
        lead_id: lead.id.clone(),
        applicant_id: review.applicant_id.clone(),
    };
    let mut item = Item::new(
        layout::sumsub_applicant_key(&review.applicant_id),
        crate::json::to_body("sumsub applicant index", &index)?,
    );
    if !review.is_final_answer() {
        item = item.in_index(layout::sumsub_pending_entry(&review.applicant_id, read_at));
    }
    Ok(Write::Put { item, condition: Condition::None })
}
