//! Webhooks end to end in process: endpoints, the relay from committed audit events,
//! signed deliveries to a real receiver on loopback, retries, dead letters, the SSRF
//! guard and the event feed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use kyc_app::ports::WebhookTransport;
use kyc_app::ports::queue::{QueueConsumer, Settle};
use kyc_app::ports::table::{Index, PageKey, Query, SortKey};
use kyc_app::webhooks::DeliveryMessage;
use kyc_app::webhooks::sender::{Sender, deliver};
use kyc_aws::HttpTransport;
use kyc_domain::ssrf::Mode;
use kyc_domain::webhook::{RetrySchedule, verify};
use kyc_tests::api::TestApi;
use kyc_tests::receiver::Receiver;

/// Relays every audit event committed since the last call (what the stream does).
struct Relay {
    after: Option<PageKey>,
}

impl Relay {
    fn new() -> Self {
        Relay { after: None }
    }

    async fn run(&mut self, api: &TestApi) {
        loop {
            let query = Query {
                index: Index::Gsi3,
                partition: "T#acme#EVENTS".into(),
                sort: SortKey::Any,
                forward: true,
                limit: 100,
                start_after: self.after.clone(),
            };
            let page = api.deps.table.query(&query).await.expect("events");
            kyc_app::webhooks::relay::relay_items(&api.deps, &page.items).await.into_result().expect("relayed");
            if let Some(last) = page.items.last() {
                self.after = Some(PageKey::of(last, Index::Gsi3));
            }
            if page.next.is_none() {
                return;
            }
        }
    }
}

/// Retries at once, so a whole schedule runs in a test: 4 attempts in all.
fn sender() -> Sender {
    Sender {
        transport: Arc::new(HttpTransport::new(Mode::Local).expect("client")),
        schedule: RetrySchedule::parse("0,0,0").expect("schedule"),
    }
}

/// Receives and delivers until the queue has nothing visible.
async fn drain(api: &TestApi, sender: &Sender) {
    for _ in 0..50 {
        let messages = api.queue.receive(10, Duration::from_secs(30)).await.expect("receive");
        if messages.is_empty() {
            return;
        }
        for message in messages {
            let delivery: DeliveryMessage = serde_json::from_str(&message.body).expect("a delivery message");
            let settle = deliver(&api.deps, sender, &delivery, message.receive_count).await.expect("delivered");
            api.queue.settle(&message.receipt, settle).await.expect("settled");
        }
    }
    panic!("the queue did not drain");
}

async fn endpoint(api: &TestApi, url: &str, events: Value) -> Value {
    let reply = api.post("/v1/webhook-endpoints", json!({"url": url, "events": events})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

async fn deliveries(api: &TestApi, endpoint: &Value) -> Vec<Value> {
    let reply =
        api.get(&format!("/v1/webhook-endpoints/{}/deliveries", endpoint["id"].as_str().unwrap_or_default())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["data"].as_array().cloned().unwrap_or_default()
}

fn header<'a>(r: &'a kyc_tests::receiver::Received, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_the_same_signed_webhook_id_until_it_succeeds() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500, 503]);
    let hook = endpoint(&api, &receiver.url, json!(["kyc.lead_created"])).await;
    let secret = hook["secret"].as_str().expect("the secret is shown on creation").to_string();
    assert!(secret.starts_with("whsec_"));
    let lead = api.complete_lead().await;
    let mut relay = Relay::new();
    relay.run(&api).await;
    drain(&api, &sender()).await;

    let requests = receiver.received();
    assert_eq!(requests.len(), 3, "two failures, then success");
    let id = header(&requests[0], "webhook-id").to_string();
    assert!(id.starts_with("evt_"));
    for request in &requests {
        assert_eq!(header(request, "webhook-id"), id, "the same webhook-id on every retry");
        let timestamp: i64 = header(request, "webhook-timestamp").parse().expect("unix seconds");
        assert!(
            verify(&secret, &id, timestamp, &request.body, header(request, "webhook-signature")),
            "signed with the secret"
        );
        let event: Value = serde_json::from_str(&request.body).expect("json");
        assert_eq!(event["type"], "kyc.lead_created");
        assert_eq!(event["data"]["lead_id"], lead["id"]);
    }
    let attempts = deliveries(&api, &hook).await;
    let summary: Vec<(u64, String, Option<u64>)> = attempts
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap_or(0),
                d["status"].as_str().unwrap_or("").to_string(),
                d["response_status"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(3, "succeeded".into(), Some(200)), (2, "pending".into(), Some(503)), (1, "pending".into(), Some(500))],
        "every attempt is recorded, newest first"
    );
    assert!(attempts.iter().all(|d| d["duration_ms"].is_u64() && d["event_id"] == json!(id)));
}

