//! Concurrent writers on one lead: exactly one decision wins, no note is lost, and the
//! audit chain stays one unforked line, on the embedded store and on DynamoDB (moto).

use std::sync::Arc;

use serde_json::{Value, json};

use kyc_app::ports::table::Table;
use kyc_domain::audit::{AuditEvent, verify_chain};
use kyc_tests::api::TestApi;
use kyc_tests::backends;

const DECIDERS: usize = 20;

async fn decisions_race(table: Arc<dyn Table>, with_if_match: bool) {
    let api = TestApi::new(table);
    let lead = api.lead_under_review().await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let version = lead["version"].to_string();
    let mut tasks = Vec::new();
    for i in 0..DECIDERS {
        let (api, id, version) = (api.clone(), id.clone(), version.clone());
        tasks.push(tokio::spawn(async move {
            let body = if i % 2 == 0 {
                json!({"status": "approved", "reviewer": format!("r{i}")})
            } else {
                json!({"status": "rejected", "reasons": ["suspected_fraud"], "reviewer": format!("r{i}")})
            };
            let if_match = format!("\"{version}\"");
            let headers: Vec<(&str, &str)> = if with_if_match { vec![("if-match", &if_match)] } else { vec![] };
            let reply = api.post_with(&format!("/v1/leads/{id}/status"), body, &headers).await;
            (reply.status, reply.body)
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task completes"));
    }
    let winners: Vec<&(u16, Value)> = statuses.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one decision wins: {statuses:?}");
    let losing_code = if with_if_match { 412 } else { 409 };
    for (status, body) in statuses.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, losing_code, "a losing decision is refused, not lost: {body}");
    }
    let trail: Vec<AuditEvent> =
        api.audit(&id).await.into_iter().map(|e| serde_json::from_value(e).expect("audit event")).collect();
    let decisions = trail
        .iter()
        .filter(|e| matches!(e.to_status, Some(s) if s.as_str() == "approved" || s.as_str() == "rejected"))
        .count();
    assert_eq!(decisions, 1, "the trail holds exactly one decision");
    assert_eq!(verify_chain(&trail), Ok(()));
    let final_status = api.get(&format!("/v1/leads/{id}")).await.body["status"].clone();
    assert_eq!(final_status, winners[0].1["status"]);
}

async fn notes_race(table: Arc<dyn Table>) {
    let api = TestApi::new(table);
    let lead = api.complete_lead().await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let mut tasks = Vec::new();
    for i in 0..DECIDERS {
        let (api, id) = (api.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            api.post(&format!("/v1/leads/{id}/notes"), json!({"body": format!("note {i}")})).await.status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task completes"), 201, "no concurrent note is refused or lost");
    }
    let trail: Vec<AuditEvent> =
        api.audit(&id).await.into_iter().map(|e| serde_json::from_value(e).expect("audit event")).collect();
    assert_eq!(trail.len(), 2 + DECIDERS, "created, scored, and every note once");
    assert_eq!(verify_chain(&trail), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_decisions_on_the_embedded_store_have_one_winner() {
    decisions_race(backends::embedded(), false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_decisions_with_if_match_on_the_embedded_store_have_one_winner() {
    decisions_race(backends::embedded(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_decisions_on_dynamodb_have_one_winner() {
    decisions_race(backends::dynamo().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_decisions_with_if_match_on_dynamodb_have_one_winner() {
    decisions_race(backends::dynamo().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_notes_on_the_embedded_store_are_all_kept() {
    notes_race(backends::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_notes_on_dynamodb_are_all_kept() {
    notes_race(backends::dynamo().await).await;
}
