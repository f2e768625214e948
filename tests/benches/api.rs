//! Benchmark: DynamoDB calls per API operation (counted exactly at the SDK adapter,
//! against moto), and requests per second of the `kyc-local` process on its embedded
//! store. Prints a Markdown report; `infra/scripts/bench.sh` writes it to BENCHMARKS.md.
//!
//! Needs `KYC_TEST_AWS_ENDPOINT` (moto) and `KYC_LOCAL_BIN` (a release `kyc-local`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use kyc_aws::{CallCounts, DynamoTable};
use kyc_tests::api::{TestApi, complete_individual};
use kyc_tests::backends;
use kyc_tests::local::LocalStack;

fn delta(after: CallCounts, before: CallCounts) -> CallCounts {
    CallCounts {
        get_item: after.get_item - before.get_item,
        query: after.query - before.query,
        transact_write_items: after.transact_write_items - before.transact_write_items,
    }
}

async fn dynamodb_calls() -> Vec<(&'static str, CallCounts)> {
    let table = Arc::new(backends::dynamo_table().await);
    let api = TestApi::new(table.clone() as Arc<dyn kyc_app::ports::table::Table>);
    let mut rows = Vec::new();
    let mut measure =
        |name: &'static str, before: CallCounts, t: &DynamoTable| rows.push((name, delta(t.calls(), before)));

    let before = table.calls();
    let lead = api.complete_lead().await;
    measure("create lead", before, &table);
    let id = lead["id"].as_str().unwrap_or_default().to_string();

    let before = table.calls();
    let mut with_extras = complete_individual();
    with_extras["external_id"] = json!("bench-1");
    api.post_with("/v1/leads", with_extras.clone(), &[("idempotency-key", "bench-key")]).await;
    measure("create lead with external_id + Idempotency-Key", before, &table);

    let before = table.calls();
    api.post_with("/v1/leads", with_extras, &[("idempotency-key", "bench-key")]).await;
    measure("idempotent replay of that create", before, &table);

    let before = table.calls();
    api.get(&format!("/v1/leads/{id}")).await;
    measure("get lead", before, &table);

    let before = table.calls();
    api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"k": "v"}}), &[]).await;
    measure("patch lead (metadata only: not scored)", before, &table);

    // What the scoring of a lead's data costs: its documents are read on a change
    // (one Query), the velocity counters only when signals are given (two GetItems
    // per signal: this hour and the one before).
    let before = table.calls();
    api.patch(&format!("/v1/leads/{id}"), json!({"address": {"city": "Leeds"}}), &[]).await;
    measure("patch lead (address: rescored)", before, &table);

    let before = table.calls();
    api.patch(&format!("/v1/leads/{id}"), json!({"individual": {"first_name": "Augusta"}}), &[]).await;
    measure("patch lead (name: rescored, identity documents re-checked)", before, &table);

    let before = table.calls();
    let signals = json!({"signals": {"ip_address": "203.0.113.7", "device_id": "dev-1"}});
    api.patch(&format!("/v1/leads/{id}"), signals.clone(), &[]).await;
    measure("patch lead (signals: rescored with velocity)", before, &table);

    let before = table.calls();
    let mut with_signals = complete_individual();
    with_signals["signals"] = signals["signals"].clone();
    api.create(with_signals).await;
    measure("create lead with signals (ip + device)", before, &table);

    let before = table.calls();
    api.post(&format!("/v1/leads/{id}/status"), json!({"status": "under_review"})).await;
    measure("status transition", before, &table);

    let before = table.calls();
    api.post(&format!("/v1/leads/{id}/notes"), json!({"body": "n"})).await;
    measure("add note", before, &table);

    let before = table.calls();
    api.get(&format!("/v1/leads/{id}/audit")).await;
    measure("audit trail (one page)", before, &table);

    let before = table.calls();
    api.get("/v1/leads?limit=25").await;
    measure("list leads (one page)", before, &table);

    let before = table.calls();
    let today = chrono::Utc::now().date_naive();
    api.get(&format!("/v1/metrics?from={}&to={today}", today - chrono::TimeDelta::days(29))).await;
    measure("metrics report (30 days)", before, &table);

    let before = table.calls();
    api.get("/v1/metrics/pipeline").await;
    measure("pipeline metrics", before, &table);
    rows
}

const KEY: &str = "bench-secret-key-1";
const CONCURRENCY: usize = 16;

/// Runs `total` requests made by `make` over CONCURRENCY connections; requests per second.
async fn throughput<F>(total: usize, make: F) -> f64
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let client = reqwest::Client::new();
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (client, make) = (client.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = worker;
            while i < total {
                let response = make(&client, i).send().await.expect("kyc-local answers");
                assert!(response.status().is_success(), "status {}", response.status());
                let _ = response.bytes().await;
                i += CONCURRENCY;
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn local_throughput() -> Vec<(&'static str, usize, f64)> {
    let data = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start(data.path(), &format!("bench:{KEY}"));
    let base = stack.base_url.clone();
    let client = reqwest::Client::new();
    let mut rows = Vec::new();

    let n = 3000;
    let url = format!("{base}/v1/leads");
    let rps = throughput(n, move |c, _| c.post(&url).bearer_auth(KEY).json(&complete_individual())).await;
    rows.push(("create lead", n, rps));

    let ids: Vec<String> = {
        let list: Value = client
            .get(format!("{base}/v1/leads?limit=100"))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        list["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l["id"].as_str().map(String::from))
            .collect()
    };
    let ids = Arc::new(ids);

    let (b, ids2) = (base.clone(), ids.clone());
    let rps = throughput(n, move |c, i| c.get(format!("{b}/v1/leads/{}", ids2[i % ids2.len()])).bearer_auth(KEY)).await;
    rows.push(("get lead", n, rps));

    // Each lead once to under_review: every request is a real transition.
    let m = ids.len();
    let (b, ids3) = (base.clone(), ids.clone());
    let rps = throughput(m, move |c, i| {
        c.post(format!("{b}/v1/leads/{}/status", ids3[i])).bearer_auth(KEY).json(&json!({"status": "under_review"}))
    })
    .await;
    rows.push(("status transition", m, rps));

    let b = base.clone();
    let rps = throughput(n, move |c, _| c.get(format!("{b}/v1/leads?limit=25")).bearer_auth(KEY)).await;
    rows.push(("list leads (25)", n, rps));
    rows
}

#[tokio::main]
async fn main() {
    let calls = dynamodb_calls().await;
    println!("## DynamoDB calls per operation\n");
    println!("Counted at the SDK adapter (`DynamoTable::calls`), against moto. The API key is");
    println!("resolved by the Lambda authorizer (1 `GetItem`, cached by API Gateway for 300 s) and");
    println!("is not counted here.\n");
    println!("| operation | GetItem | Query | TransactWriteItems | total |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, c) in &calls {
        println!("| {name} | {} | {} | {} | {} |", c.get_item, c.query, c.transact_write_items, c.total());
    }
    if std::env::var_os("KYC_LOCAL_BIN").is_none() {
        eprintln!("KYC_LOCAL_BIN is not set: kyc-local throughput skipped");
        return;
    }
    let local = local_throughput().await;
    println!("\n## kyc-local requests per second (embedded SQLite store)\n");
    println!("One release `kyc-local` process, {CONCURRENCY} concurrent HTTP/1.1 clients on loopback, on a");
    println!("shared 2-core machine: compare ratios between runs on one machine, not absolutes.\n");
    println!("| operation | requests | requests/s |");
    println!("| --- | ---: | ---: |");
    for (name, n, rps) in &local {
        println!("| {name} | {n} | {rps:.0} |");
    }
}
