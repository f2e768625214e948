//! Documents end to end on the embedded store: upload instructions, the scorer on the
//! "object created" event, verdicts, risk, the decision policy, and idempotent events.

use serde_json::{Value, json};

use kyc_app::scoring::{ScoreOutcome, Scoring, on_object_created};
use kyc_domain::audit::{AuditEvent, verify_chain};
use kyc_tests::api::TestApi;
use kyc_tests::fixtures;

fn scoring() -> Scoring {
    Scoring::new(10 * 1024 * 1024, None).expect("shipped lists load")
}

fn enhanced_individual(first: &str, last: &str, born: &str) -> Value {
    json!({
        "level": "enhanced",
        "email": format!("{}@example.com", first.to_lowercase()),
        "individual": {"first_name": first, "last_name": last, "date_of_birth": born, "nationality": "GB"},
        "address": {"line1": "1 High St", "city": "York", "country": "GB"}
    })
}

async fn upload(api: &TestApi, lead: &str, request: Value, file: &[u8]) -> (String, ScoreOutcome) {
    api.upload(lead, request, file).await
}

async fn document(api: &TestApi, lead: &str, doc: &str) -> Value {
    let reply = api.get(&format!("/v1/leads/{lead}/documents/{doc}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn checks_named(doc: &Value, result: &str) -> Vec<String> {
    doc["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|c| c["result"] == result)
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn an_upload_instruction_is_a_put_bound_to_one_key_and_type_for_at_most_15_minutes() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default();
    let reply = api
        .post(
            &format!("/v1/leads/{id}/documents"),
            json!({"kind": "passport", "side": "front", "content_type": "image/png"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let document = &reply.body["document"];
    assert_eq!((document["object"].as_str(), document["status"].as_str()), (Some("document"), Some("pending_upload")));
    let upload = &reply.body["upload"];
    assert_eq!(upload["method"], "PUT");
    assert_eq!(upload["headers"]["Content-Type"], "image/png");
    let doc_id = document["id"].as_str().unwrap_or_default();
    assert!(upload["url"].as_str().is_some_and(|u| u.contains(&format!("documents/acme/{id}/{doc_id}"))));
    let expires =
        chrono::DateTime::parse_from_rfc3339(upload["expires_at"].as_str().unwrap_or_default()).expect("time");
    let minutes = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!(minutes <= 15 * 60 && minutes > 14 * 60, "{minutes}");
    let trail = api.audit(id).await;
    assert_eq!(trail.last().map(|e| e["action"].clone()), Some(json!("document.requested")));
    // Listed, and readable without a download link before any file exists.
    let list = api.get(&format!("/v1/leads/{id}/documents")).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));
    assert!(document_has_no_download(&api, id, doc_id).await);
}

async fn document_has_no_download(api: &TestApi, lead: &str, doc: &str) -> bool {
    document(api, lead, doc).await.get("download").is_none()
}

#[tokio::test]
async fn document_requests_are_validated_against_the_lead() {
    let api = TestApi::embedded();
    let basic = api.complete_lead().await;
    let basic_id = basic["id"].as_str().unwrap_or_default();
    let not_at_basic = api
        .post(&format!("/v1/leads/{basic_id}/documents"), json!({"kind": "passport", "content_type": "image/png"}))
        .await;
    not_at_basic.assert_problem(422, "validation_failed");
    assert_eq!(not_at_basic.fields(), ["kind"]);

    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let path = format!("/v1/leads/{}/documents", lead["id"].as_str().unwrap_or_default());
    let business_kind =
        api.post(&path, json!({"kind": "certificate_of_incorporation", "content_type": "application/pdf"})).await;
    assert_eq!(business_kind.fields(), ["kind"]);
    let text = api.post(&path, json!({"kind": "passport", "content_type": "text/plain"})).await;
    text.assert_problem(415, "unsupported_media_type");
    assert_eq!(text.fields(), ["content_type"]);
    let unknown = api.post(&path, json!({"kind": "library_card", "content_type": "image/png"})).await;
    assert_eq!(unknown.fields(), ["kind"]);
    let bad_data = api.post(&path, json!({"kind": "passport", "content_type": "image/png", "data": {"expiry_date": "soon", "issuing_country": "XX"}})).await;
    assert_eq!(bad_data.fields(), ["data.issuing_country", "data.expiry_date"]);
    assert_eq!(api.get(&path).await.body["data"], json!([]), "nothing was written");
}

#[tokio::test]
async fn valid_files_are_verified_but_without_a_machine_reading_a_person_decides_and_is_told_why() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let (passport, outcome) =
        upload(&api, &id, json!({"kind": "passport", "content_type": "image/png"}), &fixtures::png(1200, 800, 1)).await;
    assert!(matches!(outcome, ScoreOutcome::Scored { .. }), "{outcome:?}");
    let doc = document(&api, &id, &passport).await;
    assert_eq!(doc["status"], "verified", "{doc}");
    assert!(doc["download"]["url"].is_string(), "a reviewer gets a download link once the file exists");
    assert_eq!(doc["file"]["size_bytes"], fixtures::png(1200, 800, 1).len());
    // The first upload started the lead; it waits for the rest of its documents.
    let after_first = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(after_first["requirements"]["missing"], json!(["proof_of_address", "selfie"]));
    assert_eq!(after_first["status"], "in_progress");
    assert_eq!(after_first["review_reasons"], json!([]));
    assert_eq!(check_named(&doc, "identity_read")["result"], "warn");
    assert_eq!(check_named(&doc, "identity_read")["detail"], "not machine-read");

    upload(&api, &id, json!({"kind": "proof_of_address", "content_type": "application/pdf"}), &fixtures::pdf()).await;
    upload(&api, &id, json!({"kind": "selfie", "content_type": "image/png"}), &fixtures::png(800, 800, 2)).await;
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["requirements"]["missing"], json!([]));
    assert_eq!(lead["risk"]["level"], "low", "not being machine-read is no risk: {}", lead["risk"]);
    // KYC_VERIFIER=none: nothing was machine-read, so automation approves nothing.
    assert_eq!(lead["status"], "under_review");
    assert_eq!(
        lead["review_reasons"],
        json!(["identity_not_machine_read", "face_match_low", "face_quality_low", "address_not_proven"])
    );

    let trail: Vec<AuditEvent> =
        api.audit(&id).await.into_iter().map(|e| serde_json::from_value(e).expect("event")).collect();
    assert_eq!(verify_chain(&trail), Ok(()));
    let review =
        trail.iter().rev().find(|e| e.to_status.map(|s| s.as_str()) == Some("under_review")).expect("review event");
    assert_eq!(review.actor, "system:risk-scorer");
    assert!(review.data["factors"].is_array(), "the decision names the factors that drove it");
}

/// A complete enhanced lead up to its proof of address: passport and selfie uploaded.
async fn lead_awaiting_proof_of_address(api: &TestApi) -> String {
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().expect("lead id").to_string();
    upload(api, &id, json!({"kind": "passport", "content_type": "image/png"}), &fixtures::png(1200, 800, 21)).await;
    upload(api, &id, json!({"kind": "selfie", "content_type": "image/png"}), &fixtures::png(800, 800, 22)).await;
    id
}

fn check_named<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"].as_array().and_then(|checks| checks.iter().find(|c| c["name"] == name)).expect("the check is there")
}

#[tokio::test]
async fn a_pdf_that_cannot_be_fully_inspected_is_verified_but_its_lead_waits_for_a_person() {
    let api = TestApi::embedded();
    let id = lead_awaiting_proof_of_address(&api).await;
    let unknown_filter =
        fixtures::pdf_with(b"3 0 obj << /Length 4 /Filter /ScrambleDecode >> stream\nabcd\nendstream endobj\n");
    let (doc, _) =
        upload(&api, &id, json!({"kind": "proof_of_address", "content_type": "application/pdf"}), &unknown_filter)
            .await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "verified", "{doc}");
    assert_eq!(check_named(&doc, "pdf_safety")["result"], "warn");
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["requirements"]["missing"], json!([]));
    assert_eq!(lead["risk"]["level"], "low", "{}", lead["risk"]);
    assert_eq!(lead["status"], "under_review", "a low risk alone does not approve what no one could inspect");
}

