//! Risk at creation and on every change of its inputs, through the API on both
//! backends: the score, the level it calls for, a move to review only when it becomes
//! critical, the re-check of identity documents when who the lead names changes, and
//! the events of each write in one chain.


use serde_json::{Value, json};

use kyc_domain::audit::{AuditEvent, verify_chain};
use kyc_domain::verification::FaceMatchThreshold;
use kyc_tests::api::{TestApi, complete_individual};
use kyc_tests::on_both_backends;
use kyc_tests::fake_verifier::FakeVerifier;
use kyc_tests::identity::{ADA, script_passport, verifier_for};


on_both_backends!(
    a_north_korean_lead_is_critical_and_premium_from_its_creation,
    a_lead_patched_to_a_north_korean_address_is_rescored_in_the_answer,
    a_lead_patched_to_a_listed_name_is_flagged_at_once,
    a_patch_below_the_level_risk_requires_is_422_and_writes_nothing,
    a_complete_low_risk_basic_lead_is_never_approved_at_its_creation,
    a_patched_name_that_no_longer_matches_the_read_passport_rejects_it,
);

fn id_of(lead: &Value) -> String {
    lead["id"].as_str().expect("a lead id").to_string()
}

fn actions(trail: &[Value]) -> Vec<String> {
    trail.iter().filter_map(|e| e["action"].as_str().map(String::from)).collect()
}

fn typed(trail: Vec<Value>) -> Vec<AuditEvent> {
    trail.into_iter().map(|e| serde_json::from_value(e).expect("an audit event")).collect()
}

fn with_country(country: &str) -> Value {
    let mut body = complete_individual();
    body["address"]["country"] = json!(country);
    body
}

