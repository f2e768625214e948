//! The background work AWS does with a stream, a queue and event source mappings, done
//! in process: the relay reads the store's change stream (committed audit events) and
//! queues deliveries; the sender drains the durable local queue. Both survive restarts:
//! the relay keeps a checkpoint, the queue keeps unsettled messages. The follow-up job
//! runs on a timer, as EventBridge Scheduler runs it on AWS.

use std::sync::Arc;
use std::time::Duration;

use kyc_app::Deps;
use kyc_app::ports::queue::QueueConsumer;
use kyc_app::webhooks::sender::{Sender, deliver_batch};
use kyc_embedded::{LocalQueue, SqliteTable};

const RELAY: &str = "event-relay";
const POLL: Duration = Duration::from_millis(200);
/// Messages handled at once, as the Lambda sender does within a batch.
const CONCURRENCY: usize = 16;
/// While a message is being handled nobody else sees it; the sender's 15 s timeout
/// fits well inside.
const VISIBILITY: Duration = Duration::from_secs(90);

/// Relays committed audit events to the deliveries queue, forever.
pub async fn relay(table: SqliteTable, deps: Deps) {
    loop {
        if let Err(e) = relay_once(&table, &deps).await {
            tracing::error!(error = %e, "relaying events failed; will retry");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn relay_once(table: &SqliteTable, deps: &Deps) -> Result<(), String> {
    let mut after = table.checkpoint(RELAY).await.map_err(|e| e.to_string())?;
    loop {
        let records = table.stream_after(after, 100).await.map_err(|e| e.to_string())?;
        if records.is_empty() {
            return Ok(());
        }
        let seqs: Vec<_> = records.iter().map(|(seq, _)| *seq).collect();
        let items: Vec<_> = records.into_iter().map(|(_, item)| item).collect();
        let report = kyc_app::webhooks::relay::relay_items(deps, &items).await;
        // At least once: the checkpoint moves past what was relayed, never further.
        let done = report.failed.as_ref().map_or(seqs.len(), |(index, _)| *index);
        if done > 0 {
            after = seqs[done - 1];
            table.set_checkpoint(RELAY, after).await.map_err(|e| e.to_string())?;
        }
        if let Some((_, e)) = report.failed {
            return Err(kyc_app::error::report(&e));
        }
    }
}

/// Delivers queued webhooks, forever.
pub async fn send(queue: Arc<LocalQueue>, deps: Deps, sender: Sender) {
    loop {
        match queue.receive(CONCURRENCY as u32, VISIBILITY).await {
            Ok(messages) if !messages.is_empty() => {
                for (message, settle) in deliver_batch(&deps, &sender, messages, CONCURRENCY).await {
                    if let Err(e) = queue.settle(&message.receipt, settle).await {
                        tracing::error!(error = %e, "settling a delivery message failed");
                    }
                }
            }
            Ok(_) => tokio::time::sleep(POLL).await,
            Err(e) => {
                tracing::error!(error = %e, "receiving deliveries failed");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// Runs the follow-up job every `interval` (EventBridge Scheduler's job on AWS).
pub async fn follow_ups(deps: Deps, delay: chrono::TimeDelta, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = kyc_app::followups::run(&deps, delay).await {
            tracing::error!(error = %kyc_app::error::report(&e), "the follow-up job failed; will run again");
        }
    }
}

/// Deletes expired items (idempotency records, delivery attempts, counters) every hour,
/// as DynamoDB's TTL sweeper does; reads already ignore them once expired.
pub async fn sweep(table: SqliteTable, clock: Arc<dyn kyc_app::ports::Clock>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(3600));
    loop {
        ticker.tick().await;
        match table.purge_expired(clock.now().timestamp()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "expired items purged"),
            Err(e) => tracing::error!(error = %e, "purging expired items failed"),
        }
    }
}

/// Delays between the attempts of a local "S3 event", as Lambda retries an
/// asynchronous invocation (shorter: nobody waits minutes on a laptop).
const SCORING_RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(4)];

/// Scores one stored upload, retrying a failed attempt as Lambda retries the S3 event:
/// an unavailable verifier is counted by the scorer, whose last attempt records it.
pub async fn score(deps: &Deps, scoring: &kyc_app::scoring::Scoring, key: &str) {
    let mut delays = SCORING_RETRY_DELAYS.iter();
    loop {
        match kyc_app::scoring::on_object_created(deps, scoring, key).await {
            Ok(_) => return,
            Err(e) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(error = %kyc_app::error::report(&e), "scoring an upload failed; will retry");
                    tokio::time::sleep(*delay).await;
                }
                None => {
                    tracing::error!(error = %kyc_app::error::report(&e), "scoring an upload failed");
                    return;
                }
            },
        }
    }
}

/// Runs the import of a stored import file to its end, retrying a failed attempt as
/// Lambda retries the S3 event (each attempt resumes from the import's checkpoint).
pub async fn import(deps: &Deps, key: &str) {
    let mut delays = SCORING_RETRY_DELAYS.iter();
    loop {
        match kyc_app::imports::on_object_created(deps, key, &|| false).await {
            Ok(_) => return,
            Err(e) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(error = %kyc_app::error::report(&e), "an import failed; will resume");
                    tokio::time::sleep(*delay).await;
                }
                None => {
                    tracing::error!(error = %kyc_app::error::report(&e), "an import failed");
                    return;
                }
            },
        }
    }
}
