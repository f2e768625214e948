//! The SQS adapter of the `Queue` / `QueueConsumer` ports.
//!
//! - `send` validates every body first (nothing is sent when one is invalid), then
//!   sends `SendMessageBatch` calls of at most 10 entries and at most
//!   [`MAX_BATCH_BYTES`] of bodies; entries that fail are sent once more, and what
//!   fails again is an error. An error after some batches went out leaves those sent:
//!   the queue is at-least-once, so a caller retrying the whole send makes duplicates,
//!   which consumers absorb (every delivery carries its event id).
//! - `receive` short-polls (`WaitTimeSeconds = 0`, configurable) and asks for
//!   `ApproximateReceiveCount`.
//! - `settle`: `Done` → `DeleteMessage`; `RetryIn(d)` → `ChangeMessageVisibility`;
//!   `DeadLetter` → `SendMessage` of the body to the DLQ (when configured with
//!   [`SqsQueue::with_dead_letter`]) then `DeleteMessage`, or, without a DLQ URL,
//!   visibility 0 so that the queue's redrive policy moves it after `maxReceiveCount`.
//!
//! Errors and logs never carry message bodies (they hold event data): only operation
//! names, entry ids, SQS error codes and, outside `SendMessage*`, service messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry};
use kyc_app::ports::queue::{OutgoingMessage, Queue, QueueConsumer, QueueError, ReceivedMessage, Settle};

use crate::sdk::Fault;

/// SQS's bound on the entries of one batch call and on the messages of one receive.
pub const MAX_BATCH_ENTRIES: usize = 10;
/// The bound this adapter puts on one body and on the bodies of one batch call: the
/// classic SQS limit (256 KiB), accepted by every region and emulator. (SQS now
/// accepts 1 MiB; deliveries are far smaller, so the smaller bound costs nothing.)
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The bound of batch payloads (sum of the bodies of one `SendMessageBatch`).
pub const MAX_BATCH_BYTES: usize = 256 * 1024;
/// SQS's bound on `DelaySeconds`.
pub const MAX_DELAY_SECS: u64 = 900;
/// SQS's bound on a visibility timeout.
pub const MAX_VISIBILITY_SECS: u64 = 43_200;
/// SQS counts a message's visibility from when it was received, and refuses a change
/// that would hide it more than 12 hours past that receipt.
pub const MAX_HIDDEN_SINCE_RECEIPT: Duration = Duration::from_secs(43_200);
/// Room for what the caller cannot measure: the time between SQS handing the message
/// to Lambda's poller and the handler starting, and clock skew.
const RECEIPT_MARGIN: Duration = Duration::from_secs(120);
/// What `settle(receipt, ..)` assumes when it cannot know when the message was
/// received: at most this long ago (a consumer settles within its receive visibility).
const ASSUMED_SINCE_RECEIPT: Duration = Duration::from_secs(15 * 60);

/// How long a retried message may be hidden: its delay, but never past 12 hours after
/// its receipt (less a margin). A longer delay comes back early, when the sender waits
/// again, rather than failing the change and coming back at the queue's own timeout.
pub fn retry_visibility(delay: Duration, since_receipt: Duration) -> Duration {
    delay.min(MAX_HIDDEN_SINCE_RECEIPT.saturating_sub(since_receipt).saturating_sub(RECEIPT_MARGIN))
}

/// How long past its visibility timeout a received body is remembered for a later
/// `settle(.., DeadLetter)` (see [`SqsQueue::with_dead_letter`]).
const REMEMBER_GRACE: Duration = Duration::from_secs(60);

/// A standard SQS queue. Cheap to clone; clones share the client and the memory of
/// received bodies.
#[derive(Clone)]
pub struct SqsQueue {
    client: Arc<crate::Deferred<Client>>,
    queue_url: String,
    dead_letter_url: Option<String>,
    wait_time_secs: i32,
    /// Bodies of messages received through this value, by receipt handle, kept only
    /// when a DLQ URL is configured: `settle` gets a receipt, and a dead letter needs
    /// the body.
    received: Arc<Mutex<HashMap<String, Remembered>>>,
}

struct Remembered {
    body: String,
    until: Instant,
}

