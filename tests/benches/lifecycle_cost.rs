//! Benchmark: the AWS cost of one lead lifecycle, priced from counted calls. An
//! enhanced individual is created through the API, its three documents are requested,
//! uploaded and scored (machine-read, approved automatically), and every event it
//! causes is relayed and delivered to a webhook endpoint subscribed to all of them.
//! The stores are wrapped in counters at the ports, so each DynamoDB, S3 and SQS call
//! the deployed functions would make is counted exactly, with the items' sizes for
//! DynamoDB's capacity units. Prints Markdown for BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use kyc_app::ports::queue::{OutgoingMessage, Queue, QueueConsumer, QueueError};
use kyc_app::ports::table::{Key, Page, Query, Table, TableError, Write};
use kyc_app::webhooks::sender::{Sender, deliver_batch};
use kyc_domain::verification::FaceMatchThreshold;
use kyc_domain::webhook::RetrySchedule;
use kyc_embedded::LocalObjects;
use kyc_tests::api::TestApi;
use kyc_tests::counting::CountingObjects;
use kyc_tests::fake_verifier::{FakeVerifier, Operation};
use kyc_aws::FileAccess;
use kyc_tests::fake_verifier::{Image, clear_face};
use kyc_tests::fixtures;
use kyc_tests::identity::{ADA, script_bill_as, script_passport_as, verifier_with_access};
use kyc_tests::receiver::Receiver;

/// DynamoDB calls and capacity units, as on-demand billing counts them.
#[derive(Default)]
struct TableCount {
    gets: AtomicU64,
    queries: AtomicU64,
    transactions: AtomicU64,
    /// Read request units: a strongly consistent read is 1 per 4 KB read.
    rru: AtomicU64,
    /// Write request units: a transactional write is 2 per KB of each item written.
    wru: AtomicU64,
}

fn units(bytes: usize, unit: usize) -> u64 {
    bytes.div_ceil(unit).max(1) as u64
}

fn item_size(item: &kyc_app::ports::table::Item) -> usize {
    item.key.pk.len()
        + item.key.sk.len()
        + item.body.len()
        + item.attrs.iter().map(|(name, value)| name.len() + format!("{value:?}").len()).sum::<usize>()
}

struct CountingTable {
    inner: Arc<dyn Table>,
    count: Arc<TableCount>,
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<kyc_app::ports::table::Item>, TableError> {
        let item = self.inner.get(key).await?;
        self.count.gets.fetch_add(1, Ordering::Relaxed);
        self.count.rru.fetch_add(units(item.as_ref().map_or(1, item_size), 4096), Ordering::Relaxed);
        Ok(item)
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let page = self.inner.query(query).await?;
        self.count.queries.fetch_add(1, Ordering::Relaxed);
        let bytes: usize = page.items.iter().map(item_size).sum();
        self.count.rru.fetch_add(units(bytes, 4096), Ordering::Relaxed);
        Ok(page)
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        let wru: u64 = writes
            .iter()
            .map(|w| match w {
                Write::Put { item, .. } => 2 * units(item_size(item), 1024),
                _ => 2,
            })
            .sum();
        self.inner.transact(writes).await?;
        self.count.transactions.fetch_add(1, Ordering::Relaxed);
        self.count.wru.fetch_add(wru, Ordering::Relaxed);
        Ok(())
    }
}

/// SQS requests of the relay's sends (one `SendMessageBatch` per 10 messages).
struct CountingQueue {
    inner: Arc<dyn Queue>,
    batches: Arc<AtomicU64>,
}

#[async_trait]
impl Queue for CountingQueue {
    async fn send(&self, messages: Vec<OutgoingMessage>) -> Result<(), QueueError> {
        self.batches.fetch_add(messages.len().div_ceil(10) as u64, Ordering::Relaxed);
        self.inner.send(messages).await
    }
}

