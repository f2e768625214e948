//! Funnel and pipeline metrics: counted in the same transactions as the changes, read
//! in one query per day whatever the number of leads.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{Value, json};

use kyc_tests::api::{TestApi, complete_individual};
use kyc_tests::backends;
use kyc_tests::clock::ManualClock;

fn with_country(country: &str) -> Value {
    let mut lead = complete_individual();
    lead["address"]["country"] = json!(country);
    lead
}

#[tokio::test]
async fn the_report_counts_creations_decisions_reasons_countries_and_drop_off() {
    let clock = Arc::new(ManualClock::at("2026-06-15T10:00:00Z"));
    let api = TestApi::embedded().with_clock(clock.clone());
    let today = clock_today(&api);
    let approved = api.create(with_country("GB")).await;
    let rejected = api.create(with_country("GB")).await;
    let waiting = api.create(with_country("DE")).await;
    let started = api.create(json!({})).await;
    clock.advance(TimeDelta::minutes(30));
    api.post(
        &format!("/v1/leads/{}/status", approved["id"].as_str().unwrap_or_default()),
        json!({"status": "approved"}),
    )
    .await;
    clock.advance(TimeDelta::minutes(90));
    let reply = api
        .post(
            &format!("/v1/leads/{}/status", rejected["id"].as_str().unwrap_or_default()),
            json!({"status": "rejected", "reasons": ["document_expired", "other"]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    api.post(
        &format!("/v1/leads/{}/status", started["id"].as_str().unwrap_or_default()),
        json!({"status": "in_progress"}),
    )
    .await;
    let _ = waiting;

    let report = api.get(&format!("/v1/metrics?from={today}&to={today}")).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let m = &report.body;
    assert_eq!(m["leads_created"], 4);
    assert_eq!(m["by_source"], json!({"api": 4}));
    assert_eq!(m["countries"], json!({"DE": 1, "GB": 2}));
    assert_eq!((m["decided"].as_i64(), m["approved"].as_i64(), m["rejected"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(m["approval_rate"], 0.5);
    assert_eq!(m["conversion_rate"], 0.25);
    assert_eq!(m["rejection_reasons"], json!({"document_expired": 1, "other": 1}));
    assert_eq!(m["drop_off"], json!({"not_started": 1, "in_progress": 1}));
    assert_eq!(m["processing_seconds"]["mean"], (30 * 60 + 120 * 60) / 2);
    assert_eq!(m["processing_seconds"]["p50"], 3_600, "30 min falls in the <= 1 h bucket");
    assert_eq!(m["processing_seconds"]["p90"], 14_400, "2 h falls in the <= 4 h bucket");
    assert_eq!(m["daily"], json!([{"date": today, "created": 4, "approved": 1, "rejected": 1}]));
}

fn clock_today(api: &TestApi) -> String {
    api.deps.clock.now().date_naive().to_string()
}

#[tokio::test]
async fn the_pipeline_counts_leads_by_status_and_ages_the_review_queue() {
    let clock = Arc::new(ManualClock::starting_now());
    let api = TestApi::embedded().with_clock(clock.clone());
    let empty = api.get("/v1/metrics/pipeline").await;
    assert_eq!(empty.body["oldest_under_review_age_seconds"], Value::Null);
    api.lead_under_review().await;
    clock.advance(TimeDelta::seconds(90));
    api.lead_under_review().await;
    api.create(json!({})).await;
    let reply = api.get("/v1/metrics/pipeline").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["by_status"],
        json!({"not_started": 1, "in_progress": 0, "under_review": 2, "approved": 0, "rejected": 0})
    );
    assert_eq!(reply.body["oldest_under_review_age_seconds"], 90);
}

#[tokio::test]
async fn report_parameters_are_validated_by_name() {
    let api = TestApi::embedded();
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("group=day", "group"),
    ] {
        let reply = api.get(&format!("/v1/metrics?{query}")).await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.fields(), [field], "{query}");
    }
    let default = api.get("/v1/metrics").await;
    assert_eq!(default.body["daily"].as_array().map(Vec::len), Some(30), "the last 30 days by default");
}

#[tokio::test]
async fn a_report_costs_one_query_per_day_however_many_leads_there_are() {
    let table = Arc::new(backends::dynamo_table().await);
    let api = TestApi::new(table.clone());
    for _ in 0..6 {
        api.complete_lead().await;
    }
    let today = clock_today(&api);
    let from = (api.deps.clock.now().date_naive() - TimeDelta::days(2)).to_string();
    let before = table.calls();
    let report = api.get(&format!("/v1/metrics?from={from}&to={today}")).await;
    let after = table.calls();
    assert_eq!(report.body["leads_created"], 6);
    assert_eq!((after.query - before.query, after.get_item - before.get_item), (3, 0), "three days, three queries");
}
