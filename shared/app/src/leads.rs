//! Lead use cases: create, read, list, patch, change status, add notes, read the trail.
//!
//! Every change is one read of the lead item (which carries the head of its audit
//! chain) and ONE transaction: the lead conditioned on the chain head it was read at,
//! its new audit event (the outbox record), and any guard or idempotency record. A
//! concurrent writer fails the condition instead of forking the chain, and is retried
//! from a fresh read, so nothing is lost and nothing applies twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use kyc_domain::audit::{Action, AuditEvent, ChainHead, EventDraft};
use kyc_domain::followup::FollowUps;
use kyc_domain::ids::{EventId, LeadId};
use kyc_domain::input::{LeadData, LeadInput};
use kyc_domain::lead::{Lead, LeadObject, LeadType, Level, RejectionReason, Source};
use kyc_domain::requirement::{Evidence, evaluate};
use kyc_domain::status::{Decision, DecisionOrigin, Status, transition};
use kyc_domain::validation::Errors;

use crate::Deps;
use crate::auth::TenantId;
use crate::cursor;
use crate::error::AppError;
use crate::idempotency::{Idempotency, StoredResponse, transact_recorded};
use crate::keys;
use crate::table::{Attr, Condition, Index, Item, PageKey, Query, SortKey, TableError, Write};

/// Attempts of a read-modify-write before answering `concurrent_modification`. Each
/// failed attempt means another writer committed, so N concurrent writers all succeed
/// while N <= MAX_ATTEMPTS.
const MAX_ATTEMPTS: u32 = 32;
/// Pages one list request may read while filtering, before it returns what it has.
const MAX_PAGES_PER_LIST: usize = 20;

/// A lead as stored: the public lead, the evidence behind its requirements, and the
/// head of its audit chain.
#[derive(Debug, Clone)]
pub struct LeadRecord {
    pub tenant: TenantId,
    pub lead: Lead,
    pub evidence: Evidence,
    pub follow_ups: FollowUps,
    pub head: ChainHead,
}

#[derive(Serialize, Deserialize)]
struct StoredLead {
    lead: Lead,
    #[serde(default)]
    evidence: Evidence,
    #[serde(default)]
    follow_ups: FollowUps,
}

/// Follow-up slots spread over a few GSI2 partitions, so the job's reads do not all
/// land on one.
pub const FOLLOW_UP_SHARDS: u32 = 4;

pub fn follow_up_shard(lead: &LeadId) -> u32 {
    lead.as_str().bytes().last().map_or(0, |b| u32::from(b) % FOLLOW_UP_SHARDS)
}

impl LeadRecord {
    pub fn to_item(&self) -> Item {
        let lead = &self.lead;
        let stored = StoredLead { lead: lead.clone(), evidence: self.evidence.clone(), follow_ups: self.follow_ups };
        let body = serde_json::to_string(&stored).unwrap_or_default();
        let item = Item::new(keys::lead_key(&self.tenant, &lead.id), body)
            .with_s(keys::KIND, keys::KIND_LEAD)
            .with_s("tenant", self.tenant.as_str())
            .with_n("version", lead.version as i64)
            .with_n("audit_seq", self.head.seq as i64)
            .with_s("audit_hash", &self.head.hash)
            .with_s("gsi1pk", keys::status_queue_pk(&self.tenant, lead.status))
            .with_s("gsi1sk", keys::status_queue_sk(lead.status_changed_at, &lead.id))
            .with_s("gsi3pk", keys::tenant_leads_pk(&self.tenant))
            .with_s("gsi3sk", keys::tenant_leads_sk(lead.created_at, &lead.id));
        // Sparse GSI2: only a lead that may still get a follow-up carries a slot.
        match self.follow_ups.anchor(lead) {
            Some(anchor) => item
                .with_s("gsi2pk", format!("FU#{}", follow_up_shard(&lead.id)))
                .with_s("gsi2sk", format!("{}#{}#{}", keys::sortable_time(anchor), self.tenant, lead.id)),
            None => item,
        }
    }

