//! Benchmark: the Lambda stack on moto (`infra/scripts/lambda-stack.sh`) against
//! `kyc-local`, both built with the test profile (the stack runs the functions as the
//! contract builds them). Reported, as a Markdown section for BENCHMARKS.md: warm
//! latency of create / get / status through each front door (p50, p99, and the stack's
//! as a ratio of kyc-local's), each function's cold start (spawn to its first poll of the
//! Runtime API), and the time from an upload to the signed webhook of its document.
//!
//! Run with the dev profile, after building the functions (bench.sh does both):
//! `cargo bench -p kyc-tests --bench lambda_stack --profile dev`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_tests::lambda_stack::shared;
use kyc_tests::local::LocalStack;
use kyc_tests::receiver::Receiver;

const KEY: &str = "bench-stack-key-1";
const ROUNDS: usize = 200;

async fn call(client: &reqwest::Client, method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    kyc_tests::lambda_stack::call(client, KEY, method, url, body).await
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

/// Warm p50 / p99 of create, get and status (in ms) through one front door.
async fn latencies(base: &str) -> [(f64, f64); 3] {
    let client = reqwest::Client::new();
    let lead = || json!({"email": "bench@example.com", "individual": {"first_name": "Ada", "last_name": "Lovelace"}});
    // Warm every function and connection first.
    for _ in 0..20 {
        let (_, created) = call(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(lead())).await;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        call(&client, reqwest::Method::GET, format!("{base}/v1/leads/{id}"), None).await;
    }
    let (mut create, mut get, mut status) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let (code, created) = call(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(lead())).await;
        create.push(started.elapsed());
        assert_eq!(code, 201, "{created}");
        let id = created["id"].as_str().unwrap_or_default().to_string();
        let started = Instant::now();
        let (code, _) = call(&client, reqwest::Method::GET, format!("{base}/v1/leads/{id}"), None).await;
        get.push(started.elapsed());
        assert_eq!(code, 200);
        let started = Instant::now();
        let body = json!({"status": "in_progress"});
        let (code, moved) =
            call(&client, reqwest::Method::POST, format!("{base}/v1/leads/{id}/status"), Some(body)).await;
        status.push(started.elapsed());
        assert_eq!(code, 200, "{moved}");
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    [&mut create, &mut get, &mut status].map(|s| (ms(percentile(s, 0.5)), ms(percentile(s, 0.99))))
}

/// Seconds from the end of an upload to the arrival of its signed `kyc.document_received`.
async fn upload_to_webhook(base: &str) -> Vec<f64> {
    let client = reqwest::Client::new();
    let receiver = Receiver::start().await;
    let body = json!({"url": receiver.url, "events": ["kyc.document_received"]});
    let (code, hook) = call(&client, reqwest::Method::POST, format!("{base}/v1/webhook-endpoints"), Some(body)).await;
    assert_eq!(code, 201, "{hook}");
    let mut times = Vec::new();
    for salt in 0..5u8 {
        let lead = json!({"level": "enhanced", "email": "up@example.com"});
        let (_, lead) = call(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(lead)).await;
        let id = lead["id"].as_str().unwrap_or_default().to_string();
        let request = json!({"kind": "passport", "content_type": "image/png"});
        let (code, reply) =
            call(&client, reqwest::Method::POST, format!("{base}/v1/leads/{id}/documents"), Some(request)).await;
        assert_eq!(code, 201, "{reply}");
        let before = receiver.received().len();
        let mut put = client
            .put(reply["upload"]["url"].as_str().unwrap_or_default())
            .body(kyc_tests::fixtures::png(640, 480, salt));
        for (name, value) in reply["upload"]["headers"].as_object().cloned().unwrap_or_default() {
            put = put.header(name, value.as_str().unwrap_or_default());
        }
        assert_eq!(put.send().await.expect("uploads").status().as_u16(), 200);
        let started = Instant::now();
        while receiver.received().len() == before {
            assert!(started.elapsed() < Duration::from_secs(120), "no webhook within two minutes");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        times.push(started.elapsed().as_secs_f64());
    }
    times
}

#[tokio::main]
async fn main() {
    // The debug kyc-local, built like the stack's functions (not KYC_LOCAL_BIN's release one).
    let workspace = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target =
        std::env::var("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| workspace.join("target"));
    let data = tempfile::tempdir().expect("temp dir");
    let local = {
        let bin = target.join("debug").join("kyc-local");
        assert!(bin.exists(), "build kyc-local first (cargo build -p kyc-local)");
        LocalStack::start_with_binary(&bin, data.path(), &format!("acme:{KEY}"), &[])
    };
    let stack = shared(&format!("acme:{KEY}"), &[("KYC_ALLOW_LOOPBACK_WEBHOOKS", "1"), ("RUST_LOG", "error")]);
    stack.ready().await;

    let local_latency = latencies(&local.base_url).await;
    let stack_latency = latencies(&stack.base_url).await;
    let delivery = upload_to_webhook(&stack.base_url).await;
    let functions: Value = reqwest::get(format!("{}/__stack/functions", stack.base_url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");

    println!("## The Lambda stack on moto: latency, cold starts, upload to webhook");
    println!();
    println!(
        "`cargo bench -p kyc-tests --bench lambda_stack --profile dev`, {} on {} cores: the stack \
         (`infra/scripts/lambda-stack.sh`, every function a debug `bootstrap` under the stack's Runtime API, \
         the table, bucket and queues on one moto answering serially) against a debug `kyc-local` on its \
         embedded store; {ROUNDS} sequential warm rounds of each call after 20 warm-up rounds.",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!();
    println!("| call | kyc-local p50 | kyc-local p99 | stack p50 | stack p99 | p50 ratio | p99 ratio |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (i, name) in
        ["create (POST /v1/leads)", "get (GET /v1/leads/{id})", "status (POST .../status)"].iter().enumerate()
    {
        let ((l50, l99), (s50, s99)) = (local_latency[i], stack_latency[i]);
        println!(
            "| {name} | {l50:.1} ms | {l99:.1} ms | {s50:.1} ms | {s99:.1} ms | {:.1}× | {:.1}× |",
            s50 / l50,
            s99 / l99
        );
    }
    println!();
    println!("Cold start of each function (process spawn to its first `GET /runtime/invocation/next`):");
    println!();
    println!("| function | cold start |");
    println!("| --- | ---: |");
    for function in functions["functions"].as_array().into_iter().flatten() {
        println!("| {} | {} ms |", function["name"].as_str().unwrap_or_default(), function["cold_start_ms"]);
    }
    println!();
    let mut sorted = delivery.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "Upload to signed webhook (`kyc.document_received`: S3 notification → scorer → table stream → relay → \
         deliveries queue → sender → receiver), {} uploads: median {:.2} s, max {:.2} s.",
        sorted.len(),
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    println!();
    println!(
        "What the ratios hold: each stack request goes through the gateway's 2.0 event and the function's \
         Runtime API round trip, and every table read or write is an HTTP call to a moto server in Python that \
         answers one request at a time, where `kyc-local` reads and writes SQLite in its own process; the \
         authorizer is asked once per key a minute (its cache). They are the cost of the deployed shape on one \
         machine, not AWS latencies. The upload-to-webhook time is bounded below by the stack's pollers \
         (250 ms when a queue or the stream is idle)."
    );
}
