//! The `Table` port on one SQLite file, with DynamoDB's semantics: conditions are
//! checked and all writes applied inside one `BEGIN IMMEDIATE` transaction, so a
//! transaction applies whole or not at all; indexes are sparse; strings sort by
//! their bytes (SQLite's BINARY collation on UTF-8), as DynamoDB sorts them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};

use kyc_app::ports::table::{
    Attr, Index, Item, Key, Page, PageKey, Query, SortKey, TTL_ATTR, Table, TableError, Write,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    attrs TEXT NOT NULL,
    body TEXT NOT NULL,
    ttl INTEGER,
    gsi1pk TEXT, gsi1sk TEXT,
    gsi2pk TEXT, gsi2sk TEXT,
    gsi3pk TEXT, gsi3sk TEXT,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL AND gsi2sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL AND gsi3sk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
-- The change stream: every audit event item, in commit order (DynamoDB's stream with
-- the `kind = event` filter). Written in the same transaction as the event.
CREATE TABLE IF NOT EXISTS stream (seq INTEGER PRIMARY KEY AUTOINCREMENT, pk TEXT NOT NULL, sk TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stream_checkpoints (consumer TEXT PRIMARY KEY, seq INTEGER NOT NULL);
";

/// A SQLite-backed table. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct SqliteTable {
    conn: Arc<Mutex<Connection>>,
}

fn unavailable(e: impl std::fmt::Display) -> TableError {
    TableError::Unavailable(e.to_string())
}

impl SqliteTable {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<Self, TableError> {
        Self::setup(Connection::open(path).map_err(unavailable)?)
    }

    /// A private database in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, TableError> {
        Self::setup(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn setup(conn: Connection) -> Result<Self, TableError> {
        // WAL keeps readers off the writer's lock; NORMAL sync is durable across a
        // process crash (not a power cut), which is what a local stack needs.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
            .map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(SqliteTable { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Deletes items whose `ttl` has passed, as DynamoDB's TTL sweeper would.
    pub async fn purge_expired(&self, now: i64) -> Result<usize, TableError> {
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM items WHERE ttl IS NOT NULL AND ttl < ?1", [now]).map_err(unavailable)
        })
        .await
    }

    /// Up to `limit` stream records after `after` (a sequence number), with their items.
    pub async fn stream_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, Item)>, TableError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT s.seq, i.pk, i.sk, i.attrs, i.body FROM stream s JOIN items i ON i.pk = s.pk AND i.sk = s.sk
                     WHERE s.seq > ?1 ORDER BY s.seq LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(rusqlite::params![after, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, pk, sk, attrs, body): (i64, String, String, String, String) = row.map_err(unavailable)?;
                out.push((seq, row_to_item(pk, sk, attrs, body)?));
            }
            Ok(out)
        })
        .await
    }

    /// Where a stream consumer stopped (0: at the start).
    pub async fn checkpoint(&self, consumer: &str) -> Result<i64, TableError> {
        let consumer = consumer.to_string();
        self.with_conn(move |conn| {
            conn.query_row("SELECT seq FROM stream_checkpoints WHERE consumer = ?1", [&consumer], |r| r.get(0))
                .optional()
                .map(|seq| seq.unwrap_or(0))
                .map_err(unavailable)
        })
        .await
    }

    pub async fn set_checkpoint(&self, consumer: &str, seq: i64) -> Result<(), TableError> {
        let consumer = consumer.to_string();
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO stream_checkpoints (consumer, seq) VALUES (?1, ?2)
                 ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
                rusqlite::params![consumer, seq],
            )
            .map_err(unavailable)?;
            // Records every consumer has read are trimmed, as a stream's retention would.
            conn.execute("DELETE FROM stream WHERE seq <= (SELECT MIN(seq) FROM stream_checkpoints)", [])
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| unavailable("connection lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }
}

fn decode_attrs(text: &str) -> Result<BTreeMap<String, Attr>, TableError> {
    serde_json::from_str(text).map_err(|e| TableError::Invalid(format!("stored attributes unreadable: {e}")))
}

fn row_to_item(pk: String, sk: String, attrs: String, body: String) -> Result<Item, TableError> {
    Ok(Item { key: Key { pk, sk }, attrs: decode_attrs(&attrs)?, body })
}

