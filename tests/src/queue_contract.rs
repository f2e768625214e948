//! The `Queue` / `QueueConsumer` contract: what both backends must do, written once
//! and run against the embedded SQLite queue and against SQS on moto with the real
//! SDK (see `tests/queue_contract.rs`). Each case gets a queue of its own, so cases
//! run in parallel. Timing uses visibilities of 1 s and bounded polling, never a
//! sleep that only hopes to be long enough.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kyc_app::ports::queue::{OutgoingMessage, Queue, QueueConsumer, QueueError, ReceivedMessage, Settle};
use kyc_aws::SqsQueue;
use kyc_embedded::LocalQueue;

use crate::backends::{moto_config, uuid_like};

/// The redrive bound of every queue under test (SQS `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 3;
/// Long enough that a message does not come back during a case.
const LONG: Duration = Duration::from_secs(30);
const SECOND: Duration = Duration::from_secs(1);
/// How long a poll waits for something that must happen after about a second.
const PATIENCE: Duration = Duration::from_secs(6);
const POLL: Duration = Duration::from_millis(100);
/// Allowance for the two clocks (the backend's and ours) and their granularity.
const SLACK: Duration = Duration::from_millis(50);

enum DeadLetters {
    Local(LocalQueue),
    /// A consumer of the dead-letter queue.
    Sqs(SqsQueue),
}

/// One backend under test: the queue, both its ports, and a way to read its dead letters.
pub struct QueueUnderTest {
    pub queue: Arc<dyn Queue>,
    pub consumer: Arc<dyn QueueConsumer>,
    dead: DeadLetters,
}

impl QueueUnderTest {
    /// The embedded queue, in memory.
    pub fn local() -> Self {
        let queue = LocalQueue::in_memory(MAX_RECEIVES).expect("in-memory queue opens");
        QueueUnderTest {
            queue: Arc::new(queue.clone()),
            consumer: Arc::new(queue.clone()),
            dead: DeadLetters::Local(queue),
        }
    }

    /// A fresh SQS queue on moto, with a DLQ of its own that is both its redrive
    /// target (after [`MAX_RECEIVES`]) and its `with_dead_letter` URL.
    pub async fn sqs() -> Self {
        let (queue, dlq) = sqs_queue_pair().await;
        let queue = queue.with_dead_letter(dlq.queue_url().to_string());
        QueueUnderTest { queue: Arc::new(queue.clone()), consumer: Arc::new(queue), dead: DeadLetters::Sqs(dlq) }
    }

    /// The bodies in the dead letters now (sorted).
    pub async fn dead_letters(&self) -> Vec<String> {
        let mut bodies = match &self.dead {
            DeadLetters::Local(queue) => queue.dead_letters().await.expect("dead letters read"),
            // Visibility 0: reading leaves them there for the next look.
            DeadLetters::Sqs(dlq) => {
                dlq.receive(10, Duration::ZERO).await.expect("DLQ receive").into_iter().map(|m| m.body).collect()
            }
        };
        bodies.sort();
        bodies
    }
}

/// A fresh SQS queue on moto and its DLQ (redrive after [`MAX_RECEIVES`]), both as
/// plain adapters (no `with_dead_letter`).
pub async fn sqs_queue_pair() -> (SqsQueue, SqsQueue) {
    let client = aws_sdk_sqs::Client::new(&moto_config().await);
    let id = uuid_like();
    let (dlq_url, dlq_arn) =
        kyc_aws::queue::create_queue(&client, &format!("kyc-test-dlq-{id}"), None).await.expect("DLQ created");
    let (url, _) = kyc_aws::queue::create_queue(&client, &format!("kyc-test-q-{id}"), Some((&dlq_arn, MAX_RECEIVES)))
        .await
        .expect("queue created");
    (SqsQueue::new(client.clone(), url), SqsQueue::new(client, dlq_url))
}

fn now(body: &str) -> OutgoingMessage {
    OutgoingMessage { body: body.to_string(), delay: Duration::ZERO }
}

async fn receive(q: &QueueUnderTest, max: u32, visibility: Duration) -> Vec<ReceivedMessage> {
    let got = q.consumer.receive(max, visibility).await.expect("receive succeeds");
    assert!(got.len() <= max as usize, "at most `max` messages");
    got
}