    pub fn from_item(tenant: &TenantId, item: &Item) -> Result<LeadRecord, AppError> {
        let stored: StoredLead = serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("lead item", &e))?;
        let seq = item.n("audit_seq").unwrap_or(0);
        Ok(LeadRecord {
            tenant: tenant.clone(),
            lead: stored.lead,
            evidence: stored.evidence,
            follow_ups: stored.follow_ups,
            head: ChainHead {
                seq: u64::try_from(seq).unwrap_or(0),
                hash: item.s("audit_hash").unwrap_or(kyc_domain::GENESIS_HASH).to_string(),
            },
        })
    }

    /// The conditional put that replaces this lead only if its chain head is still `seen`.
    fn put_after(&self, seen: &ChainHead) -> Write {
        Write::Put {
            item: self.to_item(),
            condition: Condition::AttrEquals("audit_seq".into(), Attr::N(seen.seq as i64)),
        }
    }
}

pub fn event_item(tenant: &TenantId, lead: &Lead, event: &AuditEvent) -> Item {
    Item::new(keys::event_key(tenant, &lead.id, event.seq), serde_json::to_string(event).unwrap_or_default())
        .with_s(keys::KIND, keys::KIND_EVENT)
        .with_s("tenant", tenant.as_str())
        .with_s("lead_id", lead.id.as_str())
        .with_n("lead_version", lead.version as i64)
        // The tenant's events in commit order, for `GET /v1/events`.
        .with_s("gsi3pk", keys::tenant_events_pk(tenant))
        .with_s("gsi3sk", keys::tenant_events_sk(event.at, &event.id))
}

pub(crate) fn put_new(item: Item) -> Write {
    Write::Put { item, condition: Condition::NotExists }
}

/// A response that can be replayed for an idempotency key.
pub trait Replayable: Serialize {
    fn etag(&self) -> Option<String>;
}

impl Replayable for Lead {
    fn etag(&self) -> Option<String> {
        Some(etag(self.version))
    }
}

pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

fn stored_response<T: Replayable>(status: u16, output: &T) -> StoredResponse {
    StoredResponse { status, body: serde_json::to_value(output).unwrap_or(Value::Null), etag: output.etag() }
}

pub(crate) fn actor(reviewer: Option<&str>) -> String {
    reviewer.map_or_else(|| "api".to_string(), |r| format!("reviewer:{r}"))
}

pub(crate) fn draft(deps: &Deps, at: DateTime<Utc>, actor: String, action: Action, data: Value) -> EventDraft {
    EventDraft {
        id: EventId::from_uuid(deps.ids.uuid()),
        at,
        actor,
        action,
        from_status: None,
        to_status: None,
        reasons: None,
        note: None,
        data,
    }
}

// ---------------------------------------------------------------------------- create

pub async fn create_lead(
    deps: &Deps,
    tenant: &TenantId,
    input: LeadInput,
    idempotency: Option<&Idempotency>,
) -> Result<Lead, AppError> {
    let now = deps.clock.now();
    let data = input.validate(now.date_naive()).map_err(AppError::Validation)?;
    let mut lead = new_lead(LeadId::from_uuid(deps.ids.uuid()), data, Source::Api, now);
    let evidence = Evidence::default();
    lead.requirements = evaluate(&lead, &evidence);

    let data = json!({ "lead_id": lead.id, "lead_version": lead.version, "source": lead.source,
                       "type": lead.lead_type, "level": lead.level });
    let event = draft(deps, now, actor(None), Action::LeadCreated, data).chain(&ChainHead::genesis());
    let record =
        LeadRecord { tenant: tenant.clone(), lead, evidence, follow_ups: FollowUps::default(), head: event.head() };

    let mut writes = vec![put_new(record.to_item()), put_new(event_item(tenant, &record.lead, &event))];
    let guard_at = record.lead.external_id.as_ref().map(|external_id| {
        let body = json!({ "lead_id": record.lead.id }).to_string();
        writes.push(put_new(Item::new(keys::external_id_key(tenant, external_id), body)));
        writes.len() - 1
    });
    // Behavioural counters (leads per IP / device per hour) for risk scoring, and the
    // funnel metrics.
    writes.extend(crate::scoring::velocity_writes(tenant, &record.lead, now));
    writes.extend(crate::metrics::on_created(tenant, &record.lead));
    let recorded = idempotency.map(|i| (i, stored_response(201, &record.lead)));
    match transact_recorded(deps.table.as_ref(), writes, recorded).await {
        Ok(()) => Ok(record.lead),
        Err(AppError::Store(TableError::ConditionFailed { index })) if Some(index) == guard_at => {
            let external_id = record.lead.external_id.as_deref().unwrap_or_default();
            Err(AppError::DuplicateExternalId(existing_holder(deps, tenant, external_id).await?))
        }
        Err(e) => Err(e),
    }
}