/// The tenant's webhook events of one type (the events feed).
async fn feed(api: &TestApi, event_type: &str) -> Vec<Value> {
    let reply = api.get(&format!("/v1/events?type={event_type}&limit=100")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["data"].as_array().cloned().unwrap_or_default()
}

async fn a_north_korean_lead_is_critical_and_premium_from_its_creation(api: TestApi) {
    let lead = api.create(with_country("KP")).await;
    assert_eq!(lead["risk"]["level"], "critical", "{lead}");
    assert_eq!(lead["level"], "premium", "raised from basic by its risk");
    assert_eq!(lead["status"], "under_review");
    assert_eq!(lead["version"], 1, "one write, one version");
    assert!(lead["review_reasons"].as_array().is_some_and(|r| r.contains(&json!("risk_critical"))), "{lead}");
    assert!(lead["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("geo_sanctioned_country"))));
    assert_eq!(
        lead["requirements"]["missing"],
        json!(["identity_document", "proof_of_address", "selfie", "source_of_funds"]),
        "premium's documents; the screening ran"
    );

    let trail = api.audit(&id_of(&lead)).await;
    assert_eq!(actions(&trail), ["lead.created", "risk.scored", "level.raised", "status.changed"]);
    assert_eq!(trail[2]["data"]["from"], "basic");
    assert_eq!(trail[2]["data"]["to"], "premium");
    assert!(trail[2]["data"]["factors"].as_array().is_some_and(|f| f.contains(&json!("geo_sanctioned_country"))));
    assert!(trail[1]["data"].get("document_id").is_none(), "no document was scored");
    assert_eq!(trail[1]["data"]["alert"]["code"], "critical_risk");
    assert_eq!(
        (trail[3]["from_status"].as_str(), trail[3]["to_status"].as_str()),
        (Some("not_started"), Some("under_review"))
    );
    let trail = typed(trail);
    assert!(trail.iter().all(|e| e.payload().is_ok_and(|p| p.lead_version() == 1)));
    assert_eq!(trail.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(verify_chain(&trail), Ok(()));

    // One webhook per event the contract names, each once.
    let updated = feed(&api, "kyc.requirements_updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["data"]["lead_id"], lead["id"]);
    assert_eq!(updated[0]["data"]["level"], "premium");
    assert_eq!(updated[0]["data"]["missing"], lead["requirements"]["missing"]);
    assert_eq!(feed(&api, "kyc.compliance_alert").await.len(), 1);
    assert_eq!(feed(&api, "kyc.status_updated").await.len(), 1);
    assert_eq!(feed(&api, "kyc.lead_created").await.len(), 1);
    assert!(feed(&api, "kyc.review_completed").await.is_empty(), "nothing was decided");
}

async fn a_lead_patched_to_a_north_korean_address_is_rescored_in_the_answer(api: TestApi) {
    let lead = api.create(with_country("DE")).await;
    assert_eq!((lead["risk"]["level"].as_str(), lead["level"].as_str()), (Some("low"), Some("basic")));
    let path = format!("/v1/leads/{}", id_of(&lead));
    let reply = api.patch(&path, json!({"address": {"country": "KP"}}), &[("if-match", "\"1\"")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let patched = &reply.body;
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["risk"]["level"], "critical");
    assert_eq!(patched["level"], "premium");
    assert_eq!(patched["status"], "under_review");
    assert_eq!(api.get(&path).await.body, *patched, "the answer is the lead as stored");
    let trail = api.audit(&id_of(&lead)).await;
    assert_eq!(
        actions(&trail),
        ["lead.created", "risk.scored", "lead.updated", "risk.scored", "level.raised", "status.changed"]
    );
    assert_eq!(verify_chain(&typed(trail)), Ok(()));
    assert_eq!(feed(&api, "kyc.compliance_alert").await.len(), 1);

    // A later change that keeps it critical raises no second alert and moves nothing.
    let again = api.patch(&path, json!({"email": "other@example.com"}), &[]).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["status"], "under_review");
    assert_eq!(feed(&api, "kyc.compliance_alert").await.len(), 1);
}

async fn a_lead_patched_to_a_listed_name_is_flagged_at_once(api: TestApi) {
    let lead = api.create(with_country("DE")).await;
    assert!(lead["risk"]["factors"].as_array().is_some_and(Vec::is_empty), "{lead}");
    let path = format!("/v1/leads/{}", id_of(&lead));
    // A name of the shipped synthetic sample list.
    let body = json!({"individual": {"first_name": "Ivor", "last_name": "Examplov", "date_of_birth": null}});
    let reply = api.patch(&path, body, &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let codes: Vec<&str> =
        reply.body["risk"]["factors"].as_array().into_iter().flatten().filter_map(|f| f["code"].as_str()).collect();
    assert!(codes.contains(&"sanctions_match"), "{codes:?}");
    assert!(reply.body["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("sanctions_match"))));
    assert_ne!(reply.body["status"], "approved");
}

async fn a_patch_below_the_level_risk_requires_is_422_and_writes_nothing(api: TestApi) {
    let lead = api.create(with_country("KP")).await;
    let id = id_of(&lead);
    let trail = api.audit(&id).await.len();
    for level in ["basic", "enhanced"] {
        let reply = api.patch(&format!("/v1/leads/{id}"), json!({"level": level, "metadata": {"a": "b"}}), &[]).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.fields(), ["level"]);
    }
    let after = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!((after["version"].as_u64(), after["level"].as_str()), (Some(1), Some("premium")));
    assert_eq!(api.audit(&id).await.len(), trail, "nothing was written");

    // A change that lowers the risk lowers the floor with it, in the same PATCH.
    let reply =
        api.patch(&format!("/v1/leads/{id}"), json!({"level": "basic", "address": {"country": "DE"}}), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((reply.body["level"].as_str(), reply.body["risk"]["level"].as_str()), (Some("basic"), Some("low")));
}

async fn a_complete_low_risk_basic_lead_is_never_approved_at_its_creation(api: TestApi) {
    let lead = api.complete_lead().await;
    assert_eq!(lead["risk"]["level"], "low");
    assert_eq!(lead["requirements"]["missing"], json!([]));
    assert_eq!(lead["status"], "not_started", "scoring at creation never approves");
    assert_eq!(lead["review_reasons"], json!([]));
    assert_eq!(actions(&api.audit(&id_of(&lead)).await), ["lead.created", "risk.scored"]);
    // A change of its data neither.
    let reply = api.patch(&format!("/v1/leads/{}", id_of(&lead)), json!({"address": {"city": "Bath"}}), &[]).await;
    assert_eq!(reply.body["status"], "not_started");
}

async fn a_patched_name_that_no_longer_matches_the_read_passport_rejects_it(api: TestApi) {
    // Ada Lovelace's passport, as the fake Textract reads it through the real SDK.
    let fake = FakeVerifier::start().await;
    let api = api.with_verifier(verifier_for(&fake).await, FaceMatchThreshold::default());
    let passport_file = script_passport(&fake, &ADA, 7);
    let mut body = complete_individual();
    body["level"] = json!("enhanced");
    let lead = api.create(body).await;
    let id = id_of(&lead);
    let (doc, _) =
        api.upload(&id, json!({"kind": "passport", "content_type": "image/png"}), &passport_file).await;
    let passport = api.get(&format!("/v1/leads/{id}/documents/{doc}")).await.body;
    assert_eq!(passport["status"], "verified", "{passport}");
    let data_match = |doc: &Value| {
        doc["checks"].as_array().into_iter().flatten().find(|c| c["name"] == "data_match").map(|c| c["result"].clone())
    };
    assert_eq!(data_match(&passport), Some(json!("pass")));
    assert!(passport.get("read").is_none(), "the read data is never shown");

    // A person takes it into review, then the integrator renames the lead.
    assert_eq!(api.post(&format!("/v1/leads/{id}/status"), json!({"status": "under_review"})).await.status, 200);
    let reply = api
        .patch(&format!("/v1/leads/{id}"), json!({"individual": {"first_name": "Grace", "last_name": "Hopper"}}), &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reasons = reply.body["review_reasons"].as_array().cloned().unwrap_or_default();
    assert!(reasons.contains(&json!("data_mismatch")) && reasons.contains(&json!("document_rejected")), "{reasons:?}");
    assert!(
        !reply.body["requirements"]["satisfied"].as_array().is_some_and(|s| s.contains(&json!("identity_document")))
    );

    let passport = api.get(&format!("/v1/leads/{id}/documents/{doc}")).await.body;
    assert_eq!(passport["status"], "rejected");
    assert_eq!(data_match(&passport), Some(json!("fail")));
    let trail = api.audit(&id).await;
    let last: Vec<String> = actions(&trail).split_off(trail.len() - 3);
    assert_eq!(last, ["lead.updated", "document.rejected", "risk.scored"], "in the PATCH's own write");
    let rejected = &trail[trail.len() - 2];
    assert_eq!(rejected["data"]["document_id"], json!(doc));
    assert_eq!(rejected["data"]["failed_checks"], json!(["data_match"]));
    assert_eq!(rejected["data"]["lead_version"], reply.body["version"]);
    assert_eq!(verify_chain(&typed(trail)), Ok(()));
}
