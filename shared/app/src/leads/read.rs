//! Reading leads: one lead, the filtered list (the review queue is
//! `status=under_review`), and a lead's audit trail.

use chrono::{DateTime, Utc};

use kyc_domain::audit::AuditEvent;
use kyc_domain::lead::{Lead, LeadType, Level};
use kyc_domain::status::Status;

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::table::{Index, SortKey};
use crate::store::page::{self, ListPage, ListQuery, PageRequest};
use crate::store::{LeadRecord, layout, load};
use crate::tenant::TenantId;

pub async fn get_lead(deps: &Deps, tenant: &TenantId, id: &str) -> Result<Lead, AppError> {
    Ok(load(deps, tenant, id).await?.lead)
}

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<Status>,
    pub level: Option<Level>,
    pub lead_type: Option<LeadType>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub oldest_first: bool,
    pub limit: u32,
    pub cursor: Option<String>,
}

impl LeadFilter {
    fn admits(&self, lead: &Lead) -> bool {
        self.level.is_none_or(|l| lead.level == l)
            && self.lead_type.is_none_or(|t| lead.lead_type == t)
            && self.created_after.is_none_or(|t| lead.created_at > t)
            && self.created_before.is_none_or(|t| lead.created_at < t)
    }
}

/// Newest first (or oldest first), filtered.
pub async fn list_leads(deps: &Deps, tenant: &TenantId, filter: &LeadFilter) -> Result<ListPage<Lead>, AppError> {
    let (index, partition, sort) = match filter.status {
        Some(status) => (Index::Gsi1, layout::status_queue_pk(tenant, status), SortKey::Any),
        None => {
            // Narrow the index range by creation time; the exact bounds are applied below.
            let sort = if filter.created_after.is_some() || filter.created_before.is_some() {
                SortKey::Between(
                    filter.created_after.map(layout::sortable_time).unwrap_or_default(),
                    filter.created_before.map_or_else(|| "~".to_string(), layout::sortable_time),
                )
            } else {
                SortKey::Any
            };
            (Index::Gsi3, layout::tenant_leads_pk(tenant), sort)
        }
    };
    let query = ListQuery {
        index,
        partition,
        sort,
        forward: filter.oldest_first,
        limit: filter.limit,
        cursor: filter.cursor.as_deref(),
        cursor_param: "cursor",
        resume_at_end: false,
    };
    page::list(deps.table.as_ref(), query, |item| {
        let lead = LeadRecord::from_item(tenant, item)?.lead;
        Ok(if filter.admits(&lead) { vec![lead] } else { vec![] })
    })
    .await
}

/// A lead's audit trail, oldest first.
pub async fn audit_trail(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    page: &PageRequest,
) -> Result<ListPage<AuditEvent>, AppError> {
    let id = kyc_domain::ids::LeadId::parse(id).ok_or(AppError::NotFound("lead"))?;
    let query = ListQuery::partition(layout::lead_pk(tenant, &id), layout::EVENT_SK_PREFIX, true, page);
    let trail =
        page::list(deps.table.as_ref(), query, |item| Ok(vec![json::from_body("audit event", &item.body)?])).await?;
    // Every lead has its `lead.created` event, so an empty first page means no such lead.
    if trail.data.is_empty() && page.cursor.is_none() {
        return Err(AppError::NotFound("lead"));
    }
    Ok(trail)
}
