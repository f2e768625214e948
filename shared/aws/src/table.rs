//! The DynamoDB adapter of the `Table` port: a thin mapping of items, conditions and
//! queries onto GetItem / Query / TransactWriteItems of the single table.
//!
//! Errors never carry item contents (items hold personal data): only operation names,
//! attribute names, DynamoDB error codes and service messages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableStatus, TimeToLiveSpecification, TransactWriteItem, Update,
};
use kyc_app::ports::table::{
    Attr, Condition, Index, Item, Key, Page, PageKey, Query, SortKey, TTL_ATTR, Table, TableError, Write,
};

use crate::sdk::Fault;

type DynamoItem = HashMap<String, AttributeValue>;

const PK: &str = "pk";
const SK: &str = "sk";
const BODY: &str = "body";
/// DynamoDB's limit on the actions of one TransactWriteItems call.
const MAX_WRITES: usize = 100;
/// The port's bound on a page.
const MAX_LIMIT: u32 = 1000;

/// How many calls of each kind a [`DynamoTable`] has sent (failed ones included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallCounts {
    pub get_item: u64,
    pub query: u64,
    pub transact_write_items: u64,
}

impl CallCounts {
    pub fn total(&self) -> u64 {
        self.get_item + self.query + self.transact_write_items
    }
}

#[derive(Debug, Default)]
struct Counters {
    get_item: AtomicU64,
    query: AtomicU64,
    transact_write_items: AtomicU64,
}

/// The single KYC table in DynamoDB. Clones share the client and the call counters.
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    calls: Arc<Counters>,
}

impl DynamoTable {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        DynamoTable { client, table: table_name.into(), calls: Arc::default() }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Calls sent so far, per operation (for benchmarks; relaxed atomics, always on).
    pub fn calls(&self) -> CallCounts {
        CallCounts {
            get_item: self.calls.get_item.load(Ordering::Relaxed),
            query: self.calls.query.load(Ordering::Relaxed),
            transact_write_items: self.calls.transact_write_items.load(Ordering::Relaxed),
        }
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.calls.get_item.fetch_add(1, Ordering::Relaxed);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        out.item.map(item_from_dynamo).transpose()
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        if query.limit == 0 || query.limit > MAX_LIMIT {
            return Err(TableError::Invalid(format!("query limit {} is outside 1..={MAX_LIMIT}", query.limit)));
        }
        let (pk_name, sk_name) = query.index.key_names();
        let mut names = HashMap::from([("#p".to_string(), pk_name.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), s(&query.partition))]);
        let mut condition = "#p = :p".to_string();
        match &query.sort {
            SortKey::Any => {}
            // DynamoDB refuses empty key values; an empty prefix matches everything.
            SortKey::BeginsWith(prefix) if prefix.is_empty() => {}
            SortKey::BeginsWith(prefix) => {
                condition.push_str(" AND begins_with(#s, :a)");
                values.insert(":a".into(), s(prefix));
            }
            // DynamoDB rejects a reversed range and an empty bound where a SQL store
            // answers "nothing" or "no lower bound": answer the same here.
            SortKey::Between(from, to) if from > to || to.is_empty() => {
                return Ok(Page::default());
            }
            SortKey::Between(from, to) if from.is_empty() => {
                condition.push_str(" AND #s <= :b");
                values.insert(":b".into(), s(to));
            }
            SortKey::Between(from, to) => {
                condition.push_str(" AND #s BETWEEN :a AND :b");
                values.insert(":a".into(), s(from));
                values.insert(":b".into(), s(to));
            }
        }
        if condition.contains("#s") {
            names.insert("#s".into(), sk_name.to_string());
        }
        let start = query.start_after.as_ref().map(|page_key| start_key(page_key, query.index)).transpose()?;

        self.calls.query.fetch_add(1, Ordering::Relaxed);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.name().map(str::to_string))
            .key_condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(query.forward)
            .limit(query.limit as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;

        let items = out.items.unwrap_or_default().into_iter().map(item_from_dynamo).collect::<Result<Vec<_>, _>>()?;
        let next = out
            .last_evaluated_key
            .filter(|k| !k.is_empty())
            .map(|k| page_key_from_dynamo(&k, query.index))
            .transpose()?;
        Ok(Page { items, next })
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.len() > MAX_WRITES {
            return Err(TableError::Invalid(format!(
                "{} writes in one transaction (at most {MAX_WRITES})",
                writes.len()
            )));
        }
        let mut seen = HashSet::with_capacity(writes.len());
        for (index, write) in writes.iter().enumerate() {
            if !seen.insert(write.key()) {
                return Err(TableError::Invalid(format!("write {index} repeats the key of an earlier write")));
            }
        }
        let items = writes.into_iter().map(|w| self.transact_item(w)).collect::<Result<Vec<_>, _>>()?;

        self.calls.transact_write_items.fetch_add(1, Ordering::Relaxed);
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map_err(transact_error)?;
        Ok(())
    }
}

