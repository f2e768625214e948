//! The `Queue` / `QueueConsumer` ports on a SQLite file of their own: a durable
//! queue with SQS's semantics, so that local mode loses nothing on restart.
//!
//! - A message is visible when `visible_at <= now` (milliseconds). `send` sets it to
//!   now + delay (at most 15 minutes); `receive` hides what it returns for the
//!   visibility timeout (at most 12 hours) and counts the receive.
//! - Redrive as SQS does it: a message that becomes visible again after
//!   `max_receives` receives is moved to `dead_letters` by the next `receive`,
//!   instead of being returned.
//! - A receipt is `"{id}.{receive_count}"`: it names one receive of one message. A
//!   stale receipt (the message was received again since) or one of a message already
//!   gone changes nothing and is not an error, as deleting twice is not one in SQS.
//! - Every read-modify-write runs in one `BEGIN IMMEDIATE` transaction.
//! - Bodies are checked as SQS checks them (the same error for the same body), and
//!   never appear in errors or logs.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use kyc_app::ports::queue::{OutgoingMessage, Queue, QueueConsumer, QueueError, ReceivedMessage, Settle};

/// SQS's bounds, kept here so both backends behave alike.
pub const MAX_DELAY: Duration = Duration::from_secs(900);
pub const MAX_VISIBILITY: Duration = Duration::from_secs(43_200);
/// The body bound of the SQS adapter (the classic SQS limit).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    -- 1 while a consumer holds the message (received, not settled).
    leased INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    receive_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    dead_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
";

/// The current time in milliseconds since the Unix epoch.
pub type NowMs = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A durable queue in SQLite. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct LocalQueue {
    conn: Arc<Mutex<Connection>>,
    max_receives: u32,
    now_ms: NowMs,
}

impl std::fmt::Debug for LocalQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalQueue").field("max_receives", &self.max_receives).finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn millis(d: Duration, max: Duration) -> i64 {
    // At most 12 hours: always fits.
    d.min(max).as_millis() as i64
}

/// Checks a body as SQS does: 1 to [`MAX_BODY_BYTES`] bytes of the characters
/// #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
fn body_problem(body: &str) -> Option<String> {
    if body.is_empty() {
        return Some("empty message body".into());
    }
    if body.len() > MAX_BODY_BYTES {
        return Some(format!("message body of {} bytes exceeds {MAX_BODY_BYTES}", body.len()));
    }
    body.chars()
        .position(|c| !(matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')))
        .map(|position| format!("message body has a character SQS refuses at position {position}"))
}

/// `"{id}.{receive_count}"`.
fn parse_receipt(receipt: &str) -> Result<(i64, i64), QueueError> {
    receipt
        .split_once('.')
        .and_then(|(id, count)| Some((id.parse().ok()?, count.parse().ok()?)))
        .ok_or_else(|| QueueError::Invalid("not a local queue receipt".into()))
}

fn move_to_dead_letters(tx: &rusqlite::Transaction<'_>, id: i64, now: i64, reason: &str) -> Result<(), QueueError> {
    tx.execute(
        "INSERT INTO dead_letters (message_id, body, receive_count, created_at, dead_at, reason)
         SELECT id, body, receive_count, created_at, ?2, ?3 FROM messages WHERE id = ?1",
        params![id, now, reason],
    )
    .map_err(unavailable)?;
    tx.execute("DELETE FROM messages WHERE id = ?1", [id]).map_err(unavailable)?;
    Ok(())
}

impl LocalQueue {
    /// Opens (creating if needed) the queue's database file. A message is moved to
    /// the dead letters once it was received `max_receives` times (1..=1000, as SQS's
    /// `maxReceiveCount`).
    pub fn open(path: &Path, max_receives: u32) -> Result<Self, QueueError> {
        Self::setup(Connection::open(path).map_err(unavailable)?, max_receives)
    }

    /// A private queue in memory (tests).
    pub fn in_memory(max_receives: u32) -> Result<Self, QueueError> {
        Self::setup(Connection::open_in_memory().map_err(unavailable)?, max_receives)
    }

    /// Replaces the wall clock (milliseconds since the epoch), so tests can move time.
    pub fn with_clock(mut self, now_ms: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.now_ms = Arc::new(now_ms);
        self
    }

    pub fn max_receives(&self) -> u32 {
        self.max_receives
    }

    fn setup(conn: Connection, max_receives: u32) -> Result<Self, QueueError> {
        if !(1..=1000).contains(&max_receives) {
            return Err(QueueError::Invalid(format!("max_receives {max_receives} is outside 1..=1000")));
        }
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
            .map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        // Files made before leases were tracked get the column (as not leased).
        let has_leased: bool = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'leased'", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(unavailable)?;
        if !has_leased {
            conn.execute_batch("ALTER TABLE messages ADD COLUMN leased INTEGER NOT NULL DEFAULT 0")
                .map_err(unavailable)?;
        }
        Ok(LocalQueue { conn: Arc::new(Mutex::new(conn)), max_receives, now_ms: Arc::new(system_now_ms) })
    }

    /// Makes every message a consumer received and never settled visible now. For the
    /// queue's only consumer at its start: whatever a previous run held when it died
    /// is delivered at once instead of after its visibility timeout. Messages waiting
    /// out a retry or a send delay stay hidden. Returns how many were released.
    pub async fn release_leases(&self) -> Result<u64, QueueError> {
        self.with_conn(|conn, now| {
            let released = conn
                .execute("UPDATE messages SET visible_at = ?1, leased = 0 WHERE leased = 1", [now])
                .map_err(unavailable)?;
            Ok(released as u64)
        })
        .await
    }

    /// The bodies in the dead letters, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<String>, QueueError> {
        self.with_conn(|conn, _| {
            let mut statement = conn.prepare("SELECT body FROM dead_letters ORDER BY id").map_err(unavailable)?;
            let bodies = statement.query_map([], |r| r.get(0)).map_err(unavailable)?;
            bodies.collect::<Result<Vec<String>, _>>().map_err(unavailable)
        })
        .await
    }

    /// `(visible, in_flight, dead)`: messages receivable now; messages hidden (being
    /// handled, waiting out a retry or a send delay); dead letters.
    pub async fn depth(&self) -> Result<(u64, u64, u64), QueueError> {
        self.with_conn(|conn, now| {
            let (visible, hidden) = conn
                .query_row(
                    "SELECT COALESCE(SUM(visible_at <= ?1), 0), COALESCE(SUM(visible_at > ?1), 0) FROM messages",
                    [now],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
                .map_err(unavailable)?;
            let dead: i64 =
                conn.query_row("SELECT COUNT(*) FROM dead_letters", [], |r| r.get(0)).map_err(unavailable)?;
            Ok((visible as u64, hidden as u64, dead as u64))
        })
        .await
    }

    /// Runs `f` with the connection and the current time, off the async threads.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, i64) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let conn = Arc::clone(&self.conn);
        let now_ms = Arc::clone(&self.now_ms);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| unavailable("queue connection lock poisoned"))?;
            f(&mut guard, now_ms())
        })
        .await
        .map_err(unavailable)?
    }
}

