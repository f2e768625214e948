//! Webhook endpoints (register, change, rotate the secret, delete), their delivery
//! attempts, manual retries, and the tenant's event feed for reconciliation.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use kyc_domain::audit::AuditEvent;
use kyc_domain::ids::{DeliveryId, EndpointId};
use kyc_domain::ssrf::{self, Host, Mode};
use kyc_domain::validation::Errors;
use kyc_domain::webhook::{EventType, WebhookEvent, events_for, new_secret};

use crate::Deps;
use crate::auth::TenantId;
use crate::cursor;
use crate::error::AppError;
use crate::idempotency::{StoredResponse, transact_recorded};
use crate::keys;
use crate::leads::{ListPage, Replayable};
use crate::queue::OutgoingMessage;
use crate::table::{Condition, Index, Item, Key, PageKey, Query, SortKey, TTL_ATTR, Write};

/// During a rotation the previous secret keeps signing for this long.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// Delivery attempts are kept this long.
pub const DELIVERY_RETENTION_DAYS: i64 = 30;
pub const MAX_ENDPOINTS_PER_TENANT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

/// An endpoint as stored (with its secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub id: EndpointId,
    pub url: String,
    /// Event types, or `["*"]`.
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub status: EndpointStatus,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub secret: String,
    #[serde(default)]
    pub previous_secret: Option<String>,
    #[serde(default)]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed (None: healthy).
    #[serde(default)]
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointRecord {
    pub fn subscribes_to(&self, event_type: EventType) -> bool {
        self.events.iter().any(|e| e == "*" || e == event_type.as_str())
    }

    /// The secrets that sign a delivery now: the current one, and the previous one
    /// during the overlap after a rotation.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_expires_at)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// An endpoint as the API shows it; `secret` only on creation and rotation.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub object: &'static str,
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: EndpointStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Replayable for Endpoint {
    fn etag(&self) -> Option<String> {
        None
    }
}

impl EndpointRecord {
    pub fn view(&self, with_secret: bool) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            object: "webhook_endpoint",
            url: self.url.clone(),
            events: self.events.clone(),
            description: self.description.clone(),
            status: self.status,
            disabled_reason: self.disabled_reason.clone(),
            secret: with_secret.then(|| self.secret.clone()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub fn endpoint_key(tenant: &TenantId, id: &EndpointId) -> Key {
    Key::new(format!("T#{tenant}"), format!("WH#{id}"))
}

pub fn endpoint_item(tenant: &TenantId, record: &EndpointRecord) -> Item {
    Item::new(endpoint_key(tenant, &record.id), serde_json::to_string(record).unwrap_or_default())
        .with_s(keys::KIND, "webhook_endpoint")
        .with_s("tenant", tenant.as_str())
        .with_s("updated", record.updated_at.to_rfc3339())
}

/// Replaces an endpoint only if it is still as read, so that the sender's health
/// bookkeeping and an integrator's PATCH never silently overwrite each other.
pub fn guarded_put(tenant: &TenantId, before: &EndpointRecord, after: &EndpointRecord) -> Write {
    let unchanged = Condition::AttrEquals("updated".into(), crate::table::Attr::S(before.updated_at.to_rfc3339()));
    Write::Put { item: endpoint_item(tenant, after), condition: unchanged }
}

fn parse_endpoint(item: &Item) -> Result<EndpointRecord, AppError> {
    serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("endpoint item", &e))
}

pub async fn load_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<EndpointRecord, AppError> {
    let id = EndpointId::parse(id).ok_or(AppError::NotFound("webhook endpoint"))?;
    let item = deps.table.get(&endpoint_key(tenant, &id)).await?.ok_or(AppError::NotFound("webhook endpoint"))?;
    parse_endpoint(&item)
}

/// Every endpoint of a tenant (a small set: at most MAX_ENDPOINTS_PER_TENANT).
pub async fn endpoints_of(deps: &Deps, tenant: &TenantId) -> Result<Vec<EndpointRecord>, AppError> {
    let query = Query {
        index: Index::Primary,
        partition: format!("T#{tenant}"),
        sort: SortKey::BeginsWith("WH#".into()),
        forward: true,
        limit: 1000,
        start_after: None,
    };
    let page = deps.table.query(&query).await?;
    page.items.iter().map(parse_endpoint).collect()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// PATCH only: re-enable (or disable) an endpoint.
    pub status: Option<EndpointStatus>,
}

/// Checks a URL's form, then (outside local mode) every address its host resolves
/// to: no private, loopback, link-local or metadata address is ever a target.
pub async fn check_endpoint_url(url: &str, mode: Mode) -> Result<(), String> {
    let target = ssrf::check_url(url, mode).map_err(|e| e.to_string())?;
    if let Host::Name(name) = &target.host {
        let addresses = tokio::net::lookup_host((name.as_str(), target.port))
            .await
            .map_err(|_| format!("the host `{name}` does not resolve"))?;
        let mut any = false;
        for address in addresses {
            ssrf::check_ip(address.ip(), mode).map_err(|e| e.to_string())?;
            any = true;
        }
        if !any {
            return Err(format!("the host `{name}` does not resolve"));
        }
    }
    Ok(())
}

async fn validate_input(deps: &Deps, input: &EndpointInput, creating: bool) -> Result<(), AppError> {
    let mut e = Errors::default();
    match (&input.url, creating) {
        (None, true) => e.add("url", "is required"),
        (Some(url), _) if url.len() > 2048 => e.add("url", "must be at most 2048 characters"),
        (Some(url), _) => {
            if let Err(reason) = check_endpoint_url(url, deps.mode).await {
                e.add("url", reason);
            }
        }
        (None, false) => {}
    }
    match (&input.events, creating) {
        (None, true) => e.add("events", "is required: a list of event types, or [\"*\"]"),
        (Some(events), _) if events.is_empty() => e.add("events", "must name at least one event type, or \"*\""),
        (Some(events), _) => {
            for (i, event) in events.iter().enumerate() {
                if event != "*" && event.parse::<EventType>().is_err() {
                    e.add(format!("events.{i}"), "is not an event type (kyc.lead_created, kyc.status_updated, ...)");
                }
            }
        }
        (None, false) => {}
    }
    if let Some(description) = &input.description {
        e.text("description", description, 0, 500);
    }
    if creating && input.status.is_some() {
        e.add("status", "is set by PATCH only");
    }
    if e.is_empty() { Ok(()) } else { Err(AppError::Validation(e.0)) }
}

/// An endpoint answer as an idempotency key stores it.
fn response(status: u16, view: &Endpoint) -> StoredResponse {
    StoredResponse { status, body: serde_json::to_value(view).unwrap_or_default(), etag: None }
}

fn fresh_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    new_secret(bytes)
}

fn unique(events: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = events.iter().collect();
    if set.iter().any(|e| e.as_str() == "*") { vec!["*".to_string()] } else { set.into_iter().cloned().collect() }
}

pub async fn create_endpoint(
    deps: &Deps,
    tenant: &TenantId,
    input: EndpointInput,
    idempotency: Option<&crate::idempotency::Idempotency>,
) -> Result<Endpoint, AppError> {
    validate_input(deps, &input, true).await?;
    if endpoints_of(deps, tenant).await?.len() >= MAX_ENDPOINTS_PER_TENANT {
        return Err(AppError::field("url", format!("a tenant has at most {MAX_ENDPOINTS_PER_TENANT} endpoints")));
    }
    let now = deps.clock.now();
    let record = EndpointRecord {
        id: EndpointId::from_uuid(deps.ids.uuid()),
        url: input.url.unwrap_or_default(),
        events: unique(&input.events.unwrap_or_default()),
        description: input.description,
        status: EndpointStatus::Enabled,
        disabled_reason: None,
        secret: fresh_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    let view = record.view(true);
    let writes = vec![Write::Put { item: endpoint_item(tenant, &record), condition: Condition::NotExists }];
    transact_recorded(deps.table.as_ref(), writes, idempotency.map(|i| (i, response(201, &view)))).await?;
    tracing::info!(endpoint = %record.id, "webhook endpoint created");
    Ok(view)
}

pub async fn list_endpoints(deps: &Deps, tenant: &TenantId) -> Result<ListPage<Endpoint>, AppError> {
    let data = endpoints_of(deps, tenant).await?.iter().map(|r| r.view(false)).collect();
    Ok(ListPage { data, next_cursor: None })
}

pub async fn get_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<Endpoint, AppError> {
    Ok(load_endpoint(deps, tenant, id).await?.view(false))
}

async fn replace(
    deps: &Deps,
    tenant: &TenantId,
    before: &EndpointRecord,
    after: &EndpointRecord,
) -> Result<(), AppError> {
    match deps.table.transact(vec![guarded_put(tenant, before, after)]).await {
        Ok(()) => Ok(()),
        Err(crate::table::TableError::ConditionFailed { .. }) => Err(AppError::Contention),
        Err(e) => Err(e.into()),
    }
}

pub async fn update_endpoint(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    input: EndpointInput,
) -> Result<Endpoint, AppError> {
    validate_input(deps, &input, false).await?;
    let before = load_endpoint(deps, tenant, id).await?;
    let mut after = before.clone();
    if let Some(url) = input.url {
        after.url = url;
    }
    if let Some(events) = input.events {
        after.events = unique(&events);
    }
    if input.description.is_some() {
        after.description = input.description;
    }
    if let Some(status) = input.status {
        after.status = status;
        after.disabled_reason = (status == EndpointStatus::Disabled).then(|| "disabled by the integrator".to_string());
        if status == EndpointStatus::Enabled {
            after.failing_since = None;
        }
    }
    after.updated_at = deps.clock.now().max(before.updated_at + Duration::milliseconds(1));
    replace(deps, tenant, &before, &after).await?;
    Ok(after.view(false))
}

pub async fn delete_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<(), AppError> {
    let record = load_endpoint(deps, tenant, id).await?;
    deps.table
        .transact(vec![Write::Delete { key: endpoint_key(tenant, &record.id), condition: Condition::Exists }])
        .await?;
    Ok(())
}

/// A new secret; the previous one keeps signing (as a second signature) for 24 hours.
pub async fn rotate_secret(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    idempotency: Option<&crate::idempotency::Idempotency>,
) -> Result<Endpoint, AppError> {
    let before = load_endpoint(deps, tenant, id).await?;
    let now = deps.clock.now();
    let mut after = before.clone();
    after.previous_secret = Some(before.secret.clone());
    after.previous_secret_expires_at = Some(now + Duration::hours(ROTATION_OVERLAP_HOURS));
    after.secret = fresh_secret();
    after.updated_at = now.max(before.updated_at + Duration::milliseconds(1));
    let view = after.view(true);
    // A retried rotation must not rotate twice (the original secret would stop signing).
    let writes = vec![guarded_put(tenant, &before, &after)];
    match transact_recorded(deps.table.as_ref(), writes, idempotency.map(|i| (i, response(200, &view)))).await {
        Err(AppError::Store(crate::table::TableError::ConditionFailed { .. })) => return Err(AppError::Contention),
        other => other?,
    }
    tracing::info!(endpoint = %after.id, "webhook secret rotated");
    Ok(view)
}

// ------------------------------------------------------------------ deliveries

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One delivery attempt, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub object: String,
    pub endpoint_id: EndpointId,
    pub event_id: kyc_domain::ids::EventId,
    pub event_type: EventType,
    pub attempt: u32,
    pub status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    /// The first KiB of the response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

impl Replayable for Delivery {
    fn etag(&self) -> Option<String> {
        None
    }
}

/// What travels on the deliveries queue: one event for one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant: TenantId,
    pub endpoint_id: EndpointId,
    pub event: WebhookEvent,
    /// The attempt number of this message's first receive (1, or more for a manual retry).
    pub first_attempt: u32,
    /// A manual retry is one attempt, with no schedule after it.
    #[serde(default)]
    pub manual: bool,
}

pub fn delivery_key(tenant: &TenantId, endpoint: &EndpointId, delivery: &DeliveryId) -> Key {
    Key::new(format!("T#{tenant}#WH#{endpoint}"), format!("D#{delivery}"))
}

/// Finds a delivery by id (for manual retries): `T#{tenant}#DEL#{id}` → its endpoint and event.
pub fn delivery_pointer_key(tenant: &TenantId, delivery: &DeliveryId) -> Key {
    Key::new(format!("T#{tenant}#DEL#{delivery}"), "DEL")
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryPointer {
    endpoint_id: EndpointId,
    event: WebhookEvent,
    attempt: u32,
}

/// The writes that record one attempt (the attempt and its pointer, both kept 30 days).
pub fn record_attempt(tenant: &TenantId, delivery: &Delivery, event: &WebhookEvent) -> Vec<Write> {
    let ttl = (delivery.at + Duration::days(DELIVERY_RETENTION_DAYS)).timestamp();
    let item = Item::new(
        delivery_key(tenant, &delivery.endpoint_id, &delivery.id),
        serde_json::to_string(delivery).unwrap_or_default(),
    )
    .with_s(keys::KIND, "delivery")
    .with_n(TTL_ATTR, ttl);
    let pointer =
        DeliveryPointer { endpoint_id: delivery.endpoint_id.clone(), event: event.clone(), attempt: delivery.attempt };
    let pointer =
        Item::new(delivery_pointer_key(tenant, &delivery.id), serde_json::to_string(&pointer).unwrap_or_default())
            .with_n(TTL_ATTR, ttl);
    vec![Write::Put { item, condition: Condition::None }, Write::Put { item: pointer, condition: Condition::None }]
}

pub async fn list_deliveries(
    deps: &Deps,
    tenant: &TenantId,
    endpoint: &str,
    limit: u32,
    after: Option<&str>,
) -> Result<ListPage<Delivery>, AppError> {
    let record = load_endpoint(deps, tenant, endpoint).await?;
    let partition = format!("T#{tenant}#WH#{}", record.id);
    let start_after = after.map(|c| cursor::decode(c, Index::Primary, &partition)).transpose()?;
    let query = Query {
        index: Index::Primary,
        partition: partition.clone(),
        sort: SortKey::BeginsWith("D#".into()),
        forward: false,
        limit: limit.clamp(1, 100),
        start_after,
    };
    let page = deps.table.query(&query).await?;
    let data = page
        .items
        .iter()
        .map(|i| serde_json::from_str::<Delivery>(&i.body))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::unreadable("delivery", &e))?;
    Ok(ListPage { data, next_cursor: page.next.map(|k| cursor::encode(Index::Primary, &partition, &k)) })
}

/// Queues one more attempt of a delivery's event to its endpoint, now.
pub async fn retry_delivery(deps: &Deps, tenant: &TenantId, delivery: &str) -> Result<Value, AppError> {
    let id = DeliveryId::parse(delivery).ok_or(AppError::NotFound("delivery"))?;
    let item = deps.table.get(&delivery_pointer_key(tenant, &id)).await?.ok_or(AppError::NotFound("delivery"))?;
    let pointer: DeliveryPointer =
        serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("delivery pointer", &e))?;
    let endpoint = load_endpoint(deps, tenant, pointer.endpoint_id.as_str()).await?;
    if endpoint.status == EndpointStatus::Disabled {
        return Err(AppError::EndpointDisabled);
    }
    let latest = latest_attempt(deps, tenant, &endpoint.id, &pointer.event).await?.max(pointer.attempt);
    let message = DeliveryMessage {
        tenant: tenant.clone(),
        endpoint_id: endpoint.id.clone(),
        event: pointer.event.clone(),
        first_attempt: latest + 1,
        manual: true,
    };
    let body = serde_json::to_string(&message).map_err(|e| AppError::Internal(e.to_string()))?;
    deps.queue.send(vec![OutgoingMessage { body, delay: std::time::Duration::ZERO }]).await?;
    Ok(
        serde_json::json!({ "object": "delivery_retry", "delivery_id": id, "event_id": pointer.event.id, "endpoint_id": endpoint.id, "attempt": latest + 1, "status": "pending" }),
    )
}

