//! Benchmark: what a Sumsub share-token import adds to `PATCH /v1/leads/{id}` when
//! Sumsub answers each call in 200 ms, and how many Sumsub calls an import and a
//! refresh make (counted exactly at the fake, which checks every signature).
//!
//! The API runs in process on the embedded store; the fake Sumsub listens on loopback
//! and holds each answer 200 ms. The ideal import is two sequential calls (redeem the
//! token, read the applicant): 400 ms. Prints Markdown for BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use kyc_tests::api::TestApi;
use kyc_tests::fake_sumsub::{Failure, FakeSumsub};

const SUMSUB_ANSWERS_IN: Duration = Duration::from_millis(200);
const RUNS: usize = 9;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let fake = FakeSumsub::start().await;
    let api = TestApi::embedded().with_sumsub(Arc::new(fake.client()));

    let (mut plain, mut imports, mut refreshes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut import_calls, mut refresh_calls) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let lead = api.create(json!({"external_id": format!("bench-sumsub-{run}")})).await;
        let id = lead["id"].as_str().expect("lead id").to_string();
        let path = format!("/v1/leads/{id}");

        // The same PATCH route without Sumsub: what the import adds is the difference.
        let started = Instant::now();
        let reply = api.patch(&path, json!({"metadata": {"run": run.to_string()}}), &[]).await;
        plain.push(started.elapsed());
        assert_eq!(reply.status, 200, "{}", reply.body);

        for (i, durations, calls) in [(0, &mut imports, &mut import_calls), (1, &mut refreshes, &mut refresh_calls)] {
            let token = format!("_act-bench-{run}-{i}");
            fake.share(&token, &format!("applicant-bench-{run}"), Some("GREEN"), None);
            fake.fail_next(&[Failure::Delay(SUMSUB_ANSWERS_IN), Failure::Delay(SUMSUB_ANSWERS_IN)]);
            let before = fake.calls().len();
            let started = Instant::now();
            let reply = api.patch(&path, json!({"sumsub_share_token": token}), &[]).await;
            durations.push(started.elapsed());
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.body["sumsub"]["review_answer"], "GREEN");
            calls.push(fake.calls().len() - before);
        }
    }
    assert!(fake.calls().iter().all(|c| c.signature_ok), "every call signed");

    let (plain, import, refresh) = (median(plain), median(imports), median(refreshes));
    let ideal = SUMSUB_ANSWERS_IN * 2;
    let added = |d: Duration| d.saturating_sub(plain);
    println!("## Sumsub share-token import");
    println!();
    println!(
        "`PATCH /v1/leads/{{id}}` with `sumsub_share_token`, in process on the embedded store, against a fake \
         Sumsub on loopback that holds each answer {} and checks every signature \
         (`cargo bench -p kyc-tests --bench sumsub --profile dev`: the time added is the network's, not the code's); medians of {RUNS}. The ideal is two sequential calls \
         (redeem the token, read the applicant): {}.",
        ms(SUMSUB_ANSWERS_IN),
        ms(ideal)
    );
    println!();
    println!("| PATCH | median | added by Sumsub | ratio of the added time to the ideal | Sumsub calls |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!("| without a token | {} | — | — | 0 |", ms(plain));
    for (name, d, calls) in [("import", import, &import_calls), ("refresh (a fresh token)", refresh, &refresh_calls)] {
        let mut counts = calls.clone();
        counts.sort();
        counts.dedup();
        let counts: Vec<String> = counts.iter().map(ToString::to_string).collect();
        println!(
            "| {name} | {} | {} | {:.2} | {} |",
            ms(d),
            ms(added(d)),
            added(d).as_secs_f64() / ideal.as_secs_f64(),
            counts.join(", ")
        );
    }
}
