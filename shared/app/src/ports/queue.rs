//! The `Queue` port: the deliveries queue between the event relay and the webhook
//! sender (SQS on AWS; a durable SQLite queue in local mode). At-least-once: a message
//! received and not settled comes back when its visibility timeout ends.

use std::time::Duration;

use async_trait::async_trait;

/// A message to enqueue, visible after `delay` (at most 15 minutes, SQS's bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub body: String,
    pub delay: Duration,
}

/// A message as received by a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The handle to settle it with (SQS receipt handle, or the local row id).
    pub receipt: String,
    pub body: String,
    /// How many times it has been received, this time included (1 on first delivery).
    pub receive_count: u32,
}

/// What a consumer decided about a received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Processed: remove it.
    Done,
    /// Not yet: make it visible again after this delay (at most 12 hours).
    RetryIn(Duration),
    /// Give up: move it to the dead-letter queue.
    DeadLetter,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    #[error("invalid queue request: {0}")]
    Invalid(String),
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

/// The producer side, used by the relay and by manual retries.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues all messages (in batches as the backend requires); all or an error.
    async fn send(&self, messages: Vec<OutgoingMessage>) -> Result<(), QueueError>;
}

/// For a process that sends no deliveries (a Lambda function whose role may not send
/// to the queue): every send is refused, never silently dropped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoQueue;

#[async_trait]
impl Queue for NoQueue {
    async fn send(&self, _: Vec<OutgoingMessage>) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("this function is not given the deliveries queue".into()))
    }
}

/// The consumer side where the process polls itself (local mode; on AWS, Lambda's
/// event source mapping receives and the handler settles through SQS).
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    /// Up to `max` visible messages, each hidden for `visibility` while it is handled.
    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<ReceivedMessage>, QueueError>;

    async fn settle(&self, receipt: &str, settle: Settle) -> Result<(), QueueError>;
}