impl std::fmt::Debug for SqsQueue {
    // Hand-written: the remembered bodies must never be printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsQueue")
            .field("queue_url", &self.queue_url)
            .field("dead_letter_url", &self.dead_letter_url)
            .field("wait_time_secs", &self.wait_time_secs)
            .finish_non_exhaustive()
    }
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: String) -> Self {
        SqsQueue::with_client(crate::Deferred::built(client), queue_url)
    }

    /// The queue `queue_url`, its client built from `sdk` at the first send, receive or
    /// settle.
    pub fn deferred(sdk: &aws_config::SdkConfig, queue_url: String) -> Self {
        let sdk = sdk.clone();
        SqsQueue::with_client(crate::Deferred::new(move || Client::new(&sdk)), queue_url)
    }

    fn with_client(client: crate::Deferred<Client>, queue_url: String) -> Self {
        SqsQueue {
            client: Arc::new(client),
            queue_url,
            dead_letter_url: None,
            wait_time_secs: 0,
            received: Arc::default(),
        }
    }

    /// `settle(.., DeadLetter)` then sends the body to this queue before deleting the
    /// message. Through the `QueueConsumer` port, that works for messages received by
    /// this value (or a clone), whose bodies it remembers until their visibility ends;
    /// for a message received elsewhere (a Lambda SQS event), use
    /// [`SqsQueue::settle_message`], which takes the body along.
    pub fn with_dead_letter(mut self, dead_letter_url: impl Into<String>) -> Self {
        self.dead_letter_url = Some(dead_letter_url.into());
        self
    }

    /// Long polling for `receive` (0..=20 s; default 0, short polling). Keep it 0
    /// against moto: it serves one request at a time and would hold everyone.
    pub fn with_wait_time(mut self, wait: Duration) -> Self {
        self.wait_time_secs = wait.as_secs().min(20) as i32;
        self
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    pub fn dead_letter_url(&self) -> Option<&str> {
        self.dead_letter_url.as_deref()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Settles a message whose body the caller holds, e.g. one from a Lambda SQS
    /// event (its `receiptHandle` and `body`): the same as `settle`, except that a
    /// dead letter never depends on this value having received the message.
    /// `since_receipt`: how long ago the message was received (for Lambda, since the
    /// handler started).
    pub async fn settle_message(
        &self,
        message: &ReceivedMessage,
        settle: Settle,
        since_receipt: Duration,
    ) -> Result<(), QueueError> {
        self.settle_with_body(&message.receipt, settle, Some(&message.body), since_receipt).await
    }

    async fn settle_with_body(
        &self,
        receipt: &str,
        settle: Settle,
        body: Option<&str>,
        since_receipt: Duration,
    ) -> Result<(), QueueError> {
        if receipt.is_empty() {
            return Err(QueueError::Invalid("empty receipt handle".into()));
        }
        let result = match settle {
            Settle::Done => self.delete(receipt).await,
            Settle::RetryIn(delay) => self.change_visibility(receipt, retry_visibility(delay, since_receipt)).await,
            Settle::DeadLetter => match &self.dead_letter_url {
                None => self.change_visibility(receipt, Duration::ZERO).await,
                Some(dlq) => {
                    let remembered;
                    let body = match body {
                        Some(body) => body,
                        None => {
                            remembered = self.remembered(receipt).ok_or_else(|| {
                                QueueError::Invalid(
                                    "DeadLetter of a message this queue did not receive (or whose visibility \
                                     ended): use SqsQueue::settle_message with its body"
                                        .into(),
                                )
                            })?;
                            remembered.as_str()
                        }
                    };
                    // The copy first, then the delete: a failure in between leaves a
                    // duplicate in the DLQ, never a lost message.
                    self.client
                        .send_message()
                        .queue_url(dlq)
                        .message_body(body)
                        .send()
                        .await
                        .map_err(|e| sdk_error("SendMessage (dead letter)", e, false))?;
                    self.delete(receipt).await
                }
            },
        };
        if result.is_ok() {
            self.forget(receipt);
        }
        result
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteMessage", e, true))?;
        Ok(())
    }

    async fn change_visibility(&self, receipt: &str, after: Duration) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(whole_secs(after, MAX_VISIBILITY_SECS))
            .send()
            .await
            .map_err(|e| sdk_error("ChangeMessageVisibility", e, true))?;
        Ok(())
    }

    fn remember(&self, messages: &[ReceivedMessage], visibility: Duration) {
        if self.dead_letter_url.is_none() {
            return;
        }
        let now = Instant::now();
        let until = now + visibility + REMEMBER_GRACE;
        if let Ok(mut received) = self.received.lock() {
            received.retain(|_, r| r.until > now);
            for m in messages {
                received.insert(m.receipt.clone(), Remembered { body: m.body.clone(), until });
            }
        }
    }

    fn remembered(&self, receipt: &str) -> Option<String> {
        let received = self.received.lock().ok()?;
        received.get(receipt).filter(|r| r.until > Instant::now()).map(|r| r.body.clone())
    }

    fn forget(&self, receipt: &str) {
        if let Ok(mut received) = self.received.lock() {
            received.remove(receipt);
        }
    }

    /// Sends one batch, then once more the entries that failed; the entries that fail
    /// twice make the error.
    async fn send_batch(&self, entries: Vec<SendMessageBatchRequestEntry>) -> Result<(), QueueError> {
        let mut pending = entries;
        for attempt in 0..2 {
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(pending.clone()))
                .send()
                .await
                .map_err(|e| sdk_error("SendMessageBatch", e, false))?;
            if out.failed().is_empty() {
                return Ok(());
            }
            // Ids, codes and fault sides only: an entry's message could quote its body.
            let failures: Vec<String> = out
                .failed()
                .iter()
                .map(|f| format!("{}: {}{}", f.id(), f.code(), if f.sender_fault() { " (sender fault)" } else { "" }))
                .collect();
            tracing::warn!(attempt, failed = failures.len(), errors = %failures.join(", "), "SendMessageBatch entries failed");
            if attempt == 1 {
                return Err(QueueError::Unavailable(format!(
                    "SendMessageBatch: {} of {} entries failed twice: {}",
                    failures.len(),
                    pending.len(),
                    failures.join(", ")
                )));
            }
            pending.retain(|entry| out.failed().iter().any(|f| f.id() == entry.id()));
        }
        Ok(())
    }
}