#[tokio::test]
async fn a_permanently_failing_delivery_ends_failed_and_in_the_dead_letter_queue() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500; 10]);
    let hook = endpoint(&api, &receiver.url, json!(["*"])).await;
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    assert_eq!(receiver.received().len(), 4, "the whole schedule, then no more");
    let attempts = deliveries(&api, &hook).await;
    assert_eq!(attempts[0]["status"], "failed");
    assert_eq!(attempts[0]["attempt"], 4);
    assert_eq!(api.queue.dead_letters().await.expect("dead letters").len(), 1);
}

#[tokio::test]
async fn a_410_disables_the_endpoint_and_later_events_are_not_sent() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.respond_with(&[410]);
    let hook = endpoint(&api, &receiver.url, json!(["*"])).await;
    let mut relay = Relay::new();
    api.create(json!({})).await;
    relay.run(&api).await;
    drain(&api, &sender()).await;
    let path = format!("/v1/webhook-endpoints/{}", hook["id"].as_str().unwrap_or_default());
    let after = api.get(&path).await.body;
    assert_eq!(after["status"], "disabled");
    assert!(after.get("secret").is_none(), "the secret is never shown again");
    api.create(json!({})).await;
    relay.run(&api).await;
    drain(&api, &sender()).await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.respond_with(&[302, 302, 302, 302]);
    endpoint(&api, &receiver.url, json!(["*"])).await;
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    let paths: Vec<String> = receiver.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/hook", "/hook", "/hook", "/hook"], "a redirect is a failed attempt, never followed");
}