#[async_trait]
impl Queue for LocalQueue {
    async fn send(&self, messages: Vec<OutgoingMessage>) -> Result<(), QueueError> {
        for (index, message) in messages.iter().enumerate() {
            if let Some(problem) = body_problem(&message.body) {
                return Err(QueueError::Invalid(format!("message {index}: {problem}")));
            }
        }
        if messages.is_empty() {
            return Ok(());
        }
        self.with_conn(move |conn, now| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            {
                let mut insert = tx
                    .prepare(
                        "INSERT INTO messages (body, visible_at, receive_count, created_at) VALUES (?1, ?2, 0, ?3)",
                    )
                    .map_err(unavailable)?;
                for message in &messages {
                    insert
                        .execute(params![message.body, now + millis(message.delay, MAX_DELAY), now])
                        .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

#[async_trait]
impl QueueConsumer for LocalQueue {
    async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<ReceivedMessage>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let hide_for = millis(visibility, MAX_VISIBILITY);
        let max_receives = i64::from(self.max_receives);
        self.with_conn(move |conn, now| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let mut received = Vec::new();
            loop {
                let wanted = max as usize - received.len();
                let candidates: Vec<(i64, String, i64)> = {
                    let mut select = tx
                        .prepare_cached(
                            "SELECT id, body, receive_count FROM messages WHERE visible_at <= ?1
                             ORDER BY visible_at, id LIMIT ?2",
                        )
                        .map_err(unavailable)?;
                    let rows = select
                        .query_map(params![now, wanted as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .map_err(unavailable)?;
                    rows.collect::<Result<_, _>>().map_err(unavailable)?
                };
                let exhausted = candidates.len() < wanted;
                let mut moved = 0;
                for (id, body, count) in candidates {
                    if count >= max_receives {
                        move_to_dead_letters(&tx, id, now, "max_receives")?;
                        tracing::info!(
                            message_id = id,
                            receive_count = count,
                            "local queue: message moved to dead letters"
                        );
                        moved += 1;
                        continue;
                    }
                    let count = count + 1;
                    tx.execute(
                        "UPDATE messages SET visible_at = ?2, receive_count = ?3, leased = 1 WHERE id = ?1",
                        params![id, now + hide_for, count],
                    )
                    .map_err(unavailable)?;
                    received.push(ReceivedMessage {
                        receipt: format!("{id}.{count}"),
                        body,
                        receive_count: u32::try_from(count).unwrap_or(u32::MAX),
                    });
                }
                // Rows moved to the dead letters leave room for more, if there are more.
                if moved == 0 || exhausted {
                    break;
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(received)
        })
        .await
    }

    async fn settle(&self, receipt: &str, settle: Settle) -> Result<(), QueueError> {
        let (id, count) = parse_receipt(receipt)?;
        self.with_conn(move |conn, now| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let current: Option<i64> = tx
                .query_row("SELECT receive_count FROM messages WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            if current != Some(count) {
                // Settled already, or received again since: that receive owns it now.
                tracing::debug!(message_id = id, "local queue: stale or unknown receipt, nothing to settle");
                return Ok(());
            }
            match settle {
                Settle::Done => {
                    tx.execute("DELETE FROM messages WHERE id = ?1", [id]).map_err(unavailable)?;
                }
                Settle::RetryIn(delay) => {
                    tx.execute(
                        "UPDATE messages SET visible_at = ?2, leased = 0 WHERE id = ?1",
                        params![id, now + millis(delay, MAX_VISIBILITY)],
                    )
                    .map_err(unavailable)?;
                }
                Settle::DeadLetter => move_to_dead_letters(&tx, id, now, "dead_letter")?,
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    const T0: i64 = 1_800_000_000_000;

    /// A queue on a clock that only moves when told to.
    fn queue(max_receives: u32) -> (LocalQueue, Arc<AtomicI64>) {
        let clock = Arc::new(AtomicI64::new(T0));
        let now = Arc::clone(&clock);
        let queue = LocalQueue::in_memory(max_receives).expect("opens").with_clock(move || now.load(Ordering::SeqCst));
        (queue, clock)
    }

    fn message(body: &str, delay: Duration) -> OutgoingMessage {
        OutgoingMessage { body: body.to_string(), delay }
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn visibility_delay_and_retry_follow_the_clock_to_the_millisecond() {
        let (q, clock) = queue(5);
        q.send(vec![message("a", Duration::from_millis(1500))]).await.expect("send");
        assert!(q.receive(10, SECOND).await.expect("receive").is_empty(), "delayed");
        clock.fetch_add(1499, Ordering::SeqCst);
        assert!(q.receive(10, SECOND).await.expect("receive").is_empty(), "still delayed");
        clock.fetch_add(1, Ordering::SeqCst);
        let got = q.receive(10, SECOND).await.expect("receive");
        assert_eq!(got.len(), 1);
        assert_eq!(q.depth().await.expect("depth"), (0, 1, 0));
        clock.fetch_add(999, Ordering::SeqCst);
        assert!(q.receive(10, SECOND).await.expect("receive").is_empty(), "in flight");
        clock.fetch_add(1, Ordering::SeqCst);
        let again = q.receive(10, SECOND).await.expect("receive");
        assert_eq!(again[0].receive_count, 2);
        q.settle(&again[0].receipt, Settle::RetryIn(Duration::from_secs(30))).await.expect("retry");
        clock.fetch_add(29_999, Ordering::SeqCst);
        assert!(q.receive(10, SECOND).await.expect("receive").is_empty(), "waiting out the retry");
        clock.fetch_add(1, Ordering::SeqCst);
        assert_eq!(q.receive(10, SECOND).await.expect("receive")[0].receive_count, 3);
    }

    #[tokio::test]
    async fn delays_and_retries_are_clamped_to_the_sqs_bounds() {
        let (q, clock) = queue(5);
        q.send(vec![message("a", Duration::from_secs(3600))]).await.expect("send");
        clock.fetch_add(900_000, Ordering::SeqCst);
        let got = q.receive(1, SECOND).await.expect("receive");
        assert_eq!(got.len(), 1, "a delay is at most 15 minutes");
        q.settle(&got[0].receipt, Settle::RetryIn(Duration::from_secs(86_400))).await.expect("retry");
        clock.fetch_add(43_200_000, Ordering::SeqCst);
        assert_eq!(q.receive(1, SECOND).await.expect("receive").len(), 1, "a retry is at most 12 hours");
    }

    #[tokio::test]
    async fn a_message_received_max_receives_times_is_redriven_on_the_next_receive() {
        let (q, clock) = queue(2);
        q.send(vec![message("poison", Duration::ZERO)]).await.expect("send");
        for expected in 1..=2 {
            let got = q.receive(1, SECOND).await.expect("receive");
            assert_eq!((got[0].body.as_str(), got[0].receive_count), ("poison", expected));
            clock.fetch_add(1000, Ordering::SeqCst);
        }
        q.send(vec![message("fine", Duration::ZERO)]).await.expect("send");
        // The poison message is visible again, first in line, but spent: it moves to
        // the dead letters and the receive fills its place with the next message.
        let got = q.receive(1, SECOND).await.expect("receive");
        assert_eq!(got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["fine"]);
        assert_eq!(q.dead_letters().await.expect("dead letters"), ["poison"]);
        assert_eq!(q.depth().await.expect("depth"), (0, 1, 1));
    }

    #[tokio::test]
    async fn a_stale_receipt_settles_nothing_and_a_foreign_one_is_invalid() {
        let (q, clock) = queue(5);
        q.send(vec![message("a", Duration::ZERO)]).await.expect("send");
        let first = q.receive(1, SECOND).await.expect("receive").remove(0);
        clock.fetch_add(1000, Ordering::SeqCst);
        let second = q.receive(1, SECOND).await.expect("receive").remove(0);
        q.settle(&first.receipt, Settle::Done).await.expect("a stale receipt is not an error");
        q.settle(&first.receipt, Settle::DeadLetter).await.expect("a stale receipt is not an error");
        assert_eq!(q.depth().await.expect("depth"), (0, 1, 0), "the second receive still owns it");
        q.settle(&second.receipt, Settle::Done).await.expect("done");
        q.settle(&second.receipt, Settle::Done).await.expect("settling twice is not an error");
        assert_eq!(q.depth().await.expect("depth"), (0, 0, 0));
        assert!(matches!(q.settle("AQEB-sqs-handle", Settle::Done).await, Err(QueueError::Invalid(_))));
    }

    #[tokio::test]
    async fn ids_are_not_reused_after_a_delete() {
        let (q, _) = queue(5);
        q.send(vec![message("a", Duration::ZERO)]).await.expect("send");
        let a = q.receive(1, SECOND).await.expect("receive").remove(0);
        q.settle(&a.receipt, Settle::Done).await.expect("done");
        q.send(vec![message("b", Duration::ZERO)]).await.expect("send");
        let b = q.receive(1, SECOND).await.expect("receive").remove(0);
        assert_ne!(a.receipt, b.receipt, "an old receipt must never name a new message");
    }

    #[tokio::test]
    async fn invalid_bodies_refuse_the_whole_send() {
        let (q, _) = queue(5);
        let result = q.send(vec![message("ok", Duration::ZERO), message("secret\u{0}", Duration::ZERO)]).await;
        match result {
            Err(QueueError::Invalid(reason)) => assert!(!reason.contains("secret"), "no body in errors: {reason}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(q.depth().await.expect("depth"), (0, 0, 0), "nothing was sent");
        assert!(LocalQueue::in_memory(0).is_err());
    }

    #[tokio::test]
    async fn messages_survive_a_restart() {
        let path =
            std::env::temp_dir().join(format!("kyc-queue-test-{}-{}.sqlite", std::process::id(), system_now_ms()));
        {
            let q = LocalQueue::open(&path, 5).expect("opens");
            q.send(vec![message("kept ✓", Duration::ZERO), message("in flight", Duration::ZERO)]).await.expect("send");
            let got = q.receive(1, Duration::ZERO).await.expect("receive");
            assert_eq!(got[0].body, "kept ✓");
            q.settle(&got[0].receipt, Settle::DeadLetter).await.expect("dead letter");
            assert_eq!(q.receive(1, Duration::from_secs(600)).await.expect("receive").len(), 1);
        }
        let q = LocalQueue::open(&path, 5).expect("reopens");
        assert_eq!(q.depth().await.expect("depth"), (0, 1, 1), "the in-flight message is still hidden");
        assert_eq!(q.dead_letters().await.expect("dead letters"), ["kept ✓"]);
        drop(q);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[tokio::test]
    async fn a_message_held_by_a_consumer_that_died_is_released_at_the_next_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("queue.sqlite3");
        let first = LocalQueue::open(&path, 5).expect("queue");
        first
            .send(vec![
                OutgoingMessage { body: "held".into(), delay: Duration::ZERO },
                OutgoingMessage { body: "retrying".into(), delay: Duration::ZERO },
            ])
            .await
            .expect("sent");
        let received = first.receive(10, Duration::from_secs(90)).await.expect("received");
        let retrying = received.iter().find(|m| m.body == "retrying").expect("the second message");
        first.settle(&retrying.receipt, Settle::RetryIn(Duration::from_secs(3600))).await.expect("settled");
        drop(first); // the process dies holding "held"

        let restarted = LocalQueue::open(&path, 5).expect("queue");
        assert_eq!(restarted.release_leases().await.expect("released"), 1);
        let again = restarted.receive(10, Duration::from_secs(90)).await.expect("received");
        assert_eq!(again.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["held"], "a retry keeps its delay");
        assert_eq!(again[0].receive_count, 2);
    }
}
