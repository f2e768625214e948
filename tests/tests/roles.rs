//! Actors and roles from the API key: the route × role table, actors in the trail and
//! in webhooks, holds that automation respects, four eyes on high-risk approvals, and
//! idempotency keys scoped to the key that sent them.

use serde_json::{Value, json};

use kyc_http::access::ROUTES;
use kyc_tests::api::{ACME_ANA_KEY, ACME_BO_KEY, ACME_KEY, ACME_SHOP_KEY, Reply, TestApi};
use kyc_domain::verification::FaceMatchThreshold;
use kyc_tests::fake_verifier::FakeVerifier;
use kyc_tests::fixtures;
use kyc_tests::identity::{ADA, script_bill, script_passport, script_selfie, verifier_for};

/// The test keys of `acme`, one per role.
const KEYS_BY_ROLE: [(&str, &str); 3] =
    [("admin", ACME_KEY), ("reviewer", ACME_ANA_KEY), ("integrator", ACME_SHOP_KEY)];

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

async fn as_key(api: &TestApi, key: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    let bytes = body.map(|b| serde_json::to_vec(&b).expect("json"));
    api.send(method, path, Some(key), bytes, &[]).await
}

#[tokio::test]
async fn every_cell_of_the_route_table_is_enforced() {
    let api = TestApi::embedded();
    for (method, route, roles) in ROUTES {
        let path = route
            .replace("{id}", "lead_00000000000000000000000000000000")
            .replace("{doc_id}", "doc_00000000000000000000000000000000");
        for (role, key) in KEYS_BY_ROLE {
            let body = (*method == "POST" || *method == "PATCH").then(|| json!({}));
            let reply = as_key(&api, key, method, &path, body).await;
            let allowed = roles.iter().any(|r| r.as_str() == role);
            if allowed {
                assert_ne!(reply.status, 403, "{role} may call {method} {route}: {}", reply.body);
            } else {
                reply.assert_problem(403, "forbidden");
                assert!(reply.body["detail"].as_str().is_some_and(|d| d.contains(role)), "{}", reply.body);
            }
        }
    }
}

#[tokio::test]
async fn a_forbidden_call_writes_nothing() {
    let api = TestApi::embedded();
    let before = api.get("/v1/leads").await.body["data"].as_array().map(Vec::len);
    as_key(&api, ACME_ANA_KEY, "POST", "/v1/leads", Some(json!({"email": "a@example.com"})))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(api.get("/v1/leads").await.body["data"].as_array().map(Vec::len), before);
}

