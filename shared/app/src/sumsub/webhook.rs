//! Sumsub's `applicantReviewed` webhook (`POST /v1/integrations/sumsub/webhook`, no API
//! key): the body's applicant names the lead (through the applicant index), its
//! tenant's webhook secret must verify `X-Payload-Digest`, and the review is mapped as
//! an import's (`system:sumsub`). Any other webhook type is acknowledged and ignored.

use kyc_domain::sumsub::{SumsubWebhook, payload_digest_is_well_formed, payload_digest_matches};

use super::{ApplicantIndex, ImportReview};
use crate::Deps;
use crate::error::AppError;
use crate::store::unit_of_work::actor;
use crate::store::{AsyncChange, LeadRecord, Outcome, layout, mutate};
use crate::tenant::TenantId;

/// What the webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The review was mapped onto the lead (or it already was).
    Applied,
    /// Not an `applicantReviewed`, or an applicant that is no lead's (any more).
    Ignored,
}

/// Verifies and applies one webhook. `Unauthorized` when the digest does not verify
/// (or the tenant has no webhook secret).
pub async fn receive(
    deps: &Deps,
    body: &[u8],
    digest: Option<&str>,
    algorithm: Option<&str>,
) -> Result<WebhookOutcome, AppError> {
    // A digest that cannot be one is refused before the body is read or a lead looked up.
    if !payload_digest_is_well_formed(algorithm, digest) {
        return Err(AppError::SumsubWebhookUnverified);
    }
    let hook = SumsubWebhook::parse(body)
        .ok_or_else(|| AppError::field("body", "is not a Sumsub webhook (type and applicantId are required)"))?;
    let Some(item) = deps.table.get(&layout::sumsub_applicant_key(&hook.applicant_id)).await? else {
        return Ok(WebhookOutcome::Ignored);
    };
    let index: ApplicantIndex =
        serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("sumsub applicant index", &e))?;
    let tenant = TenantId::parse(&index.tenant).ok_or_else(|| AppError::internal("a stored tenant id is invalid"))?;
    let secret = deps.sumsub.webhook_secret(tenant.as_str()).await?.ok_or(AppError::SumsubWebhookUnverified)?;
    let verified = digest.is_some_and(|d| payload_digest_matches(secret.as_bytes(), body, algorithm, d));
    if !verified {
        return Err(AppError::SumsubWebhookUnverified);
    }
    if hook.kind != "applicantReviewed" {
        return Ok(WebhookOutcome::Ignored);
    }
    let review = hook.review();
    let change = WebhookReview(ImportReview { deps, actor: actor::SUMSUB.to_string(), patch: None, review });
    mutate(deps, &tenant, index.lead_id.as_str(), None, None, change).await?;
    Ok(WebhookOutcome::Applied)
}

/// An import's mapping, skipped when the lead no longer names this applicant or
/// already records this answer (Sumsub delivers at least once).
pub(crate) struct WebhookReview<'a>(pub ImportReview<'a>);

#[async_trait::async_trait]
impl AsyncChange<kyc_domain::lead::Lead> for WebhookReview<'_> {
    async fn apply(
        &self,
        record: &LeadRecord,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Outcome<kyc_domain::lead::Lead>, AppError> {
        let review = &self.0.review;
        let current = record.lead.sumsub.as_ref();
        let ours = current.is_some_and(|s| s.applicant_id == review.applicant_id);
        let known =
            current.is_some_and(|s| s.review_answer == review.answer && s.review_status == review.review_status);
        if !ours || known {
            return Ok(Outcome::Unchanged(record.lead.clone()));
        }
        self.0.apply(record, now).await
    }
}
