//! The webhook sender: one attempt to deliver one event to one endpoint, signed and
//! recorded, and what becomes of the message (done, retry later, dead letter).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use kyc_domain::ids::DeliveryId;
use kyc_domain::webhook::{
    AttemptFacts, HealthChange, QueueAction, RetrySchedule, retry_after, settle, signature_header,
};

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::WebhookTransport;
use crate::ports::queue::{ReceivedMessage, Settle};
use crate::ports::table::TableError;
use crate::webhooks::deliveries::{Delivery, DeliveryMessage, record_attempt};
use crate::webhooks::endpoints::{EndpointRecord, EndpointStatus, guarded_put, load_endpoint};

/// The sender's configuration, built once.
#[derive(Clone)]
pub struct Sender {
    pub transport: Arc<dyn WebhookTransport>,
    pub schedule: RetrySchedule,
}

/// One attempt of one message, recorded; what to do with the message next.
pub async fn deliver(
    deps: &Deps,
    sender: &Sender,
    message: &DeliveryMessage,
    receive_count: u32,
) -> Result<Settle, AppError> {
    let attempt = message.first_attempt + receive_count.max(1) - 1;
    let endpoint = match load_endpoint(deps, &message.tenant, message.endpoint_id.as_str()).await {
        Ok(endpoint) => endpoint,
        // Deleted since: nothing to deliver to.
        Err(AppError::NotFound(_)) => return Ok(Settle::Done),
        Err(e) => return Err(e),
    };
    if endpoint.status == EndpointStatus::Disabled {
        return Ok(Settle::Done);
    }
    let now = deps.clock.now();
    let body = json::to_body("webhook event", &message.event)?;
    let timestamp = now.timestamp();
    let secrets = endpoint.signing_secrets(deps, &message.tenant, now).await?;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = signature_header(&secrets, message.event.id.as_str(), timestamp, &body)
        .map_err(|e| AppError::internal_from("signing failed", e))?;
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("webhook-id".to_string(), message.event.id.to_string()),
        ("webhook-timestamp".to_string(), timestamp.to_string()),
        ("webhook-signature".to_string(), signature),
    ];
    let started = Instant::now();
    let result = sender.transport.post(&endpoint.url, headers, body).await;
    let duration_ms = started.elapsed().as_millis() as u64;

    let (status, response_body, error, retry_after_value) = match &result {
        Ok(r) => (
            Some(r.status),
            Some(r.body_prefix.clone()),
            None,
            r.retry_after.as_deref().and_then(|v| retry_after(v, now)),
        ),
        Err(e) => (None, None, Some(e.to_string()), None),
    };
    let settlement = settle(
        &AttemptFacts {
            status,
            retry_after: retry_after_value,
            attempt_number: attempt,
            manual: message.manual,
            failing_since: endpoint.failing_since,
            now,
            jitter_unit: rand::rng().random::<f64>(),
        },
        &sender.schedule,
    );
    let mut after = endpoint.clone();
    match settlement.endpoint_health {
        HealthChange::Unchanged => {}
        HealthChange::Healthy => after.failing_since = None,
        HealthChange::FailingSince(at) => after.failing_since = Some(at),
        HealthChange::Disable { reason } => {
            after.status = EndpointStatus::Disabled;
            after.disabled_reason = Some(reason.to_string());
        }
    }
    let (delivery_status, next_attempt_at) = (settlement.delivery_status, settlement.next_attempt_at);
    let settle = match settlement.queue {
        QueueAction::Done => Settle::Done,
        QueueAction::RetryIn(delay) => Settle::RetryIn(delay),
        QueueAction::DeadLetter => Settle::DeadLetter,
    };
    let delivery = Delivery {
        id: DeliveryId::from_uuid(deps.ids.uuid()),
        object: "delivery".into(),
        endpoint_id: endpoint.id.clone(),
        event_id: message.event.id.clone(),
        event_type: message.event.event_type,
        attempt,
        status: delivery_status,
        response_status: status,
        response_body,
        error,
        duration_ms: Some(duration_ms),
        next_attempt_at,
        at: now,
    };
    let mut writes = record_attempt(&message.tenant, &delivery, &message.event)?;
    if health_changed(&endpoint, &after) {
        // A new version of the endpoint: a PATCH that read the old one now conflicts.
        after.updated_at = now.max(endpoint.updated_at + chrono::Duration::milliseconds(1));
    }
    let mut health_at = None;
    if health_changed(&endpoint, &after) {
        writes.push(guarded_put(&message.tenant, &endpoint, &after)?);
        health_at = Some(writes.len() - 1);
    }
    match deps.table.transact(writes).await {
        Ok(()) => {}
        // The endpoint changed meanwhile (a PATCH): keep that change, record the attempt.
        Err(TableError::ConditionFailed { index }) if Some(index) == health_at => {
            deps.table.transact(record_attempt(&message.tenant, &delivery, &message.event)?).await?;
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        endpoint = %endpoint.id,
        event = %message.event.id,
        attempt,
        status = ?status,
        outcome = ?delivery_status,
        ms = duration_ms,
        "webhook attempt"
    );
    Ok(settle)
}

fn health_changed(before: &EndpointRecord, after: &EndpointRecord) -> bool {
    before.status != after.status || before.failing_since != after.failing_since
}

/// When handling a message fails for a reason of ours (store unavailable, ...), try
/// again after this long.
pub const INTERNAL_RETRY: Duration = Duration::from_secs(30);

/// Delivers a batch with at most `concurrency` requests in flight; what to do with
/// each message. An unreadable message is dead-lettered; an internal failure retried.
pub async fn deliver_batch(
    deps: &Deps,
    sender: &Sender,
    messages: Vec<ReceivedMessage>,
    concurrency: usize,
) -> Vec<(ReceivedMessage, Settle)> {
    use futures::StreamExt;
    futures::stream::iter(messages)
        .map(|message| async move {
            let settle = match serde_json::from_str::<DeliveryMessage>(&message.body) {
                Ok(delivery) => match deliver(deps, sender, &delivery, message.receive_count).await {
                    Ok(settle) => settle,
                    Err(e) => {
                        tracing::error!(error = %crate::error::report(&e), "a delivery could not run; retrying");
                        Settle::RetryIn(INTERNAL_RETRY)
                    }
                },
                Err(_) => {
                    tracing::error!("unreadable delivery message; dead-lettered");
                    Settle::DeadLetter
                }
            };
            (message, settle)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