/// Finishes a Put / Delete / ConditionCheck builder: this table, the condition as an
/// expression, built (the SDK's builders share these methods but no trait).
macro_rules! conditioned {
    ($builder:expr, $table:expr, $condition:expr, $always:expr) => {{
        let expr = ConditionExpr::of($condition, $always);
        $builder
            .table_name(&$table.table)
            .set_condition_expression(expr.expression)
            .set_expression_attribute_names(expr.names)
            .set_expression_attribute_values(expr.values)
            .build()
            .map_err(build_error)?
    }};
}

impl DynamoTable {
    fn transact_item(&self, write: Write) -> Result<TransactWriteItem, TableError> {
        let built = match write {
            // The three conditioned writes differ only in their builder and what they name.
            Write::Put { item, condition } => {
                let put = conditioned!(Put::builder().set_item(Some(item_to_dynamo(item)?)), self, &condition, false);
                TransactWriteItem::builder().put(put).build()
            }
            Write::Delete { key, condition } => {
                let delete = conditioned!(Delete::builder().set_key(Some(key_map(&key))), self, &condition, false);
                TransactWriteItem::builder().delete(delete).build()
            }
            Write::Check { key, condition } => {
                let check =
                    conditioned!(ConditionCheck::builder().set_key(Some(key_map(&key))), self, &condition, true);
                TransactWriteItem::builder().condition_check(check).build()
            }
            Write::Add { key, deltas, ttl } => {
                if deltas.is_empty() || deltas.len() > 100 {
                    return Err(TableError::Invalid("an add carries 1 to 100 counters".into()));
                }
                // A new item gets an empty body so that it reads back like any other.
                let mut names = HashMap::from([("#body".to_string(), BODY.to_string())]);
                let mut values = HashMap::from([(":empty".to_string(), AttributeValue::S("{}".to_string()))]);
                let mut adds = Vec::with_capacity(deltas.len());
                for (i, (attr, by)) in deltas.into_iter().enumerate() {
                    if ["pk", "sk", BODY, TTL_ATTR].contains(&attr.as_str()) {
                        return Err(TableError::Invalid(format!("attribute name `{attr}` is reserved")));
                    }
                    adds.push(format!("#a{i} :v{i}"));
                    names.insert(format!("#a{i}"), attr);
                    values.insert(format!(":v{i}"), AttributeValue::N(by.to_string()));
                }
                let mut expression = format!("ADD {} SET #body = if_not_exists(#body, :empty)", adds.join(", "));
                if let Some(ttl) = ttl {
                    expression.push_str(", #ttl = :ttl");
                    names.insert("#ttl".to_string(), TTL_ATTR.to_string());
                    values.insert(":ttl".to_string(), AttributeValue::N(ttl.to_string()));
                }
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .update_expression(expression)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().update(update).build()
            }
        };
        Ok(built)
    }
}

/// A condition as a DynamoDB expression. DynamoDB refuses unused names or values, so
/// the maps hold exactly what the expression uses (and are `None` when empty).
#[derive(Debug, Default, PartialEq)]
struct ConditionExpr {
    expression: Option<String>,
    names: Option<HashMap<String, String>>,
    values: Option<DynamoItem>,
}

