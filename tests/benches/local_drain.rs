//! Benchmark: how fast `kyc-local`'s webhook pipeline drains a backlog. Eight writers
//! create leads through the API for four seconds with an endpoint subscribed to
//! `kyc.lead_created` on a loopback receiver that answers at once; the process is then
//! killed (SIGKILL) with deliveries queued and in flight, and restarted on the same data
//! dir. Reported: the API's create rate, deliveries per second while writing and after
//! the restart, and that every lead's event arrived (at least once).
//!
//! Uses `KYC_LOCAL_BIN` (`infra/scripts/bench.sh` builds a release one), else the debug
//! build of this workspace.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_tests::local::LocalStack;
use kyc_tests::receiver::Receiver;

const KEY: &str = "sk_drain_bench_1";
const WRITERS: usize = 8;
const WRITING: Duration = Duration::from_secs(4);

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().expect("temp dir");
    let receiver = Receiver::start().await;
    let client = reqwest::Client::new();
    let mut first = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let base = first.base_url.clone();
    let reply = client
        .post(format!("{base}/v1/webhook-endpoints"))
        .bearer_auth(KEY)
        .json(&json!({"url": receiver.url, "events": ["kyc.lead_created"]}))
        .send()
        .await
        .expect("kyc-local answers");
    assert_eq!(reply.status(), 201);

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let reply = client
                        .post(format!("{base}/v1/leads"))
                        .bearer_auth(KEY)
                        .json(&json!({"email": format!("drain{w}x{i}@example.com")}))
                        .send()
                        .await
                        .expect("kyc-local answers");
                    let lead: Value = reply.json().await.expect("json");
                    ids.push(lead["id"].as_str().expect("an id").to_string());
                    i += 1;
                }
                ids
            })
        })
        .collect();
    tokio::time::sleep(WRITING).await;
    stop.store(true, Ordering::Relaxed);
    let mut leads = BTreeSet::new();
    for writer in writers {
        leads.extend(writer.await.expect("writer"));
    }
    let writing = started.elapsed();
    let while_writing = receiver.lead_ids(0).len();
    first.stop(); // SIGKILL, with a backlog queued and deliveries in flight
    let at_kill = receiver.lead_ids(0);

    let restarted = Instant::now();
    let _second = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let limit = Instant::now() + Duration::from_secs(300);
    while !receiver.lead_ids(0).is_superset(&leads) && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = restarted.elapsed();
    let after = receiver.lead_ids(0);
    let missing = leads.difference(&after).count();
    let backlog = leads.len() - at_kill.intersection(&leads).count();

    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!("## kyc-local webhook drain (a backlog, a SIGKILL, a restart)");
    println!();
    println!(
        "{WRITERS} writers create leads for {} s through the API of one `kyc-local` ({}), an endpoint \
         subscribed to `kyc.lead_created` on a loopback receiver that answers at once; then SIGKILL, \
         and a restart on the same data dir (`cargo bench -p kyc-tests --bench local_drain`).",
        WRITING.as_secs(),
        if std::env::var("KYC_LOCAL_BIN").is_ok() { "KYC_LOCAL_BIN" } else { "debug build" }
    );
    println!();
    println!("| measure | value |");
    println!("| --- | ---: |");
    println!("| leads created | {} ({:.0}/s) |", leads.len(), rate(leads.len(), writing));
    println!("| delivered while writing | {while_writing} ({:.0}/s) |", rate(while_writing, writing));
    println!("| backlog at the kill | {backlog} |");
    println!(
        "| drained after the restart (start-up included) | {backlog} in {:.2} s ({:.0}/s) |",
        drain.as_secs_f64(),
        rate(backlog, drain)
    );
    println!("| leads whose event never arrived | {missing} |");
    assert_eq!(missing, 0, "a crash must lose no webhook");
}