fn existing_attrs(tx: &rusqlite::Transaction<'_>, key: &Key) -> Result<Option<BTreeMap<String, Attr>>, TableError> {
    let text: Option<String> = tx
        .query_row("SELECT attrs FROM items WHERE pk = ?1 AND sk = ?2", [&key.pk, &key.sk], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    text.map(|t| decode_attrs(&t)).transpose()
}

fn put(tx: &rusqlite::Transaction<'_>, item: &Item) -> Result<(), TableError> {
    for name in ["pk", "sk", "body"] {
        if item.attrs.contains_key(name) {
            return Err(TableError::Invalid(format!("attribute name `{name}` is reserved")));
        }
    }
    let attrs = serde_json::to_string(&item.attrs).map_err(|e| TableError::Invalid(e.to_string()))?;
    let index = |i: Index| item.index_key(i);
    let (g1, g2, g3) = (index(Index::Gsi1), index(Index::Gsi2), index(Index::Gsi3));
    tx.execute(
        "INSERT OR REPLACE INTO items (pk, sk, attrs, body, ttl, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            item.key.pk,
            item.key.sk,
            attrs,
            item.body,
            item.n(TTL_ATTR),
            g1.as_ref().map(|k| &k.0),
            g1.as_ref().map(|k| &k.1),
            g2.as_ref().map(|k| &k.0),
            g2.as_ref().map(|k| &k.1),
            g3.as_ref().map(|k| &k.0),
            g3.as_ref().map(|k| &k.1),
        ],
    )
    .map_err(unavailable)?;
    if item.s("kind") == Some("event") {
        tx.execute("INSERT INTO stream (pk, sk) VALUES (?1, ?2)", [&item.key.pk, &item.key.sk]).map_err(unavailable)?;
    }
    Ok(())
}