impl ConditionExpr {
    /// `always_expression`: a ConditionCheck needs an expression even for `None`.
    fn of(condition: &Condition, always_expression: bool) -> ConditionExpr {
        let pk_name = || HashMap::from([("#pk".to_string(), PK.to_string())]);
        match condition {
            Condition::None if always_expression => ConditionExpr {
                expression: Some("attribute_exists(#pk) OR attribute_not_exists(#pk)".into()),
                names: Some(pk_name()),
                values: None,
            },
            Condition::None => ConditionExpr::default(),
            Condition::NotExists => ConditionExpr {
                expression: Some("attribute_not_exists(#pk)".into()),
                names: Some(pk_name()),
                values: None,
            },
            Condition::Exists => {
                ConditionExpr { expression: Some("attribute_exists(#pk)".into()), names: Some(pk_name()), values: None }
            }
            Condition::AttrEquals(name, value) => ConditionExpr {
                expression: Some("#a = :v".into()),
                names: Some(HashMap::from([("#a".to_string(), name.clone())])),
                values: Some(HashMap::from([(":v".to_string(), attr_to_dynamo(value))])),
            },
            Condition::NotExistsOrExpired { now } => {
                let mut names = pk_name();
                names.insert("#ttl".into(), TTL_ATTR.into());
                ConditionExpr {
                    expression: Some("attribute_not_exists(#pk) OR #ttl < :now".into()),
                    names: Some(names),
                    values: Some(HashMap::from([(":now".to_string(), n(*now))])),
                }
            }
        }
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn attr_to_dynamo(attr: &Attr) -> AttributeValue {
    match attr {
        Attr::S(v) => s(v),
        Attr::N(v) => n(*v),
    }
}

fn key_map(key: &Key) -> DynamoItem {
    HashMap::from([(PK.to_string(), s(&key.pk)), (SK.to_string(), s(&key.sk))])
}

fn item_to_dynamo(item: Item) -> Result<DynamoItem, TableError> {
    let mut map = HashMap::with_capacity(item.attrs.len() + 3);
    for (name, value) in item.attrs {
        if name == PK || name == SK || name == BODY {
            return Err(TableError::Invalid(format!("attribute `{name}` is reserved for the key or the body")));
        }
        let value = match value {
            Attr::S(v) => AttributeValue::S(v),
            Attr::N(v) => n(v),
        };
        map.insert(name, value);
    }
    map.insert(PK.to_string(), AttributeValue::S(item.key.pk));
    map.insert(SK.to_string(), AttributeValue::S(item.key.sk));
    map.insert(BODY.to_string(), AttributeValue::S(item.body));
    Ok(map)
}

fn take_s(map: &mut DynamoItem, name: &str) -> Result<String, TableError> {
    match map.remove(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(_) => Err(TableError::Invalid(format!("stored `{name}` is not a string"))),
        None => Err(TableError::Invalid(format!("stored item lacks `{name}`"))),
    }
}

fn item_from_dynamo(mut map: DynamoItem) -> Result<Item, TableError> {
    let pk = take_s(&mut map, PK)?;
    let sk = take_s(&mut map, SK)?;
    let body = take_s(&mut map, BODY)?;
    let mut attrs = BTreeMap::new();
    for (name, value) in map {
        let attr = match value {
            AttributeValue::S(v) => Attr::S(v),
            AttributeValue::N(v) => Attr::N(
                v.parse()
                    .map_err(|_| TableError::Invalid(format!("stored number `{name}` is not a 64-bit integer")))?,
            ),
            _ => {
                return Err(TableError::Invalid(format!("stored attribute `{name}` is neither a string nor a number")));
            }
        };
        attrs.insert(name, attr);
    }
    Ok(Item { key: Key { pk, sk }, attrs, body })
}

/// `ExclusiveStartKey`: the primary key plus, for a secondary index, the index key.
fn start_key(page_key: &PageKey, index: Index) -> Result<DynamoItem, TableError> {
    let mut map = key_map(&Key::new(page_key.pk.clone(), page_key.sk.clone()));
    if index != Index::Primary {
        let (Some(ipk), Some(isk)) = (&page_key.ipk, &page_key.isk) else {
            return Err(TableError::Invalid(format!("page key of a {index:?} query lacks the index key")));
        };
        let (pk_name, sk_name) = index.key_names();
        map.insert(pk_name.to_string(), s(ipk));
        map.insert(sk_name.to_string(), s(isk));
    }
    Ok(map)
}

fn page_key_from_dynamo(map: &DynamoItem, index: Index) -> Result<PageKey, TableError> {
    let get = |name: &str| match map.get(name) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(TableError::Invalid(format!("LastEvaluatedKey lacks string `{name}`"))),
    };
    let (ipk, isk) = match index {
        Index::Primary => (None, None),
        other => {
            let (pk_name, sk_name) = other.key_names();
            (Some(get(pk_name)?), Some(get(sk_name)?))
        }
    };
    Ok(PageKey { pk: get(PK)?, sk: get(SK)?, ipk, isk })
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> TableError {
    TableError::Invalid(format!("request not built: {e}"))
}

/// Any SDK failure: validation errors are the caller's, the rest the store's.
fn sdk_error<E, R>(operation: &str, err: SdkError<E, R>) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match crate::sdk::classify(operation, &err, &["ValidationException"], true) {
        Fault::Caller(text) => TableError::Invalid(text),
        Fault::Service(text) => TableError::Unavailable(text),
    }
}

/// TransactWriteItems failures: a cancellation tells which write's condition failed.
fn transact_error<R: std::fmt::Debug>(err: SdkError<TransactWriteItemsError, R>) -> TableError {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
        return sdk_error("TransactWriteItems", err);
    };
    let codes: Vec<&str> = cancelled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
    if let Some(index) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
        return TableError::ConditionFailed { index };
    }
    if codes.contains(&"TransactionConflict") {
        return TableError::Conflict;
    }
    // Only codes: a reason's message or item could echo stored values.
    let text = format!("TransactWriteItems cancelled: [{}]", codes.join(", "));
    if codes.contains(&"ValidationError") { TableError::Invalid(text) } else { TableError::Unavailable(text) }
}

