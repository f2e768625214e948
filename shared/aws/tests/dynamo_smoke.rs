//! Smoke test of the DynamoDB adapter against moto (`infra/scripts/moto.sh start`, then
//! `KYC_TEST_AWS_ENDPOINT=$(cat .tmp/moto.url) cargo test -p kyc-aws`). Each test makes
//! its own table, so they run in parallel. The full contract suite lives in `tests/`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use kyc_app::ports::table::{Condition, Index, Item, Key, Page, PageKey, Query, SortKey, Table, TableError, Write};
use kyc_aws::{CallCounts, DynamoTable, create_table};

const ENDPOINT_VAR: &str = "KYC_TEST_AWS_ENDPOINT";

async fn fresh_table() -> DynamoTable {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: start moto (infra/scripts/moto.sh start) and set \
             {ENDPOINT_VAR}=$(cat .tmp/moto.url); these tests never skip"
        )
    });
    let config = kyc_aws::sdk_loader()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos();
    let name = format!("kyc-smoke-{}-{nanos}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
    create_table(&client, &name).await.expect("table created");
    DynamoTable::new(client, name)
}

fn lead(pk: &str) -> Item {
    Item::new(Key::new(pk, "LEAD"), r#"{"name":"Ada"}"#.to_string()).with_n("version", 1)
}

fn put(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

#[tokio::test]
async fn when_an_item_is_put_should_read_it_back_exactly() {
    let table = fresh_table().await;
    let item = lead("T#1#L#1")
        .with_s("kind", "lead")
        .with_s("gsi1pk", "T#1#S#new")
        .with_s("gsi1sk", "2024-01-01T00:00:00Z#1")
        .with_n("ttl", 1_900_000_000)
        .with_n("negative", -42);

    table.transact(vec![put(item.clone(), Condition::NotExists)]).await.expect("put");

    assert_eq!(table.get(&item.key).await.expect("get"), Some(item.clone()));
    assert_eq!(table.get(&Key::new("T#1#L#1", "OTHER")).await.expect("get"), None);
    // no call for nothing to write
    table.transact(vec![]).await.expect("empty");
    assert_eq!(table.calls(), CallCounts { get_item: 2, query: 0, transact_write_items: 1 });

    table.transact(vec![Write::Delete { key: item.key.clone(), condition: Condition::Exists }]).await.expect("delete");
    assert_eq!(table.get(&item.key).await.expect("get"), None);
}

#[tokio::test]
async fn when_a_condition_fails_should_name_the_write_and_apply_nothing() {
    let table = fresh_table().await;
    let existing = lead("T#1#L#existing");
    table.transact(vec![put(existing.clone(), Condition::None)]).await.expect("seed");

    let fresh = lead("T#1#L#fresh");
    let changed = existing.clone().with_n("version", 2);
    let result = table
        .transact(vec![
            put(fresh.clone(), Condition::NotExists),
            put(changed.clone(), Condition::AttrEquals("version".into(), kyc_app::ports::table::Attr::N(1))),
            Write::Check { key: Key::new("T#1#X#ext", "X"), condition: Condition::None },
            put(lead("T#1#L#existing2"), Condition::Exists),
        ])
        .await;
    assert_eq!(result, Err(TableError::ConditionFailed { index: 3 }));
    assert_eq!(table.get(&fresh.key).await.expect("get"), None);
    assert_eq!(table.get(&existing.key).await.expect("get"), Some(existing.clone()));

    // a version check that no longer holds
    let result = table
        .transact(vec![
            Write::Check { key: Key::new("T#1#none", "X"), condition: Condition::None },
            put(changed.clone(), Condition::AttrEquals("version".into(), kyc_app::ports::table::Attr::N(9))),
        ])
        .await;
    assert_eq!(result, Err(TableError::ConditionFailed { index: 1 }));

    // the same key twice is refused before any call
    let before = table.calls().transact_write_items;
    let result = table.transact(vec![put(fresh.clone(), Condition::None), put(fresh.clone(), Condition::None)]).await;
    assert!(matches!(result, Err(TableError::Invalid(_))));
    assert_eq!(table.calls().transact_write_items, before);
}

#[tokio::test]
async fn when_querying_gsi1_by_pages_should_return_each_item_once_in_order() {
    let table = fresh_table().await;
    let mut writes = Vec::new();
    for i in 0..5 {
        writes.push(put(
            lead(&format!("T#1#L#{i}"))
                .with_s("gsi1pk", "T#1#S#review")
                .with_s("gsi1sk", format!("2024-01-0{}#{i}", 5 - i)),
            Condition::NotExists,
        ));
    }
    // another queue, and a lead in no queue (sparse index)
    writes
        .push(put(lead("T#1#L#other").with_s("gsi1pk", "T#1#S#new").with_s("gsi1sk", "2024-01-01#o"), Condition::None));
    writes.push(put(lead("T#1#L#none"), Condition::None));
    table.transact(writes).await.expect("seed");

    let query = |start_after: Option<PageKey>, forward: bool, sort: SortKey| Query {
        index: Index::Gsi1,
        partition: "T#1#S#review".into(),
        sort,
        forward,
        limit: 2,
        start_after,
    };
    let collect = |forward: bool, sort: SortKey| {
        let table = &table;
        async move {
            let mut seen = Vec::new();
            let mut pages = 0;
            let mut start = None;
            loop {
                let Page { items, next } = table.query(&query(start, forward, sort.clone())).await.expect("query");
                pages += 1;
                assert!(items.len() <= 2);
                seen.extend(items.into_iter().map(|i| i.key.pk));
                match next {
                    Some(key) => {
                        assert!(key.ipk.is_some() && key.isk.is_some());
                        start = Some(key);
                    }
                    None => break,
                }
                assert!(pages < 10, "pagination does not end");
            }
            (seen, pages)
        }
    };

    let (seen, pages) = collect(true, SortKey::Any).await;
    assert_eq!(seen, ["T#1#L#4", "T#1#L#3", "T#1#L#2", "T#1#L#1", "T#1#L#0"]);
    assert!(pages >= 3);

    let (seen, _) = collect(false, SortKey::Between("2024-01-02".into(), "2024-01-04~".into())).await;
    assert_eq!(seen, ["T#1#L#1", "T#1#L#2", "T#1#L#3"]);

    let (seen, _) = collect(true, SortKey::BeginsWith("2024-01-05".into())).await;
    assert_eq!(seen, ["T#1#L#0"]);

    // the primary index, for completeness
    let page = table
        .query(&Query {
            index: Index::Primary,
            partition: "T#1#L#none".into(),
            sort: SortKey::BeginsWith("LE".into()),
            forward: true,
            limit: 10,
            start_after: None,
        })
        .await
        .expect("query");
    assert_eq!(page.items, vec![lead("T#1#L#none")]);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn when_a_guard_has_expired_should_allow_taking_it_over() {
    let table = fresh_table().await;
    let guard =
        |owner: &str| Item::new(Key::new("T#1#I#key", "I"), format!(r#"{{"owner":"{owner}"}}"#)).with_n("ttl", 1_000);
    // absent: taken
    table.transact(vec![put(guard("a"), Condition::NotExistsOrExpired { now: 500 })]).await.expect("absent guard");
    // present and not expired: refused
    let result = table.transact(vec![put(guard("b"), Condition::NotExistsOrExpired { now: 999 })]).await;
    assert_eq!(result, Err(TableError::ConditionFailed { index: 0 }));
    assert_eq!(table.get(&guard("a").key).await.expect("get"), Some(guard("a")));
    // expired: taken over
    table.transact(vec![put(guard("c"), Condition::NotExistsOrExpired { now: 1_001 })]).await.expect("expired guard");
    assert_eq!(table.get(&guard("c").key).await.expect("get"), Some(guard("c")));
}
