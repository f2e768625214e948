//! The tenant's event feed (`GET /v1/events`): every webhook event in commit order,
//! what was or would have been delivered, for reconciliation. One audit event can stand
//! for two webhook events; a page never exceeds its limit and its cursor resumes inside
//! such a pair without a gap or a repeat.

use kyc_domain::audit::AuditEvent;
use kyc_domain::webhook::{EventType, WebhookEvent, events_for};

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::table::{Index, SortKey};
use crate::store::layout;
use crate::store::page::{self, ListPage, ListQuery};
use crate::tenant::TenantId;

/// Webhook events of the tenant after the cursor `after`, optionally of one type.
pub async fn list_events(
    deps: &Deps,
    tenant: &TenantId,
    after: Option<&str>,
    event_type: Option<EventType>,
    limit: u32,
) -> Result<ListPage<WebhookEvent>, AppError> {
    let query = ListQuery {
        index: Index::Gsi3,
        partition: layout::tenant_events_pk(tenant),
        sort: SortKey::Any,
        forward: true,
        limit,
        cursor: after,
        cursor_param: "after",
        // The end for now: a reconciler keeps the last cursor it got and resumes later.
        resume_at_end: true,
    };
    page::list(deps.table.as_ref(), query, |item| {
        let audit: AuditEvent = json::from_body("audit event", &item.body)?;
        Ok(events_for(&audit)?.into_iter().filter(|e| event_type.is_none_or(|t| e.event_type == t)).collect())
    })
    .await
}
