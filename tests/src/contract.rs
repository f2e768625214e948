//! The `Table` contract: what every backend must do, written once and run against
//! each (see `tests/table_contract.rs`). Each case works in partitions of its own, so
//! cases may share a table and run in parallel.

use kyc_app::ports::table::{Attr, Condition, Index, Item, Key, PageKey, Query, SortKey, Table, TableError, Write};

use crate::backends::uuid_like;

fn item(pk: &str, sk: &str, body: &str) -> Item {
    Item::new(Key::new(pk, sk), body.to_string())
}

fn put(item: Item, condition: Condition) -> Write {
    Write::Put { item, condition }
}

fn partition(name: &str) -> String {
    format!("TEST#{name}#{}", uuid_like())
}

async fn body_of(table: &dyn Table, key: &Key) -> Option<String> {
    table.get(key).await.expect("get succeeds").map(|i| i.body)
}

/// Reads every page of a query, checking that no page is larger than asked.
async fn all_pages(table: &dyn Table, mut query: Query) -> (Vec<Item>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let page = table.query(&query).await.expect("query succeeds");
        assert!(page.items.len() <= query.limit as usize, "a page holds at most `limit` items");
        pages += 1;
        items.extend(page.items);
        match page.next {
            Some(next) => query.start_after = Some(next),
            None => return (items, pages),
        }
        assert!(pages < 100, "pagination must end");
    }
}

