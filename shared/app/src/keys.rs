//! The single-table layout: which key and attributes each kind of item has.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | lead | `T#{tenant}#L#{lead}` | `LEAD` (GSI1 status queue, GSI3 tenant's leads by creation) |
//! | audit event (outbox) | `T#{tenant}#L#{lead}` | `EV#{seq:010}` |
//! | external id guard | `T#{tenant}#X#{external_id}` | `X` |
//! | idempotency record | `T#{tenant}#I#{key}` | `I` (TTL 24 h) |
//! | API key | `K#{sha256(key)}` | `K` |

use chrono::{DateTime, Utc};

use kyc_domain::ids::LeadId;
use kyc_domain::status::Status;

use crate::auth::TenantId;
use crate::table::Key;

pub const KIND: &str = "kind";
pub const KIND_LEAD: &str = "lead";
pub const KIND_EVENT: &str = "event";
pub const LEAD_SK: &str = "LEAD";
pub const EVENT_SK_PREFIX: &str = "EV#";

/// Sort-key form of a time: fixed width, so string order is time order.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn lead_pk(tenant: &TenantId, lead: &LeadId) -> String {
    format!("T#{tenant}#L#{lead}")
}

pub fn lead_key(tenant: &TenantId, lead: &LeadId) -> Key {
    Key::new(lead_pk(tenant, lead), LEAD_SK)
}

pub fn event_key(tenant: &TenantId, lead: &LeadId, seq: u64) -> Key {
    Key::new(lead_pk(tenant, lead), format!("{EVENT_SK_PREFIX}{seq:010}"))
}

/// GSI1: one partition per tenant and status, oldest status change first.
pub fn status_queue_pk(tenant: &TenantId, status: Status) -> String {
    format!("T#{tenant}#S#{status}")
}

pub fn status_queue_sk(status_changed_at: DateTime<Utc>, lead: &LeadId) -> String {
    format!("{}#{lead}", sortable_time(status_changed_at))
}

/// GSI3: every lead of a tenant, by creation time.
pub fn tenant_leads_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#LEADS")
}

pub fn tenant_leads_sk(created_at: DateTime<Utc>, lead: &LeadId) -> String {
    format!("{}#{lead}", sortable_time(created_at))
}

/// GSI3 also holds every audit event of a tenant, in commit order.
pub fn tenant_events_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#EVENTS")
}

pub fn tenant_events_sk(at: DateTime<Utc>, event: &kyc_domain::ids::EventId) -> String {
    format!("{}#{event}", sortable_time(at))
}

pub fn external_id_key(tenant: &TenantId, external_id: &str) -> Key {
    Key::new(format!("T#{tenant}#X#{external_id}"), "X")
}

pub fn idempotency_key(tenant: &TenantId, key: &str) -> Key {
    Key::new(format!("T#{tenant}#I#{key}"), "I")
}

pub fn api_key_key(key_hash: &str) -> Key {
    Key::new(format!("K#{key_hash}"), "K")
}
