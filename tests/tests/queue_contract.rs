//! The `Queue` / `QueueConsumer` contract suite, run against the embedded SQLite
//! queue and against SQS (moto on loopback, real AWS SDK), plus what only the SQS
//! adapter does: dead letters without a DLQ URL, and settling with the body at hand.

use std::time::{Duration, Instant};

use kyc_app::ports::queue::{OutgoingMessage, Queue, QueueConsumer, QueueError, Settle};
use kyc_tests::queue_contract::{self, MAX_RECEIVES, QueueUnderTest, sqs_queue_pair};

macro_rules! queue_case {
    ($case:ident) => {
        mod $case {
            use super::*;

            #[tokio::test]
            async fn embedded() {
                queue_contract::$case(&QueueUnderTest::local()).await;
            }

            #[tokio::test]
            async fn sqs() {
                queue_contract::$case(&QueueUnderTest::sqs().await).await;
            }
        }
    };
}

queue_case!(bodies_round_trip_intact);
queue_case!(a_received_message_is_hidden_until_its_visibility_ends);
queue_case!(done_removes_it);
queue_case!(retry_in_hides_it_for_the_delay);
queue_case!(a_delay_on_send_hides_it);
queue_case!(batches_larger_than_ten_are_all_sent);
queue_case!(dead_letter_moves_it_to_the_dlq);
queue_case!(receive_count_counts_every_receive);
queue_case!(a_message_received_max_receives_times_is_redriven);
queue_case!(invalid_bodies_are_refused_and_nothing_is_sent);

const LONG: Duration = Duration::from_secs(30);

async fn dlq_bodies(dlq: &kyc_aws::SqsQueue) -> Vec<String> {
    dlq.receive(10, Duration::ZERO).await.expect("DLQ receive").into_iter().map(|m| m.body).collect()
}

/// Without a DLQ URL, `DeadLetter` makes the message visible at once, and the redrive
/// policy moves it once it has been received `maxReceiveCount` times.
#[tokio::test]
async fn sqs_dead_letter_without_a_dlq_url_leaves_it_to_the_redrive_policy() {
    let (queue, dlq) = sqs_queue_pair().await;
    queue.send(vec![OutgoingMessage { body: "redriven".into(), delay: Duration::ZERO }]).await.expect("send");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut receives = 0;
    while receives < MAX_RECEIVES {
        let got = queue.receive(10, LONG).await.expect("receive");
        if let Some(m) = got.first() {
            receives += 1;
            assert_eq!((m.body.as_str(), m.receive_count), ("redriven", receives));
            queue.settle(&m.receipt, Settle::DeadLetter).await.expect("dead letter without DLQ URL");
        } else {
            assert!(Instant::now() < deadline, "a dead letter without DLQ URL was not visible again at once");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(queue.receive(10, LONG).await.expect("receive").is_empty(), "spent: moved, not delivered");
    assert_eq!(dlq_bodies(&dlq).await, ["redriven"]);
}

/// The Lambda sender's path: the message comes from an SQS event (receipt and body),
/// not from this value's `receive`. `settle` alone has no body for the DLQ and says
/// so; `settle_message` has it.
#[tokio::test]
async fn sqs_settle_message_dead_letters_a_message_received_elsewhere() {
    let (queue, dlq) = sqs_queue_pair().await;
    let sender = kyc_aws::SqsQueue::new(queue.client().clone(), queue.queue_url().to_string())
        .with_dead_letter(dlq.queue_url().to_string());
    queue.send(vec![OutgoingMessage { body: "from an event ✓".into(), delay: Duration::ZERO }]).await.expect("send");
    let got = queue.receive(10, LONG).await.expect("receive");
    let message = got.first().expect("received");
    let refused = sender.settle(&message.receipt, Settle::DeadLetter).await;
    assert!(matches!(refused, Err(QueueError::Invalid(_))), "no body, no dead letter: {refused:?}");
    sender.settle_message(message, Settle::DeadLetter, Duration::ZERO).await.expect("dead letter with the body");
    assert_eq!(dlq_bodies(&dlq).await, ["from an event ✓"]);
    assert!(queue.receive(10, Duration::ZERO).await.expect("receive").is_empty(), "deleted from the queue");
}

/// `RetryIn` goes through ChangeMessageVisibility with the receipt from the event,
/// also on a value that did not receive it; a bad receipt is the caller's error.
#[tokio::test]
async fn sqs_retry_in_works_with_a_receipt_from_elsewhere() {
    let (queue, _dlq) = sqs_queue_pair().await;
    let sender = kyc_aws::SqsQueue::new(queue.client().clone(), queue.queue_url().to_string());
    queue.send(vec![OutgoingMessage { body: "x".into(), delay: Duration::ZERO }]).await.expect("send");
    let got = queue.receive(10, LONG).await.expect("receive");
    let message = got.first().expect("received");
    sender.settle(&message.receipt, Settle::RetryIn(Duration::ZERO)).await.expect("visible again");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(m) = queue.receive(10, LONG).await.expect("receive").first() {
            assert_eq!(m.receive_count, 2);
            break;
        }
        assert!(Instant::now() < deadline, "RetryIn(0) did not make it visible");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bad = sender.settle("not-a-receipt-handle", Settle::RetryIn(Duration::from_secs(5))).await;
    assert!(matches!(bad, Err(QueueError::Invalid(_))), "a bad receipt handle is Invalid: {bad:?}");
}