/// Creates the table as the SAM template does — `pk`/`sk`, sparse GSI1..GSI3 on
/// `gsiNpk`/`gsiNsk` (all strings, projection ALL), on-demand billing, a NEW_IMAGE
/// stream, TTL on [`TTL_ATTR`] — and waits until it and its indexes are ACTIVE.
///
/// A table that already exists under that name is accepted as it is (so a local
/// stack can restart against the same moto server); only the wait is done.
pub async fn create_table(client: &Client, name: &str) -> Result<(), TableError> {
    let key = |attr: &str, key_type: KeyType| {
        KeySchemaElement::builder().attribute_name(attr).key_type(key_type).build().map_err(build_error)
    };
    let mut definitions = Vec::new();
    for index in [Index::Primary, Index::Gsi1, Index::Gsi2, Index::Gsi3] {
        let (p, s) = index.key_names();
        for attr in [p, s] {
            definitions.push(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error)?,
            );
        }
    }
    let mut indexes = Vec::new();
    for index in Index::SECONDARY {
        let (p, s) = index.key_names();
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name().unwrap_or_default())
                .key_schema(key(p, KeyType::Hash)?)
                .key_schema(key(s, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(build_error)?,
        );
    }
    let stream = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewImage)
        .build()
        .map_err(build_error)?;
    let created = client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(definitions))
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream)
        .send()
        .await;
    let fresh = match created {
        Ok(_) => true,
        Err(e) if e.code() == Some("ResourceInUseException") => false,
        Err(e) => return Err(sdk_error("CreateTable", e)),
    };

    wait_active(client, name).await?;
    if fresh {
        let ttl =
            TimeToLiveSpecification::builder().enabled(true).attribute_name(TTL_ATTR).build().map_err(build_error)?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// Polls DescribeTable until the table and every index are ACTIVE (at most 5 minutes).
async fn wait_active(client: &Client, name: &str) -> Result<(), TableError> {
    const POLL: Duration = Duration::from_millis(500);
    const MAX_WAIT: Duration = Duration::from_secs(300);
    let started = tokio::time::Instant::now();
    loop {
        let out = client.describe_table().table_name(name).send().await.map_err(|e| sdk_error("DescribeTable", e))?;
        if let Some(table) = out.table() {
            let indexes_active =
                table.global_secondary_indexes().iter().all(|i| i.index_status() == Some(&IndexStatus::Active));
            if table.table_status() == Some(&TableStatus::Active) && indexes_active {
                return Ok(());
            }
        }
        if started.elapsed() > MAX_WAIT {
            return Err(TableError::Unavailable(format!("table {name} not ACTIVE after {} s", MAX_WAIT.as_secs())));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_mapping_an_item_should_round_trip() {
        let item = Item::new(Key::new("T#1#L#2", "LEAD"), "{\"a\":1}".into())
            .with_s("gsi1pk", "T#1#S#new")
            .with_n("version", 7)
            .with_n("ttl", -3);
        let back = item_from_dynamo(item_to_dynamo(item.clone()).expect("maps")).expect("reads");
        assert_eq!(back, item);
    }

    #[test]
    fn when_an_attribute_shadows_the_key_should_refuse() {
        let item = Item::new(Key::new("a", "b"), String::new()).with_s("pk", "x");
        assert!(matches!(item_to_dynamo(item), Err(TableError::Invalid(_))));
    }

    #[test]
    fn when_reading_an_unknown_type_should_be_invalid() {
        let mut map = key_map(&Key::new("a", "b"));
        map.insert(BODY.into(), s(""));
        map.insert("flag".into(), AttributeValue::Bool(true));
        assert!(matches!(item_from_dynamo(map), Err(TableError::Invalid(_))));
    }

    #[test]
    fn when_a_check_has_no_condition_should_still_have_an_expression() {
        let expr = ConditionExpr::of(&Condition::None, true);
        assert!(expr.expression.is_some());
        assert_eq!(ConditionExpr::of(&Condition::None, false), ConditionExpr::default());
    }

    #[test]
    fn when_a_secondary_page_key_lacks_the_index_key_should_refuse() {
        let page_key = PageKey { pk: "a".into(), sk: "b".into(), ipk: None, isk: None };
        assert!(start_key(&page_key, Index::Gsi1).is_err());
        assert_eq!(start_key(&page_key, Index::Primary).expect("primary").len(), 2);
    }
}
