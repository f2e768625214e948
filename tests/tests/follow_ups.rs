//! The follow-up job: due leads get at most three follow-ups, one delay apart, never
//! twice for one slot; leads that moved on get none. On both backends.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::json;

use kyc_app::followups::run;
use kyc_app::ports::table::Table;
use kyc_tests::api::TestApi;
use kyc_tests::backends;
use kyc_tests::clock::ManualClock;

fn day() -> TimeDelta {
    TimeDelta::hours(24)
}

async fn follow_ups_walk(table: Arc<dyn Table>) {
    let clock = Arc::new(ManualClock::starting_now());
    let api = TestApi::new(table).with_clock(clock.clone());
    let waiting = api.create(json!({"email": "a@example.com"})).await;
    let reviewed = api.lead_under_review().await;
    let id = waiting["id"].as_str().unwrap_or_default().to_string();

    clock.advance(day() - TimeDelta::seconds(1));
    assert_eq!(run(&api.deps, day()).await.expect("ran").sent, 0, "not due before one delay");

    clock.advance(TimeDelta::seconds(1));
    assert_eq!(run(&api.deps, day()).await.expect("ran").sent, 1);
    assert_eq!(run(&api.deps, day()).await.expect("ran").sent, 0, "running twice sends nothing twice");

    for _ in 0..4 {
        clock.advance(day());
        run(&api.deps, day()).await.expect("ran");
    }
    let trail = api.audit(&id).await;
    let sent: Vec<_> = trail.iter().filter(|e| e["action"] == "follow_up.sent").collect();
    assert_eq!(sent.len(), 3, "at most three follow-ups");
    assert_eq!(sent.iter().map(|e| e["data"]["attempt"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(sent[0]["data"]["missing"], json!(["name", "country"]));
    assert_eq!(sent[0]["actor"], "system:follow-up");
    let reviewed_trail = api.audit(reviewed["id"].as_str().unwrap_or_default()).await;
    assert!(reviewed_trail.iter().all(|e| e["action"] != "follow_up.sent"), "a lead under review is not followed up");
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["version"], 1, "follow-ups change the trail, not the lead");
    let events = api.get("/v1/events?type=kyc.follow_up_due&limit=100").await.body;
    assert_eq!(events["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(events["data"][2]["data"]["attempt"], 3);
}

#[tokio::test]
async fn waiting_leads_get_three_follow_ups_one_delay_apart_on_the_embedded_store() {
    follow_ups_walk(backends::embedded()).await;
}

#[tokio::test]
async fn waiting_leads_get_three_follow_ups_one_delay_apart_on_dynamodb() {
    follow_ups_walk(backends::dynamo().await).await;
}

#[tokio::test]
async fn a_status_change_restarts_the_wait() {
    let clock = Arc::new(ManualClock::starting_now());
    let api = TestApi::embedded().with_clock(clock.clone());
    let lead = api.create(json!({})).await;
    clock.advance(day() - TimeDelta::hours(1));
    api.post(
        &format!("/v1/leads/{}/status", lead["id"].as_str().unwrap_or_default()),
        json!({"status": "in_progress"}),
    )
    .await;
    clock.advance(TimeDelta::hours(2));
    assert_eq!(run(&api.deps, day()).await.expect("ran").sent, 0, "one delay counts from the last status change");
    clock.advance(day());
    assert_eq!(run(&api.deps, day()).await.expect("ran").sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_never_send_one_slot_twice() {
    let clock = Arc::new(ManualClock::starting_now());
    let api = TestApi::embedded().with_clock(clock.clone());
    for _ in 0..5 {
        api.create(json!({})).await;
    }
    clock.advance(day());
    let runs: Vec<_> = (0..5)
        .map(|_| {
            let deps = api.deps.clone();
            tokio::spawn(async move { run(&deps, day()).await.expect("ran").sent })
        })
        .collect();
    let mut total = 0;
    for r in runs {
        total += r.await.expect("joined");
    }
    assert_eq!(total, 5, "one follow-up per lead, whichever run sent it");
}
