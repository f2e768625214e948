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

/// Messages are sent once this many are waiting (SQS takes ten per call), at an item
/// boundary, so that a failure names the first item not fully relayed.
const SEND_AT: usize = 10;

/// How far a batch got. Every item before `failed`'s index is relayed; that item and
/// those after it are not (or not known to be), and are to be relayed again.
#[derive(Debug)]
pub struct RelayReport {
    /// Messages queued.
    pub queued: usize,
    pub failed: Option<(usize, AppError)>,
}

impl RelayReport {
    /// The messages queued, or the first failure.
    pub fn into_result(self) -> Result<usize, AppError> {
        match self.failed {
            None => Ok(self.queued),
            Some((_, e)) => Err(e),
        }
    }
}

/// Relays a batch of stored items (stream records' new images), in order: the
/// endpoints of each tenant are read once per batch, and messages go to the queue in
/// batches. Items that are not audit events are skipped.
pub async fn relay_items(deps: &Deps, items: &[Item]) -> RelayReport {
    let mut endpoints: HashMap<TenantId, Vec<EndpointRecord>> = HashMap::new();
    let mut pending = Vec::new();
    // The first item whose messages are (or would be) among `pending`.
    let mut pending_from = 0;
    let mut queued = 0;
    for (index, item) in items.iter().enumerate() {
        let failed = match messages_of_item(deps, &mut endpoints, item).await {
            Ok(messages) => {
                pending.extend(messages);
                if pending.len() < SEND_AT {
                    continue;
                }
                None
            }
            Err(e) => Some((index, e)),
        };
        match send(deps, &mut pending).await {
            Ok(sent) => queued += sent,
            Err(e) => return RelayReport { queued, failed: Some((pending_from, e)) },
        }
        if failed.is_some() {
            return RelayReport { queued, failed };
        }
        pending_from = index + 1;
    }
    if let Err(e) = send(deps, &mut pending).await.map(|sent| queued += sent) {
        return RelayReport { queued, failed: Some((pending_from, e)) };
    }
    tracing::info!(items = items.len(), deliveries = queued, "events relayed");
    RelayReport { queued, failed: None }
}

/// The messages one stored item calls for (none for an item that is no audit event).
async fn messages_of_item(
    deps: &Deps,
    endpoints: &mut HashMap<TenantId, Vec<EndpointRecord>>,
    item: &Item,
) -> Result<Vec<OutgoingMessage>, AppError> {
    if item.s(layout::KIND) != Some(layout::KIND_EVENT) {
        return Ok(Vec::new());
    }
    let tenant = item
        .s(layout::TENANT)
        .and_then(TenantId::parse)
        .ok_or_else(|| AppError::internal("event item without tenant"))?;
    let audit: AuditEvent = json::from_body("audit event", &item.body)?;
    let events = events_for(&audit)?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    if !endpoints.contains_key(&tenant) {
        endpoints.insert(tenant.clone(), endpoints_of(deps, &tenant).await?);
    }
    let of_tenant = endpoints.get(&tenant).map(Vec::as_slice).unwrap_or_default();
    messages_for(&tenant, events, of_tenant)
}

/// Sends what is waiting; how many.
async fn send(deps: &Deps, pending: &mut Vec<OutgoingMessage>) -> Result<usize, AppError> {
    if pending.is_empty() {
        return Ok(0);
    }
    let messages = std::mem::take(pending);
    let count = messages.len();
    deps.queue.send(messages).await?;
    Ok(count)
}
