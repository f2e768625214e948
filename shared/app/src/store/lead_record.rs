//! A lead as stored: the public lead, the evidence behind its requirements, its
//! follow-up state and the head of its audit chain, with its index entries; and the
//! audit events appended to its partition.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kyc_domain::audit::{AuditEvent, ChainHead};
use kyc_domain::lead::Lead;
use kyc_domain::lead::followup::FollowUps;
use kyc_domain::requirement::Evidence;

use crate::error::AppError;
use crate::json;
use crate::ports::table::{Attr, Condition, Item, Write};
use crate::store::layout;
use crate::tenant::TenantId;

#[derive(Debug, Clone)]
pub struct LeadRecord {
    pub tenant: TenantId,
    pub lead: Lead,
    pub evidence: Evidence,
    pub follow_ups: FollowUps,
    /// The first of two approvals a high-risk lead needs (four eyes), while it stands.
    pub first_approval: Option<FirstApproval>,
    /// A change of who the lead names whose identity documents were not re-checked in
    /// its write (too many to fit): the lead waits with `identity_changed`.
    pub identity_pending: bool,
    pub head: ChainHead,
}

/// Who gave a lead its first approval, and when (kept with the lead, not shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstApproval {
    pub actor: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredLead {
    lead: Lead,
    #[serde(default)]
    evidence: Evidence,
    #[serde(default)]
    follow_ups: FollowUps,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_approval: Option<FirstApproval>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    identity_pending: bool,
}

impl LeadRecord {
    pub fn to_item(&self) -> Result<Item, AppError> {
        let lead = &self.lead;
        let stored = StoredLead {
            lead: lead.clone(),
            evidence: self.evidence.clone(),
            follow_ups: self.follow_ups,
            first_approval: self.first_approval.clone(),
            identity_pending: self.identity_pending,
        };
        let item = Item::new(layout::lead_key(&self.tenant, &lead.id), json::to_body("lead", &stored)?)
            .with_s(layout::KIND, layout::KIND_LEAD)
            .with_s(layout::TENANT, self.tenant.as_str())
            .with_n(layout::VERSION, lead.version as i64)
            .with_n(layout::AUDIT_SEQ, self.head.seq as i64)
            .with_s(layout::AUDIT_HASH, &self.head.hash)
            .in_index(layout::status_queue_entry(&self.tenant, lead.status, lead.status_changed_at, &lead.id))
            .in_index(layout::tenant_leads_entry(&self.tenant, lead.created_at, &lead.id));
        // Sparse GSI2: only a lead that may still get a follow-up carries a slot.
        Ok(match self.follow_ups.anchor(lead) {
            Some(anchor) => item.in_index(layout::follow_up_entry(&self.tenant, &lead.id, anchor)),
            None => item,
        })
    }

    pub fn from_item(tenant: &TenantId, item: &Item) -> Result<LeadRecord, AppError> {
        let stored: StoredLead = json::from_body("lead item", &item.body)?;
        let seq = item.n(layout::AUDIT_SEQ).ok_or_else(|| AppError::internal("lead item without its chain head"))?;
        let hash = item.s(layout::AUDIT_HASH).ok_or_else(|| AppError::internal("lead item without its chain hash"))?;
        // Capabilities derive from the lead: one stored before they existed shows them
        // right too (every write stores them as computed).
        let mut lead = stored.lead;
        lead.capabilities = kyc_domain::sumsub::capabilities(&lead);
        Ok(LeadRecord {
            tenant: tenant.clone(),
            lead,
            evidence: stored.evidence,
            follow_ups: stored.follow_ups,
            first_approval: stored.first_approval,
            identity_pending: stored.identity_pending,
            head: ChainHead {
                seq: u64::try_from(seq).map_err(|e| AppError::internal_from("negative chain head", e))?,
                hash: hash.to_string(),
            },
        })
    }

    /// A stored lead read through an index (its tenant is an attribute of the item).
    pub fn from_indexed_item(item: &Item) -> Result<LeadRecord, AppError> {
        let tenant = item
            .s(layout::TENANT)
            .and_then(TenantId::parse)
            .ok_or_else(|| AppError::internal("lead item without its tenant"))?;
        LeadRecord::from_item(&tenant, item)
    }

    /// The conditional put that replaces this lead only if its chain head is still `seen`.
    pub fn put_after(&self, seen: &ChainHead) -> Result<Write, AppError> {
        Ok(Write::Put {
            item: self.to_item()?,
            condition: Condition::AttrEquals(layout::AUDIT_SEQ.into(), Attr::N(seen.seq as i64)),
        })
    }
}

/// An audit event in its lead's partition, and in the tenant's event feed (GSI3).
pub fn event_item(tenant: &TenantId, lead: &Lead, event: &AuditEvent) -> Result<Item, AppError> {
    Ok(Item::new(layout::event_key(tenant, &lead.id, event.seq), json::to_body("audit event", event)?)
        .with_s(layout::KIND, layout::KIND_EVENT)
        .with_s(layout::TENANT, tenant.as_str())
        .with_s(layout::LEAD_ID, lead.id.as_str())
        .with_n(layout::LEAD_VERSION, lead.version as i64)
        .in_index(layout::tenant_events_entry(tenant, event.at, &event.id)))
}

/// A new item, written only if nothing is stored under its key.
pub fn put_new(item: Item) -> Write {
    Write::Put { item, condition: Condition::NotExists }
}