async fn existing_holder(deps: &Deps, tenant: &TenantId, external_id: &str) -> Result<LeadId, AppError> {
    let item = deps.table.get(&keys::external_id_key(tenant, external_id)).await?;
    item.and_then(|i| serde_json::from_str::<Value>(&i.body).ok())
        .and_then(|v| v.get("lead_id").and_then(Value::as_str).and_then(LeadId::parse))
        .ok_or_else(|| AppError::Internal("external id guard without its lead".into()))
}

/// A lead as first created from validated data (`not_started`, version 1).
pub fn new_lead(id: LeadId, data: LeadData, source: Source, now: DateTime<Utc>) -> Lead {
    Lead {
        id,
        object: LeadObject::Lead,
        lead_type: data.lead_type,
        status: Status::NotStarted,
        level: data.level,
        source,
        external_id: data.external_id,
        email: data.email,
        individual: data.individual,
        business: data.business,
        address: data.address,
        signals: data.signals,
        requirements: Default::default(),
        risk: None,
        compliance_flags: Vec::new(),
        rejection: None,
        metadata: data.metadata,
        version: 1,
        created_at: now,
        updated_at: now,
        status_changed_at: now,
    }
}

// ------------------------------------------------------------------------------ read

pub async fn load(deps: &Deps, tenant: &TenantId, id: &str) -> Result<LeadRecord, AppError> {
    let id = LeadId::parse(id).ok_or(AppError::NotFound("lead"))?;
    let item = deps.table.get(&keys::lead_key(tenant, &id)).await?.ok_or(AppError::NotFound("lead"))?;
    LeadRecord::from_item(tenant, &item)
}

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

#[derive(Debug, Serialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Newest first (or oldest first), filtered; the review queue is `status=under_review`.
pub async fn list_leads(deps: &Deps, tenant: &TenantId, filter: &LeadFilter) -> Result<ListPage<Lead>, AppError> {
    let (index, partition, sort) = match filter.status {
        Some(status) => (Index::Gsi1, keys::status_queue_pk(tenant, status), SortKey::Any),
        None => {
            // Narrow the index range by creation time; the exact bounds are applied below.
            let sort = if filter.created_after.is_some() || filter.created_before.is_some() {
                SortKey::Between(
                    filter.created_after.map(keys::sortable_time).unwrap_or_default(),
                    filter.created_before.map_or_else(|| "~".to_string(), keys::sortable_time),
                )
            } else {
                SortKey::Any
            };
            (Index::Gsi3, keys::tenant_leads_pk(tenant), sort)
        }
    };
    let mut start_after = filter.cursor.as_deref().map(|c| cursor::decode(c, index, &partition)).transpose()?;
    let limit = filter.limit.clamp(1, 100) as usize;
    let mut data = Vec::with_capacity(limit);
    for _ in 0..MAX_PAGES_PER_LIST {
        let query = Query {
            index,
            partition: partition.clone(),
            sort: sort.clone(),
            forward: filter.oldest_first,
            limit: limit as u32,
            start_after: start_after.clone(),
        };
        let page = deps.table.query(&query).await?;
        for item in &page.items {
            let lead = LeadRecord::from_item(tenant, item)?.lead;
            start_after = Some(PageKey::of(item, index));
            if filter.admits(&lead) {
                data.push(lead);
                if data.len() == limit {
                    let next_cursor = start_after.map(|k| cursor::encode(index, &partition, &k));
                    return Ok(ListPage { data, next_cursor });
                }
            }
        }
        if page.next.is_none() {
            return Ok(ListPage { data, next_cursor: None });
        }
        start_after = page.next;
    }
    // Filtering read many pages without filling one answer: hand back what was read so far.
    let next_cursor = start_after.map(|k| cursor::encode(index, &partition, &k));
    Ok(ListPage { data, next_cursor })
}