/// Polls until a receive returns something (then returns it), for at most `patience`.
async fn receive_within(q: &QueueUnderTest, visibility: Duration, patience: Duration) -> Vec<ReceivedMessage> {
    let deadline = Instant::now() + patience;
    loop {
        let got = receive(q, 10, visibility).await;
        if !got.is_empty() {
            return got;
        }
        assert!(Instant::now() < deadline, "nothing became visible within {patience:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// Polls for `period` and checks that nothing is received meanwhile.
async fn nothing_for(q: &QueueUnderTest, period: Duration, why: &str) {
    let deadline = Instant::now() + period;
    while Instant::now() < deadline {
        let got = receive(q, 10, LONG).await;
        assert!(got.is_empty(), "{why}: received {} message(s)", got.len());
        tokio::time::sleep(POLL).await;
    }
}

/// Receives until `count` distinct bodies are in (each received once: visibility
/// [`LONG`]); fails on a duplicate or when they do not all arrive within [`PATIENCE`].
async fn receive_all(q: &QueueUnderTest, count: usize) -> BTreeMap<String, ReceivedMessage> {
    let deadline = Instant::now() + PATIENCE;
    let mut all = BTreeMap::new();
    while all.len() < count {
        for m in receive(q, 10, LONG).await {
            let body = m.body.clone();
            assert!(all.insert(body, m).is_none(), "a message hidden for 30 s was received twice");
        }
        if all.len() < count {
            assert!(Instant::now() < deadline, "only {} of {count} messages arrived", all.len());
            tokio::time::sleep(POLL).await;
        }
    }
    all
}

fn only(mut got: Vec<ReceivedMessage>) -> ReceivedMessage {
    assert_eq!(got.len(), 1, "exactly one message expected");
    got.remove(0)
}

pub async fn bodies_round_trip_intact(q: &QueueUnderTest) {
    let bodies = [
        r#"{"event_id":"ev_1","data":{"name":"Zoë Ångström","note":"ünïcode ✓ 😀 中文 עברית"}}"#.to_string(),
        "  spaces, \"quotes\", <xml> & ampersands\ttabs\r\nand new lines  ".to_string(),
        format!("{{\"large\":\"{}\"}}", "é€".repeat(10_000)),
    ];
    q.queue.send(bodies.iter().map(|b| now(b)).collect()).await.expect("send");
    let got = receive_all(q, bodies.len()).await;
    let mut expected = bodies.to_vec();
    expected.sort();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), expected, "bodies arrive byte for byte");
    assert!(got.values().all(|m| m.receive_count == 1), "first delivery counts 1");
    let receipts: std::collections::HashSet<&str> = got.values().map(|m| m.receipt.as_str()).collect();
    assert_eq!(receipts.len(), bodies.len(), "each message has a receipt of its own");
    q.queue.send(Vec::new()).await.expect("sending nothing is fine");
}

pub async fn a_received_message_is_hidden_until_its_visibility_ends(q: &QueueUnderTest) {
    q.queue.send(vec![now("hidden")]).await.expect("send");
    let started = Instant::now();
    let first = only(receive_within(q, SECOND, PATIENCE).await);
    assert_eq!(first.receive_count, 1);
    assert!(receive(q, 10, SECOND).await.is_empty(), "in flight: not visible");
    let again = only(receive_within(q, LONG, PATIENCE).await);
    let hidden = started.elapsed();
    assert!(hidden + SLACK >= SECOND, "came back after {hidden:?}, before its 1 s visibility ended");
    assert_eq!(again.body, "hidden");
    assert_eq!(again.receive_count, 2, "the second delivery counts 2");
    assert_ne!(again.receipt, first.receipt, "each receive has its own receipt");
}

pub async fn done_removes_it(q: &QueueUnderTest) {
    q.queue.send(vec![now("done")]).await.expect("send");
    let got = only(receive_within(q, SECOND, PATIENCE).await);
    q.consumer.settle(&got.receipt, Settle::Done).await.expect("done");
    nothing_for(q, SECOND + Duration::from_millis(500), "a message settled Done came back").await;
}

pub async fn retry_in_hides_it_for_the_delay(q: &QueueUnderTest) {
    q.queue.send(vec![now("retry")]).await.expect("send");
    let got = only(receive_within(q, LONG, PATIENCE).await);
    let started = Instant::now();
    q.consumer.settle(&got.receipt, Settle::RetryIn(SECOND)).await.expect("retry in 1 s");
    assert!(receive(q, 10, LONG).await.is_empty(), "hidden for the retry delay");
    let again = only(receive_within(q, LONG, PATIENCE).await);
    let hidden = started.elapsed();
    assert!(hidden + SLACK >= SECOND, "came back after {hidden:?}, before its 1 s retry delay");
    assert!(hidden < LONG, "the retry delay replaced the 30 s visibility");
    assert_eq!(again.receive_count, 2);
    // RetryIn(0): visible again at once.
    q.consumer.settle(&again.receipt, Settle::RetryIn(Duration::ZERO)).await.expect("retry now");
    let third = only(receive_within(q, LONG, Duration::from_millis(900)).await);
    assert_eq!((third.body.as_str(), third.receive_count), ("retry", 3));
}

pub async fn a_delay_on_send_hides_it(q: &QueueUnderTest) {
    let started = Instant::now();
    q.queue.send(vec![OutgoingMessage { body: "delayed".into(), delay: SECOND }, now("at once")]).await.expect("send");
    let first = only(receive_within(q, LONG, PATIENCE).await);
    assert_eq!(first.body, "at once", "the delayed message is not visible yet");
    let delayed = only(receive_within(q, LONG, PATIENCE).await);
    let waited = started.elapsed();
    assert_eq!((delayed.body.as_str(), delayed.receive_count), ("delayed", 1));
    assert!(waited + SLACK >= SECOND, "a 1 s delay ended after {waited:?}");
}

pub async fn batches_larger_than_ten_are_all_sent(q: &QueueUnderTest) {
    let bodies: Vec<String> = (0..25).map(|i| format!("{{\"n\":{i}}}")).collect();
    q.queue.send(bodies.iter().map(|b| now(b)).collect()).await.expect("send 25");
    let got = receive_all(q, bodies.len()).await;
    let mut expected = bodies.clone();
    expected.sort();
    assert_eq!(got.into_keys().collect::<Vec<_>>(), expected);
    nothing_for(q, Duration::from_millis(300), "no message was sent twice").await;
}

pub async fn dead_letter_moves_it_to_the_dlq(q: &QueueUnderTest) {
    q.queue.send(vec![now("poison ☠"), now("fine")]).await.expect("send");
    let got = receive_all(q, 2).await;
    q.consumer.settle(&got["poison ☠"].receipt, Settle::DeadLetter).await.expect("dead letter");
    q.consumer.settle(&got["fine"].receipt, Settle::Done).await.expect("done");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let dead = q.dead_letters().await;
        if !dead.is_empty() {
            assert_eq!(dead, ["poison ☠"], "only the dead-lettered message, body intact");
            break;
        }
        assert!(Instant::now() < deadline, "the dead letter never reached the DLQ");
        tokio::time::sleep(POLL).await;
    }
    assert!(receive(q, 10, LONG).await.is_empty(), "a dead letter leaves the queue");
}