/// The highest attempt number recorded for an event at an endpoint.
async fn latest_attempt(
    deps: &Deps,
    tenant: &TenantId,
    endpoint: &EndpointId,
    event: &WebhookEvent,
) -> Result<u32, AppError> {
    let mut query = Query {
        index: Index::Primary,
        partition: format!("T#{tenant}#WH#{endpoint}"),
        sort: SortKey::BeginsWith("D#".into()),
        forward: false,
        limit: 100,
        start_after: None,
    };
    let mut latest = 0;
    for _ in 0..10 {
        let page = deps.table.query(&query).await?;
        for item in &page.items {
            if let Ok(d) = serde_json::from_str::<Delivery>(&item.body)
                && d.event_id == event.id
            {
                latest = latest.max(d.attempt);
            }
        }
        match page.next {
            Some(next) => query.start_after = Some(next),
            None => break,
        }
    }
    Ok(latest)
}

// ---------------------------------------------------------------------- events

/// Every webhook event of the tenant in commit order (what was, or would have been,
/// delivered), after `after`, optionally of one type.
pub async fn list_events(
    deps: &Deps,
    tenant: &TenantId,
    after: Option<&str>,
    event_type: Option<EventType>,
    limit: u32,
) -> Result<ListPage<WebhookEvent>, AppError> {
    let partition = keys::tenant_events_pk(tenant);
    let mut start_after: Option<PageKey> =
        after.map(|c| cursor::decode_param("after", c, Index::Gsi3, &partition)).transpose()?;
    let limit = limit.clamp(1, 100) as usize;
    let mut data = Vec::with_capacity(limit);
    for _ in 0..20 {
        let query = Query {
            index: Index::Gsi3,
            partition: partition.clone(),
            sort: SortKey::Any,
            forward: true,
            limit: limit as u32,
            start_after: start_after.clone(),
        };
        let page = deps.table.query(&query).await?;
        for item in &page.items {
            let audit: AuditEvent =
                serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("audit event", &e))?;
            // An audit event is listed whole: its webhook events never straddle pages.
            let events: Vec<WebhookEvent> =
                events_for(&audit).into_iter().filter(|e| event_type.is_none_or(|t| e.event_type == t)).collect();
            data.extend(events);
            start_after = Some(PageKey::of(item, Index::Gsi3));
            if data.len() >= limit {
                let next = start_after.as_ref().map(|k| cursor::encode(Index::Gsi3, &partition, k));
                return Ok(ListPage { data, next_cursor: next });
            }
        }
        if page.next.is_none() {
            // The end for now: a reconciler keeps the last cursor it got and resumes later.
            let next =
                start_after.as_ref().filter(|_| !data.is_empty()).map(|k| cursor::encode(Index::Gsi3, &partition, k));
            return Ok(ListPage { data, next_cursor: next });
        }
        start_after = page.next;
    }
    let next = start_after.as_ref().map(|k| cursor::encode(Index::Gsi3, &partition, k));
    Ok(ListPage { data, next_cursor: next })
}
