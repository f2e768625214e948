//! The lead API through the router, endpoint by endpoint and error by error, on the
//! embedded store.

use serde_json::{Value, json};

use kyc_domain::audit::{AuditEvent, GENESIS_HASH, verify_chain};
use kyc_tests::api::{ACME_KEY, GLOBEX_KEY, TestApi, complete_individual};

fn id_of(lead: &Value) -> String {
    lead["id"].as_str().expect("lead has an id").to_string()
}

async fn lead_count(api: &TestApi) -> usize {
    let reply = api.get("/v1/leads?limit=100").await;
    reply.body["data"].as_array().map_or(0, Vec::len)
}

// ------------------------------------------------------------------------- create

#[tokio::test]
async fn creating_a_lead_answers_201_with_defaults_requirements_and_etag() {
    let api = TestApi::embedded();
    let reply = api.post("/v1/leads", complete_individual()).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let lead = &reply.body;
    assert!(lead["id"].as_str().is_some_and(|id| id.starts_with("lead_")));
    assert_eq!((lead["object"].as_str(), lead["type"].as_str()), (Some("lead"), Some("individual")));
    assert_eq!((lead["status"].as_str(), lead["level"].as_str()), (Some("not_started"), Some("basic")));
    assert_eq!(lead["source"], "api");
    assert_eq!(lead["version"], 1);
    assert_eq!(lead["requirements"]["missing"], json!([]));
    assert_eq!(lead["requirements"]["satisfied"], json!(["email", "name", "country"]));
    assert_eq!(lead["compliance_flags"], json!([]));
    assert!(lead["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn an_empty_body_creates_a_minimal_lead_whose_requirements_are_missing() {
    let api = TestApi::embedded();
    let lead = api.create(json!({})).await;
    assert_eq!(lead["requirements"]["missing"], json!(["email", "name", "country"]));
}

#[tokio::test]
async fn an_enhanced_business_lead_requires_each_directors_id() {
    let api = TestApi::embedded();
    let lead = api
        .create(json!({"type": "business", "level": "enhanced", "email": "ops@acme.example",
            "business": {"legal_name": "Acme GmbH", "country_of_incorporation": "DE",
                "directors": [{"first_name": "A", "last_name": "B"}, {"first_name": "C", "last_name": "D"}]}}))
        .await;
    let missing = &lead["requirements"]["missing"];
    assert_eq!(
        missing,
        &json!([
            "certificate_of_incorporation",
            "business_registration",
            "director_id:0",
            "director_id:1",
            "proof_of_business_address"
        ])
    );
}

#[tokio::test]
async fn a_second_lead_with_the_same_external_id_is_409_naming_the_first() {
    let api = TestApi::embedded();
    let first = api.create(json!({"external_id": "crm-42"})).await;
    let reply = api.post("/v1/leads", json!({"external_id": "crm-42", "email": "x@example.com"})).await;
    reply.assert_problem(409, "duplicate_external_id");
    assert!(reply.body["detail"].as_str().is_some_and(|d| d.contains(&id_of(&first))));
    assert_eq!(lead_count(&api).await, 1);
    // Another tenant may use the same reference.
    let other =
        api.send("POST", "/v1/leads", Some(GLOBEX_KEY), Some(br#"{"external_id":"crm-42"}"#.to_vec()), &[]).await;
    assert_eq!(other.status, 201);
}

// ---------------------------------------------------------------------- bad input

async fn assert_refused_and_nothing_written(api: &TestApi, body: Vec<u8>, status: u16, code: &str, field: &str) {
    let reply = api.send("POST", "/v1/leads", Some(ACME_KEY), Some(body), &[]).await;
    reply.assert_problem(status, code);
    assert!(reply.fields().contains(&field.to_string()), "expected field {field}, got {:?}", reply.fields());
    assert_eq!(lead_count(api).await, 0, "a refused request writes nothing");
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_body() {
    let api = TestApi::embedded();
    assert_refused_and_nothing_written(&api, b"{\"email\": ".to_vec(), 400, "malformed_json", "body").await;
}

#[tokio::test]
async fn a_wrong_type_is_422_naming_the_field() {
    let api = TestApi::embedded();
    assert_refused_and_nothing_written(&api, br#"{"email": 5}"#.to_vec(), 422, "validation_failed", "email").await;
    assert_refused_and_nothing_written(
        &api,
        br#"{"individual": {"first_name": ["A"]}}"#.to_vec(),
        422,
        "validation_failed",
        "individual.first_name",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_enum_value_is_422_naming_the_field() {
    let api = TestApi::embedded();
    assert_refused_and_nothing_written(&api, br#"{"level": "gold"}"#.to_vec(), 422, "validation_failed", "level").await;
    assert_refused_and_nothing_written(&api, br#"{"type": "robot"}"#.to_vec(), 422, "validation_failed", "type").await;
}

#[tokio::test]
async fn a_bad_country_code_is_422_naming_the_nested_field() {
    let api = TestApi::embedded();
    let body = json!({"address": {"line1": "x", "city": "y", "country": "Germany"}}).to_string().into_bytes();
    assert_refused_and_nothing_written(&api, body, 422, "validation_failed", "address.country").await;
    let body =
        json!({"individual": {"first_name": "A", "last_name": "B", "nationality": "de"}}).to_string().into_bytes();
    assert_refused_and_nothing_written(&api, body, 422, "validation_failed", "individual.nationality").await;
}

#[tokio::test]
async fn a_ten_thousand_character_name_is_422() {
    let api = TestApi::embedded();
    let body = json!({"individual": {"first_name": "x".repeat(10_000), "last_name": "B"}}).to_string().into_bytes();
    assert_refused_and_nothing_written(&api, body, 422, "validation_failed", "individual.first_name").await;
}

#[tokio::test]
async fn an_unknown_field_is_422_naming_it() {
    let api = TestApi::embedded();
    let body = json!({"individual": {"first_name": "A", "last_name": "B", "date_of_brith": "1990-01-01"}})
        .to_string()
        .into_bytes();
    assert_refused_and_nothing_written(&api, body, 422, "validation_failed", "individual.date_of_brith").await;
}

#[tokio::test]
async fn a_300_kib_body_is_413() {
    let api = TestApi::embedded();
    let body = json!({"metadata": {"blob": "x".repeat(300 * 1024)}}).to_string().into_bytes();
    assert_refused_and_nothing_written(&api, body, 413, "payload_too_large", "body").await;
}

#[tokio::test]
async fn a_non_json_media_type_is_415() {
    let api = TestApi::embedded();
    let reply = api
        .send(
            "POST",
            "/v1/leads",
            Some(ACME_KEY),
            Some(b"email=a".to_vec()),
            &[("content-type", "application/x-www-form-urlencoded")],
        )
        .await;
    reply.assert_problem(415, "unsupported_media_type");
    assert_eq!(lead_count(&api).await, 0);
}

#[tokio::test]
async fn a_missing_or_wrong_api_key_is_401_and_writes_nothing() {
    let api = TestApi::embedded();
    for key in [None, Some("not-a-key"), Some("")] {
        let reply = api.send("POST", "/v1/leads", key, Some(b"{}".to_vec()), &[]).await;
        reply.assert_problem(401, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
    let basic = api.send("GET", "/v1/leads", None, None, &[("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")]).await;
    basic.assert_problem(401, "unauthorized");
    assert_eq!(lead_count(&api).await, 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_documents() {
    let api = TestApi::embedded();
    api.get("/v1/nothing-here").await.assert_problem(404, "not_found");
    api.send("DELETE", "/v1/leads", Some(ACME_KEY), None, &[]).await.assert_problem(405, "method_not_allowed");
}

// --------------------------------------------------------------------------- read

#[tokio::test]
async fn a_lead_reads_back_with_its_etag() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let reply = api.get(&format!("/v1/leads/{}", id_of(&lead))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.body, lead);
}

#[tokio::test]
async fn unknown_malformed_and_other_tenants_leads_are_all_404() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    api.get("/v1/leads/lead_0123456789abcdef0123456789abcdef").await.assert_problem(404, "not_found");
    api.get("/v1/leads/not-an-id").await.assert_problem(404, "not_found");
    let path = format!("/v1/leads/{}", id_of(&lead));
    let foreign = api.send("GET", &path, Some(GLOBEX_KEY), None, &[]).await;
    foreign.assert_problem(404, "not_found");
    let foreign_write = api
        .send("POST", &format!("{path}/status"), Some(GLOBEX_KEY), Some(br#"{"status":"approved"}"#.to_vec()), &[])
        .await;
    foreign_write.assert_problem(404, "not_found");
    let foreign_audit = api.send("GET", &format!("{path}/audit"), Some(GLOBEX_KEY), None, &[]).await;
    foreign_audit.assert_problem(404, "not_found");
    assert_eq!(api.get(&path).await.body["status"], "not_started", "the other tenant changed nothing");
}

// --------------------------------------------------------------------------- list

#[tokio::test]
async fn the_list_is_newest_first_and_pages_with_cursors() {
    let api = TestApi::embedded();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(id_of(&api.create(json!({"external_id": format!("ref-{i}")})).await));
    }
    let mut seen = Vec::new();
    let mut path = "/v1/leads?limit=2".to_string();
    loop {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page = reply.body["data"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(id_of));
        match reply.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/leads?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "every lead once, newest first");
}

#[tokio::test]
async fn the_review_queue_lists_under_review_leads_oldest_first() {
    let api = TestApi::embedded();
    let first = api.lead_under_review().await;
    let _other = api.complete_lead().await;
    let second = api.lead_under_review().await;
    let reply = api.get("/v1/leads?status=under_review&order=oldest").await;
    let ids: Vec<String> = reply.body["data"].as_array().cloned().unwrap_or_default().iter().map(id_of).collect();
    assert_eq!(ids, [id_of(&first), id_of(&second)]);
    let newest = api.get("/v1/leads?status=under_review").await;
    assert_eq!(newest.body["data"][0]["id"], second["id"]);
}

#[tokio::test]
async fn list_filters_by_level_type_and_creation_time() {
    let api = TestApi::embedded();
    let basic = api.create(json!({})).await;
    let enhanced = api.create(json!({"level": "enhanced"})).await;
    let business = api.create(json!({"type": "business"})).await;
    let ids = |r: &kyc_tests::api::Reply| -> Vec<String> {
        r.body["data"].as_array().cloned().unwrap_or_default().iter().map(id_of).collect()
    };
    assert_eq!(ids(&api.get("/v1/leads?level=enhanced").await), [id_of(&enhanced)]);
    assert_eq!(ids(&api.get("/v1/leads?type=business").await), [id_of(&business)]);
    let after = basic["created_at"].as_str().unwrap_or_default();
    let reply = api.get(&format!("/v1/leads?created_before={after}")).await;
    assert!(ids(&reply).is_empty(), "created_before is exclusive");
    let reply = api.get("/v1/leads?level=basic&type=individual&limit=1").await;
    assert_eq!(ids(&reply), [id_of(&basic)]);
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_the_parameter() {
    let api = TestApi::embedded();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("status=pending", "status"),
        ("level=gold", "level"),
        ("order=random", "order"),
        ("created_after=yesterday", "created_after"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("colour=blue", "colour"),
    ] {
        let reply = api.get(&format!("/v1/leads?{query}")).await;
        reply.assert_problem(400, "validation_failed");
        assert_eq!(reply.fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn a_cursor_of_one_tenant_is_refused_for_another() {
    let api = TestApi::embedded();
    for _ in 0..3 {
        api.create(json!({})).await;
    }
    let cursor = api.get("/v1/leads?limit=1").await.body["next_cursor"].as_str().map(String::from).expect("more pages");
    let reply = api.send("GET", &format!("/v1/leads?cursor={cursor}"), Some(GLOBEX_KEY), None, &[]).await;
    reply.assert_problem(400, "validation_failed");
}

// -------------------------------------------------------------------------- patch

#[tokio::test]
async fn a_merge_patch_changes_only_what_it_names_and_bumps_the_version() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    let reply = api
        .patch(&path, json!({"address": {"city": "Manchester", "postal_code": null}, "metadata": {"crm": "7"}}), &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let patched = &reply.body;
    assert_eq!(patched["address"]["city"], "Manchester");
    assert_eq!(patched["address"]["line1"], lead["address"]["line1"], "untouched fields stay");
    assert!(patched["address"].get("postal_code").is_none(), "null removes a field");
    assert_eq!(patched["metadata"], json!({"crm": "7"}));
    assert_eq!(patched["individual"], lead["individual"]);
    let trail = api.audit(&id_of(&lead)).await;
    let actions: Vec<&str> = trail.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["lead.created", "risk.scored", "lead.updated", "risk.scored"], "an address is scored");
    assert_eq!(trail[2]["data"]["changed"], json!(["address", "metadata"]));
}

#[tokio::test]
async fn a_level_change_recomputes_requirements() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let reply = api.patch(&format!("/v1/leads/{}", id_of(&lead)), json!({"level": "premium"}), &[]).await;
    assert_eq!(
        reply.body["requirements"]["missing"],
        json!(["identity_document", "proof_of_address", "selfie", "source_of_funds"]),
        "the lead was screened at its creation"
    );
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let reply = api.patch(&format!("/v1/leads/{}", id_of(&lead)), json!({"email": "ada@example.com"}), &[]).await;
    assert_eq!((reply.status, reply.body["version"].as_u64()), (200, Some(1)));
    assert_eq!(api.audit(&id_of(&lead)).await.len(), 2, "created and scored, nothing since");
}

#[tokio::test]
async fn a_patch_with_a_stale_if_match_is_412_and_a_current_one_applies() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    assert_eq!(api.patch(&path, json!({"email": "b@example.com"}), &[("if-match", "\"1\"")]).await.status, 200);
    let stale = api.patch(&path, json!({"email": "c@example.com"}), &[("if-match", "\"1\"")]).await;
    stale.assert_problem(412, "version_conflict");
    assert_eq!(api.get(&path).await.body["email"], "b@example.com");
    api.patch(&path, json!({"email": "c@example.com"}), &[("if-match", "soon")])
        .await
        .assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn patch_refuses_immutable_unknown_and_invalid_fields() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    for (body, field) in [
        (json!({"type": "business"}), "type"),
        (json!({"external_id": "x"}), "external_id"),
        (json!({"status": "approved"}), "status"),
        (json!({"address": {"country": "ZZ"}}), "address.country"),
        (json!({"individual": {"last_name": null}}), "individual.last_name"),
        (json!({"metadata": {"k": 1}}), "metadata.k"),
    ] {
        let reply = api.patch(&path, body.clone(), &[]).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.fields(), [field], "{body}");
    }
    assert_eq!(api.get(&path).await.body, lead, "nothing was written");
}

#[tokio::test]
async fn a_decided_lead_accepts_only_metadata_changes() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    assert_eq!(api.post(&format!("{path}/status"), json!({"status": "approved"})).await.status, 200);
    api.patch(&path, json!({"email": "new@example.com"}), &[]).await.assert_problem(409, "lead_decided");
    let reply = api.patch(&path, json!({"metadata": {"note": "vip"}}), &[]).await;
    assert_eq!((reply.status, reply.body["metadata"]["note"].as_str()), (200, Some("vip")));
}

// ------------------------------------------------------------------------- status

#[tokio::test]
async fn a_basic_lead_walks_from_creation_to_approval_with_an_audit_event_per_step() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    for status in ["in_progress", "under_review", "approved"] {
        let reply = api.post(&format!("{path}/status"), json!({"status": status, "reviewer": "alice"})).await;
        assert_eq!((reply.status, reply.body["status"].as_str()), (200, Some(status)), "{}", reply.body);
    }
    let trail = api.audit(&id_of(&lead)).await;
    let actions: Vec<&str> = trail.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["lead.created", "risk.scored", "status.changed", "status.changed", "status.changed"]);
    assert_eq!(trail[1]["actor"], "system:risk-scorer", "scored by the service in the creating write");
    assert_eq!(trail[4]["from_status"], "under_review");
    assert_eq!(trail[4]["to_status"], "approved");
    assert_eq!(trail[4]["actor"], "key:acme", "the API key's actor, never the body's reviewer");
    assert_eq!(trail[4]["data"]["reviewer_label"], "alice");
}

#[tokio::test]
async fn a_forbidden_move_is_409_invalid_transition_naming_both_statuses() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    assert_eq!(api.post(&path, json!({"status": "approved"})).await.status, 200);
    let reply = api.post(&path, json!({"status": "rejected", "reasons": ["other"]})).await;
    reply.assert_problem(409, "invalid_transition");
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("approved") && detail.contains("rejected"), "{detail}");
    assert_eq!(api.audit(&id_of(&lead)).await.len(), 3, "a refused move writes nothing");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_a_final_one_cannot_be_reopened() {
    let api = TestApi::embedded();
    let lead = api.lead_under_review().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    let reply = api.post(&path, json!({"status": "rejected"})).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.fields(), ["reasons"]);
    let rejected = api
        .post(&path, json!({"status": "rejected", "reasons": ["sanctions_match"], "final": true, "note": "OFAC hit"}))
        .await;
    assert_eq!(rejected.status, 200);
    assert_eq!(rejected.body["rejection"], json!({"reasons": ["sanctions_match"], "note": "OFAC hit", "final": true}));
    api.post(&path, json!({"status": "in_progress"})).await.assert_problem(409, "invalid_transition");
    let reply = api.post(&path, json!({"status": "rejected", "reasons": ["not_a_reason"]})).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.fields(), ["reasons.0"]);
}

#[tokio::test]
async fn rejection_reasons_keep_the_integrators_order_without_repeats() {
    let api = TestApi::embedded();
    let lead = api.lead_under_review().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    let reasons = json!(["incomplete", "document_expired", "incomplete"]);
    let rejected = api.post(&path, json!({"status": "rejected", "reasons": reasons})).await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert_eq!(rejected.body["rejection"]["reasons"], json!(["incomplete", "document_expired"]));
    let trail = api.audit(&id_of(&lead)).await;
    let last = trail.last().expect("the rejection event");
    assert_eq!(last["reasons"], json!(["incomplete", "document_expired"]), "the trail records the same order");
}

#[tokio::test]
async fn approval_with_missing_requirements_is_409_listing_them() {
    let api = TestApi::embedded();
    let lead = api.create(json!({"email": "a@example.com"})).await;
    let reply = api.post(&format!("/v1/leads/{}/status", id_of(&lead)), json!({"status": "approved"})).await;
    reply.assert_problem(409, "requirements_missing");
    assert!(reply.body["detail"].as_str().is_some_and(|d| d.contains("name") && d.contains("country")));
}

#[tokio::test]
async fn a_status_change_with_a_stale_if_match_is_412() {
    let api = TestApi::embedded();
    let lead = api.lead_under_review().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    let reply = api.post_with(&path, json!({"status": "approved"}), &[("if-match", "\"1\"")]).await;
    reply.assert_problem(412, "version_conflict");
    let ok = api.post_with(&path, json!({"status": "approved"}), &[("if-match", "\"2\"")]).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn a_status_body_must_name_a_known_status() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    let missing = api.post(&path, json!({})).await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.fields(), ["status"]);
    let unknown = api.post(&path, json!({"status": "done"})).await;
    assert_eq!(unknown.fields(), ["status"]);
}

// -------------------------------------------------------------------------- notes

#[tokio::test]
async fn a_note_is_201_and_joins_the_audit_trail_without_changing_the_lead() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    let reply = api.post(&format!("{path}/notes"), json!({"body": "Called the customer", "reviewer": "bob"})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["object"], "note");
    assert_eq!(reply.body["body"], "Called the customer");
    let trail = api.audit(&id_of(&lead)).await;
    assert_eq!(trail[2]["action"], "note.added");
    assert_eq!(trail[2]["note"], "Called the customer");
    assert_eq!(trail[2]["id"], reply.body["id"]);
    assert_eq!(api.get(&path).await.body["version"], 1);
    let empty = api.post(&format!("{path}/notes"), json!({"body": ""})).await;
    empty.assert_problem(422, "validation_failed");
    assert_eq!(empty.fields(), ["body"]);
}

// -------------------------------------------------------------------------- audit

#[tokio::test]
async fn the_audit_trail_is_a_verifiable_hash_chain_that_pages() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let id = id_of(&lead);
    api.post(&format!("/v1/leads/{id}/notes"), json!({"body": "first"})).await;
    api.post(&format!("/v1/leads/{id}/status"), json!({"status": "under_review"})).await;
    api.patch(&format!("/v1/leads/{id}"), json!({"metadata": {"a": "b"}}), &[]).await;
    let mut events = Vec::new();
    let mut path = format!("/v1/leads/{id}/audit?limit=2");
    loop {
        let reply = api.get(&path).await;
        events.extend(reply.body["data"].as_array().cloned().unwrap_or_default());
        match reply.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/leads/{id}/audit?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(events.len(), 5);
    assert_eq!(events[0]["prev_hash"], GENESIS_HASH);
    let typed: Vec<AuditEvent> =
        events.into_iter().map(|e| serde_json::from_value(e).expect("an audit event")).collect();
    assert_eq!(typed.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert_eq!(verify_chain(&typed), Ok(()));
}

// -------------------------------------------------------------------- idempotency

#[tokio::test]
async fn the_same_idempotency_key_and_body_replays_the_first_response() {
    let api = TestApi::embedded();
    let key = [("idempotency-key", "create-ada-1")];
    let first = api.post_with("/v1/leads", complete_individual(), &key).await;
    let second = api.post_with("/v1/leads", complete_individual(), &key).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("etag"), Some("\"1\""));
    assert_eq!(lead_count(&api).await, 1, "no second side effect");
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_body_is_422() {
    let api = TestApi::embedded();
    let key = [("idempotency-key", "create-2")];
    assert_eq!(api.post_with("/v1/leads", json!({"email": "a@example.com"}), &key).await.status, 201);
    let reply = api.post_with("/v1/leads", json!({"email": "b@example.com"}), &key).await;
    reply.assert_problem(422, "idempotency_key_reused");
    assert_eq!(lead_count(&api).await, 1);
}

#[tokio::test]
async fn idempotency_keys_are_per_tenant_and_must_be_well_formed() {
    let api = TestApi::embedded();
    let key = [("idempotency-key", "shared-key")];
    assert_eq!(api.post_with("/v1/leads", json!({}), &key).await.status, 201);
    let other = api.send("POST", "/v1/leads", Some(GLOBEX_KEY), Some(b"{}".to_vec()), &key).await;
    assert_eq!((other.status, other.header("idempotent-replayed")), (201, None));
    let long = "k".repeat(256);
    let reply = api.post_with("/v1/leads", json!({}), &[("idempotency-key", &long)]).await;
    reply.assert_problem(400, "validation_failed");
    assert_eq!(reply.fields(), ["Idempotency-Key"]);
}

#[tokio::test]
async fn a_replayed_status_change_does_not_apply_twice() {
    let api = TestApi::embedded();
    let lead = api.lead_under_review().await;
    let path = format!("/v1/leads/{}/status", id_of(&lead));
    let key = [("idempotency-key", "decide-1")];
    let first = api.post_with(&path, json!({"status": "approved"}), &key).await;
    let again = api.post_with(&path, json!({"status": "approved"}), &key).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.body, again.body);
    assert_eq!(api.audit(&id_of(&lead)).await.len(), 4, "created, scored, under_review, approved: once");
}

// ------------------------------------------------------------------- meta routes

#[tokio::test]
async fn health_and_the_openapi_document_need_no_key() {
    let api = TestApi::embedded();
    let health = api.send("GET", "/health", None, None, &[]).await;
    assert_eq!((health.status, health.body["status"].as_str()), (200, Some("ok")));
    let doc = api.send("GET", "/v1/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
}

#[tokio::test]
async fn the_served_openapi_document_names_the_url_it_was_fetched_from() {
    let api = TestApi::embedded();
    let behind_a_proxy = api
        .send(
            "GET",
            "/v1/openapi.json",
            None,
            None,
            &[("host", "internal:8080"), ("x-forwarded-host", "kyc.example.com"), ("x-forwarded-proto", "https")],
        )
        .await;
    assert_eq!(
        behind_a_proxy.body["servers"],
        json!([{"url": "https://kyc.example.com",
        "description": "this deployment (the URL this document was fetched from)"}])
    );
    let direct = api.send("GET", "/v1/openapi.json", None, None, &[("host", "127.0.0.1:4321")]).await;
    assert_eq!(direct.body["servers"][0]["url"], "http://127.0.0.1:4321");
    // A Host that is not a host name is not echoed into the document.
    let odd = api.send("GET", "/v1/openapi.json", None, None, &[("host", "evil.example/<script>")]).await;
    assert_eq!(odd.body["servers"][0]["url"], "http://127.0.0.1:3000");
    // Everything else is the document as shipped.
    let shipped: Value = serde_json::from_str(kyc_http::OPENAPI).expect("the document is JSON");
    let mut served = direct.body.clone();
    served["servers"] = shipped["servers"].clone();
    assert_eq!(served, shipped);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_nothing_else() {
    let api = TestApi::embedded();
    let doc = api.send("GET", "/v1/openapi.json", None, None, &[]).await.body;
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let mut documented: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter(|m| ["get", "post", "patch", "put", "delete"].contains(&m.as_str()))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    documented.sort();
    let mut served = vec![
        "GET /health",
        "GET /v1/openapi.json",
        "GET /v1/leads",
        "POST /v1/leads",
        "GET /v1/leads/{id}",
        "PATCH /v1/leads/{id}",
        "POST /v1/leads/{id}/status",
        "POST /v1/leads/{id}/notes",
        "GET /v1/leads/{id}/audit",
        "POST /v1/leads/{id}/documents",
        "GET /v1/leads/{id}/documents",
        "GET /v1/leads/{id}/documents/{doc_id}",
        "POST /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints/{id}",
        "PATCH /v1/webhook-endpoints/{id}",
        "DELETE /v1/webhook-endpoints/{id}",
        "POST /v1/webhook-endpoints/{id}/rotate-secret",
        "GET /v1/webhook-endpoints/{id}/deliveries",
        "POST /v1/webhook-deliveries/{id}/retry",
        "GET /v1/events",
        "GET /v1/metrics",
        "GET /v1/metrics/pipeline",
        "POST /v1/kyc-links",
        "POST /v1/imports",
        "GET /v1/imports/{id}",
        "POST /v1/integrations/sumsub/webhook",
        "GET /l/{token}",
        "GET /l/{token}/session",
        "PUT /l/{token}/session",
        "POST /l/{token}/documents",
        "GET /assets/link-page.js",
        "GET /assets/link-page.css",
    ];
    served.sort();
    assert_eq!(documented, served);
}

#[tokio::test]
async fn removing_level_is_refused_and_removing_absent_metadata_changes_nothing() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let path = format!("/v1/leads/{}", id_of(&lead));
    let reply = api.patch(&path, json!({"level": null}), &[]).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.fields(), ["level"]);
    let reply = api.patch(&path, json!({"metadata": null}), &[]).await;
    assert_eq!((reply.status, reply.body["version"].as_u64()), (200, Some(1)));
}
