//! One SQS batch: every message delivered concurrently (bounded), each settled on its
//! own; failures are reported per message (partial batch response).

use aws_lambda_events::sqs::SqsEvent;

use kyc_app::Deps;
use kyc_app::ports::queue::{ReceivedMessage, Settle};
use kyc_app::webhooks::sender::{Sender, deliver_batch};
use kyc_aws::SqsQueue;
use kyc_lambda::{BatchResponse, ItemFailure};

/// Deliveries in flight at once within one batch (a batch of 100 at 50 ms each is one
/// round).
pub const CONCURRENCY: usize = 100;

/// Whether a message not `Done` must be reported as a batch item failure, so that
/// Lambda keeps it on the queue. A retry stays (hidden until its next attempt); a dead
/// letter copied to the DLQ is gone from this queue, but without a DLQ URL it stays so
/// that the redrive policy moves it. When settling failed, nothing is known to have
/// happened to it: it stays, never reported as handled (that would lose it).
fn keeps_message(settled: Result<(), kyc_app::ports::queue::QueueError>, settle: Settle, has_dlq: bool) -> bool {
    match settled {
        Err(e) => {
            tracing::error!(error = %e, "settling a delivery message failed; it stays on the queue");
            true
        }
        Ok(()) => settle != Settle::DeadLetter || !has_dlq,
    }
}

pub async fn handle(
    deps: &Deps,
    sender: &Sender,
    queue: &SqsQueue,
    event: SqsEvent,
) -> Result<BatchResponse, lambda_runtime::Error> {
    let mut ids = std::collections::HashMap::new();
    let messages = event
        .records
        .into_iter()
        .map(|record| {
            let receipt = record.receipt_handle.clone().unwrap_or_default();
            ids.insert(receipt.clone(), record.message_id.clone().unwrap_or_default());
            ReceivedMessage {
                receipt,
                body: record.body.clone().unwrap_or_default(),
                receive_count: record
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1),
            }
        })
        .collect();
    // The poller received the batch just before this invocation.
    let received = std::time::Instant::now();
    let mut batch_item_failures = Vec::new();
    for (message, settle) in deliver_batch(deps, sender, messages, CONCURRENCY).await {
        if settle == Settle::Done {
            continue; // Lambda deletes the messages not reported as failures.
        }
        if keeps_message(
            queue.settle_message(&message, settle, received.elapsed()).await,
            settle,
            queue.dead_letter_url().is_some(),
        ) {
            batch_item_failures
                .push(ItemFailure { item_identifier: ids.get(&message.receipt).cloned().unwrap_or_default() });
        }
    }
    Ok(BatchResponse { batch_item_failures })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kyc_app::ports::queue::{QueueError, Settle};

    use super::keeps_message;

    #[test]
    fn a_message_whose_settling_failed_is_kept_whatever_the_decision() {
        let failed = || Err(QueueError::Unavailable("SendMessage (dead letter): throttled".into()));
        assert!(keeps_message(failed(), Settle::DeadLetter, true), "a dead letter that did not reach the DLQ");
        assert!(keeps_message(failed(), Settle::RetryIn(Duration::from_secs(5)), true));
    }

    #[test]
    fn a_settled_dead_letter_leaves_only_when_a_dlq_took_it() {
        assert!(!keeps_message(Ok(()), Settle::DeadLetter, true));
        assert!(keeps_message(Ok(()), Settle::DeadLetter, false), "the redrive policy moves it");
        assert!(keeps_message(Ok(()), Settle::RetryIn(Duration::from_secs(5)), true), "hidden until its retry");
    }
}

#[cfg(test)]
mod moto {
    //! The sender against moto's SQS with the real SDK: a failed delivery stays on the
    //! queue (hidden for its retry delay, reported as a batch item failure), a
    //! successful one is removed; the receiver sees one webhook-id throughout.

    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::{Value, json};

    use kyc_app::webhooks::sender::Sender;
    use kyc_aws::HttpTransport;
    use kyc_domain::ssrf::Mode;
    use kyc_domain::webhook::RetrySchedule;
    use kyc_tests::api::TestApi;
    use kyc_tests::backends;
    use kyc_tests::receiver::Receiver;

    use super::*;

    /// Reads the queue as Lambda's event source mapping would and builds its SQS event.
    async fn poll(sqs: &aws_sdk_sqs::Client, url: &str) -> SqsEvent {
        let mut records = Vec::new();
        for _ in 0..20 {
            let out = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .expect("receive");
            for m in out.messages() {
                let count = m
                    .attributes()
                    .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount))
                    .cloned()
                    .unwrap_or_default();
                records.push(json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                    "attributes": {"ApproximateReceiveCount": count}, "messageAttributes": {}, "eventSource": "aws:sqs"}));
            }
            if !records.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        serde_json::from_value(json!({"Records": records})).expect("an SQS event")
    }

    #[tokio::test]
    async fn a_failed_delivery_is_retried_from_sqs_and_a_delivered_one_is_removed() {
        let sqs = aws_sdk_sqs::Client::new(&backends::moto_config().await);
        let (url, _) = kyc_aws::queue::create_queue(&sqs, &format!("deliveries-{}", backends::uuid_like()), None)
            .await
            .expect("queue");
        let queue = SqsQueue::new(sqs.clone(), url.clone());
        let mut api = TestApi::new(backends::embedded());
        api.deps.queue = Arc::new(queue.clone());
        let receiver = Receiver::start().await;
        receiver.respond_with(&[503]);
        let input = serde_json::from_value(json!({"url": receiver.url, "events": ["*"]})).expect("input");
        let tenant = kyc_app::TenantId::parse("acme").expect("tenant");
        kyc_app::webhooks::create_endpoint(&api.deps, &tenant, input, None).await.expect("endpoint");
        let lead = api.create(json!({})).await;
        let trail = api.audit(lead["id"].as_str().unwrap_or_default()).await;
        let audit = serde_json::from_value(trail[0].clone()).expect("audit event");
        kyc_app::webhooks::relay::relay(&api.deps, &tenant, &audit).await.expect("relayed");

        // Retries at once so the test need not wait; the delay reaches SQS as visibility.
        let sender = Sender {
            transport: Arc::new(HttpTransport::new(Mode::Local).expect("client")),
            schedule: RetrySchedule::parse("0").expect("schedule"),
        };
        let first = handle(&api.deps, &sender, &queue, poll(&sqs, &url).await).await.expect("handled");
        assert_eq!(first.batch_item_failures.len(), 1, "the failed delivery is reported");
        let second_event = poll(&sqs, &url).await;
        assert_eq!(second_event.records.len(), 1, "and comes back");
        assert_eq!(second_event.records[0].attributes.get("ApproximateReceiveCount").map(String::as_str), Some("2"));
        let second = handle(&api.deps, &sender, &queue, second_event).await.expect("handled");
        assert!(second.batch_item_failures.is_empty());
        let left = sqs.receive_message().queue_url(&url).send().await.expect("receive");
        assert!(left.messages().is_empty(), "a delivered message is removed");
        let ids: Vec<Value> = receiver
            .received()
            .iter()
            .map(|r| json!(r.headers.get("webhook-id").and_then(|v| v.to_str().ok())))
            .collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], ids[1]);
    }
}