/// us-east-1 list prices as the project knew them on 2026-11-30 (this machine cannot
/// reach AWS; re-check before budgeting): HTTP API $1.00 per million requests; Lambda
/// $0.20 per million requests and $0.0000133334 per GB-second on arm64; DynamoDB
/// on-demand $0.625 per million write and $0.125 per million read request units; S3
/// $0.005 per 1,000 PUTs and $0.0004 per 1,000 GETs; SQS $0.40 per million requests.
const HTTP_API_REQUEST: f64 = 1.00e-6;
const LAMBDA_REQUEST: f64 = 0.20e-6;
const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const DYNAMODB_WRU: f64 = 0.625e-6;
const DYNAMODB_RRU: f64 = 0.125e-6;
const S3_PUT: f64 = 0.005e-3;
const S3_GET: f64 = 0.0004e-3;
const SQS_REQUEST: f64 = 0.40e-6;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fake = FakeVerifier::start().await;
    let receiver = Receiver::start().await;
    let table_count = Arc::new(TableCount::default());
    let files_dir = tempfile::tempdir().expect("temp dir");
    let files =
        LocalObjects::new(files_dir.path().to_path_buf(), "http://127.0.0.1:9".into(), b"k").expect("object store");
    let table = Arc::new(CountingTable { inner: kyc_tests::backends::embedded(), count: table_count.clone() });
    let objects = Arc::new(CountingObjects::new(files.clone()));
    let mut api = TestApi::with_objects(table, objects.clone())
        // As on Lambda: the services read the uploads from storage themselves.
        .with_verifier(
            verifier_with_access(&fake, FileAccess::S3 { bucket: "documents".into() }).await,
            FaceMatchThreshold::default(),
        );
    let queue_batches = Arc::new(AtomicU64::new(0));
    api.deps.queue = Arc::new(CountingQueue { inner: api.queue.clone(), batches: queue_batches.clone() });

    let reply = api.post("/v1/webhook-endpoints", json!({"url": receiver.url, "events": ["*"]})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let baseline_transactions = table_count.transactions.load(Ordering::Relaxed);
    for counter in [&table_count.gets, &table_count.queries, &table_count.transactions, &table_count.rru, &table_count.wru]
    {
        counter.store(0, Ordering::Relaxed);
    }
    let _ = baseline_transactions;

    // The API: create, and three upload requests.
    let lead = api
        .create(json!({
            "level": "enhanced", "email": "ada@example.com",
            "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB"},
            "address": {"line1": "1 High St", "city": "York", "postal_code": "YO1 7HH", "country": "GB"}
        }))
        .await;
    let id = lead["id"].as_str().expect("lead id").to_string();
    let documents = [
        ("passport", "image/png", fixtures::png(1200, 800, 1)),
        ("proof_of_address", "application/pdf", fixtures::pdf()),
        ("selfie", "image/png", fixtures::png(800, 800, 2)),
    ];
    let mut keys = Vec::new();
    for (kind, content_type, file) in &documents {
        let reply = api.post(&format!("/v1/leads/{id}/documents"), json!({"kind": kind, "content_type": content_type})).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let doc = reply.body["document"]["id"].as_str().expect("document id").to_string();
        let key = format!("documents/acme/{id}/{doc}");
        let image = Image::s3(&key);
        match *kind {
            "passport" => script_passport_as(&fake, &image, &ADA),
            "proof_of_address" => script_bill_as(&fake, &image, &ADA, 10),
            _ => {
                fake.set_faces(&image, vec![clear_face()]);
                fake.set_similarity(&Image::s3(&keys[0]), &image, 99.0);
            }
        }
        files.write(&key, file).await.expect("uploaded");
        keys.push(key);
    }
    let api_writes = table_count.transactions.load(Ordering::Relaxed);
    // The scorer, once per upload.
    for key in &keys {
        api.storage_event(key).await.expect("scored");
    }
    let status = api.get(&format!("/v1/leads/{id}")).await.body["status"].clone();
    assert_eq!(status, "approved");
    let writes_with_events = table_count.transactions.load(Ordering::Relaxed);

    // The relay (the stream delivers each committed write's new audit events) and the
    // sender (one SQS batch per invocation).
    let events = api
        .deps
        .table
        .query(&Query {
            index: kyc_app::ports::table::Index::Gsi3,
            partition: "T#acme#EVENTS".into(),
            sort: kyc_app::ports::table::SortKey::Any,
            forward: true,
            limit: 100,
            start_after: None,
        })
        .await
        .expect("events");
    table_count.queries.fetch_sub(1, Ordering::Relaxed); // the stream, not a Query
    let relayed = kyc_app::webhooks::relay::relay_items(&api.deps, &events.items).await.into_result().expect("relayed");
    let sender = Sender {
        transport: Arc::new(kyc_aws::HttpTransport::new(kyc_domain::ssrf::Mode::Local).expect("client")),
        schedule: RetrySchedule::default(),
    };
    let mut sender_batches = 0u64;
    loop {
        let messages = api.queue.receive(10, Duration::from_secs(30)).await.expect("receive");
        if messages.is_empty() {
            break;
        }
        sender_batches += 1;
        for (message, settle) in deliver_batch(&api.deps, &sender, messages, 16).await {
            api.queue.settle(&message.receipt, settle).await.expect("settled");
        }
    }
    let webhooks = receiver.received().len();

    let gets = table_count.gets.load(Ordering::Relaxed);
    let queries = table_count.queries.load(Ordering::Relaxed);
    let transactions = table_count.transactions.load(Ordering::Relaxed);
    let rru = table_count.rru.load(Ordering::Relaxed);
    let wru = table_count.wru.load(Ordering::Relaxed);
    let s3_gets = objects.reads();
    let sqs = queue_batches.load(Ordering::Relaxed) + 2 * sender_batches; // + receive and delete per batch
    let http_requests = 1 + documents.len() as u64;
    // Invocations: authorizer (one, then cached), leads-api, documents-api per request,
    // the scorer per upload, the relay per write that committed events, the sender per batch.
    let relay_invocations = writes_with_events;
    let invocations = 1 + http_requests + keys.len() as u64 + relay_invocations + sender_batches;
    // Durations are assumptions (billed per ms): 20 ms for API functions and the relay
    // at 256 MB, 60 ms for the scorer's own work at 512 MB (the verifier's waiting is
    // priced apart), 60 ms per sender batch at 256 MB (one HTTP round trip).
    let gb_seconds = (1 + http_requests + relay_invocations) as f64 * 0.020 * 0.25
        + keys.len() as f64 * 0.060 * 0.5
        + sender_batches as f64 * 0.060 * 0.25;
    let rows = [
        ("API Gateway HTTP API", format!("{http_requests} requests"), http_requests as f64 * HTTP_API_REQUEST),
        (
            "Lambda",
            format!("{invocations} invocations, {gb_seconds:.3} GB-s"),
            invocations as f64 * LAMBDA_REQUEST + gb_seconds * LAMBDA_GB_SECOND,
        ),
        (
            "DynamoDB",
            format!("{transactions} transactions ({wru} WRU), {gets} GetItem + {queries} Query ({rru} RRU)"),
            wru as f64 * DYNAMODB_WRU + rru as f64 * DYNAMODB_RRU,
        ),
        (
            "S3",
            format!("{} PUT (the uploads), {s3_gets} GET (the scorer)", keys.len()),
            keys.len() as f64 * S3_PUT + s3_gets as f64 * S3_GET,
        ),
        ("SQS", format!("{sqs} requests"), sqs as f64 * SQS_REQUEST),
    ];
    let total: f64 = rows.iter().map(|r| r.2).sum();
    let verifier_calls = Operation::ALL.map(|op| fake.calls(op));
    let verifier_price = verifier_calls[0] as f64 * 0.0015
        + verifier_calls[1] as f64 * 0.025
        + verifier_calls[2] as f64 * 0.001
        + verifier_calls[3] as f64 * 0.001;

    println!("## The AWS cost of one lead lifecycle\n");
    println!("An enhanced individual created through the API, three documents requested, uploaded,");
    println!("machine-read and approved automatically, and its {relayed} events delivered as {webhooks}");
    println!("webhooks to an endpoint subscribed to all of them (`cargo bench -p kyc-tests --bench");
    println!("lifecycle_cost`). Calls are counted at the ports; DynamoDB capacity units from the items'");
    println!("sizes ({api_writes} of the {transactions} transactions are the API's). us-east-1 list");
    println!("prices as the project knew them on 2026-11-30; Lambda durations are assumptions (20 ms");
    println!("for API functions and the relay, 60 ms for the scorer's own work and a sender batch).\n");
    println!("| service | counted | cost |");
    println!("| --- | --- | ---: |");
    for (service, counted, cost) in &rows {
        println!("| {service} | {counted} | ${cost:.7} |");
    }
    println!("| **total without the verifier** | | **${total:.6}** |");
    println!(
        "| verifier (Textract, Rekognition) | {} calls | ${verifier_price:.4} |",
        verifier_calls.iter().sum::<usize>()
    );
    println!();
    println!(
        "Without the verifier one lifecycle costs {:.1} % of the $0.001 target; the verifier's four calls",
        total / 0.001 * 100.0
    );
    println!("are {:.0}× the rest. Not counted: CloudWatch Logs ingestion, storage (three files of", verifier_price / total);
    println!("~1 MB cost ~$0.00007 a month in S3 Standard), free-tier allowances, data transfer.");
}