#[tokio::test]
async fn the_trail_names_the_keys_actor_and_keeps_a_body_reviewer_as_a_label() {
    let api = TestApi::embedded();
    let created = as_key(&api, ACME_SHOP_KEY, "POST", "/v1/leads", Some(kyc_tests::api::complete_individual())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = id_of(&created.body);
    let approved = as_key(
        &api,
        ACME_ANA_KEY,
        "POST",
        &format!("/v1/leads/{id}/status"),
        Some(json!({"status": "approved", "reviewer": "Ana Pereira"})),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let trail = api.audit(&id).await;
    assert_eq!(trail[0]["actor"], "key:shop");
    let decision = trail.last().expect("the approval");
    assert_eq!(decision["actor"], "key:ana", "the key decides who acted, never the body");
    assert_eq!(decision["data"]["reviewer_label"], "Ana Pereira");
    let feed = api.get("/v1/events?type=kyc.review_completed").await.body;
    let review = &feed["data"][0]["data"];
    assert_eq!((review["actor"].as_str(), review["reviewer"].as_str()), (Some("key:ana"), Some("Ana Pereira")));
}

// ------------------------------------------------------------------ holds

fn enhanced_individual(country: &str) -> Value {
    json!({
        "level": "enhanced",
        "email": "ada@example.com",
        "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10"},
        "address": {"line1": "1 High St", "city": "Town", "country": country}
    })
}

async fn upload(api: &TestApi, lead: &str, kind: &str, content_type: &str, file: &[u8]) {
    api.upload(lead, json!({"kind": kind, "content_type": content_type}), file).await;
}

async fn upload_a_perfect_set(api: &TestApi, lead: &str) {
    upload(api, lead, "passport", "image/png", &fixtures::png(1200, 800, 11)).await;
    upload(api, lead, "proof_of_address", "application/pdf", &fixtures::pdf()).await;
    upload(api, lead, "selfie", "image/png", &fixtures::png(800, 800, 12)).await;
}

async fn lead(api: &TestApi, id: &str) -> Value {
    api.get(&format!("/v1/leads/{id}")).await.body
}

#[tokio::test]
async fn a_hold_outlasts_a_perfect_set_of_documents_and_ends_when_a_person_moves_the_lead_on() {
    let fake = FakeVerifier::start().await;
    let api = TestApi::embedded().with_verifier(verifier_for(&fake).await, FaceMatchThreshold::default());
    let mut data = enhanced_individual("GB");
    data["address"] = json!({"line1": "1 High St", "city": "York", "postal_code": "YO1 7HH", "country": "GB"});
    let id = id_of(&api.create(data).await);
    let passport = script_passport(&fake, &ADA, 21);
    upload(&api, &id, "passport", "image/png", &passport).await;
    upload(&api, &id, "selfie", "image/png", &script_selfie(&fake, &passport, 99.0, 22)).await;
    assert_eq!(lead(&api, &id).await["status"], "in_progress", "the proof of address is still missing");
    let moved = as_key(
        &api,
        ACME_ANA_KEY,
        "POST",
        &format!("/v1/leads/{id}/status"),
        Some(json!({"status": "under_review"})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["hold"]["actor"], "key:ana");
    assert_eq!(moved.body["review_reasons"], json!(["held_by_reviewer"]));

    upload(&api, &id, "proof_of_address", "application/pdf", &script_bill(&fake, &ADA, 10, 23)).await;
    let held = lead(&api, &id).await;
    assert_eq!(held["risk"]["level"], "low");
    assert_eq!(held["requirements"]["missing"], json!([]));
    assert_eq!(held["status"], "under_review", "automation never moves a held lead");
    assert_eq!(held["review_reasons"], json!(["held_by_reviewer"]), "the only thing keeping it");

    let approved =
        as_key(&api, ACME_ANA_KEY, "POST", &format!("/v1/leads/{id}/status"), Some(json!({"status": "approved"})))
            .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert!(approved.body.get("hold").is_none(), "moving the lead on ends the hold: {}", approved.body);
    assert_eq!(approved.body["review_reasons"], json!([]));
}

#[tokio::test]
async fn a_note_on_a_lead_under_review_holds_it() {
    // Without a verifier, a complete enhanced lead waits for a person, unheld.
    let api = TestApi::embedded();
    let id = id_of(&api.create(enhanced_individual("GB")).await);
    upload_a_perfect_set(&api, &id).await;
    let waiting = lead(&api, &id).await;
    assert_eq!(waiting["status"], "under_review");
    assert!(waiting.get("hold").is_none());
    let note =
        as_key(&api, ACME_ANA_KEY, "POST", &format!("/v1/leads/{id}/notes"), Some(json!({"body": "calling"}))).await;
    assert_eq!(note.status, 201, "{}", note.body);
    let held = lead(&api, &id).await;
    assert_eq!(held["hold"]["actor"], "key:ana", "a note on a lead under review holds it");
    assert!(held["review_reasons"].as_array().is_some_and(|r| r.contains(&json!("held_by_reviewer"))), "{held}");
}

#[tokio::test]
async fn a_person_moving_a_lead_to_review_holds_it() {
    let api = TestApi::embedded();
    let reviewed = api.lead_under_review().await;
    assert_eq!(reviewed["hold"]["actor"], "key:acme");
    let moved = api.post(&format!("/v1/leads/{}/status", id_of(&reviewed)), json!({"status": "in_progress"})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(moved.body.get("hold").is_none());
}

// ------------------------------------------------------------------ four eyes

/// An enhanced lead whose country is on the FATF call-for-action list: high (here
/// critical) risk, so raised to premium at its creation; every document in, waiting
/// for people.
async fn high_risk_lead_in_review(api: &TestApi) -> String {
    let id = id_of(&api.create(enhanced_individual("MM")).await);
    upload_a_perfect_set(api, &id).await;
    upload(api, &id, "source_of_funds", "application/pdf", &fixtures::pdf_with(b"3 0 obj << /Title (funds) >> endobj\n")).await;
    let lead = lead(api, &id).await;
    assert!(["high", "critical"].contains(&lead["risk"]["level"].as_str().unwrap_or_default()), "{lead}");
    assert_eq!(lead["status"], "under_review");
    id
}

async fn approve(api: &TestApi, key: &str, id: &str) -> Reply {
    as_key(api, key, "POST", &format!("/v1/leads/{id}/status"), Some(json!({"status": "approved"}))).await
}

#[tokio::test]
async fn a_high_risk_approval_takes_two_people() {
    let api = TestApi::embedded();
    let id = high_risk_lead_in_review(&api).await;
    let first = approve(&api, ACME_ANA_KEY, &id).await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.body["status"], "under_review");
    assert_eq!(api.audit(&id).await.last().map(|e| e["action"].clone()), Some(json!("review.first_approval")));

    approve(&api, ACME_ANA_KEY, &id).await.assert_problem(409, "second_approval_required");

    let second = approve(&api, ACME_BO_KEY, &id).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["status"], "approved");
}

#[tokio::test]
async fn any_other_change_voids_a_first_approval() {
    let api = TestApi::embedded();
    let id = high_risk_lead_in_review(&api).await;
    assert_eq!(approve(&api, ACME_ANA_KEY, &id).await.status, 202);
    let patched = api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"crm": "42"}}), &[]).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let after_change = approve(&api, ACME_BO_KEY, &id).await;
    assert_eq!(after_change.status, 202, "the first approval was voided: bo's is a new first one");
    assert_eq!(after_change.body["status"], "under_review");
}

// ------------------------------------------------------------------ idempotency per key

#[tokio::test]
async fn an_idempotency_key_is_scoped_to_the_api_key_that_sent_it() {
    let api = TestApi::embedded();
    let body = serde_json::to_vec(&json!({"email": "a@example.com"})).expect("json");
    let headers = [("idempotency-key", "order-1")];
    let first = api.send("POST", "/v1/leads", Some(ACME_KEY), Some(body.clone()), &headers).await;
    let replayed = api.send("POST", "/v1/leads", Some(ACME_KEY), Some(body.clone()), &headers).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body["id"], first.body["id"]);
    let other_key = api.send("POST", "/v1/leads", Some(ACME_SHOP_KEY), Some(body), &headers).await;
    assert_eq!(other_key.status, 201);
    assert_ne!(other_key.body["id"], first.body["id"], "another key's request is its own");
    assert!(other_key.header("idempotent-replayed").is_none());
}

#[tokio::test]
async fn a_patch_takes_an_idempotency_key() {
    let api = TestApi::embedded();
    let id = id_of(&api.complete_lead().await);
    let headers = [("idempotency-key", "patch-1")];
    let first = api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"crm": "1"}}), &headers).await;
    let again = api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"crm": "1"}}), &headers).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"crm": "2"}}), &headers)
        .await
        .assert_problem(422, "idempotency_key_reused");
}