pub async fn an_item_reads_back_as_written(table: &dyn Table) {
    let pk = partition("roundtrip");
    let written = item(&pk, "A", r#"{"x":"ünïcode ✓"}"#).with_s("kind", "lead").with_n("version", 7).with_n("neg", -3);
    table.transact(vec![put(written.clone(), Condition::NotExists)]).await.expect("put applies");
    assert_eq!(table.get(&written.key).await.expect("get"), Some(written));
    assert_eq!(table.get(&Key::new(&pk, "missing")).await.expect("get"), None);
}

pub async fn a_put_on_an_existing_key_with_not_exists_fails_and_changes_nothing(table: &dyn Table) {
    let pk = partition("notexists");
    table.transact(vec![put(item(&pk, "A", "first"), Condition::NotExists)]).await.expect("first put");
    let second = table.transact(vec![put(item(&pk, "A", "second"), Condition::NotExists)]).await;
    assert_eq!(second, Err(TableError::ConditionFailed { index: 0 }));
    assert_eq!(body_of(table, &Key::new(&pk, "A")).await.as_deref(), Some("first"));
}

pub async fn a_failed_condition_rolls_back_the_whole_transaction(table: &dyn Table) {
    let pk = partition("rollback");
    table.transact(vec![put(item(&pk, "B", "existing"), Condition::None)]).await.expect("seed");
    let result = table
        .transact(vec![
            put(item(&pk, "A", "new"), Condition::NotExists),
            put(item(&pk, "C", "new"), Condition::None),
            put(item(&pk, "B", "overwrite"), Condition::NotExists),
        ])
        .await;
    assert_eq!(result, Err(TableError::ConditionFailed { index: 2 }));
    assert_eq!(body_of(table, &Key::new(&pk, "A")).await, None, "no write of a failed transaction applies");
    assert_eq!(body_of(table, &Key::new(&pk, "C")).await, None);
    assert_eq!(body_of(table, &Key::new(&pk, "B")).await.as_deref(), Some("existing"));
}

pub async fn a_version_condition_applies_only_to_the_version_read(table: &dyn Table) {
    let pk = partition("version");
    let v1 = item(&pk, "LEAD", "v1").with_n("version", 1);
    table.transact(vec![put(v1, Condition::NotExists)]).await.expect("seed");
    let expect_v1 = Condition::AttrEquals("version".into(), Attr::N(1));
    let v2 = item(&pk, "LEAD", "v2").with_n("version", 2);
    table.transact(vec![put(v2, expect_v1.clone())]).await.expect("the version read matches");
    let stale = item(&pk, "LEAD", "stale").with_n("version", 2);
    assert_eq!(
        table.transact(vec![put(stale, expect_v1.clone())]).await,
        Err(TableError::ConditionFailed { index: 0 })
    );
    assert_eq!(body_of(table, &Key::new(&pk, "LEAD")).await.as_deref(), Some("v2"));
    let absent = item(&pk, "OTHER", "x").with_n("version", 2);
    assert_eq!(
        table.transact(vec![put(absent, expect_v1)]).await,
        Err(TableError::ConditionFailed { index: 0 }),
        "an attribute condition fails on a missing item"
    );
    let wrong_type = Condition::AttrEquals("version".into(), Attr::S("2".into()));
    assert_eq!(
        table.transact(vec![put(item(&pk, "LEAD", "x"), wrong_type)]).await,
        Err(TableError::ConditionFailed { index: 0 }),
        "a number never equals a string"
    );
}

pub async fn checks_and_deletes_obey_their_conditions(table: &dyn Table) {
    let pk = partition("check");
    table.transact(vec![put(item(&pk, "A", "a"), Condition::None)]).await.expect("seed");
    let failing_check = table
        .transact(vec![
            Write::Delete { key: Key::new(&pk, "A"), condition: Condition::Exists },
            Write::Check { key: Key::new(&pk, "Z"), condition: Condition::Exists },
        ])
        .await;
    assert_eq!(failing_check, Err(TableError::ConditionFailed { index: 1 }));
    assert!(body_of(table, &Key::new(&pk, "A")).await.is_some(), "the delete was rolled back");
    table
        .transact(vec![
            Write::Delete { key: Key::new(&pk, "A"), condition: Condition::Exists },
            Write::Check { key: Key::new(&pk, "Z"), condition: Condition::NotExists },
        ])
        .await
        .expect("both conditions hold");
    assert_eq!(body_of(table, &Key::new(&pk, "A")).await, None);
    let gone = table.transact(vec![Write::Delete { key: Key::new(&pk, "A"), condition: Condition::Exists }]).await;
    assert_eq!(gone, Err(TableError::ConditionFailed { index: 0 }));
}

pub async fn an_expired_item_may_be_replaced_but_a_live_one_may_not(table: &dyn Table) {
    let pk = partition("ttl");
    let now = 1_800_000_000;
    let cond = Condition::NotExistsOrExpired { now };
    table.transact(vec![put(item(&pk, "LIVE", "1").with_n("ttl", now + 60), cond.clone())]).await.expect("absent");
    table.transact(vec![put(item(&pk, "OLD", "1").with_n("ttl", now - 60), Condition::None)]).await.expect("seed");
    assert_eq!(
        table.transact(vec![put(item(&pk, "LIVE", "2"), cond.clone())]).await,
        Err(TableError::ConditionFailed { index: 0 })
    );
    table.transact(vec![put(item(&pk, "OLD", "2"), cond)]).await.expect("expired may be replaced");
    assert_eq!(body_of(table, &Key::new(&pk, "OLD")).await.as_deref(), Some("2"));
}

pub async fn a_transaction_may_not_touch_one_item_twice(table: &dyn Table) {
    let pk = partition("twice");
    let result = table
        .transact(vec![put(item(&pk, "A", "1"), Condition::None), put(item(&pk, "A", "2"), Condition::None)])
        .await;
    assert!(result.is_err(), "two writes to one item are refused");
    assert_eq!(body_of(table, &Key::new(&pk, "A")).await, None);
}

pub async fn a_sort_key_prefix_query_pages_in_order_in_both_directions(table: &dyn Table) {
    let pk = partition("prefix");
    let mut writes: Vec<Write> =
        (1..=7).map(|i| put(item(&pk, &format!("EV#{i:010}"), &i.to_string()), Condition::None)).collect();
    writes.push(put(item(&pk, "LEAD", "lead"), Condition::None));
    writes.push(put(item(&pk, "EW#1", "other prefix"), Condition::None));
    table.transact(writes).await.expect("seed");
    let query = Query {
        index: Index::Primary,
        partition: pk.clone(),
        sort: SortKey::BeginsWith("EV#".into()),
        forward: true,
        limit: 3,
        start_after: None,
    };
    let (items, pages) = all_pages(table, query.clone()).await;
    let bodies: Vec<String> = items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, ["1", "2", "3", "4", "5", "6", "7"]);
    assert!(pages >= 3, "7 items in pages of 3 take at least 3 pages");
    let (items, _) = all_pages(table, Query { forward: false, ..query }).await;
    let bodies: Vec<String> = items.iter().map(|i| i.body.clone()).collect();
    assert_eq!(bodies, ["7", "6", "5", "4", "3", "2", "1"]);
}

