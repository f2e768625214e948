//! The event relay: turns each committed audit event (the outbox record, read from the
//! table's stream) into one queue message per webhook event and subscribed endpoint.
//! Nothing is sent by a second write after a state change: if the relay dies, the
//! stream hands it the same records again (at least once; receivers dedupe on
//! `webhook-id`).

use std::collections::HashMap;

use kyc_domain::audit::AuditEvent;
use kyc_domain::webhook::{WebhookEvent, events_for};

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::queue::OutgoingMessage;
use crate::ports::table::Item;
use crate::store::layout;
use crate::tenant::TenantId;
use crate::webhooks::deliveries::DeliveryMessage;
use crate::webhooks::endpoints::{EndpointRecord, EndpointStatus, endpoints_of};

/// The queue messages some webhook events call for, given their tenant's endpoints.
fn messages_for(
    tenant: &TenantId,
    events: Vec<WebhookEvent>,
    endpoints: &[EndpointRecord],
) -> Result<Vec<OutgoingMessage>, AppError> {
    let mut messages = Vec::new();
    for event in events {
        for endpoint in
            endpoints.iter().filter(|e| e.status == EndpointStatus::Enabled && e.subscribes_to(event.event_type))
        {
            let message = DeliveryMessage {
                tenant: tenant.clone(),
                endpoint_id: endpoint.id.clone(),
                event: event.clone(),
                first_attempt: 1,
                manual: false,
            };
            messages.push(OutgoingMessage {
                body: json::to_body("delivery message", &message)?,
                delay: std::time::Duration::ZERO,
            });
        }
    }
    Ok(messages)
}

/// Queues the deliveries one audit event calls for; the number of messages queued.
pub async fn relay(deps: &Deps, tenant: &TenantId, audit: &AuditEvent) -> Result<usize, AppError> {
    let events = events_for(audit)?;
    if events.is_empty() {
        return Ok(0);
    }
    let messages = messages_for(tenant, events, &endpoints_of(deps, tenant).await?)?;
    let count = messages.len();
    if count > 0 {
        deps.queue.send(messages).await?;
    }
    Ok(count)
}

/// Relays a batch of stored items (stream records' new images): the endpoints of each
/// tenant are read once per batch, and all messages go to the queue together. Items
/// that are not audit events are skipped.
pub async fn relay_items(deps: &Deps, items: &[Item]) -> Result<usize, AppError> {
    let mut endpoints: HashMap<TenantId, Vec<EndpointRecord>> = HashMap::new();
    let mut messages = Vec::new();
    for item in items.iter().filter(|i| i.s(layout::KIND) == Some(layout::KIND_EVENT)) {
        let tenant = item
            .s(layout::TENANT)
            .and_then(TenantId::parse)
            .ok_or_else(|| AppError::internal("event item without tenant"))?;
        let audit: AuditEvent = json::from_body("audit event", &item.body)?;
        let events = events_for(&audit)?;
        if events.is_empty() {
            continue;
        }
        if !endpoints.contains_key(&tenant) {
            endpoints.insert(tenant.clone(), endpoints_of(deps, &tenant).await?);
        }
        let of_tenant = endpoints.get(&tenant).map(Vec::as_slice).unwrap_or_default();
        messages.extend(messages_for(&tenant, events, of_tenant)?);
    }
    let count = messages.len();
    if count > 0 {
        deps.queue.send(messages).await?;
    }
    tracing::info!(items = items.len(), deliveries = count, "events relayed");
    Ok(count)
}
