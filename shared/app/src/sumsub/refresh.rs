//! The fallback for a lost `applicantReviewed` webhook: the follow-up job re-reads
//! every Sumsub import still pending an hour after it was last read, and maps the
//! answer it finds as the webhook would have (`system:follow-up`). It reads only the
//! pending imports (a sparse index), never every lead. An import still pending is
//! re-read an hour later again; Sumsub failing leaves it for the next run.

use chrono::TimeDelta;

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::table::{Condition, Index, Query, SortKey, Write};
use crate::store::unit_of_work::actor;
use crate::store::{layout, mutate};
use crate::tenant::TenantId;

use super::webhook::WebhookReview;
use super::{ApplicantIndex, ImportReview, applicant_index};

/// How long an import waits for Sumsub's webhook before the job asks Sumsub itself.
pub const WEBHOOK_GRACE: TimeDelta = TimeDelta::hours(1);

/// Pending imports re-read in one run; the next run picks up the rest.
const MAX_PER_RUN: usize = 1000;

/// Re-reads the pending imports last read more than [`WEBHOOK_GRACE`] ago and answers
/// how many learnt Sumsub's final answer.
pub async fn refresh_pending(deps: &Deps) -> Result<usize, AppError> {
    let now = deps.clock.now();
    let mut query = Query {
        index: Index::Gsi2,
        partition: layout::SUMSUB_PENDING_PK.to_string(),
        sort: SortKey::Between(String::new(), layout::sortable_time_end(now - WEBHOOK_GRACE)),
        forward: true,
        limit: 100,
        start_after: None,
    };
    let (mut decided, mut handled) = (0, 0);
    loop {
        let page = deps.table.query(&query).await?;
        for item in &page.items {
            let index: ApplicantIndex = json::from_body("sumsub applicant index", &item.body)?;
            match refresh_one(deps, &index).await {
                Ok(true) => decided += 1,
                Ok(false) => {}
                // Sumsub down or not configured: the import stays pending for the next run.
                Err(AppError::SumsubUnavailable(detail)) => {
                    tracing::warn!(error = %detail, "sumsub unavailable; pending imports are re-read next run");
                    return Ok(decided);
                }
                Err(AppError::SumsubNotConfigured) => {
                    tracing::warn!(tenant = %index.tenant, "a pending sumsub import but no credentials");
                }
                Err(e) => return Err(e),
            }
            handled += 1;
        }
        match page.next {
            Some(next) if handled < MAX_PER_RUN => query.start_after = Some(next),
            _ => break,
        }
    }
    if decided > 0 {
        tracing::info!(decided, "pending sumsub imports decided");
    }
    Ok(decided)
}

/// One pending import: Sumsub's review read and mapped; answers whether it is final.
async fn refresh_one(deps: &Deps, index: &ApplicantIndex) -> Result<bool, AppError> {
    let tenant = TenantId::parse(&index.tenant).ok_or_else(|| AppError::internal("a stored tenant id is invalid"))?;
    let review = deps.sumsub.review(tenant.as_str(), &index.applicant_id).await?;
    let change =
        WebhookReview(ImportReview { deps, actor: actor::FOLLOW_UP.to_string(), patch: None, review: review.clone() });
    let lead = match mutate(deps, &tenant, index.lead_id.as_str(), None, None, change).await {
        Ok(lead) => Some(lead),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let key = layout::sumsub_applicant_key(&index.applicant_id);
    let ours = lead.filter(|l| l.sumsub.as_ref().is_some_and(|s| s.applicant_id == index.applicant_id));
    let write = match ours {
        // The lead no longer names this applicant: the item is stale.
        None => Write::Delete { key, condition: Condition::None },
        // A final answer was written with the lead, out of the pending imports.
        Some(_) if review.is_final_answer() => return Ok(true),
        // Still pending: read again an hour from now.
        Some(lead) => applicant_index(&tenant, &lead, &review, deps.clock.now())?,
    };
    deps.table.transact(vec![write]).await?;
    Ok(false)
}