#[tokio::test]
async fn endpoints_get_only_the_event_types_they_subscribe_to() {
    let api = TestApi::embedded();
    let statuses = Receiver::start().await;
    let everything = Receiver::start().await;
    endpoint(&api, &statuses.url, json!(["kyc.status_updated"])).await;
    endpoint(&api, &everything.url, json!(["*"])).await;
    let lead = api.complete_lead().await;
    api.post(
        &format!("/v1/leads/{}/status", lead["id"].as_str().unwrap_or_default()),
        json!({"status": "approved", "reviewer": "alice"}),
    )
    .await;
    api.post(&format!("/v1/leads/{}/notes", lead["id"].as_str().unwrap_or_default()), json!({"body": "n"})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    let types = |r: &Receiver| -> Vec<String> {
        let mut t: Vec<String> = r
            .received()
            .iter()
            .map(|x| {
                serde_json::from_str::<Value>(&x.body)
                    .map(|v| v["type"].as_str().unwrap_or("").to_string())
                    .unwrap_or_default()
            })
            .collect();
        t.sort();
        t
    };
    assert_eq!(types(&statuses), ["kyc.status_updated"]);
    assert_eq!(types(&everything), ["kyc.lead_created", "kyc.review_completed", "kyc.status_updated"]);
    let review = everything
        .received()
        .into_iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap_or_default())
        .find(|e| e["type"] == "kyc.review_completed")
        .expect("review event");
    assert_eq!(
        (review["data"]["decision"].as_str(), review["data"]["reviewer"].as_str()),
        (Some("approved"), Some("alice"))
    );
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_for_a_day() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    let hook = endpoint(&api, &receiver.url, json!(["*"])).await;
    let old = hook["secret"].as_str().unwrap_or_default().to_string();
    let rotated = api
        .post(&format!("/v1/webhook-endpoints/{}/rotate-secret", hook["id"].as_str().unwrap_or_default()), json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap_or_default().to_string();
    assert_ne!(old, new);
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    let request = &receiver.received()[0];
    assert_eq!(header(request, "webhook-signature").split(' ').count(), 2, "two signatures during the overlap");
    assert!(signed_by(request, &old) && signed_by(request, &new));
}

/// Whether one of the request's signatures verifies with `secret`.
fn signed_by(request: &kyc_tests::receiver::Received, secret: &str) -> bool {
    let (id, ts) = (header(request, "webhook-id"), header(request, "webhook-timestamp").parse().unwrap_or(0));
    verify(secret, id, ts, &request.body, header(request, "webhook-signature"))
}

#[tokio::test]
async fn a_manual_retry_sends_the_event_again_as_the_next_attempt() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    let hook = endpoint(&api, &receiver.url, json!(["kyc.lead_created"])).await;
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    let first = deliveries(&api, &hook).await[0].clone();
    let reply = api
        .post(&format!("/v1/webhook-deliveries/{}/retry", first["id"].as_str().unwrap_or_default()), json!({}))
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    drain(&api, &sender()).await;
    let requests = receiver.received();
    assert_eq!(requests.len(), 2);
    assert_eq!(header(&requests[0], "webhook-id"), header(&requests[1], "webhook-id"));
    assert_eq!(deliveries(&api, &hook).await[0]["attempt"], 2);
    api.post("/v1/webhook-deliveries/del_0123456789abcdef0123456789abcdef/retry", json!({}))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn endpoints_can_be_listed_changed_and_deleted_and_bad_input_names_the_field() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    let hook = endpoint(&api, &receiver.url, json!(["kyc.lead_created"])).await;
    let path = format!("/v1/webhook-endpoints/{}", hook["id"].as_str().unwrap_or_default());
    let listed = api.get("/v1/webhook-endpoints").await.body;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert!(listed["data"][0].get("secret").is_none());
    let patched = api
        .patch(&path, json!({"events": ["kyc.status_updated", "kyc.compliance_alert"], "description": "ops"}), &[])
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["events"], json!(["kyc.compliance_alert", "kyc.status_updated"]));
    let bad = api.post("/v1/webhook-endpoints", json!({"url": receiver.url, "events": ["kyc.lead_deleted"]})).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.fields(), ["events.0"]);
    let missing = api.post("/v1/webhook-endpoints", json!({})).await;
    assert_eq!(missing.fields(), ["url", "events"]);
    let remote = api.post("/v1/webhook-endpoints", json!({"url": "http://10.0.0.7/hook", "events": ["*"]})).await;
    assert_eq!(remote.fields(), ["url"], "local mode allows loopback only");
    assert_eq!(api.send("DELETE", &path, Some(kyc_tests::api::ACME_KEY), None, &[]).await.status, 204);
    api.get(&path).await.assert_problem(404, "not_found");
    api.get("/v1/webhook-endpoints?color=red").await.assert_problem(400, "validation_failed");
    let foreign = api.send("GET", "/v1/webhook-endpoints", Some(kyc_tests::api::GLOBEX_KEY), None, &[]).await;
    assert_eq!(foreign.body["data"], json!([]));
}

#[tokio::test]
async fn outside_local_mode_every_private_loopback_link_local_or_disguised_target_is_refused() {
    let api = TestApi::embedded().in_production_mode();
    for url in [
        "http://93.184.215.14/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://192.0.2.10/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://0x7f.0.0.1/",
        "https://127.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[fe80::1]/",
        "https://[fd00:ec2::254]/",
        "https://[ff02::1]/",
        "https://user:pass@93.184.215.14/",
    ] {
        let reply = api.post("/v1/webhook-endpoints", json!({"url": url, "events": ["*"]})).await;
        assert_eq!(
            (reply.status, reply.fields()),
            (422, vec!["url".to_string()]),
            "{url} must be refused: {}",
            reply.body
        );
    }
    let public = api.post("/v1/webhook-endpoints", json!({"url": "https://93.184.215.14/hook", "events": ["*"]})).await;
    assert_eq!(public.status, 201, "a public https address is fine: {}", public.body);
}

