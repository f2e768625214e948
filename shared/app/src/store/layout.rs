//! The single-table layout: every key, index key and object key the service writes.
//! Nothing else in the code base formats one, so this file is the whole storage map.
//!
//! | item | pk | sk | indexes |
//! | --- | --- | --- | --- |
//! | lead | `T#{tenant}#L#{lead}` | `LEAD` | GSI1 status queue, GSI2 follow-up slot (sparse), GSI3 tenant's leads |
//! | document | `T#{tenant}#L#{lead}` | `DOC#{doc}` | |
//! | audit event (outbox) | `T#{tenant}#L#{lead}` | `EV#{seq:010}` | GSI3 tenant's events in commit order |
//! | external id guard | `T#{tenant}#X#{external_id}` | `X` | |
//! | idempotency record | `T#{tenant}#I#{api key id}#{key}` | `I` (TTL 24 h) | |
//! | file hash index | `T#{tenant}#H#{sha256}` | `{lead}#{doc}` | |
//! | velocity counter | `T#{tenant}#V#{sha256(signal:value)}` | `H#{yyyymmddhh}` (TTL 3 h) | |
//! | webhook endpoint | `T#{tenant}` | `WH#{endpoint}` | |
//! | delivery attempt | `T#{tenant}#WH#{endpoint}` | `D#{delivery}` (TTL 30 d) | |
//! | delivery pointer | `T#{tenant}#DEL#{delivery}` | `DEL` (TTL 30 d) | |
//! | day counters | `T#{tenant}#M#{yyyy-mm-dd}` | `C#{shard}` | |
//! | pipeline counters | `T#{tenant}#P` | `C#{shard}` | |
//! | API key | `K#{sha256(key)}` | `K` | |
//! | KYC link | `LT#{sha256(token)}` | `LT` (TTL: 30 d after expiry) | |
//! | import (report, checkpoint) | `T#{tenant}#IMP#{import}` | `IMP` | |
//! | import row errors | `T#{tenant}#IMP#{import}` | `ERR#{row:010}` | |
//! | Sumsub applicant | `SUMSUB#{applicant}` | `SUMSUB` | GSI2 pending import (sparse) |
//!
//! Objects: `documents/{tenant}/{lead}/{doc}`, `imports/{tenant}/{import}`.

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use kyc_domain::ids::{DeliveryId, DocumentId, EndpointId, EventId, ImportId, LeadId};
use kyc_domain::status::Status;

use crate::ports::table::{Index, IndexEntry, Key};
use crate::tenant::TenantId;

// ------------------------------------------------------------------ attribute names

/// What an item is (the stream filter passes only `event` items to the relay).
pub const KIND: &str = "kind";
pub const KIND_LEAD: &str = "lead";
pub const KIND_EVENT: &str = "event";
pub const KIND_DOCUMENT: &str = "document";
pub const KIND_ENDPOINT: &str = "webhook_endpoint";
pub const KIND_DELIVERY: &str = "delivery";
/// The tenant an item belongs to, as an attribute (stream records and index reads).
pub const TENANT: &str = "tenant";
pub const LEAD_ID: &str = "lead_id";
pub const LEAD_VERSION: &str = "lead_version";
pub const VERSION: &str = "version";
/// The lead's audit chain head: appending is conditioned on it.
pub const AUDIT_SEQ: &str = "audit_seq";
pub const AUDIT_HASH: &str = "audit_hash";
/// A document's status, for "still waiting for its file" conditions.
pub const DOCUMENT_STATUS: &str = "status";
/// An endpoint's version stamp, for guarded replaces.
pub const UPDATED: &str = "updated";

/// Sort-key form of a time: fixed width, so string order is time order.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The upper bound of every sort key that starts with `sortable_time(at)`.
pub fn sortable_time_end(at: DateTime<Utc>) -> String {
    format!("{}~", sortable_time(at))
}

// ------------------------------------------------------------------ a lead's partition