pub async fn a_secondary_index_is_sparse_and_pages_by_its_sort_key(table: &dyn Table) {
    let queue = partition("queue");
    let mut writes = Vec::new();
    for i in 0..5 {
        // Inserted out of order: the index orders them.
        let sk = format!("2026-01-0{}T00:00:00.000000Z#lead{i}", 5 - i);
        writes.push(put(
            item(&partition("lead"), "LEAD", &format!("{}", 5 - i)).with_s("gsi1pk", &queue).with_s("gsi1sk", sk),
            Condition::None,
        ));
    }
    // Not in the index: no gsi1 keys, or only half of them.
    writes.push(put(item(&partition("lead"), "LEAD", "unindexed"), Condition::None));
    writes.push(put(item(&partition("lead"), "LEAD", "half").with_s("gsi1pk", &queue), Condition::None));
    table.transact(writes).await.expect("seed");
    let query = Query {
        index: Index::Gsi1,
        partition: queue.clone(),
        sort: SortKey::Any,
        forward: true,
        limit: 2,
        start_after: None,
    };
    let (items, _) = all_pages(table, query.clone()).await;
    assert_eq!(items.iter().map(|i| i.body.as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5"]);
    let (newest_first, _) = all_pages(table, Query { forward: false, ..query.clone() }).await;
    assert_eq!(newest_first.iter().map(|i| i.body.as_str()).collect::<Vec<_>>(), ["5", "4", "3", "2", "1"]);
    let between = Query { sort: SortKey::Between("2026-01-02".into(), "2026-01-04~".into()), ..query };
    let (items, _) = all_pages(table, between).await;
    assert_eq!(items.iter().map(|i| i.body.as_str()).collect::<Vec<_>>(), ["2", "3", "4"]);
}

pub async fn a_page_key_resumes_right_after_the_item_it_names(table: &dyn Table) {
    let queue = partition("resume");
    let mut writes = Vec::new();
    for i in 0..4 {
        writes.push(put(
            item(&partition("lead"), "LEAD", &i.to_string()).with_s("gsi3pk", &queue).with_s("gsi3sk", format!("t{i}")),
            Condition::None,
        ));
    }
    table.transact(writes).await.expect("seed");
    let query =
        Query { index: Index::Gsi3, partition: queue, sort: SortKey::Any, forward: true, limit: 10, start_after: None };
    let all = table.query(&query).await.expect("query").items;
    assert_eq!(all.len(), 4);
    let after_second = PageKey::of(&all[1], Index::Gsi3);
    let rest = table.query(&Query { start_after: Some(after_second), ..query }).await.expect("query").items;
    assert_eq!(rest.iter().map(|i| i.body.as_str()).collect::<Vec<_>>(), ["2", "3"]);
}

pub async fn add_counts_from_zero_and_accumulates_atomically_in_a_transaction(table: &dyn Table) {
    let pk = partition("counter");
    let key = Key::new(&pk, "C");
    let add = |by| Write::Add {
        key: key.clone(),
        deltas: vec![("count".into(), by), ("other".into(), -by)],
        ttl: Some(1_900_000_000),
    };
    table.transact(vec![add(1)]).await.expect("a missing counter starts at 0");
    table.transact(vec![add(2), put(item(&pk, "OTHER", "x"), Condition::None)]).await.expect("adds join transactions");
    let counter = table.get(&key).await.expect("get").expect("the counter exists");
    assert_eq!(counter.n("count"), Some(3));
    assert_eq!(counter.n("other"), Some(-3), "several counters in one add, negative deltas too");
    assert_eq!(counter.n("ttl"), Some(1_900_000_000));
    let failed = table.transact(vec![add(10), put(item(&pk, "OTHER", "y"), Condition::NotExists)]).await;
    assert_eq!(failed, Err(TableError::ConditionFailed { index: 1 }));
    assert_eq!(
        table.get(&key).await.expect("get").and_then(|i| i.n("count")),
        Some(3),
        "rolled back with the transaction"
    );
}
