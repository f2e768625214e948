//! Benchmark: deliveries per second of one webhook-sender invocation (a batch of 100)
//! against a loopback receiver that answers after 50 ms. With every delivery in flight
//! at once, the ideal is one 50 ms round; the report gives the ratio to that ideal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use kyc_app::TenantId;
use kyc_app::ports::queue::ReceivedMessage;
use kyc_app::webhooks::DeliveryMessage;
use kyc_app::webhooks::sender::{Sender, deliver_batch};
use kyc_aws::HttpTransport;
use kyc_domain::ssrf::Mode;
use kyc_domain::webhook::{RetrySchedule, events_for};
use kyc_tests::api::TestApi;
use kyc_tests::receiver::Receiver;

const BATCH: usize = 100;
const RECEIVER_LATENCY: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() {
    let api = TestApi::embedded();
    let receiver = Receiver::start().await;
    receiver.delay(RECEIVER_LATENCY);
    let reply = api.post("/v1/webhook-endpoints", json!({"url": receiver.url, "events": ["*"]})).await;
    let endpoint = reply.body["id"].as_str().unwrap_or_default().to_string();
    let lead = api.complete_lead().await;
    let trail = api.audit(lead["id"].as_str().unwrap_or_default()).await;
    let audit = serde_json::from_value(trail[0].clone()).expect("audit event");
    let event = events_for(&audit).expect("a lead.created event stands for a webhook").remove(0);
    let tenant = TenantId::parse("acme").expect("tenant");
    let sender = Sender {
        transport: Arc::new(HttpTransport::new(Mode::Local).expect("client")),
        schedule: RetrySchedule::default(),
    };
    let batch = |round: usize| -> Vec<ReceivedMessage> {
        (0..BATCH)
            .map(|i| {
                let message = DeliveryMessage {
                    tenant: tenant.clone(),
                    endpoint_id: kyc_domain::ids::EndpointId::parse(&endpoint).expect("endpoint id"),
                    event: event.clone(),
                    first_attempt: 1,
                    manual: false,
                };
                ReceivedMessage {
                    receipt: format!("{round}-{i}"),
                    body: serde_json::to_string(&message).unwrap_or_default(),
                    receive_count: 1,
                }
            })
            .collect()
    };
    // Warm up connections and the store once.
    deliver_batch(&api.deps, &sender, batch(0), BATCH).await;
    let mut best = Duration::MAX;
    for round in 1..=5 {
        let started = Instant::now();
        let settled = deliver_batch(&api.deps, &sender, batch(round), BATCH).await;
        let elapsed = started.elapsed();
        assert!(settled.iter().all(|(_, s)| *s == kyc_app::ports::queue::Settle::Done), "every delivery succeeded");
        best = best.min(elapsed);
    }
    let per_second = BATCH as f64 / best.as_secs_f64();
    let ratio = best.as_secs_f64() / RECEIVER_LATENCY.as_secs_f64();
    println!("## Webhook sender\n");
    println!("One invocation delivering a batch of {BATCH} events to a loopback receiver that answers after");
    println!(
        "{} ms (signing, HTTP, and recording each attempt in the embedded store), best of 5:\n",
        RECEIVER_LATENCY.as_millis()
    );
    println!(
        "| batch | wall time | deliveries/s | ratio to the ideal (one {} ms round) |",
        RECEIVER_LATENCY.as_millis()
    );
    println!("| ---: | ---: | ---: | ---: |");
    println!("| {BATCH} | {} ms | {per_second:.0} | {ratio:.2} |", best.as_millis());
    println!(
        "\nA sequential sender would take {} ms ({:.0}× the ideal).",
        BATCH as u128 * RECEIVER_LATENCY.as_millis(),
        BATCH as f64
    );
    println!("Received: {} requests.", receiver.received().len());
}
