//! Webhook endpoints: register, change, rotate the secret, delete. Every URL is
//! checked against the SSRF rules at registration (and again at connection, by the
//! transport).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use kyc_domain::ids::EndpointId;
use kyc_domain::ssrf::{self, Host, Mode};
use kyc_domain::validation::Errors;
use kyc_domain::webhook::{EventType, new_secret};

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::Resolver;
use crate::sealing::{self, Sealed};
use crate::ports::table::{Attr, Condition, Item, TableError, Write};
use crate::store::idempotency::{self, Idempotency, Replayable};
use crate::store::layout;
use crate::store::page::{self, ListPage, ListQuery, PageRequest};
use crate::tenant::TenantId;

pub const ROTATION_OVERLAP_HOURS: i64 = 24;
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
    pub secret: StoredSecret,
    #[serde(default)]
    pub previous_secret: Option<StoredSecret>,
    #[serde(default)]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed (None: healthy).
    #[serde(default)]
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A signing secret as stored: sealed under a data key of its own (`sealing`), so the
/// table, its backups and every function that reads endpoints without the master key
/// hold no usable secret. `Clear` reads what endpoints created before sealing stored;
/// their next rotation seals it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredSecret {
    Sealed(Sealed),
    Clear(String),
}

/// What an endpoint's secrets are bound to: a sealed secret opens only on its own endpoint.
fn secret_context(tenant: &TenantId, endpoint: &EndpointId) -> Vec<(&'static str, String)> {
    vec![
        ("tenant", tenant.to_string()),
        ("endpoint", endpoint.to_string()),
        ("purpose", "webhook-signing-secret".to_string()),
    ]
}

impl StoredSecret {
    async fn seal(deps: &Deps, tenant: &TenantId, endpoint: &EndpointId, secret: &str) -> Result<Self, AppError> {
        Ok(StoredSecret::Sealed(sealing::seal(deps.keys.as_ref(), secret, &secret_context(tenant, endpoint)).await?))
    }

    async fn open(&self, deps: &Deps, tenant: &TenantId, endpoint: &EndpointId) -> Result<String, AppError> {
        match self {
            StoredSecret::Sealed(sealed) => {
                Ok(sealing::open(deps.keys.as_ref(), sealed, &secret_context(tenant, endpoint)).await?)
            }
            StoredSecret::Clear(secret) => Ok(secret.clone()),
        }
    }
}

impl EndpointRecord {
    pub fn subscribes_to(&self, event_type: EventType) -> bool {
        self.events.iter().any(|e| e == "*" || e == event_type.as_str())
    }