pub async fn audit_trail(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    limit: u32,
    after: Option<&str>,
) -> Result<ListPage<AuditEvent>, AppError> {
    let id = LeadId::parse(id).ok_or(AppError::NotFound("lead"))?;
    let partition = keys::lead_pk(tenant, &id);
    let start_after = after.map(|c| cursor::decode(c, Index::Primary, &partition)).transpose()?;
    let query = Query {
        index: Index::Primary,
        partition: partition.clone(),
        sort: SortKey::BeginsWith(keys::EVENT_SK_PREFIX.into()),
        forward: true,
        limit: limit.clamp(1, 100),
        start_after: start_after.clone(),
    };
    let page = deps.table.query(&query).await?;
    // Every lead has its `lead.created` event, so an empty first page means no such lead.
    if page.items.is_empty() && start_after.is_none() {
        return Err(AppError::NotFound("lead"));
    }
    let data = page
        .items
        .iter()
        .map(|i| serde_json::from_str::<AuditEvent>(&i.body))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::unreadable("audit event", &e))?;
    let next_cursor = page.next.map(|k| cursor::encode(Index::Primary, &partition, &k));
    Ok(ListPage { data, next_cursor })
}

// ---------------------------------------------------------------- read-modify-write

/// What a change makes of a lead.
#[allow(clippy::large_enum_variant)] // built once per request, never stored
pub(crate) enum Outcome<T> {
    /// Nothing to write; answer this.
    Unchanged(T),
    Changed(Change<T>),
}

/// A change to commit: the lead as it becomes, its audit events (chained in order),
/// and other items written in the same transaction.
pub(crate) struct Change<T> {
    pub lead: Lead,
    /// New evidence behind the requirements (`None`: unchanged).
    pub evidence: Option<Evidence>,
    /// New follow-up state (`None`: unchanged).
    pub follow_ups: Option<FollowUps>,
    pub events: Vec<EventDraft>,
    pub extra: Vec<Write>,
    pub output: T,
}

impl<T> Change<T> {
    pub fn one(lead: Lead, event: EventDraft, output: T) -> Outcome<T> {
        Outcome::Changed(Change {
            lead,
            evidence: None,
            follow_ups: None,
            events: vec![event],
            extra: Vec::new(),
            output,
        })
    }
}

/// Reads the lead, applies `change`, and commits the result in one transaction,
/// retrying from a fresh read when a concurrent writer got there first.
pub(crate) async fn mutate<T: Replayable>(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    if_match: Option<u64>,
    idempotency: Option<(&Idempotency, u16)>,
    change: impl AsyncChange<T>,
) -> Result<T, AppError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let record = load(deps, tenant, id).await?;
        if if_match.is_some_and(|expected| record.lead.version != expected) {
            return Err(AppError::VersionConflict { current: record.lead.version });
        }
        let now = deps.clock.now();
        let change = match change.apply(&record, now).await? {
            Outcome::Unchanged(output) => return Ok(output),
            Outcome::Changed(change) => change,
        };
        let mut head = record.head.clone();
        let mut event_writes = Vec::with_capacity(change.events.len());
        for draft in change.events {
            let event = draft.chain(&head);
            head = event.head();
            event_writes.push(put_new(event_item(tenant, &change.lead, &event)));
        }
        let evidence = change.evidence.unwrap_or_else(|| record.evidence.clone());
        let follow_ups = change.follow_ups.unwrap_or(record.follow_ups);
        let after = LeadRecord { tenant: tenant.clone(), lead: change.lead, evidence, follow_ups, head };
        let mut writes = vec![after.put_after(&record.head)];
        writes.extend(event_writes);
        writes.extend(change.extra);
        writes.extend(crate::metrics::on_change(tenant, &record.lead, &after.lead, now));
        let recorded = idempotency.map(|(i, status)| (i, stored_response(status, &change.output)));
        match transact_recorded(deps.table.as_ref(), writes, recorded).await {
            Ok(()) => return Ok(change.output),
            // Another writer moved the lead on: read it again and retry.
            Err(AppError::Store(TableError::ConditionFailed { .. } | TableError::Conflict)) => backoff(attempt).await,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Contention)
}