pub async fn receive_count_counts_every_receive(q: &QueueUnderTest) {
    q.queue.send(vec![now("counted")]).await.expect("send");
    // Visibility 0: visible again at once, so each receive is another delivery.
    for expected in 1..=MAX_RECEIVES {
        let got = only(receive_within(q, Duration::ZERO, PATIENCE).await);
        assert_eq!((got.body.as_str(), got.receive_count), ("counted", expected));
    }
}

pub async fn a_message_received_max_receives_times_is_redriven(q: &QueueUnderTest) {
    q.queue.send(vec![now("spent")]).await.expect("send");
    for expected in 1..=MAX_RECEIVES {
        let got = only(receive_within(q, LONG, PATIENCE).await);
        assert_eq!(got.receive_count, expected);
        q.consumer.settle(&got.receipt, Settle::RetryIn(Duration::ZERO)).await.expect("retry now");
    }
    // Visible again, but spent: the next receive moves it instead of returning it.
    nothing_for(q, Duration::from_millis(300), "a message past max receives was delivered").await;
    assert_eq!(q.dead_letters().await, ["spent"]);
}

pub async fn invalid_bodies_are_refused_and_nothing_is_sent(q: &QueueUnderTest) {
    for bad in ["", "nul \u{0} inside", "\u{FFFF}"] {
        let result = q.queue.send(vec![now("valid"), now(bad)]).await;
        match result {
            Err(QueueError::Invalid(reason)) => {
                assert!(reason.starts_with("message 1"), "the error names the message: {reason}");
                assert!(!reason.contains("inside"), "errors never quote a body: {reason}");
            }
            other => panic!("an invalid body must be refused, got {other:?}"),
        }
    }
    let too_large = "x".repeat(256 * 1024 + 1);
    assert!(matches!(q.queue.send(vec![now(&too_large)]).await, Err(QueueError::Invalid(_))));
    nothing_for(q, Duration::from_millis(300), "a refused send sent something").await;
}