pub const LEAD_SK: &str = "LEAD";
pub const EVENT_SK_PREFIX: &str = "EV#";
pub const DOCUMENT_SK_PREFIX: &str = "DOC#";

pub fn lead_pk(tenant: &TenantId, lead: &LeadId) -> String {
    format!("T#{tenant}#L#{lead}")
}

pub fn lead_key(tenant: &TenantId, lead: &LeadId) -> Key {
    Key::new(lead_pk(tenant, lead), LEAD_SK)
}

pub fn event_key(tenant: &TenantId, lead: &LeadId, seq: u64) -> Key {
    Key::new(lead_pk(tenant, lead), format!("{EVENT_SK_PREFIX}{seq:010}"))
}

pub fn document_key(tenant: &TenantId, lead: &LeadId, doc: &DocumentId) -> Key {
    Key::new(lead_pk(tenant, lead), format!("{DOCUMENT_SK_PREFIX}{doc}"))
}

/// How many scoring attempts of a document found the verifier unavailable: an atomic
/// counter beside the document, so that the last attempt knows it is the last.
pub fn verifier_outages_key(tenant: &TenantId, lead: &LeadId, doc: &DocumentId) -> Key {
    Key::new(lead_pk(tenant, lead), format!("VO#{doc}"))
}

/// The counter's number attribute.
pub const VERIFIER_OUTAGES: &str = "outages";

// ------------------------------------------------------------------ secondary indexes

/// GSI1: one partition per tenant and status, oldest status change first.
pub fn status_queue_pk(tenant: &TenantId, status: Status) -> String {
    format!("T#{tenant}#S#{status}")
}

pub fn status_queue_entry(tenant: &TenantId, status: Status, changed_at: DateTime<Utc>, lead: &LeadId) -> IndexEntry {
    IndexEntry {
        index: Index::Gsi1,
        pk: status_queue_pk(tenant, status),
        sk: format!("{}#{lead}", sortable_time(changed_at)),
    }
}

/// GSI2: follow-up slots, spread over a few partitions so that the job's reads do not
/// all land on one. Only a lead that may still get a follow-up carries a slot.
pub const FOLLOW_UP_SHARDS: u32 = 4;

pub fn follow_up_slots_pk(shard: u32) -> String {
    format!("FU#{shard}")
}

pub fn follow_up_entry(tenant: &TenantId, lead: &LeadId, anchor: DateTime<Utc>) -> IndexEntry {
    let shard = lead.as_str().bytes().last().map_or(0, |b| u32::from(b) % FOLLOW_UP_SHARDS);
    IndexEntry {
        index: Index::Gsi2,
        pk: follow_up_slots_pk(shard),
        sk: format!("{}#{tenant}#{lead}", sortable_time(anchor)),
    }
}

/// GSI2: Sumsub imports still waiting for Sumsub's answer, by when they were last read,
/// for the follow-up job's fallback re-read. Only a pending import's applicant item
/// carries one.
pub const SUMSUB_PENDING_PK: &str = "SUMSUB#PENDING";

pub fn sumsub_pending_entry(applicant_id: &str, read_at: DateTime<Utc>) -> IndexEntry {
    IndexEntry {
        index: Index::Gsi2,
        pk: SUMSUB_PENDING_PK.to_string(),
        sk: format!("{}#{applicant_id}", sortable_time(read_at)),
    }
}

/// GSI3: every lead of a tenant, by creation time.
pub fn tenant_leads_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#LEADS")
}

pub fn tenant_leads_entry(tenant: &TenantId, created_at: DateTime<Utc>, lead: &LeadId) -> IndexEntry {
    IndexEntry { index: Index::Gsi3, pk: tenant_leads_pk(tenant), sk: format!("{}#{lead}", sortable_time(created_at)) }
}

/// GSI3 also holds every audit event of a tenant, in commit order.
pub fn tenant_events_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#EVENTS")
}