/// A change computed from the lead as read; it may read more (documents, lists).
#[async_trait::async_trait]
pub(crate) trait AsyncChange<T>: Send + Sync {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<T>, AppError>;
}

/// Plain closures are changes too.
#[async_trait::async_trait]
impl<T, F> AsyncChange<T> for F
where
    F: Fn(&LeadRecord, DateTime<Utc>) -> Result<Outcome<T>, AppError> + Send + Sync,
    T: Send,
{
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<T>, AppError> {
        self(record, now)
    }
}

async fn backoff(attempt: u32) {
    let jitter = rand::rng().random_range(1..=8u64);
    tokio::time::sleep(Duration::from_millis(jitter * u64::from(attempt.min(6)))).await;
}

// ------------------------------------------------------------------------------ patch

/// Top-level fields a PATCH may carry (merge-patch, RFC 7396).
const PATCHABLE: [&str; 7] = ["email", "individual", "business", "address", "signals", "level", "metadata"];

pub async fn patch_lead(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    patch: Value,
    if_match: Option<u64>,
) -> Result<Lead, AppError> {
    let Value::Object(patch) = patch else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    let mut errors = Errors::default();
    for key in patch.keys() {
        if ["type", "external_id"].contains(&key.as_str()) {
            errors.add(key.as_str(), "cannot be changed after the lead is created");
        } else if key == "sumsub_share_token" {
            errors.add(key.as_str(), "Sumsub share-token import is not available in this version");
        } else if !PATCHABLE.contains(&key.as_str()) {
            errors.add(key.as_str(), "is not a field that PATCH can change");
        } else if key == "level" && patch[key].is_null() {
            errors.add("level", "cannot be removed; set basic, enhanced or premium");
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors.0));
    }
    mutate(deps, tenant, id, if_match, None, |record: &LeadRecord, now: DateTime<Utc>| {
        let lead = &record.lead;
        let current = patchable_fields(lead);
        let mut merged = current.clone();
        merge_patch(&mut merged, &Value::Object(patch.clone()));
        let changed: Vec<String> =
            PATCHABLE.iter().filter(|k| current.get(**k) != merged.get(**k)).map(|k| k.to_string()).collect();
        if changed.is_empty() {
            return Ok(Outcome::Unchanged(lead.clone()));
        }
        if lead.is_decided() && changed.iter().any(|k| k != "metadata") {
            return Err(AppError::LeadDecided);
        }
        let mut as_input = merged;
        as_input.insert("type".into(), serde_json::to_value(lead.lead_type).unwrap_or(Value::Null));
        let input: LeadInput = parse_body(Value::Object(as_input))?;
        let data = input.validate(now.date_naive()).map_err(AppError::Validation)?;
        let mut next = lead.clone();
        next.email = data.email;
        next.individual = data.individual;
        next.business = data.business;
        next.address = data.address;
        next.signals = data.signals;
        next.level = data.level;
        next.metadata = data.metadata;
        next.requirements = evaluate(&next, &record.evidence);
        next.version = lead.version + 1;
        next.updated_at = now;
        let data = json!({ "lead_id": lead.id, "lead_version": next.version, "changed": changed });
        let event = draft(deps, now, actor(None), Action::LeadUpdated, data);
        Ok(Change::one(next.clone(), event, next))
    })
    .await
}

