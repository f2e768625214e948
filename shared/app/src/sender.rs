//! The webhook sender: one attempt to deliver one event to one endpoint, recorded,
//! and the decision what becomes of the message (done, retry later, dead letter).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::Rng;

use kyc_domain::ids::DeliveryId;
use kyc_domain::ssrf::{self, Mode};
use kyc_domain::webhook::{
    AttemptOutcome, RetrySchedule, classify, next_delay, retry_after, should_disable, signature_header,
};

use crate::Deps;
use crate::error::AppError;
use crate::queue::Settle;
use crate::webhooks::{
    Delivery, DeliveryMessage, DeliveryStatus, EndpointRecord, EndpointStatus, guarded_put, load_endpoint,
    record_attempt,
};

/// A response is judged by its status within this time.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a response body is kept with the attempt.
pub const RESPONSE_PREFIX_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportResponse {
    pub status: u16,
    pub body_prefix: String,
    pub retry_after: Option<String>,
}

/// Outbound HTTP for webhooks.
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn post(&self, url: &str, headers: Vec<(String, String)>, body: String) -> Result<TransportResponse, String>;
}

/// reqwest with rustls, a 15 s timeout, no redirects, and a resolver that hands the
/// connector only addresses the SSRF rules allow: a name that resolves to a private
/// address is refused at connection time too, and no second lookup can swap the
/// address after the check (no DNS rebinding).
pub struct HttpTransport {
    client: reqwest::Client,
    mode: Mode,
}

struct GuardedResolver {
    mode: Mode,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let mode = self.mode;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = resolved.filter(|a| ssrf::check_ip(a.ip(), mode).is_ok()).collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("`{host}` resolves only to addresses webhooks may not reach").into();
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

impl HttpTransport {
    pub fn new(mode: Mode) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent("kyc-webhooks/1")
            .dns_resolver(Arc::new(GuardedResolver { mode }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpTransport { client, mode })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(&self, url: &str, headers: Vec<(String, String)>, body: String) -> Result<TransportResponse, String> {
        // Literal IP hosts never reach the resolver: check them here.
        ssrf::check_url(url, self.mode).map_err(|e| e.to_string())?;
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        let mut prefix = Vec::new();
        while prefix.len() < RESPONSE_PREFIX_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => prefix.extend_from_slice(&chunk),
                _ => break,
            }
        }
        prefix.truncate(RESPONSE_PREFIX_BYTES);
        Ok(TransportResponse { status, body_prefix: String::from_utf8_lossy(&prefix).into_owned(), retry_after })
    }
}

fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut detail = String::new();
    while let Some(c) = cause {
        detail = c.to_string();
        cause = c.source();
    }
    if detail.is_empty() { kind.to_string() } else { format!("{kind}: {detail}") }
}

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
    let body = serde_json::to_string(&message.event).map_err(|e| AppError::Internal(e.to_string()))?;
    let timestamp = now.timestamp();
    let signature = signature_header(&endpoint.signing_secrets(now), message.event.id.as_str(), timestamp, &body)
        .map_err(|e| AppError::Internal(format!("signing failed: {e}")))?;
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
        Err(e) => (None, None, Some(e.clone()), None),
    };
    let outcome = classify(status, retry_after_value);
    let mut after = endpoint.clone();
    let (delivery_status, settle, next_attempt_at) = match outcome {
        AttemptOutcome::Delivered => {
            after.failing_since = None;
            (DeliveryStatus::Succeeded, Settle::Done, None)
        }
        AttemptOutcome::Gone => {
            disable(&mut after, "the endpoint answered 410 Gone");
            (DeliveryStatus::Failed, Settle::Done, None)
        }
        AttemptOutcome::Retry { retry_after } => {
            after.failing_since = after.failing_since.or(Some(now));
            if should_disable(after.failing_since, now) {
                disable(&mut after, "every delivery failed for 5 days");
                (DeliveryStatus::Failed, Settle::Done, None)
            } else if message.manual {
                (DeliveryStatus::Failed, Settle::Done, None)
            } else {
                let jitter = rand::rng().random::<f64>();
                match sender.schedule.delay_before(attempt + 1, jitter) {
                    Some(scheduled) => {
                        let delay = next_delay(scheduled, retry_after);
                        let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                        (DeliveryStatus::Pending, Settle::RetryIn(delay), Some(at))
                    }
                    None => (DeliveryStatus::Failed, Settle::DeadLetter, None),
                }
            }
        }
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
    let mut writes = record_attempt(&message.tenant, &delivery, &message.event);
    if health_changed(&endpoint, &after) {
        // A new version of the endpoint: a PATCH that read the old one now conflicts.
        after.updated_at = now.max(endpoint.updated_at + chrono::Duration::milliseconds(1));
    }
    let health_at = health_changed(&endpoint, &after).then(|| {
        writes.push(guarded_put(&message.tenant, &endpoint, &after));
        writes.len() - 1
    });
    match deps.table.transact(writes).await {
        Ok(()) => {}
        // The endpoint changed meanwhile (a PATCH): keep that change, record the attempt.
        Err(crate::table::TableError::ConditionFailed { index }) if Some(index) == health_at => {
            deps.table.transact(record_attempt(&message.tenant, &delivery, &message.event)).await?;
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

fn disable(endpoint: &mut EndpointRecord, reason: &str) {
    endpoint.status = EndpointStatus::Disabled;
    endpoint.disabled_reason = Some(reason.to_string());
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
    messages: Vec<crate::queue::ReceivedMessage>,
    concurrency: usize,
) -> Vec<(crate::queue::ReceivedMessage, Settle)> {
    use futures::StreamExt;
    futures::stream::iter(messages)
        .map(|message| async move {
            let settle = match serde_json::from_str::<DeliveryMessage>(&message.body) {
                Ok(delivery) => match deliver(deps, sender, &delivery, message.receive_count).await {
                    Ok(settle) => settle,
                    Err(e) => {
                        tracing::error!(error = %e, "a delivery could not run; retrying");
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