pub fn tenant_events_entry(tenant: &TenantId, at: DateTime<Utc>, event: &EventId) -> IndexEntry {
    IndexEntry { index: Index::Gsi3, pk: tenant_events_pk(tenant), sk: format!("{}#{event}", sortable_time(at)) }
}

// ------------------------------------------------------------------ guards and records

pub fn external_id_key(tenant: &TenantId, external_id: &str) -> Key {
    Key::new(format!("T#{tenant}#X#{external_id}"), "X")
}

/// Idempotency keys are scoped to the API key that sent them (`scope`: its id).
pub fn idempotency_key(tenant: &TenantId, scope: &str, key: &str) -> Key {
    Key::new(format!("T#{tenant}#I#{scope}#{key}"), "I")
}

pub fn api_key_key(key_hash: &str) -> Key {
    Key::new(format!("K#{key_hash}"), "K")
}

/// A KYC link, found by its token's SHA-256 (the token itself is never stored).
pub fn link_token_key(token_hash: &str) -> Key {
    Key::new(format!("LT#{token_hash}"), "LT")
}

/// An import: its report, status and checkpoint.
pub fn import_key(tenant: &TenantId, import: &ImportId) -> Key {
    Key::new(import_pk(tenant, import), "IMP")
}

pub fn import_pk(tenant: &TenantId, import: &ImportId) -> String {
    format!("T#{tenant}#IMP#{import}")
}

pub const IMPORT_ERRORS_SK_PREFIX: &str = "ERR#";

/// The errors of one row of an import (rows sort by number).
pub fn import_row_errors_key(tenant: &TenantId, import: &ImportId, row: u64) -> Key {
    Key::new(import_pk(tenant, import), format!("{IMPORT_ERRORS_SK_PREFIX}{row:010}"))
}

/// A Sumsub applicant's lead (tenant and lead id), for Sumsub's `applicantReviewed`
/// webhook, which names only the applicant. Applicant ids are Sumsub's, unique across
/// its accounts.
pub fn sumsub_applicant_key(applicant_id: &str) -> Key {
    Key::new(format!("SUMSUB#{applicant_id}"), "SUMSUB")
}

/// Which leads hold a file with this SHA-256 (duplicate documents across leads).
pub fn file_hash_pk(tenant: &TenantId, sha256: &str) -> String {
    format!("T#{tenant}#H#{sha256}")
}

pub fn file_hash_key(tenant: &TenantId, sha256: &str, lead: &LeadId, doc: &DocumentId) -> Key {
    Key::new(file_hash_pk(tenant, sha256), format!("{lead}#{doc}"))
}

/// Whether a file-hash entry belongs to `lead`.
pub fn file_hash_entry_is_of(key: &Key, lead: &LeadId) -> bool {
    key.sk.split('#').next() == Some(lead.as_str())
}

/// Counter of "leads created from this signal value in this hour": the value is
/// hashed, the table never holds a raw IP address or device id as a key.
pub fn velocity_key(tenant: &TenantId, signal: &str, value: &str, at: DateTime<Utc>) -> Key {
    let digest = hex::encode(Sha256::digest(format!("{signal}:{value}").as_bytes()));
    Key::new(format!("T#{tenant}#V#{digest}"), format!("H#{}", at.format("%Y%m%d%H")))
}

// ------------------------------------------------------------------ webhooks

pub const ENDPOINT_SK_PREFIX: &str = "WH#";
pub const DELIVERY_SK_PREFIX: &str = "D#";

/// The partition of a tenant's own settings (its webhook endpoints).
pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

pub fn endpoint_key(tenant: &TenantId, id: &EndpointId) -> Key {
    Key::new(tenant_pk(tenant), format!("{ENDPOINT_SK_PREFIX}{id}"))
}

pub fn deliveries_pk(tenant: &TenantId, endpoint: &EndpointId) -> String {
    format!("T#{tenant}#WH#{endpoint}")
}

