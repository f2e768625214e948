//! The `Table` port: the one storage abstraction every use case writes through.
//!
//! It is deliberately the shape of a DynamoDB single table (partition key, sort key,
//! three sparse secondary indexes, conditional transactional writes) so that the
//! DynamoDB adapter is a thin mapping and the embedded adapter can copy its semantics
//! exactly. Item layout (which key means what) lives in the store's layout module, not here.

use std::collections::BTreeMap;

use async_trait::async_trait;

/// A scalar attribute the store can compare in a condition or sort in an index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Attr {
    S(String),
    N(i64),
}

/// Secondary indexes. Each is sparse: an item is in it only when it carries both keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// `pk` / `sk`.
    Primary,
    /// Status queues: `gsi1pk` / `gsi1sk`.
    Gsi1,
    /// Follow-up slots: `gsi2pk` / `gsi2sk`.
    Gsi2,
    /// Every lead of a tenant by creation time: `gsi3pk` / `gsi3sk`.
    Gsi3,
}

impl Index {
    /// Attribute names of this index's partition and sort key.
    pub fn key_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
        }
    }

    /// The DynamoDB index name (`None` for the table itself).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Primary => None,
            Index::Gsi1 => Some("GSI1"),
            Index::Gsi2 => Some("GSI2"),
            Index::Gsi3 => Some("GSI3"),
        }
    }

    pub const SECONDARY: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];
}

/// An item's entry in a secondary index: with these two attributes it appears there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub index: Index,
    pub pk: String,
    pub sk: String,
}

/// Attribute name of the expiry (unix seconds) that DynamoDB TTL deletes by.
pub const TTL_ATTR: &str = "ttl";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key { pk: pk.into(), sk: sk.into() }
    }
}

/// One stored item: its key, scalar attributes (index keys, `version`, `kind`, `ttl`,
/// ...) and an opaque JSON body.
///
/// Index keys are ordinary string attributes named by [`Index::key_names`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: Key,
    pub attrs: BTreeMap<String, Attr>,
    pub body: String,
}

impl Item {
    pub fn new(key: Key, body: String) -> Self {
        Item { key, attrs: BTreeMap::new(), body }
    }

    pub fn with(mut self, name: &str, value: Attr) -> Self {
        self.attrs.insert(name.to_string(), value);
        self
    }

    pub fn with_s(self, name: &str, value: impl Into<String>) -> Self {
        self.with(name, Attr::S(value.into()))
    }

    pub fn with_n(self, name: &str, value: i64) -> Self {
        self.with(name, Attr::N(value))
    }

    /// Puts the item in a secondary index.
    pub fn in_index(self, entry: IndexEntry) -> Self {
        let (pk, sk) = entry.index.key_names();
        self.with_s(pk, entry.pk).with_s(sk, entry.sk)
    }

    pub fn s(&self, name: &str) -> Option<&str> {
        match self.attrs.get(name) {
            Some(Attr::S(s)) => Some(s),
            _ => None,
        }
    }

    pub fn n(&self, name: &str) -> Option<i64> {
        match self.attrs.get(name) {
            Some(Attr::N(n)) => Some(*n),
            _ => None,
        }
    }

    /// The item's key in `index` (`None` when the item is not in that sparse index).
    pub fn index_key(&self, index: Index) -> Option<(String, String)> {
        match index {
            Index::Primary => Some((self.key.pk.clone(), self.key.sk.clone())),
            other => {
                let (p, s) = other.key_names();
                Some((self.s(p)?.to_string(), self.s(s)?.to_string()))
            }
        }
    }
}

/// What must hold of the item currently stored under a key for a write to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Always applies.
    None,
    /// No item under the key.
    NotExists,
    /// An item under the key.
    Exists,
    /// An item under the key whose attribute equals the value.
    AttrEquals(String, Attr),
    /// No item under the key, or one whose `ttl` attribute is below `now` (DynamoDB
    /// deletes expired items lazily, so an expired item may still be there).
    NotExistsOrExpired { now: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Create or replace the whole item.
    Put { item: Item, condition: Condition },
    /// Remove the item (no-op if absent and the condition allows it).
    Delete { key: Key, condition: Condition },
    /// Write nothing, but fail the transaction unless the condition holds.
    Check { key: Key, condition: Condition },
    /// Add each delta to its number attribute (a missing item or attribute counts as
    /// 0), and set `ttl` when given: DynamoDB's atomic `ADD`, for counters that many
    /// writers bump at once. The item's body is `{}` when the item is new.
    Add { key: Key, deltas: Vec<(String, i64)>, ttl: Option<i64> },
}

impl Write {
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Delete { key, .. } | Write::Check { key, .. } | Write::Add { key, .. } => key,
        }
    }
}

/// Sort-key restriction of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Any,
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
}

/// Where a previous page stopped: the full key of its last item (primary key plus the
/// queried index's key). Adapters hand it back as DynamoDB's `ExclusiveStartKey`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageKey {
    pub pk: String,
    pub sk: String,
    /// The index key (`None` for primary queries).
    pub ipk: Option<String>,
    pub isk: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub sort: SortKey,
    /// `true`: ascending sort key.
    pub forward: bool,
    /// 1..=1000 items in one page.
    pub limit: u32,
    pub start_after: Option<PageKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub next: Option<PageKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    /// The transaction applied nothing because the condition of write `index` failed.
    #[error("condition of write {index} failed")]
    ConditionFailed { index: usize },
    /// Another transaction touched the same items at the same moment; safe to retry.
    #[error("transaction conflict")]
    Conflict,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// The storage port. Every implementation must pass the contract suite in `tests/`.
#[async_trait]
pub trait Table: Send + Sync {
    /// Strongly consistent read of one item.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;

    /// One page of a partition of the table or of a secondary index.
    async fn query(&self, query: &Query) -> Result<Page, TableError>;

    /// All writes or none (at most 100, each key at most once).
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError>;
}

impl PageKey {
    /// The page key of `item` when read through `index`.
    pub fn of(item: &Item, index: Index) -> PageKey {
        let (ipk, isk) = match index {
            Index::Primary => (None, None),
            other => match item.index_key(other) {
                Some((p, s)) => (Some(p), Some(s)),
                None => (None, None),
            },
        };
        PageKey { pk: item.key.pk.clone(), sk: item.key.sk.clone(), ipk, isk }
    }
}

impl Condition {
    /// Whether the condition holds for the attributes of the item now stored under the
    /// key (`None`: no item). Backends that check conditions themselves use this, so
    /// they agree with DynamoDB's condition expressions.
    pub fn holds(&self, existing: Option<&BTreeMap<String, Attr>>) -> bool {
        match self {
            Condition::None => true,
            Condition::NotExists => existing.is_none(),
            Condition::Exists => existing.is_some(),
            Condition::AttrEquals(name, value) => existing.is_some_and(|a| a.get(name) == Some(value)),
            Condition::NotExistsOrExpired { now } => match existing {
                None => true,
                Some(attrs) => matches!(attrs.get(TTL_ATTR), Some(Attr::N(ttl)) if ttl < now),
            },
        }
    }
}