#[tokio::test]
async fn a_pdf_hiding_a_script_behind_a_filter_is_rejected() {
    let api = TestApi::embedded();
    let id = lead_awaiting_proof_of_address(&api).await;
    let objects = "1 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>";
    let hex: String = objects.bytes().map(|b| format!("{b:02x}")).collect();
    let stream = format!(
        "6 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /AHx /Length {} >> stream\n{hex}>\nendstream endobj\n",
        hex.len() + 1
    );
    let (doc, _) = upload(
        &api,
        &id,
        json!({"kind": "proof_of_address", "content_type": "application/pdf"}),
        &fixtures::pdf_with(stream.as_bytes()),
    )
    .await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "rejected", "{doc}");
    assert_eq!(
        check_named(&doc, "pdf_safety")["detail"],
        "the PDF runs JavaScript when opened inside an encoded object stream"
    );
    assert_ne!(api.get(&format!("/v1/leads/{id}")).await.body["status"], "approved");
}

#[tokio::test]
async fn a_download_link_is_bound_to_an_attachment_of_the_stored_type() {
    let api = TestApi::embedded();
    let id = lead_awaiting_proof_of_address(&api).await;
    let (doc, _) =
        upload(&api, &id, json!({"kind": "proof_of_address", "content_type": "application/pdf"}), &fixtures::pdf())
            .await;
    let link = document(&api, &id, &doc).await["download"]["url"].as_str().expect("a download link").to_string();
    let query = link.split_once('?').map(|(_, q)| q.to_string()).expect("signed parameters");
    assert!(query.contains("ct=application%2Fpdf"), "{query}");
    assert!(query.contains(&format!("cd=attachment%3B+filename%3D%22{doc}.pdf%22")), "{query}");
}

