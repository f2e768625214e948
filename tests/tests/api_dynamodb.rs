//! The lead API on DynamoDB (moto, real SDK): the item layout, indexes, conditions
//! and idempotency records behave there as on the embedded store.

use serde_json::json;

use kyc_domain::audit::{AuditEvent, verify_chain};
use kyc_tests::api::{GLOBEX_KEY, TestApi, complete_individual};
use kyc_tests::backends;

#[tokio::test]
async fn a_lead_walks_to_approval_with_a_verifiable_trail_on_dynamodb() {
    let api = TestApi::new(backends::dynamo().await);
    let lead = api.complete_lead().await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    for status in ["in_progress", "under_review", "approved"] {
        let reply = api.post(&format!("/v1/leads/{id}/status"), json!({"status": status})).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    api.post(&format!("/v1/leads/{id}/notes"), json!({"body": "checked by phone"})).await;
    let trail: Vec<AuditEvent> =
        api.audit(&id).await.into_iter().map(|e| serde_json::from_value(e).expect("event")).collect();
    assert_eq!(trail.len(), 6, "created, scored, three moves, a note");
    assert_eq!(verify_chain(&trail), Ok(()));
    let foreign = api.send("GET", &format!("/v1/leads/{id}"), Some(GLOBEX_KEY), None, &[]).await;
    foreign.assert_problem(404, "not_found");
}

#[tokio::test]
async fn lists_queues_and_cursors_work_on_dynamodb() {
    let api = TestApi::new(backends::dynamo().await);
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(api.create(json!({"level": "enhanced"})).await["id"].clone());
    }
    let queued = api.lead_under_review().await;
    let mut seen = Vec::new();
    let mut path = "/v1/leads?level=enhanced&limit=2".to_string();
    loop {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        seen.extend(reply.body["data"].as_array().cloned().unwrap_or_default().into_iter().map(|l| l["id"].clone()));
        match reply.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/leads?level=enhanced&limit=2&cursor={c}"),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created);
    let queue = api.get("/v1/leads?status=under_review&order=oldest").await;
    assert_eq!(queue.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(queue.body["data"][0]["id"], queued["id"]);
}

#[tokio::test]
async fn guards_and_idempotency_hold_on_dynamodb() {
    let api = TestApi::new(backends::dynamo().await);
    let first = api.create(json!({"external_id": "erp-1"})).await;
    let duplicate = api.post("/v1/leads", json!({"external_id": "erp-1"})).await;
    duplicate.assert_problem(409, "duplicate_external_id");
    assert!(duplicate.body["detail"].as_str().is_some_and(|d| d.contains(first["id"].as_str().unwrap_or("?"))));
    let key = [("idempotency-key", "k-1")];
    let a = api.post_with("/v1/leads", complete_individual(), &key).await;
    let b = api.post_with("/v1/leads", complete_individual(), &key).await;
    assert_eq!((a.status, b.status, b.header("idempotent-replayed")), (201, 201, Some("true")));
    assert_eq!(a.body, b.body);
    api.post_with("/v1/leads", json!({}), &key).await.assert_problem(422, "idempotency_key_reused");
}