    /// The secrets that sign a delivery now, opened: the current one, and the previous
    /// one during the overlap after a rotation.
    pub async fn signing_secrets(
        &self,
        deps: &Deps,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, AppError> {
        let mut secrets = vec![self.secret.open(deps, tenant, &self.id).await?];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_expires_at)
            && now < until
        {
            secrets.push(previous.open(deps, tenant, &self.id).await?);
        }
        Ok(secrets)
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

impl Replayable for Endpoint {}

impl EndpointRecord {
    /// The endpoint as shown; `secret` only where the caller has just made it.
    pub fn view(&self, secret: Option<&str>) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            object: "webhook_endpoint",
            url: self.url.clone(),
            events: self.events.clone(),
            description: self.description.clone(),
            status: self.status,
            disabled_reason: self.disabled_reason.clone(),
            secret: secret.map(str::to_string),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub fn endpoint_item(tenant: &TenantId, record: &EndpointRecord) -> Result<Item, AppError> {
    Ok(Item::new(layout::endpoint_key(tenant, &record.id), json::to_body("webhook endpoint", record)?)
        .with_s(layout::KIND, layout::KIND_ENDPOINT)
        .with_s(layout::TENANT, tenant.as_str())
        .with_s(layout::UPDATED, record.updated_at.to_rfc3339()))
}

/// Replaces an endpoint only if it is still as read, so that the sender's health
/// bookkeeping and an integrator's PATCH never silently overwrite each other.
pub fn guarded_put(tenant: &TenantId, before: &EndpointRecord, after: &EndpointRecord) -> Result<Write, AppError> {
    let unchanged = Condition::AttrEquals(layout::UPDATED.into(), Attr::S(before.updated_at.to_rfc3339()));
    Ok(Write::Put { item: endpoint_item(tenant, after)?, condition: unchanged })
}

fn parse_endpoint(item: &Item) -> Result<EndpointRecord, AppError> {
    json::from_body("endpoint item", &item.body)
}

pub async fn load_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<EndpointRecord, AppError> {
    let id = EndpointId::parse(id).ok_or(AppError::NotFound("webhook endpoint"))?;
    let item =
        deps.table.get(&layout::endpoint_key(tenant, &id)).await?.ok_or(AppError::NotFound("webhook endpoint"))?;
    parse_endpoint(&item)
}

/// Every endpoint of a tenant (a small set: at most MAX_ENDPOINTS_PER_TENANT).
pub async fn endpoints_of(deps: &Deps, tenant: &TenantId) -> Result<Vec<EndpointRecord>, AppError> {
    let partition = layout::tenant_pk(tenant);
    page::list_all(deps.table.as_ref(), partition, layout::ENDPOINT_SK_PREFIX, true, MAX_ENDPOINTS_PER_TENANT, |item| {
        Ok(vec![parse_endpoint(item)?])
    })
    .await
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
pub async fn check_endpoint_url(resolver: &dyn Resolver, url: &str, mode: Mode) -> Result<(), String> {
    let target = ssrf::check_url(url, mode).map_err(|e| e.to_string())?;
    if let Host::Name(name) = &target.host {
        let addresses = resolver.resolve(name, target.port).await;
        if addresses.is_empty() {
            return Err(format!("the host `{name}` does not resolve"));
        }
        for address in addresses {
            ssrf::check_ip(address, mode).map_err(|e| e.to_string())?;
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
            if let Err(reason) = check_endpoint_url(deps.resolver.as_ref(), url, deps.mode).await {
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
    idempotency: Option<&Idempotency>,
) -> Result<Endpoint, AppError> {
    validate_input(deps, &input, true).await?;
    if endpoints_of(deps, tenant).await?.len() >= MAX_ENDPOINTS_PER_TENANT {
        return Err(AppError::field("url", format!("a tenant has at most {MAX_ENDPOINTS_PER_TENANT} endpoints")));
    }
    let now = deps.clock.now();
    let id = EndpointId::from_uuid(deps.ids.uuid());
    let secret = fresh_secret();
    let record = EndpointRecord {
        secret: StoredSecret::seal(deps, tenant, &id, &secret).await?,
        id,
        url: input.url.ok_or_else(|| AppError::field("url", "is required"))?,
        events: unique(&input.events.unwrap_or_default()),
        description: input.description,
        status: EndpointStatus::Enabled,
        disabled_reason: None,
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    let view = record.view(Some(&secret));
    let writes = vec![Write::Put { item: endpoint_item(tenant, &record)?, condition: Condition::NotExists }];
    // The answer holds the secret: kept for a replay only sealed, as the endpoint is.
    idempotency::commit_sealed(deps, writes, idempotency, &view).await?;
    tracing::info!(endpoint = %record.id, "webhook endpoint created");
    Ok(view)
}

pub async fn list_endpoints(
    deps: &Deps,
    tenant: &TenantId,
    page: &PageRequest,
) -> Result<ListPage<Endpoint>, AppError> {
    let query = ListQuery::partition(layout::tenant_pk(tenant), layout::ENDPOINT_SK_PREFIX, true, page);
    page::list(deps.table.as_ref(), query, |item| Ok(vec![parse_endpoint(item)?.view(None)])).await
}

pub async fn get_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<Endpoint, AppError> {
    Ok(load_endpoint(deps, tenant, id).await?.view(None))
}

/// Replaces `before` with `after` (guarded: a concurrent change is `Contention`), with
/// the answer of a keyed request recorded in the same transaction.
async fn replace(
    deps: &Deps,
    tenant: &TenantId,
    before: &EndpointRecord,
    after: &EndpointRecord,
    idempotency: Option<&Idempotency>,
    answer: &Endpoint,
) -> Result<(), AppError> {
    let writes = vec![guarded_put(tenant, before, after)?];
    match idempotency::commit(deps.table.as_ref(), writes, idempotency, answer).await {
        Err(AppError::Store(TableError::ConditionFailed { .. })) => Err(AppError::Contention),
        other => other,
    }
}

pub async fn update_endpoint(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    input: EndpointInput,
    idempotency: Option<&Idempotency>,
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
    let view = after.view(None);
    replace(deps, tenant, &before, &after, idempotency, &view).await?;
    Ok(view)
}

pub async fn delete_endpoint(deps: &Deps, tenant: &TenantId, id: &str) -> Result<(), AppError> {
    let record = load_endpoint(deps, tenant, id).await?;
    deps.table
        .transact(vec![Write::Delete { key: layout::endpoint_key(tenant, &record.id), condition: Condition::Exists }])
        .await?;
    Ok(())
}

/// A new secret; the previous one keeps signing (as a second signature) for 24 hours.
pub async fn rotate_secret(
    deps: &Deps,
    tenant: &TenantId,
    id: &str,
    idempotency: Option<&Idempotency>,
) -> Result<Endpoint, AppError> {
    let before = load_endpoint(deps, tenant, id).await?;
    let now = deps.clock.now();
    let mut after = before.clone();
    // A secret an older release stored in clear is sealed as it becomes the previous one.
    after.previous_secret = Some(match &before.secret {
        StoredSecret::Clear(secret) => StoredSecret::seal(deps, tenant, &before.id, secret).await?,
        sealed => sealed.clone(),
    });
    after.previous_secret_expires_at = Some(now + Duration::hours(ROTATION_OVERLAP_HOURS));
    let secret = fresh_secret();
    after.secret = StoredSecret::seal(deps, tenant, &after.id, &secret).await?;
    after.updated_at = now.max(before.updated_at + Duration::milliseconds(1));
    let view = after.view(Some(&secret));
    // A retried rotation must not rotate twice (the original secret would stop signing).
    let writes = vec![guarded_put(tenant, &before, &after)?];
    match idempotency::commit_sealed(deps, writes, idempotency, &view).await {
        Err(AppError::Store(TableError::ConditionFailed { .. })) => return Err(AppError::Contention),
        other => other?,
    }
    tracing::info!(endpoint = %after.id, "webhook secret rotated");
    Ok(view)
}