#[tokio::test]
async fn a_second_event_for_the_same_object_changes_nothing() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let (doc, _) =
        upload(&api, &id, json!({"kind": "passport", "content_type": "image/png"}), &fixtures::png(1200, 800, 3)).await;
    let before = api.audit(&id).await.len();
    let again = on_object_created(&api.deps, &scoring(), &format!("documents/acme/{id}/{doc}")).await.expect("handled");
    assert_eq!(again, ScoreOutcome::AlreadyScored);
    assert_eq!(api.audit(&id).await.len(), before);
}

#[tokio::test]
async fn keys_that_match_no_pending_document_are_ignored() {
    let api = TestApi::embedded();
    let s = scoring();
    assert_eq!(on_object_created(&api.deps, &s, "imports/acme/x.csv").await.ok(), Some(ScoreOutcome::Ignored));
    let lead = api.complete_lead().await;
    let key =
        format!("documents/acme/{}/doc_0123456789abcdef0123456789abcdef", lead["id"].as_str().unwrap_or_default());
    assert_eq!(on_object_created(&api.deps, &s, &key).await.ok(), Some(ScoreOutcome::Ignored));
}

#[tokio::test]
async fn an_executable_renamed_jpg_is_rejected_with_a_failing_check() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let (doc, _) = upload(
        &api,
        &id,
        json!({"kind": "passport", "content_type": "image/jpeg", "file_name": "passport.jpg"}),
        &fixtures::windows_executable(),
    )
    .await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "rejected");
    assert!(checks_named(&doc, "fail").contains(&"file_type".to_string()), "{doc}");
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["status"], "under_review");
    assert!(lead["risk"]["factors"].as_array().is_some_and(|f| f.iter().any(|x| x["code"] == "document_check_failed")));
}

#[tokio::test]
async fn a_small_image_an_empty_file_and_a_missing_object_are_handled() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let (small, _) =
        upload(&api, &id, json!({"kind": "selfie", "content_type": "image/png"}), &fixtures::png(300, 200, 4)).await;
    assert!(checks_named(&document(&api, &id, &small).await, "fail").contains(&"image_dimensions".to_string()));
    let (empty, _) =
        upload(&api, &id, json!({"kind": "proof_of_address", "content_type": "application/pdf"}), b"").await;
    assert!(checks_named(&document(&api, &id, &empty).await, "fail").contains(&"file_size".to_string()));
    let reply =
        api.post(&format!("/v1/leads/{id}/documents"), json!({"kind": "passport", "content_type": "image/png"})).await;
    let doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();
    let outcome =
        on_object_created(&api.deps, &scoring(), &format!("documents/acme/{id}/{doc}")).await.expect("handled");
    assert_eq!(outcome, ScoreOutcome::NoObject);
    assert_eq!(document(&api, &id, &doc).await["status"], "pending_upload");
}

#[tokio::test]
async fn an_oversized_file_is_rejected_without_reading_it_whole() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let mut big = fixtures::png(1200, 800, 5);
    big.resize(11 * 1024 * 1024, 0);
    let (doc, _) = upload(&api, &id, json!({"kind": "passport", "content_type": "image/png"}), &big).await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "rejected");
    assert!(checks_named(&doc, "fail").contains(&"file_size".to_string()));
}