/// The lead's patchable fields as JSON, absent ones left out (merge-patch treats null
/// as "remove").
fn patchable_fields(lead: &Lead) -> Map<String, Value> {
    let all = json!({ "email": lead.email, "individual": lead.individual, "business": lead.business,
                      "address": lead.address, "signals": lead.signals, "level": lead.level,
                      "metadata": lead.metadata });
    match all {
        // Absent, null and empty metadata are one state, so removing it is no change.
        Value::Object(map) => map
            .into_iter()
            .filter(|(k, v)| !(v.is_null() || (k == "metadata" && v.as_object().is_some_and(Map::is_empty))))
            .collect(),
        _ => Map::new(),
    }
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut Map<String, Value>, patch: &Value) {
    let Value::Object(patch) = patch else { return };
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(_) => {
                let entry = target.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(inner) = entry {
                    merge_patch(inner, value);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Deserializes a JSON value into a request type, naming the offending field by its
/// dotted path (`address.country`, `business.directors.0.first_name`).
pub fn parse_body<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path: Vec<String> = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = e.inner().to_string();
        // serde names an unknown field in its message; make it part of the path.
        if let Some(name) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            if path.last().map(String::as_str) != Some(name) {
                path.push(name.to_string());
            }
            let field = path.join(".");
            return AppError::field(&field, "is not a known field");
        }
        let field = if path.is_empty() { "body".to_string() } else { path.join(".") };
        AppError::field(&field, message)
    })
}

// ----------------------------------------------------------------------------- status

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
    let mut reasons = input.reasons.clone().unwrap_or_default();
    reasons.sort();
    reasons.dedup();
    let is_final = input.is_final.unwrap_or(false);
    mutate(deps, tenant, id, if_match, idempotency.map(|i| (i, 200)), |record: &LeadRecord, now: DateTime<Utc>| {
        let decision = Decision {
            to,
            reasons: reasons.clone(),
            note: input.note.clone(),
            is_final,
            origin: DecisionOrigin::Manual,
            at: now,
        };
        let next = transition(&record.lead, &decision)?;
        let mut data = json!({ "lead_id": next.id, "lead_version": next.version });
        if let Some(reviewer) = &input.reviewer {
            data["reviewer"] = json!(reviewer);
        }
        if to == Status::Rejected {
            data["final"] = json!(is_final);
        }
        let mut event = draft(deps, now, actor(input.reviewer.as_deref()), Action::StatusChanged, data);
        event.from_status = Some(record.lead.status);
        event.to_status = Some(to);
        event.reasons = (!decision.reasons.is_empty()).then(|| decision.reasons.clone());
        event.note = decision.note.clone();
        Ok(Change::one(next.clone(), event, next))
    })
    .await
}

// ------------------------------------------------------------------------------ notes

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

impl Replayable for Note {
    fn etag(&self) -> Option<String> {
        None
    }
}

pub async fn add_note(
    deps: &Deps,
    tenant: &TenantId,
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
    mutate(deps, tenant, id, None, idempotency.map(|i| (i, 201)), |record: &LeadRecord, now: DateTime<Utc>| {
        let lead = &record.lead;
        let mut data = json!({ "lead_id": lead.id, "lead_version": lead.version });
        if let Some(reviewer) = &input.reviewer {
            data["reviewer"] = json!(reviewer);
        }
        let mut event = draft(deps, now, actor(input.reviewer.as_deref()), Action::NoteAdded, data);
        event.note = Some(body.clone());
        let note = Note {
            id: event.id.clone(),
            object: "note",
            lead_id: lead.id.clone(),
            body: body.clone(),
            reviewer: input.reviewer.clone(),
            created_at: now,
        };
        // A note changes the trail, not the lead's data: its version stays.
        Ok(Change::one(lead.clone(), event, note))
    })
    .await
}
