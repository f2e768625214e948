//! Delivery attempts: how each one is recorded (kept 30 days), listed, and retried by
//! hand; and the message that carries one event to one endpoint on the queue.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use kyc_domain::ids::{DeliveryId, EndpointId, EventId};
use kyc_domain::webhook::{DeliveryStatus, EventType, WebhookEvent};

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::queue::OutgoingMessage;
use crate::ports::table::{Condition, Item, TTL_ATTR, Write};
use crate::store::idempotency::{self, Idempotency, Replayable};
use crate::store::layout;
use crate::store::page::{self, ListPage, ListQuery, PageRequest};
use crate::tenant::TenantId;
use crate::webhooks::endpoints::{EndpointStatus, load_endpoint};

/// Delivery attempts are kept this long.
pub const DELIVERY_RETENTION_DAYS: i64 = 30;

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

impl Replayable for Delivery {}

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

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryPointer {
    endpoint_id: EndpointId,
    event: WebhookEvent,
    attempt: u32,
}

/// The writes that record one attempt (the attempt and its pointer, both kept 30 days).
pub fn record_attempt(tenant: &TenantId, delivery: &Delivery, event: &WebhookEvent) -> Result<Vec<Write>, AppError> {
    let ttl = (delivery.at + Duration::days(DELIVERY_RETENTION_DAYS)).timestamp();
    let item = Item::new(
        layout::delivery_key(tenant, &delivery.endpoint_id, &delivery.id),
        json::to_body("delivery", delivery)?,
    )
    .with_s(layout::KIND, layout::KIND_DELIVERY)
    .with_n(TTL_ATTR, ttl);
    let pointer =
        DeliveryPointer { endpoint_id: delivery.endpoint_id.clone(), event: event.clone(), attempt: delivery.attempt };
    let pointer =
        Item::new(layout::delivery_pointer_key(tenant, &delivery.id), json::to_body("delivery pointer", &pointer)?)
            .with_n(TTL_ATTR, ttl);
    Ok(vec![Write::Put { item, condition: Condition::None }, Write::Put { item: pointer, condition: Condition::None }])
}

/// An endpoint's attempts, newest first.
pub async fn list_deliveries(
    deps: &Deps,
    tenant: &TenantId,
    endpoint: &str,
    page: &PageRequest,
) -> Result<ListPage<Delivery>, AppError> {
    let record = load_endpoint(deps, tenant, endpoint).await?;
    let partition = layout::deliveries_pk(tenant, &record.id);
    let query = ListQuery::partition(partition, layout::DELIVERY_SK_PREFIX, false, page);
    page::list(deps.table.as_ref(), query, |item| Ok(vec![json::from_body("delivery", &item.body)?])).await
}

/// The answer to a manual retry.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRetry {
    pub object: &'static str,
    pub delivery_id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub attempt: u32,
    pub status: DeliveryStatus,
}

impl Replayable for DeliveryRetry {}

/// Queues one more attempt of a delivery's event to its endpoint, now. Under an
/// idempotency key the answer is recorded once the message is queued, so a retried
/// request replays it instead of queueing a second attempt.
pub async fn retry_delivery(
    deps: &Deps,
    tenant: &TenantId,
    delivery: &str,
    idempotency: Option<&Idempotency>,
) -> Result<DeliveryRetry, AppError> {
    let id = DeliveryId::parse(delivery).ok_or(AppError::NotFound("delivery"))?;
    let item =
        deps.table.get(&layout::delivery_pointer_key(tenant, &id)).await?.ok_or(AppError::NotFound("delivery"))?;
    let pointer: DeliveryPointer = json::from_body("delivery pointer", &item.body)?;
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
    deps.queue
        .send(vec![OutgoingMessage {
            body: json::to_body("delivery message", &message)?,
            delay: std::time::Duration::ZERO,
        }])
        .await?;
    let answer = DeliveryRetry {
        object: "delivery_retry",
        delivery_id: id,
        event_id: pointer.event.id.clone(),
        endpoint_id: endpoint.id.clone(),
        attempt: latest + 1,
        status: DeliveryStatus::Pending,
    };
    if let Some(key) = idempotency
        && let Err(e) = idempotency::commit(deps.table.as_ref(), Vec::new(), Some(key), &answer).await
    {
        // The attempt is queued: answer it even if the key could not be kept.
        tracing::warn!(error = %crate::error::report(&e), "could not record the idempotency key of a retry");
    }
    Ok(answer)
}

/// The highest attempt number recorded for an event at an endpoint.
async fn latest_attempt(
    deps: &Deps,
    tenant: &TenantId,
    endpoint: &EndpointId,
    event: &WebhookEvent,
) -> Result<u32, AppError> {
    // At most a thousand of the newest attempts: a retry is of a recent event.
    let attempts = page::list_all(
        deps.table.as_ref(),
        layout::deliveries_pk(tenant, endpoint),
        layout::DELIVERY_SK_PREFIX,
        false,
        1000,
        |item| {
            let delivery: Delivery = json::from_body("delivery", &item.body)?;
            Ok(if delivery.event_id == event.id { vec![delivery.attempt] } else { vec![] })
        },
    )
    .await?;
    Ok(attempts.into_iter().max().unwrap_or(0))
}