pub fn delivery_key(tenant: &TenantId, endpoint: &EndpointId, delivery: &DeliveryId) -> Key {
    Key::new(deliveries_pk(tenant, endpoint), format!("{DELIVERY_SK_PREFIX}{delivery}"))
}

/// Finds a delivery by id alone (manual retries): its endpoint and event.
pub fn delivery_pointer_key(tenant: &TenantId, delivery: &DeliveryId) -> Key {
    Key::new(format!("T#{tenant}#DEL#{delivery}"), "DEL")
}

// ------------------------------------------------------------------ counters

pub const COUNTER_SK_PREFIX: &str = "C#";

pub fn day_counters_pk(tenant: &TenantId, day: NaiveDate) -> String {
    format!("T#{tenant}#M#{day}")
}

pub fn pipeline_counters_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}#P")
}

pub fn counter_key(pk: String, shard: u32) -> Key {
    Key::new(pk, format!("{COUNTER_SK_PREFIX}{shard}"))
}

// ------------------------------------------------------------------ objects

/// `documents/{tenant}/{lead}/{doc}`: the one object key a document's file may have.
pub fn document_object_key(tenant: &TenantId, lead: &LeadId, doc: &DocumentId) -> String {
    format!("documents/{tenant}/{lead}/{doc}")
}

/// The parts of an object key, if it is one of ours.
pub fn parse_document_object_key(key: &str) -> Option<(TenantId, LeadId, DocumentId)> {
    let rest = key.strip_prefix("documents/")?;
    let mut parts = rest.split('/');
    let (tenant, lead, doc) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((TenantId::parse(tenant)?, LeadId::parse(lead)?, DocumentId::parse(doc)?))
}

/// `imports/{tenant}/{import}`: the one object key an import's file may have.
pub fn import_object_key(tenant: &TenantId, import: &ImportId) -> String {
    format!("imports/{tenant}/{import}")
}

/// The parts of an import's object key, if it is one of ours.
pub fn parse_import_object_key(key: &str) -> Option<(TenantId, ImportId)> {
    let (tenant, import) = key.strip_prefix("imports/")?.split_once('/')?;
    Some((TenantId::parse(tenant)?, ImportId::parse(import)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_round_trip_and_foreign_keys_are_refused() {
        let tenant = TenantId::parse("acme").expect("tenant");
        let lead = LeadId::from_uuid(uuid::Uuid::now_v7());
        let doc = DocumentId::from_uuid(uuid::Uuid::now_v7());
        let key = document_object_key(&tenant, &lead, &doc);
        assert_eq!(parse_document_object_key(&key), Some((tenant, lead, doc)));
        for bad in ["imports/acme/x", "documents/acme", "documents/a#b/lead_x/doc_y", &format!("{key}/extra")] {
            assert_eq!(parse_document_object_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn import_object_keys_round_trip_and_foreign_keys_are_refused() {
        let tenant = TenantId::parse("acme").expect("tenant");
        let import = ImportId::from_uuid(uuid::Uuid::now_v7());
        let key = import_object_key(&tenant, &import);
        assert_eq!(parse_import_object_key(&key), Some((tenant, import)));
        for bad in ["documents/acme/x", "imports/acme", "imports/acme/imp_x", &format!("{key}/extra")] {
            assert_eq!(parse_import_object_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_file_hash_entry_names_its_lead() {
        let tenant = TenantId::parse("acme").expect("tenant");
        let lead = LeadId::from_uuid(uuid::Uuid::now_v7());
        let other = LeadId::from_uuid(uuid::Uuid::now_v7());
        let doc = DocumentId::from_uuid(uuid::Uuid::now_v7());
        let key = file_hash_key(&tenant, "ab", &lead, &doc);
        assert!(file_hash_entry_is_of(&key, &lead));
        assert!(!file_hash_entry_is_of(&key, &other));
    }
}
