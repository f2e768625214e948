//! Turns DynamoDB stream records (NEW_IMAGE) back into table items and relays them.

use std::collections::BTreeMap;

use aws_lambda_events::dynamodb::Event;

use serde_json::Value;

use kyc_app::Deps;
use kyc_app::ports::table::{Attr, Item, Key};
use kyc_lambda::{BatchResponse, ItemFailure};

/// The item a stream record's new image holds, if it is one of ours.
pub fn item_of(image: &Value) -> Option<Item> {
    let map = image.as_object()?;
    let string = |name: &str| map.get(name)?.get("S")?.as_str().map(String::from);
    let mut attrs = BTreeMap::new();
    for (name, value) in map {
        if ["pk", "sk", "body"].contains(&name.as_str()) {
            continue;
        }
        if let Some(s) = value.get("S").and_then(Value::as_str) {
            attrs.insert(name.clone(), Attr::S(s.to_string()));
        } else if let Some(n) = value.get("N").and_then(Value::as_str).and_then(|n| n.parse::<i64>().ok()) {
            attrs.insert(name.clone(), Attr::N(n));
        }
    }
    Some(Item { key: Key::new(string("pk")?, string("sk")?), attrs, body: string("body")? })
}

/// Relays every record in order. A failure is reported at the first record not
/// relayed; the event source mapping retries from it (bisecting to isolate a poison
/// record, then sending it to the on-failure destination). Relaying twice only queues
/// duplicates, which receivers dedupe on `webhook-id`.
pub async fn handle(deps: &Deps, event: Event) -> Result<BatchResponse, lambda_runtime::Error> {
    let mut items = Vec::with_capacity(event.records.len());
    let mut sequence_numbers = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let image = serde_json::to_value(&record.change.new_image)?;
        if let Some(item) = item_of(&image) {
            items.push(item);
            sequence_numbers.push(record.change.sequence_number.clone().unwrap_or_default());
        }
    }
    let report = kyc_app::webhooks::relay::relay_items(deps, &items).await;
    tracing::info!(records = event.records.len(), queued = report.queued, "stream batch relayed");
    let Some((index, e)) = report.failed else { return Ok(BatchResponse::default()) };
    tracing::error!(error = %kyc_app::error::report(&e), failed_at = index, "relaying stopped");
    match sequence_numbers.get(index).filter(|s| !s.is_empty()) {
        Some(sequence_number) => {
            Ok(BatchResponse { batch_item_failures: vec![ItemFailure { item_identifier: sequence_number.clone() }] })
        }
        // Without a sequence number to name, fail the whole batch: it is retried.
        None => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_image_reads_back_as_the_stored_item() {
        let event: Event =
            serde_json::from_str(include_str!("../../../events/dynamodb-stream-event.json")).expect("fixture");
        let image = serde_json::to_value(&event.records[0].change.new_image).expect("image");
        let item = item_of(&image).expect("an item");
        assert!(item.key.sk.starts_with("EV#"));
        assert_eq!(item.s("kind"), Some("event"));
        assert_eq!(item.n("lead_version"), Some(1));
    }
}

#[cfg(test)]
mod moto {
    //! The relay against moto with the real SDK: an audit event item read back from
    //! DynamoDB, fed as a stream record, its deliveries read back from SQS.

    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::{Map, json};

    use kyc_app::ports::queue::QueueConsumer;
    use kyc_app::ports::table::{Key, Table};
    use kyc_app::webhooks::DeliveryMessage;
    use kyc_aws::SqsQueue;
    use kyc_tests::api::TestApi;
    use kyc_tests::backends;

    use super::*;