fn add(
    tx: &rusqlite::Transaction<'_>,
    key: &Key,
    deltas: &[(String, i64)],
    ttl: Option<i64>,
) -> Result<(), TableError> {
    if deltas.is_empty() || deltas.len() > 100 {
        return Err(TableError::Invalid("an add carries 1 to 100 counters".into()));
    }
    let body: Option<String> = tx
        .query_row("SELECT body FROM items WHERE pk = ?1 AND sk = ?2", [&key.pk, &key.sk], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    let mut item = match body {
        Some(body) => Item { key: key.clone(), attrs: existing_attrs(tx, key)?.unwrap_or_default(), body },
        None => Item::new(key.clone(), "{}".to_string()),
    };
    for (attr, by) in deltas {
        if attr == TTL_ATTR {
            return Err(TableError::Invalid(format!("attribute name `{attr}` is reserved")));
        }
        let current = match item.attrs.get(attr) {
            None => 0,
            Some(Attr::N(n)) => *n,
            Some(Attr::S(_)) => return Err(TableError::Invalid(format!("`{attr}` is not a number"))),
        };
        item.attrs.insert(attr.clone(), Attr::N(current + by));
    }
    if let Some(ttl) = ttl {
        item.attrs.insert(TTL_ATTR.to_string(), Attr::N(ttl));
    }
    put(tx, &item)
}

fn apply(conn: &mut Connection, writes: &[Write]) -> Result<(), TableError> {
    if writes.len() > 100 {
        return Err(TableError::Invalid("a transaction holds at most 100 writes".into()));
    }
    let mut seen = HashSet::new();
    if !writes.iter().all(|w| seen.insert(w.key())) {
        return Err(TableError::Invalid("a transaction may touch each item once".into()));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
    // Check every condition against the state before the transaction, as DynamoDB does.
    for (index, write) in writes.iter().enumerate() {
        let condition = match write {
            Write::Put { condition, .. } | Write::Delete { condition, .. } | Write::Check { condition, .. } => {
                condition
            }
            Write::Add { .. } => continue,
        };
        let existing = existing_attrs(&tx, write.key())?;
        if !condition.holds(existing.as_ref()) {
            return Err(TableError::ConditionFailed { index }); // dropping `tx` rolls back
        }
    }
    for write in writes {
        match write {
            Write::Put { item, .. } => put(&tx, item)?,
            Write::Delete { key, .. } => {
                tx.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", [&key.pk, &key.sk]).map_err(unavailable)?;
            }
            Write::Check { .. } => {}
            Write::Add { key, deltas, ttl } => add(&tx, key, deltas, *ttl)?,
        }
    }
    tx.commit().map_err(unavailable)
}

fn run_query(conn: &Connection, q: &Query) -> Result<Page, TableError> {
    if !(1..=1000).contains(&q.limit) {
        return Err(TableError::Invalid("limit must be 1..=1000".into()));
    }
    let (pcol, scol) = q.index.key_names();
    let mut sql = format!("SELECT pk, sk, attrs, body FROM items WHERE {pcol} = ?");
    let mut args: Vec<String> = vec![q.partition.clone()];
    if q.index != Index::Primary {
        sql.push_str(&format!(" AND {scol} IS NOT NULL"));
    }
    match &q.sort {
        SortKey::Any => {}
        SortKey::BeginsWith(prefix) => {
            sql.push_str(&format!(" AND {scol} >= ? AND substr({scol}, 1, length(?)) = ?"));
            args.extend([prefix.clone(), prefix.clone(), prefix.clone()]);
        }
        SortKey::Between(lo, hi) => {
            sql.push_str(&format!(" AND {scol} >= ? AND {scol} <= ?"));
            args.extend([lo.clone(), hi.clone()]);
        }
    }
    let cmp = if q.forward { ">" } else { "<" };
    let dir = if q.forward { "ASC" } else { "DESC" };
    if let Some(after) = &q.start_after {
        match q.index {
            Index::Primary => {
                sql.push_str(&format!(" AND sk {cmp} ?"));
                args.push(after.sk.clone());
            }
            _ => {
                let isk =
                    after.isk.clone().ok_or_else(|| TableError::Invalid("page key lacks the index key".into()))?;
                sql.push_str(&format!(" AND ({scol}, pk, sk) {cmp} (?, ?, ?)"));
                args.extend([isk, after.pk.clone(), after.sk.clone()]);
            }
        }
    }
    match q.index {
        Index::Primary => sql.push_str(&format!(" ORDER BY sk {dir}")),
        _ => sql.push_str(&format!(" ORDER BY {scol} {dir}, pk {dir}, sk {dir}")),
    }
    sql.push_str(&format!(" LIMIT {}", q.limit + 1));
    let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(unavailable)?;
    let mut items = Vec::new();
    for row in rows {
        let (pk, sk, attrs, body) = row.map_err(unavailable)?;
        items.push(row_to_item(pk, sk, attrs, body)?);
    }
    let more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    let next = if more { items.last().map(|i| PageKey::of(i, q.index)) } else { None };
    Ok(Page { items, next })
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        self.with_conn(move |conn| {
            let row: Option<(String, String, String, String)> = conn
                .prepare_cached("SELECT pk, sk, attrs, body FROM items WHERE pk = ?1 AND sk = ?2")
                .map_err(unavailable)?
                .query_row([&key.pk, &key.sk], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()
                .map_err(unavailable)?;
            row.map(|(pk, sk, attrs, body)| row_to_item(pk, sk, attrs, body)).transpose()
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let query = query.clone();
        self.with_conn(move |conn| run_query(conn, &query)).await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        if writes.is_empty() {
            return Ok(());
        }
        self.with_conn(move |conn| apply(conn, &writes)).await
    }
}

#[cfg(test)]
mod tests {
    use kyc_app::ports::table::Condition;

    use super::*;

    fn event(n: u32) -> Write {
        let item = Item::new(Key::new("T#t#L#l", format!("EV#{n:010}")), "{}".into()).with_s("kind", "event");
        Write::Put { item, condition: Condition::NotExists }
    }

    #[tokio::test]
    async fn the_change_stream_holds_committed_events_in_order_and_is_trimmed_once_read() {
        let table = SqliteTable::in_memory().expect("store");
        table.transact(vec![event(1), event(2)]).await.expect("committed");
        let other = Item::new(Key::new("T#t#L#l", "LEAD"), "{}".into()).with_s("kind", "lead");
        table
            .transact(vec![Write::Put { item: other, condition: Condition::None }, event(3)])
            .await
            .expect("committed");
        let failed = table.transact(vec![event(4), event(1)]).await;
        assert!(failed.is_err(), "a failed transaction adds nothing to the stream");

        let records = table.stream_after(0, 10).await.expect("read");
        let keys: Vec<&str> = records.iter().map(|(_, item)| item.key.sk.as_str()).collect();
        assert_eq!(keys, ["EV#0000000001", "EV#0000000002", "EV#0000000003"], "only events, in commit order");

        table.set_checkpoint("relay", records[1].0).await.expect("checkpoint");
        assert_eq!(table.checkpoint("relay").await.expect("read"), records[1].0);
        let rest = table.stream_after(0, 10).await.expect("read");
        assert_eq!(rest.len(), 1, "records every consumer has read are trimmed");
    }
}