/// Checks a body against what SQS accepts: 1 to [`MAX_BODY_BYTES`] bytes of the
/// characters #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
pub fn validate_body(body: &str) -> Result<(), QueueError> {
    if body.is_empty() {
        return Err(QueueError::Invalid("empty message body".into()));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(QueueError::Invalid(format!("message body of {} bytes exceeds {MAX_BODY_BYTES}", body.len())));
    }
    if let Some(position) = body
        .chars()
        .position(|c| !(matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')))
    {
        return Err(QueueError::Invalid(format!("message body has a character SQS refuses at position {position}")));
    }
    Ok(())
}

/// Whole seconds, rounded up (never earlier than asked), at most `max`.
fn whole_secs(d: Duration, max: u64) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.min(max) as i32
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, messages: Vec<OutgoingMessage>) -> Result<(), QueueError> {
        for (index, message) in messages.iter().enumerate() {
            if let Err(QueueError::Invalid(reason) | QueueError::Unavailable(reason)) = validate_body(&message.body) {
                return Err(QueueError::Invalid(format!("message {index}: {reason}")));
            }
        }
        let mut batch: Vec<SendMessageBatchRequestEntry> = Vec::new();
        let mut batch_bytes = 0;
        for message in messages {
            if !batch.is_empty()
                && (batch.len() == MAX_BATCH_ENTRIES || batch_bytes + message.body.len() > MAX_BATCH_BYTES)
            {
                self.send_batch(std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
            batch_bytes += message.body.len();
            let entry = SendMessageBatchRequestEntry::builder()
                .id(format!("m{}", batch.len()))
                .message_body(message.body)
                .delay_seconds(whole_secs(message.delay, MAX_DELAY_SECS))
                .build()
                .map_err(|e| QueueError::Invalid(format!("batch entry not built: {e}")))?;
            batch.push(entry);
        }
        if !batch.is_empty() {
            self.send_batch(batch).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.min(MAX_BATCH_ENTRIES as u32) as i32)
            .visibility_timeout(whole_secs(visibility, MAX_VISIBILITY_SECS))
            .wait_time_seconds(self.wait_time_secs)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| sdk_error("ReceiveMessage", e, true))?;
        let mut received = Vec::with_capacity(out.messages().len());
        for message in out.messages() {
            let (Some(receipt), Some(body)) = (message.receipt_handle(), message.body()) else {
                // It comes back when its visibility ends; nothing to settle it with now.
                tracing::warn!(message_id = ?message.message_id(), "received a message without receipt handle or body");
                continue;
            };
            let count = message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|c| c.parse::<u32>().ok());
            let receive_count = count.unwrap_or_else(|| {
                tracing::warn!(message_id = ?message.message_id(), "received a message without ApproximateReceiveCount");
                1
            });
            received.push(ReceivedMessage { receipt: receipt.to_string(), body: body.to_string(), receive_count });
        }
        self.remember(&received, Duration::from_secs(whole_secs(visibility, MAX_VISIBILITY_SECS) as u64));
        Ok(received)
    }

    async fn settle(&self, receipt: &str, settle: Settle) -> Result<(), QueueError> {
        self.settle_with_body(receipt, settle, None, ASSUMED_SINCE_RECEIPT).await
    }
}