    /// The stream records DynamoDB would emit for `items` (NEW_IMAGE).
    fn stream_batch(items: &[Item]) -> Event {
        let records: Vec<Value> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let mut record = serde_json::to_value(stream_event(item)).expect("json")["Records"][0].clone();
                record["dynamodb"]["SequenceNumber"] = json!(format!("{}", 1000 + i));
                record
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).expect("a stream event")
    }

    /// The key of a lead's first audit event (`lead.created`), as the layout writes it.
    fn first_event_key(lead: &serde_json::Value) -> Key {
        let tenant = kyc_app::TenantId::parse("acme").expect("tenant");
        let id = kyc_domain::ids::LeadId::parse(lead["id"].as_str().expect("an id")).expect("a lead id");
        kyc_app::store::layout::event_key(&tenant, &id, 1)
    }

    /// The stream record DynamoDB would emit for `item` (NEW_IMAGE).
    fn stream_event(item: &Item) -> Event {
        let mut image = Map::new();
        image.insert("pk".into(), json!({"S": item.key.pk}));
        image.insert("sk".into(), json!({"S": item.key.sk}));
        image.insert("body".into(), json!({"S": item.body}));
        for (name, value) in &item.attrs {
            let v = match value {
                Attr::S(s) => json!({"S": s}),
                Attr::N(n) => json!({"N": n.to_string()}),
            };
            image.insert(name.clone(), v);
        }
        let mut event: Value =
            serde_json::from_str(include_str!("../../../events/dynamodb-stream-event.json")).expect("fixture");
        event["Records"][0]["dynamodb"]["NewImage"] = Value::Object(image);
        serde_json::from_value(event).expect("a stream event")
    }

    #[tokio::test]
    async fn a_committed_event_read_from_dynamodb_becomes_one_sqs_message_per_subscribed_endpoint() {
        let sqs = aws_sdk_sqs::Client::new(&backends::moto_config().await);
        let (url, _) = kyc_aws::queue::create_queue(&sqs, &format!("deliveries-{}", backends::uuid_like()), None)
            .await
            .expect("queue");
        let queue = Arc::new(SqsQueue::new(sqs, url));
        let table = backends::dynamo().await;
        let mut api = TestApi::new(table.clone());
        api.deps.queue = queue.clone();
        let deps = api.deps.clone();
        for events in [json!(["kyc.lead_created"]), json!(["*"]), json!(["kyc.status_updated"])] {
            let input =
                serde_json::from_value(json!({"url": "http://127.0.0.1:9/hook", "events": events})).expect("input");
            kyc_app::webhooks::create_endpoint(&deps, &kyc_app::TenantId::parse("acme").expect("tenant"), input, None)
                .await
                .expect("endpoint");
        }
        let lead = api.create(json!({})).await;
        let key = first_event_key(&lead);
        let item = table.get(&key).await.expect("get").expect("the lead.created event item");

        handle(&deps, stream_event(&item)).await.expect("relayed");

        let messages = queue.receive(10, Duration::from_secs(30)).await.expect("receive");
        assert_eq!(messages.len(), 2, "two endpoints subscribe to kyc.lead_created");
        for message in messages {
            let delivery: DeliveryMessage = serde_json::from_str(&message.body).expect("a delivery message");
            assert_eq!(delivery.event.event_type.as_str(), "kyc.lead_created");
            assert_eq!(delivery.event.data["lead_id"], lead["id"]);
            assert_eq!(message.receive_count, 1);
        }
    }

    /// A table and a deliveries queue on moto, and one `acme` endpoint subscribed to
    /// every event.
    async fn relay_on_moto() -> (TestApi, kyc_aws::DynamoTable, Arc<SqsQueue>) {
        let sqs = aws_sdk_sqs::Client::new(&backends::moto_config().await);
        let (url, _) = kyc_aws::queue::create_queue(&sqs, &format!("deliveries-{}", backends::uuid_like()), None)
            .await
            .expect("queue");
        let queue = Arc::new(SqsQueue::new(sqs, url));
        let table = backends::dynamo_table().await;
        let mut api = TestApi::new(Arc::new(table.clone()));
        api.deps.queue = queue.clone();
        let tenant = kyc_app::TenantId::parse("acme").expect("tenant");
        let input = serde_json::from_value(json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]})).expect("input");
        kyc_app::webhooks::create_endpoint(&api.deps, &tenant, input, None).await.expect("endpoint");
        (api, table, queue)
    }

    #[tokio::test]
    async fn a_batch_reads_each_tenants_endpoints_once_and_queues_in_one_go() {
        let (api, table, queue) = relay_on_moto().await;
        let mut items = Vec::new();
        for _ in 0..5 {
            let lead = api.create(json!({})).await;
            let key = first_event_key(&lead);
            items.push(table.get(&key).await.expect("get").expect("event item"));
        }
        let before = table.calls();
        handle(&api.deps, stream_batch(&items)).await.expect("relayed");
        let after = table.calls();
        assert_eq!(after.query - before.query, 1, "one endpoints read for the tenant, not one per event");
        let mut received = 0;
        for _ in 0..5 {
            received += queue.receive(10, Duration::from_secs(30)).await.expect("receive").len();
        }
        assert_eq!(received, 5);
    }

    #[tokio::test]
    async fn a_record_that_cannot_be_relayed_is_reported_and_those_before_it_are_not_sent_again() {
        let (api, table, queue) = relay_on_moto().await;
        let mut items = Vec::new();
        for _ in 0..3 {
            let lead = api.create(json!({})).await;
            items.push(table.get(&first_event_key(&lead)).await.expect("get").expect("event item"));
        }
        // The second record's event does not parse: relaying must stop there.
        items[1].body = "{not an audit event".into();

        let response = handle(&api.deps, stream_batch(&items)).await.expect("a partial batch response");

        assert_eq!(response.batch_item_failures, [ItemFailure { item_identifier: "1001".into() }]);
        let mut received = 0;
        for _ in 0..3 {
            received += queue.receive(10, Duration::from_secs(30)).await.expect("receive").len();
        }
        assert_eq!(received, 1, "the record before the failure was relayed once; the one after waits for the retry");
    }
}
