//! Issue 9's rules end to end through the API, the real AWS SDK and a fake of Textract
//! and Rekognition: automation approves only what a machine verified, and every lead
//! it cannot decide waits for a person with the reasons why.

use std::sync::Arc;

use serde_json::{Value, json};

use kyc_aws::FileAccess;
use kyc_domain::verification::FaceMatchThreshold;
use kyc_embedded::LocalObjects;
use kyc_tests::api::TestApi;
use kyc_tests::counting::CountingObjects;
use kyc_tests::fake_verifier::{Failure, FakeVerifier, Image, Operation, clear_face};
use kyc_tests::fixtures;
use kyc_tests::identity::{
    ADA, Person, script_bill, script_bill_as, script_passport, script_passport_as, script_selfie, verifier_for,
    verifier_with_access,
};

fn enhanced(person: &Person) -> Value {
    json!({
        "level": "enhanced",
        "email": "ada@example.com",
        "individual": {"first_name": person.first_name, "last_name": person.last_name,
                       "date_of_birth": person.born.to_string(), "nationality": "GB"},
        "address": {"line1": "1 High St", "city": "York", "postal_code": "YO1 7HH", "country": "GB"}
    })
}

struct Setup {
    api: TestApi,
    fake: FakeVerifier,
    lead: String,
}

async fn setup() -> Setup {
    let fake = FakeVerifier::start().await;
    let api = TestApi::embedded().with_verifier(verifier_for(&fake).await, FaceMatchThreshold::default());
    let lead = api.create(enhanced(&ADA)).await["id"].as_str().expect("lead id").to_string();
    Setup { api, fake, lead }
}

impl Setup {
    async fn upload(&self, kind: &str, content_type: &str, file: &[u8]) -> String {
        self.api.upload(&self.lead, json!({"kind": kind, "content_type": content_type}), file).await.0
    }

    async fn lead(&self) -> Value {
        self.api.get(&format!("/v1/leads/{}", self.lead)).await.body
    }

    async fn document(&self, doc: &str) -> Value {
        self.api.get(&format!("/v1/leads/{}/documents/{doc}", self.lead)).await.body
    }