#[tokio::test]
async fn the_same_file_on_another_lead_is_flagged_as_a_duplicate() {
    let api = TestApi::embedded();
    let file = fixtures::png(1200, 800, 6);
    let first = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    upload(
        &api,
        first["id"].as_str().unwrap_or_default(),
        json!({"kind": "passport", "content_type": "image/png"}),
        &file,
    )
    .await;
    let second = api.create(enhanced_individual("Grace", "Hopper", "1986-12-09")).await;
    let id = second["id"].as_str().unwrap_or_default().to_string();
    let (doc, _) = upload(&api, &id, json!({"kind": "passport", "content_type": "image/png"}), &file).await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "rejected");
    assert!(doc["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("duplicate_document"))));
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert!(lead["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("duplicate_document"))));
    assert_eq!(lead["status"], "under_review");
}

#[tokio::test]
async fn a_sanctions_match_is_critical_goes_to_review_and_raises_an_alert() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ivor", "Examplov", "1961-03-14")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    upload(&api, &id, json!({"kind": "passport", "content_type": "image/png"}), &fixtures::png(1200, 800, 7)).await;
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["risk"]["level"], "critical", "{}", lead["risk"]);
    assert_eq!(lead["status"], "under_review");
    assert!(lead["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("sanctions_match"))));
    let trail = api.audit(&id).await;
    let scored = trail.iter().find(|e| e["action"] == "risk.scored").expect("risk.scored event");
    assert_eq!(scored["data"]["alert"]["severity"], "critical");
}

#[tokio::test]
async fn a_premium_lead_is_never_approved_automatically() {
    let api = TestApi::embedded();
    let mut body = enhanced_individual("Ada", "Lovelace", "1990-12-10");
    body["level"] = json!("premium");
    let lead = api.create(body).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    for (i, kind) in ["passport", "proof_of_address", "selfie", "source_of_funds"].iter().enumerate() {
        upload(&api, &id, json!({"kind": kind, "content_type": "image/png"}), &fixtures::png(1200, 800, 10 + i as u8))
            .await;
    }
    let lead = api.get(&format!("/v1/leads/{id}")).await.body;
    assert_eq!(lead["requirements"]["missing"], json!([]), "screening ran and every document is verified");
    assert_eq!(lead["status"], "under_review");
}

#[tokio::test]
async fn documents_of_another_tenant_are_not_found() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let reply =
        api.post(&format!("/v1/leads/{id}/documents"), json!({"kind": "passport", "content_type": "image/png"})).await;
    let doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();
    let foreign =
        api.send("GET", &format!("/v1/leads/{id}/documents/{doc}"), Some(kyc_tests::api::GLOBEX_KEY), None, &[]).await;
    foreign.assert_problem(404, "not_found");
}

fn passport_request(mrz: Vec<String>, expiry: &str) -> Value {
    json!({"kind": "passport", "content_type": "image/png",
           "data": {"document_number": "AB1234567", "issuing_country": "GB", "expiry_date": expiry, "mrz": mrz}})
}

#[tokio::test]
async fn a_passport_whose_mrz_agrees_with_the_lead_is_verified() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let mrz = fixtures::passport_mrz("LOVELACE", "ADA", "AB1234567", "901210", "340101");
    let (doc, _) = upload(&api, &id, passport_request(mrz, "2034-01-01"), &fixtures::png(1200, 800, 20)).await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "verified", "{doc}");
    let passed = checks_named(&doc, "pass");
    for check in ["mrz", "mrz_consistency", "document_expiry", "minimum_age"] {
        assert!(passed.contains(&check.to_string()), "{check} passes: {doc}");
    }
}

#[tokio::test]
async fn a_broken_mrz_check_digit_rejects_the_document_naming_the_check() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let mut mrz = fixtures::passport_mrz("LOVELACE", "ADA", "AB1234567", "901210", "340101");
    // The birth date's check digit sits right after the birth date.
    let mut line: Vec<char> = mrz[1].chars().collect();
    line[19] = if line[19] == '0' { '1' } else { '0' };
    mrz[1] = line.into_iter().collect();
    let (doc, _) = upload(&api, &id, passport_request(mrz, "2034-01-01"), &fixtures::png(1200, 800, 21)).await;
    let doc = document(&api, &id, &doc).await;
    assert_eq!(doc["status"], "rejected");
    assert!(checks_named(&doc, "fail").contains(&"mrz".to_string()), "{doc}");
}

#[tokio::test]
async fn an_mrz_of_someone_else_an_expired_passport_and_a_minor_are_rejected() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced_individual("Ada", "Lovelace", "1990-12-10")).await;
    let id = lead["id"].as_str().unwrap_or_default().to_string();
    let other = fixtures::passport_mrz("HOPPER", "GRACE", "AB1234567", "901210", "340101");
    let (doc, _) = upload(&api, &id, passport_request(other, "2034-01-01"), &fixtures::png(1200, 800, 22)).await;
    assert!(checks_named(&document(&api, &id, &doc).await, "fail").contains(&"mrz_consistency".to_string()));

    let expired = fixtures::passport_mrz("LOVELACE", "ADA", "AB1234567", "901210", "200101");
    let (doc, _) = upload(&api, &id, passport_request(expired, "2020-01-01"), &fixtures::png(1200, 800, 23)).await;
    assert!(checks_named(&document(&api, &id, &doc).await, "fail").contains(&"document_expiry".to_string()));

    let minor = api.create(enhanced_individual("Kid", "Example", "2015-06-01")).await;
    let minor_id = minor["id"].as_str().unwrap_or_default().to_string();
    let mrz = fixtures::passport_mrz("EXAMPLE", "KID", "AB1234567", "150601", "340101");
    let (doc, _) = upload(&api, &minor_id, passport_request(mrz, "2034-01-01"), &fixtures::png(1200, 800, 24)).await;
    assert!(checks_named(&document(&api, &minor_id, &doc).await, "fail").contains(&"minimum_age".to_string()));
}