/// Creates a standard queue (or accepts one that exists with the same attributes),
/// with a redrive policy to `dead_letter = (dlq_arn, max_receives)` if given; returns
/// its URL and ARN. For tests and local runs against moto: deployed queues come from
/// `template.yaml`.
pub async fn create_queue(
    client: &Client,
    name: &str,
    dead_letter: Option<(&str, u32)>,
) -> Result<(String, String), QueueError> {
    let mut request = client.create_queue().queue_name(name);
    if let Some((arn, max_receives)) = dead_letter {
        if !(1..=1000).contains(&max_receives) {
            return Err(QueueError::Invalid(format!("maxReceiveCount {max_receives} is outside 1..=1000")));
        }
        if arn.contains('"') || arn.contains('\\') {
            return Err(QueueError::Invalid("dead-letter queue ARN has quotes or backslashes".into()));
        }
        let policy = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"{max_receives}"}}"#);
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let created = request.send().await.map_err(|e| sdk_error("CreateQueue", e, true))?;
    let url = created
        .queue_url()
        .ok_or_else(|| QueueError::Unavailable("CreateQueue: no queue URL in the answer".into()))?
        .to_string();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| sdk_error("GetQueueAttributes", e, true))?;
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError::Unavailable("GetQueueAttributes: no QueueArn in the answer".into()))?
        .to_string();
    Ok((url, arn))
}

/// SQS error codes that are the caller's mistake.
const CALLER_FAULTS: [&str; 15] = [
    "InvalidParameterValue",
    "MissingParameter",
    "ValidationError",
    "ReceiptHandleIsInvalid",
    "InvalidMessageContents",
    "MessageNotInflight",
    "BatchEntryIdsNotDistinct",
    "BatchRequestTooLong",
    "TooManyEntriesInBatchRequest",
    "InvalidBatchEntryId",
    "EmptyBatchRequest",
    "QueueDoesNotExist",
    "QueueNameExists",
    "InvalidAttributeName",
    "InvalidAttributeValue",
];

/// Any SDK failure: the caller's mistakes are `Invalid`, the rest `Unavailable`.
/// `with_message = false` for calls carrying bodies: only the error code is kept.
fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>, with_message: bool) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match crate::sdk::classify(operation, &err, &CALLER_FAULTS, with_message) {
        Fault::Caller(text) => QueueError::Invalid(text),
        Fault::Service(text) => QueueError::Unavailable(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_retry_within_the_limit_is_hidden_for_its_whole_delay() {
        assert_eq!(retry_visibility(Duration::from_secs(5), Duration::from_secs(1)), Duration::from_secs(5));
        assert_eq!(retry_visibility(10 * HOUR, Duration::from_secs(30)), 10 * HOUR);
    }

    #[test]
    fn a_retry_past_twelve_hours_from_receipt_is_capped_below_the_limit() {
        let since_receipt = Duration::from_secs(45);
        let hidden = retry_visibility(24 * HOUR, since_receipt);
        assert!(since_receipt + hidden < MAX_HIDDEN_SINCE_RECEIPT, "SQS would refuse {hidden:?}");
        assert_eq!(hidden, MAX_HIDDEN_SINCE_RECEIPT - since_receipt - RECEIPT_MARGIN);
        // A 10 h step with +20 % jitter is 12 h: over the limit too.
        assert!(retry_visibility(12 * HOUR, since_receipt) < 12 * HOUR - since_receipt);
    }

    #[test]
    fn a_message_held_past_the_limit_is_shown_again_at_once() {
        assert_eq!(retry_visibility(HOUR, 12 * HOUR), Duration::ZERO);
    }

    #[test]
    fn seconds_round_up_and_clamp() {
        assert_eq!(whole_secs(Duration::ZERO, 900), 0);
        assert_eq!(whole_secs(Duration::from_millis(1), 900), 1);
        assert_eq!(whole_secs(Duration::from_millis(1500), 900), 2);
        assert_eq!(whole_secs(Duration::from_secs(5), 900), 5);
        assert_eq!(whole_secs(Duration::from_secs(901), 900), 900);
        assert_eq!(whole_secs(Duration::from_secs(u64::MAX), MAX_VISIBILITY_SECS), 43_200);
    }

    #[test]
    fn bodies_are_checked_as_sqs_checks_them() {
        assert!(validate_body("{\"x\":\"ünïcode ✓ 😀\"}\t\r\n").is_ok());
        assert!(validate_body("").is_err());
        assert!(validate_body("a\u{0}b").is_err());
        assert!(validate_body("\u{FFFF}").is_err());
        assert!(validate_body(&"x".repeat(MAX_BODY_BYTES)).is_ok());
        assert!(validate_body(&"x".repeat(MAX_BODY_BYTES + 1)).is_err());
        let error = validate_body("secret\u{1}").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!error.contains("secret"), "errors never quote the body: {error}");
    }
}