    async fn check(&self, doc: &str, name: &str) -> Value {
        let doc = self.document(doc).await;
        doc["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["name"] == name).cloned())
            .unwrap_or_else(|| panic!("no check {name} on {doc}"))
    }

    /// Passport, bill and selfie of `ADA`, each as the fake will read it.
    async fn upload_consistent_set(&self, similarity: f32, bill_days_old: u64) -> [String; 3] {
        let passport = script_passport(&self.fake, &ADA, 31);
        let bill = script_bill(&self.fake, &ADA, bill_days_old, 32);
        let selfie = script_selfie(&self.fake, &passport, similarity, 33);
        [
            self.upload("passport", "image/png", &passport).await,
            self.upload("proof_of_address", "application/pdf", &bill).await,
            self.upload("selfie", "image/png", &selfie).await,
        ]
    }
}

fn reasons(lead: &Value) -> Vec<String> {
    lead["review_reasons"].as_array().map(|a| a.iter().filter_map(|r| r.as_str().map(String::from)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn a_complete_consistent_set_is_approved_with_one_read_per_document_and_one_comparison() {
    let s = setup().await;
    let [passport, bill, selfie] = s.upload_consistent_set(99.1, 20).await;
    let lead = s.lead().await;
    assert_eq!(lead["status"], "approved", "{lead}");
    assert_eq!(reasons(&lead), Vec::<String>::new());
    for (doc, check) in [(&passport, "identity_read"), (&passport, "data_match"), (&passport, "document_expiry"),
                         (&bill, "address_proof"), (&selfie, "face_quality"), (&selfie, "face_match"), (&selfie, "same_file")] {
        assert_eq!(s.check(doc, check).await["result"], "pass", "{check}");
    }
    assert_eq!(s.check(&selfie, "face_match").await["detail"], "similarity 99.1 % (match at 95 %)");
    assert_eq!(s.fake.calls(Operation::DetectDocumentText), 2, "passport and bill, read once each");
    assert_eq!(s.fake.calls(Operation::AnalyzeId), 0, "the passport's MRZ was read");
    assert_eq!(s.fake.calls(Operation::DetectFaces), 1);
    assert_eq!(s.fake.calls(Operation::CompareFaces), 1);

    // A storage event delivered again for a document already read asks nothing.
    let key = format!("documents/acme/{}/{passport}", s.lead);
    s.api.storage_event(&key).await.expect("a repeated event is fine");
    assert_eq!(s.fake.total_calls(), 4);
}

#[tokio::test]
async fn a_gradient_uploaded_three_times_is_never_approved() {
    let s = setup().await;
    // The case: one synthetic image (no face, no text) as every document.
    let gradient = fixtures::png(800, 600, 7);
    let passport = s.upload("passport", "image/png", &gradient).await;
    let bill = s.upload("proof_of_address", "image/png", &gradient).await;
    let selfie = s.upload("selfie", "image/png", &gradient).await;
    assert_eq!(s.check(&passport, "identity_read").await["result"], "fail");
    for doc in [&bill, &selfie] {
        let check = s.check(doc, "same_file").await;
        assert_eq!(check["result"], "fail", "one file satisfies one requirement: {check}");
    }
    let lead = s.lead().await;
    assert_ne!(lead["status"], "approved");
    assert_eq!(lead["status"], "under_review");
    assert!(reasons(&lead).contains(&"document_rejected".to_string()), "{lead}");
}

#[tokio::test]
async fn the_same_file_twice_rejects_the_second() {
    let s = setup().await;
    let passport = script_passport(&s.fake, &ADA, 41);
    s.upload("passport", "image/png", &passport).await;
    let again = s.upload("national_id", "image/png", &passport).await;
    assert_eq!(s.document(&again).await["status"], "rejected");
    assert_eq!(s.check(&again, "same_file").await["result"], "fail");
}

#[tokio::test]
async fn a_passport_naming_someone_else_fails_data_match() {
    let s = setup().await;
    let someone_else = Person { first_name: "Charles", last_name: "Babbage", ..ADA };
    let passport = script_passport(&s.fake, &someone_else, 51);
    let doc = s.upload("passport", "image/png", &passport).await;
    let check = s.check(&doc, "data_match").await;
    assert_eq!(check["result"], "fail");
    assert!(!check["detail"].as_str().unwrap_or_default().to_uppercase().contains("BABBAGE"), "no personal data in a check");
    let lead = s.lead().await;
    assert_eq!(lead["status"], "under_review");
    assert!(reasons(&lead).contains(&"data_mismatch".to_string()), "{lead}");
}

#[tokio::test]
async fn a_selfie_70_percent_alike_is_a_low_face_match() {
    let s = setup().await;
    let [_, _, selfie] = s.upload_consistent_set(70.0, 20).await;
    assert_eq!(s.check(&selfie, "face_match").await["result"], "fail");
    assert_eq!(s.document(&selfie).await["status"], "rejected");
    let lead = s.lead().await;
    assert_eq!(lead["status"], "under_review");
    assert!(reasons(&lead).contains(&"face_match_low".to_string()), "{lead}");
}

#[tokio::test]
async fn a_150_day_old_bill_does_not_prove_the_address() {
    let s = setup().await;
    let [_, bill, _] = s.upload_consistent_set(99.0, 150).await;
    assert_eq!(s.check(&bill, "address_proof").await["result"], "warn");
    let lead = s.lead().await;
    assert_eq!(lead["status"], "under_review");
    assert_eq!(reasons(&lead), ["address_not_proven"]);
}

#[tokio::test]
async fn two_textract_errors_are_retried_and_the_lead_is_still_approved() {
    let s = setup().await;
    s.fake.fail_next(Operation::DetectDocumentText, 2, Failure::INTERNAL);
    s.upload_consistent_set(99.0, 20).await;
    assert_eq!(s.lead().await["status"], "approved");
}

#[tokio::test]
async fn a_verifier_down_through_every_attempt_leaves_the_lead_to_a_person() {
    let s = setup().await;
    let passport = script_passport(&s.fake, &ADA, 61);
    // Throttled on every call of every attempt: 3 SDK attempts in each of the 3
    // attempts of the storage event.
    s.fake.fail_next(Operation::DetectDocumentText, 9, Failure::THROTTLED);
    let (doc, first) =
        s.api.try_upload(&s.lead, json!({"kind": "passport", "content_type": "image/png"}), &passport).await;
    assert!(first.is_err(), "an outage fails the attempt, so that the event is retried");
    assert_eq!(s.document(&doc).await["status"], "pending_upload", "an outage is no verdict");
    let key = format!("documents/acme/{}/{doc}", s.lead);
    assert!(s.api.storage_event(&key).await.is_err());
    s.api.storage_event(&key).await.expect("the last attempt records the outage");
    let read = s.check(&doc, "identity_read").await;
    assert_eq!((read["result"].as_str(), read["detail"].as_str()), (Some("warn"), Some("verifier unavailable")));
    assert_eq!(s.fake.calls(Operation::DetectDocumentText), 9);

    // The service is back for the other documents; the passport stays unread.
    s.upload("proof_of_address", "application/pdf", &script_bill(&s.fake, &ADA, 10, 62)).await;
    s.upload("selfie", "image/png", &script_selfie(&s.fake, &passport, 99.0, 63)).await;
    let lead = s.lead().await;
    assert_eq!(lead["status"], "under_review", "an outage is never taken as a pass");
    assert_eq!(reasons(&lead), ["identity_not_machine_read", "verification_unavailable"]);
}

#[tokio::test]
async fn a_selfie_before_its_passport_is_compared_when_the_passport_arrives() {
    let s = setup().await;
    let passport = script_passport(&s.fake, &ADA, 71);
    let selfie_file = script_selfie(&s.fake, &passport, 42.0, 72);
    let selfie = s.upload("selfie", "image/png", &selfie_file).await;
    assert_eq!(s.check(&selfie, "face_match").await["detail"], "waiting for an identity document to compare with");
    assert_eq!(s.document(&selfie).await["status"], "verified");
    assert_eq!(s.lead().await["status"], "in_progress", "only documents are missing");
    s.upload("passport", "image/png", &passport).await;
    assert_eq!(s.check(&selfie, "face_match").await["result"], "fail", "the comparison lands on the selfie");
    assert_eq!(s.document(&selfie).await["status"], "rejected");
    let rejected = s.api.audit(&s.lead).await.into_iter().filter(|e| e["action"] == "document.rejected").count();
    assert_eq!(rejected, 1, "the selfie's rejection is in the trail");
    assert_eq!(s.fake.calls(Operation::CompareFaces), 1);
}

#[tokio::test]
async fn a_lead_missing_a_document_stays_in_progress_without_reasons() {
    let s = setup().await;
    let passport = script_passport(&s.fake, &ADA, 81);
    s.upload("passport", "image/png", &passport).await;
    let selfie = script_selfie(&s.fake, &passport, 99.0, 82);
    s.upload("selfie", "image/png", &selfie).await;
    let lead = s.lead().await;
    assert_eq!(lead["status"], "in_progress");
    assert_eq!(lead["requirements"]["missing"], json!(["proof_of_address"]));
    assert_eq!(reasons(&lead), Vec::<String>::new());
}

#[tokio::test]
async fn without_a_verifier_no_identity_is_approved() {
    let api = TestApi::embedded();
    let lead = api.create(enhanced(&ADA)).await["id"].as_str().expect("id").to_string();
    let fake = FakeVerifier::start().await; // only to build the same files
    let passport = script_passport(&fake, &ADA, 91);
    for (kind, content_type, file) in [
        ("passport", "image/png", passport.clone()),
        ("proof_of_address", "application/pdf", script_bill(&fake, &ADA, 5, 92)),
        ("selfie", "image/png", script_selfie(&fake, &passport, 99.0, 93)),
    ] {
        api.upload(&lead, json!({"kind": kind, "content_type": content_type}), &file).await;
    }
    let lead = api.get(&format!("/v1/leads/{lead}")).await.body;
    assert_eq!(lead["status"], "under_review");
    assert!(reasons(&lead).contains(&"identity_not_machine_read".to_string()), "{lead}");
    assert_eq!(fake.total_calls(), 0);
}

#[tokio::test]
async fn a_pdf_selfie_is_refused_at_the_upload_request() {
    let s = setup().await;
    let reply = s.api.post(&format!("/v1/leads/{}/documents", s.lead), json!({"kind": "selfie", "content_type": "application/pdf"})).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.fields(), ["content_type"]);
    assert_eq!(s.api.get(&format!("/v1/leads/{}/documents", s.lead)).await.body["data"], json!([]), "nothing written");
}

#[tokio::test]
async fn when_the_services_read_storage_the_scorer_reads_each_file_once_for_its_own_checks() {
    // As on Lambda: Textract and Rekognition read the objects by key.
    let fake = FakeVerifier::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let files = LocalObjects::new(dir.path().to_path_buf(), "http://127.0.0.1:9".into(), b"k").expect("store");
    let objects = Arc::new(CountingObjects::new(files.clone()));
    let verifier = verifier_with_access(&fake, FileAccess::S3 { bucket: "documents".into() }).await;
    let api = TestApi::with_objects(kyc_tests::backends::embedded(), objects.clone())
        .with_verifier(verifier, FaceMatchThreshold::default());
    let lead = api.create(enhanced(&ADA)).await["id"].as_str().expect("lead id").to_string();
    let mut keys = Vec::new();
    for (kind, content_type, file) in [
        ("passport", "image/png", fixtures::png(1200, 800, 1)),
        ("proof_of_address", "application/pdf", fixtures::pdf()),
        ("selfie", "image/png", fixtures::png(800, 800, 2)),
    ] {
        let reply = api.post(&format!("/v1/leads/{lead}/documents"), json!({"kind": kind, "content_type": content_type})).await;
        let key = format!("documents/acme/{lead}/{}", reply.body["document"]["id"].as_str().expect("document id"));
        match kind {
            "passport" => script_passport_as(&fake, &Image::s3(&key), &ADA),
            "proof_of_address" => script_bill_as(&fake, &Image::s3(&key), &ADA, 10),
            _ => {
                fake.set_faces(&Image::s3(&key), vec![clear_face()]);
                fake.set_similarity(&Image::s3(&keys[0]), &Image::s3(&key), 99.0);
            }
        }
        files.write(&key, &file).await.expect("uploaded");
        api.storage_event(&key).await.expect("scored");
        keys.push(key);
    }
    assert_eq!(api.get(&format!("/v1/leads/{lead}")).await.body["status"], "approved");
    assert_eq!(objects.reads(), 3, "one read per document, none to show the passport to the comparison");
    let compared = fake.requests(Operation::CompareFaces);
    assert_eq!(compared.len(), 1);
    assert_eq!(compared[0]["SourceImage"]["S3Object"]["Name"], json!(keys[0]), "{}", compared[0]);
}