#[tokio::test]
async fn at_connection_time_a_name_that_resolves_to_loopback_is_refused_outside_local_mode() {
    let receiver = Receiver::start().await;
    let port = receiver.url.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap_or("0").to_string();
    let production = HttpTransport::new(Mode::Production).expect("client");
    let refused = production.post(&format!("https://localhost:{port}/hook"), vec![], "{}".into()).await;
    assert!(refused.is_err(), "{refused:?}");
    let literal = production.post(&format!("https://127.0.0.1:{port}/hook"), vec![], "{}".into()).await;
    assert!(literal.is_err());
    let local = HttpTransport::new(Mode::Local).expect("client");
    assert!(
        local.post(&format!("http://localhost:{port}/hook"), vec![], "{}".into()).await.is_ok(),
        "local mode reaches loopback"
    );
    assert!(
        receiver.received().iter().all(|r| r.path == "/hook") && receiver.received().len() == 1,
        "only the local request arrived"
    );
}

#[tokio::test]
async fn the_event_feed_lists_every_event_in_commit_order_with_type_filters_and_cursors() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let id = lead["id"].as_str().unwrap_or_default();
    api.post(&format!("/v1/leads/{id}/status"), json!({"status": "under_review"})).await;
    api.post(&format!("/v1/leads/{id}/notes"), json!({"body": "n"})).await;
    api.post(&format!("/v1/leads/{id}/status"), json!({"status": "approved"})).await;
    let all = api.get("/v1/events").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let types: Vec<&str> =
        all.body["data"].as_array().map(|a| a.iter().filter_map(|e| e["type"].as_str()).collect()).unwrap_or_default();
    assert_eq!(types, ["kyc.lead_created", "kyc.status_updated", "kyc.status_updated", "kyc.review_completed"]);
    let first = api.get("/v1/events?limit=1").await;
    let cursor = first.body["next_cursor"].as_str().expect("a cursor to resume from").to_string();
    let rest = api.get(&format!("/v1/events?after={cursor}")).await;
    assert_eq!(rest.body["data"].as_array().map(Vec::len), Some(3));
    let resume = rest.body["next_cursor"].as_str().expect("where to resume later").to_string();
    let nothing_new = api.get(&format!("/v1/events?after={resume}")).await;
    assert_eq!(
        (nothing_new.body["data"].as_array().map(Vec::len), nothing_new.body["next_cursor"].clone()),
        (Some(0), Value::Null)
    );
    let updates = api.get("/v1/events?type=kyc.status_updated").await;
    assert_eq!(updates.body["data"].as_array().map(Vec::len), Some(2));
    api.get("/v1/events?type=kyc.nothing").await.assert_problem(400, "validation_failed");
    let foreign = api.send("GET", "/v1/events", Some(kyc_tests::api::GLOBEX_KEY), None, &[]).await;
    assert_eq!(foreign.body["data"], json!([]));
}

#[tokio::test]
async fn a_settled_retry_is_hidden_until_its_delay() {
    // The schedule's delays reach the queue as visibility: nothing is retried early.
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500]);
    endpoint(&api, &receiver.url, json!(["*"])).await;
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    let slow = Sender {
        transport: Arc::new(HttpTransport::new(Mode::Local).expect("client")),
        schedule: RetrySchedule::default(),
    };
    let message = api.queue.receive(10, Duration::from_secs(30)).await.expect("receive").remove(0);
    let delivery: DeliveryMessage = serde_json::from_str(&message.body).expect("message");
    let settle = deliver(&api.deps, &slow, &delivery, message.receive_count).await.expect("attempted");
    let Settle::RetryIn(delay) = settle else { panic!("a failure is retried: {settle:?}") };
    assert!(delay >= Duration::from_secs(4) && delay <= Duration::from_secs(6), "about 5 s, with jitter: {delay:?}");
}

