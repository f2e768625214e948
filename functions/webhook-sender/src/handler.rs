//! One SQS batch: every message delivered concurrently (bounded), each settled on its
//! own; failures are reported per message (partial batch response).

use aws_lambda_events::sqs::SqsEvent;
use futures::StreamExt;
use serde::Serialize;

use kyc_app::Deps;
use kyc_app::queue::{ReceivedMessage, Settle};
use kyc_app::sender::{Sender, deliver};
use kyc_app::webhooks::DeliveryMessage;
use kyc_aws::SqsQueue;

/// Deliveries in flight at once within one batch (a batch of 100 at 50 ms each is one
/// round).
pub const CONCURRENCY: usize = 100;

#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

async fn one(deps: &Deps, sender: &Sender, queue: &SqsQueue, message: ReceivedMessage) -> Result<(), String> {
    let settle = match serde_json::from_str::<DeliveryMessage>(&message.body) {
        Ok(delivery) => deliver(deps, sender, &delivery, message.receive_count).await.map_err(|e| e.to_string())?,
        Err(_) => Settle::DeadLetter,
    };
    match settle {
        Settle::Done => Ok(()),
        // Keep the message, hidden until the next attempt is due.
        other => {
            queue.settle_message(&message, other).await.map_err(|e| e.to_string())?;
            Err("retry later".into())
        }
    }
}

pub async fn handle(
    deps: &Deps,
    sender: &Sender,
    queue: &SqsQueue,
    event: SqsEvent,
) -> Result<BatchResponse, lambda_runtime::Error> {
    let results: Vec<(String, Result<(), String>)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let id = record.message_id.clone().unwrap_or_default();
            let receive_count =
                record.attributes.get("ApproximateReceiveCount").and_then(|v| v.parse().ok()).unwrap_or(1);
            let message = ReceivedMessage {
                receipt: record.receipt_handle.clone().unwrap_or_default(),
                body: record.body.clone().unwrap_or_default(),
                receive_count,
            };
            (id, one(deps, sender, queue, message).await)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let batch_item_failures =
        results.into_iter().filter(|(_, r)| r.is_err()).map(|(id, _)| ItemFailure { item_identifier: id }).collect();
    Ok(BatchResponse { batch_item_failures })
}
