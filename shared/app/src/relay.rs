//! The event relay: turns each committed audit event (the outbox record, read from the
//! table's stream) into one queue message per webhook event and subscribed endpoint.
//! Nothing is sent by a second write after a state change: if the relay dies, the
//! stream hands it the same records again (at least once; receivers dedupe on
//! `webhook-id`).

use kyc_domain::audit::AuditEvent;
use kyc_domain::webhook::events_for;

use crate::Deps;
use crate::auth::TenantId;
use crate::error::AppError;
use crate::queue::OutgoingMessage;
use crate::table::Item;
use crate::webhooks::{DeliveryMessage, EndpointStatus, endpoints_of};

/// Queues the deliveries one audit event calls for; the number of messages queued.
pub async fn relay(deps: &Deps, tenant: &TenantId, audit: &AuditEvent) -> Result<usize, AppError> {
    let events = events_for(audit);
    if events.is_empty() {
        return Ok(0);
    }
    let endpoints = endpoints_of(deps, tenant).await?;
    let mut messages = Vec::new();
    for event in &events {
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
            let body = serde_json::to_string(&message).map_err(|e| AppError::Internal(e.to_string()))?;
            messages.push(OutgoingMessage { body, delay: std::time::Duration::ZERO });
        }
    }
    let count = messages.len();
    if count > 0 {
        deps.queue.send(messages).await?;
    }
    tracing::info!(event = %audit.id, deliveries = count, "event relayed");
    Ok(count)
}

/// Relays a stored audit event item (a stream record's new image). Items that are not
/// audit events are skipped.
pub async fn relay_item(deps: &Deps, item: &Item) -> Result<usize, AppError> {
    if item.s(crate::keys::KIND) != Some(crate::keys::KIND_EVENT) {
        return Ok(0);
    }
    let tenant = item
        .s("tenant")
        .and_then(TenantId::parse)
        .ok_or_else(|| AppError::Internal("event item without tenant".into()))?;
    let audit: AuditEvent = serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("audit event", &e))?;
    relay(deps, &tenant, &audit).await
}