#[tokio::test]
async fn a_retried_rotation_with_the_same_idempotency_key_rotates_once() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    let hook = endpoint(&api, &receiver.url, json!(["*"])).await;
    let path = format!("/v1/webhook-endpoints/{}/rotate-secret", hook["id"].as_str().unwrap_or_default());
    let key = [("idempotency-key", "rotate-1")];
    let first = api.post_with(&path, json!({}), &key).await;
    let again = api.post_with(&path, json!({}), &key).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.body["secret"], again.body["secret"], "the same new secret, not a second rotation");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn the_endpoint_list_pages_by_limit_and_cursor_like_every_list() {
    let api = TestApi::embedded();
    for i in 0..3 {
        let created = api
            .post("/v1/webhook-endpoints", json!({"url": format!("http://127.0.0.1:9/hook{i}"), "events": ["*"]}))
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let first = api.get("/v1/webhook-endpoints?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["data"].as_array().map(Vec::len), Some(2));
    let cursor = first.body["next_cursor"].as_str().expect("a cursor to the rest");
    let second = api.get(&format!("/v1/webhook-endpoints?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second.body["next_cursor"], serde_json::Value::Null);
    let mut ids: Vec<String> = [&first.body, &second.body]
        .iter()
        .flat_map(|b| b["data"].as_array().cloned().unwrap_or_default())
        .map(|e| e["id"].as_str().expect("an id").to_string())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every endpoint once");
}

#[tokio::test]
async fn the_event_feed_never_exceeds_its_limit_and_resumes_inside_a_pair() {
    let api = TestApi::embedded();
    let lead = api
        .create(json!({"email": "ada@example.com", "individual": {"first_name": "Ada", "last_name": "Lovelace"},
                       "address": {"line1": "1 Main St", "city": "London", "country": "GB"}}))
        .await;
    let id = lead["id"].as_str().expect("an id");
    // An approval stands for two webhook events: kyc.status_updated and kyc.review_completed.
    let approved = api.post(&format!("/v1/leads/{id}/status"), json!({"status": "approved"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let all = api.get("/v1/events?limit=100").await.body;
    let expected: Vec<String> =
        all["data"].as_array().expect("events").iter().map(|e| e["id"].as_str().expect("an id").to_string()).collect();
    assert_eq!(expected.len(), 3, "created, status updated, review completed: {all}");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let path = match &after {
            Some(cursor) => format!("/v1/events?limit=1&after={cursor}"),
            None => "/v1/events?limit=1".to_string(),
        };
        let page = api.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let data = page.body["data"].as_array().cloned().unwrap_or_default();
        assert!(data.len() <= 1, "a page never holds more than its limit: {}", page.body);
        if data.is_empty() {
            break;
        }
        seen.extend(data.iter().map(|e| e["id"].as_str().expect("an id").to_string()));
        after = page.body["next_cursor"].as_str().map(String::from);
        if after.is_none() {
            break;
        }
    }
    assert_eq!(seen, expected, "one at a time: the same events in the same order, none lost or repeated");
}

/// Every string attribute of every item of a DynamoDB table.
async fn every_stored_string(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let scan = client.scan().table_name(table).send().await.expect("scan");
    scan.items()
        .iter()
        .flat_map(|item| item.values())
        .filter_map(|v| match v {
            AttributeValue::S(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn on_dynamodb_webhook_secrets_are_stored_only_sealed_under_kms_and_the_sender_signs_with_them() {
    let client = kyc_tests::backends::dynamo_client().await;
    let name = format!("kyc-test-{}", kyc_tests::backends::uuid_like());
    kyc_aws::create_table(&client, &name).await.expect("table");
    let table = Arc::new(kyc_aws::DynamoTable::new(client.clone(), name.clone()));
    let api = TestApi::new(table).with_keys(Arc::new(kyc_tests::backends::kms_keys().await));
    let receiver = Receiver::start().await;
    // Created and rotated with idempotency keys: their answers, which hold the
    // secrets, are kept for replays too.
    let body = json!({"url": receiver.url, "events": ["*"]});
    let created = api.post_with("/v1/webhook-endpoints", body.clone(), &[("idempotency-key", "hook-1")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let old = created.body["secret"].as_str().expect("the secret, shown once").to_string();
    let rotate = format!("/v1/webhook-endpoints/{}/rotate-secret", created.body["id"].as_str().unwrap_or_default());
    let rotated = api.post_with(&rotate, json!({}), &[("idempotency-key", "rotate-1")]).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = rotated.body["secret"].as_str().expect("the new secret").to_string();

    let stored = every_stored_string(&client, &name).await;
    assert!(stored.iter().any(|s| s.contains("wrapped_key")), "the endpoint is stored");
    for secret in [&old, &new] {
        let bare = secret.trim_start_matches("whsec_");
        assert!(!stored.iter().any(|s| s.contains(bare)), "a secret is in the table in clear");
    }

    // A retried create and a retried rotation answer the same secrets, from the sealed record.
    let replayed = api.post_with("/v1/webhook-endpoints", body, &[("idempotency-key", "hook-1")]).await;
    assert_eq!((replayed.status, replayed.body["secret"].as_str()), (201, Some(old.as_str())));
    let replayed = api.post_with(&rotate, json!({}), &[("idempotency-key", "rotate-1")]).await;
    assert_eq!((replayed.status, replayed.body["secret"].as_str()), (200, Some(new.as_str())));

    // The sender opens both through KMS and signs with both during the overlap.
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    let request = &receiver.received()[0];
    assert!(signed_by(request, &old) && signed_by(request, &new));
}

#[tokio::test]
async fn a_function_without_the_master_key_cannot_sign_and_sends_nothing() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    endpoint(&api, &receiver.url, json!(["*"])).await;
    api.create(json!({})).await;
    Relay::new().run(&api).await;
    let messages = api.queue.receive(10, Duration::from_secs(30)).await.expect("receive");
    let delivery: DeliveryMessage = serde_json::from_str(&messages[0].body).expect("a delivery message");
    let keyless = kyc_app::Deps { keys: Arc::new(kyc_app::ports::NoKeys), ..api.deps.clone() };
    assert!(deliver(&keyless, &sender(), &delivery, 1).await.is_err(), "no secret, no delivery");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn an_endpoint_stored_before_secrets_were_sealed_keeps_signing_until_its_rotation_seals_it() {
    use kyc_app::ports::table::{Condition, Write};
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    let hook = endpoint(&api, &receiver.url, json!(["*"])).await;
    let id = hook["id"].as_str().unwrap_or_default().to_string();
    // As an older release stored it: the secret in clear.
    let key = kyc_app::store::layout::endpoint_key(
        &kyc_app::TenantId::parse("acme").expect("tenant"),
        &kyc_domain::ids::EndpointId::parse(&id).expect("endpoint id"),
    );
    let mut item = api.deps.table.get(&key).await.expect("read").expect("stored");
    let legacy = "whsec_bGVnYWN5LXNlY3JldC1vZi0yNC1ieXRlcyEh";
    let mut body: Value = serde_json::from_str(&item.body).expect("json");
    body["secret"] = json!(legacy);
    item.body = body.to_string();
    api.deps.table.transact(vec![Write::Put { item, condition: Condition::Exists }]).await.expect("written");

    api.create(json!({})).await;
    Relay::new().run(&api).await;
    drain(&api, &sender()).await;
    assert!(signed_by(&receiver.received()[0], legacy));

    let rotated = api.post(&format!("/v1/webhook-endpoints/{id}/rotate-secret"), json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let stored = api.deps.table.get(&key).await.expect("read").expect("stored").body;
    assert!(!stored.contains(legacy.trim_start_matches("whsec_")), "the rotation sealed both secrets: {stored}");
}

#[tokio::test]
async fn kms_unwraps_a_secrets_data_key_only_under_the_context_it_was_made_for() {
    use kyc_app::ports::keys::KeyError;
    use kyc_app::sealing::{open, seal};
    let kms = kyc_tests::backends::kms_keys().await;
    let context = |endpoint: &str| vec![("tenant", "acme".to_string()), ("endpoint", endpoint.to_string())];
    let sealed = seal(&kms, "whsec_c2VjcmV0", &context("whe_1")).await.expect("GenerateDataKey");
    assert_eq!(open(&kms, &sealed, &context("whe_1")).await.expect("Decrypt"), "whsec_c2VjcmV0");
    let elsewhere = open(&kms, &sealed, &context("whe_2")).await;
    assert!(matches!(elsewhere, Err(KeyError::Refused(_))), "{elsewhere:?}");
}
