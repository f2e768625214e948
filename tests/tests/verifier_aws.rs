//! The AWS verifier adapter through the real SDK against the fake of Textract and
//! Rekognition: what each operation reads, both ways of handing over the file, the
//! services' limits enforced before a call, answers about a file as refusals, and
//! outages retried and then reported.

use std::time::Duration;

use kyc_app::ports::{StoredFile, Verifier};
use kyc_aws::{AwsVerifier, CallPolicy, FileAccess};
use kyc_domain::documents::ContentType;
use kyc_domain::verification::{FaceComparison, Reading};
use kyc_tests::fake_verifier::{Failure, FakeVerifier, Image, Operation, clear_face};
use serde_json::json;

const BUCKET: &str = "kyc-documents-test";

/// Short backoffs and timeouts, the same shape as in production.
fn quick_policy() -> CallPolicy {
    CallPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        connect_timeout: Duration::from_secs(1),
        attempt_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(5),
    }
}

async fn verifier(fake: &FakeVerifier, access: FileAccess) -> AwsVerifier {
    AwsVerifier::with_policy(&fake.sdk_config().await, access, quick_policy())
}

async fn sending_bytes(fake: &FakeVerifier) -> AwsVerifier {
    verifier(fake, FileAccess::Bytes).await
}

async fn reading_s3(fake: &FakeVerifier) -> AwsVerifier {
    verifier(fake, FileAccess::S3 { bucket: BUCKET.into() }).await
}

fn file<'a>(key: &'a str, content_type: ContentType, bytes: &'a [u8]) -> StoredFile<'a> {
    StoredFile { key, content_type, size: bytes.len() as u64, bytes }
}

/// Bytes that stand for a PNG of their own (the fake only hashes them).
fn png(tag: &str) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(tag.as_bytes());
    bytes
}

fn refusal<T: std::fmt::Debug>(reading: Reading<T>) -> String {
    match reading {
        Reading::Refused { reason } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn read<T: std::fmt::Debug>(reading: Reading<T>) -> T {
    match reading {
        Reading::Read(value) => value,
        other => panic!("expected a reading, got {other:?}"),
    }
}

// ------------------------------------------------------------------ DetectDocumentText

#[tokio::test]
async fn when_bytes_are_sent_should_read_the_lines_of_the_document() {
    let fake = FakeVerifier::start().await;
    let passport = png("passport");
    fake.set_text(&Image::bytes(&passport), &["PASSPORT", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"]);

    let text = sending_bytes(&fake).await.detect_text(file("documents/a/p", ContentType::Png, &passport)).await;

    let lines = read(text.expect("no outage")).lines;
    assert_eq!(lines, vec!["PASSPORT", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"]);
    let sent = fake.requests(Operation::DetectDocumentText);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["Document"]["Sha256"], json!(hex_sha256(&passport)), "the bytes themselves were sent");
}

#[tokio::test]
async fn when_the_service_reads_s3_should_name_the_object_and_send_no_bytes() {
    let fake = FakeVerifier::start().await;
    let key = "documents/acme/lead_1/doc_bill";
    fake.set_text(&Image::s3(key), &["ACME POWER", "Invoice date 2026-11-02"]);

    // The bytes are not sent on Lambda: the service reads the object itself.
    let bill = file(key, ContentType::Pdf, b"%PDF-1.7 not sent");
    let text = reading_s3(&fake).await.detect_text(bill).await;

    assert_eq!(read(text.expect("no outage")).lines, vec!["ACME POWER", "Invoice date 2026-11-02"]);
    let sent = fake.requests(Operation::DetectDocumentText);
    assert_eq!(sent[0]["Document"], json!({ "S3Object": { "Bucket": BUCKET, "Name": key } }));
}

#[tokio::test]
async fn when_an_image_is_unknown_should_read_no_lines() {
    let fake = FakeVerifier::start().await;
    let gradient = png("gradient");
    let text = sending_bytes(&fake).await.detect_text(file("k", ContentType::Png, &gradient)).await;
    assert_eq!(read(text.expect("no outage")).lines, Vec::<String>::new());
}

#[tokio::test]
async fn when_a_pdf_has_several_pages_should_refuse_it_as_multi_page() {
    let fake = FakeVerifier::start().await;
    let key = "documents/acme/lead_1/doc_statement";
    // Synchronous Textract answers UnsupportedDocumentException for a PDF of 2+ pages.
    fake.refuse(
        &Image::s3(key),
        Operation::DetectDocumentText,
        Failure::about_the_file("UnsupportedDocumentException"),
    );

    let text = reading_s3(&fake).await.detect_text(file(key, ContentType::Pdf, b"%PDF-")).await;

    let reason = refusal(text.expect("a result, not an outage"));
    assert!(reason.starts_with("multi-page document;"), "{reason}");
}

#[tokio::test]
async fn when_textract_cannot_read_the_document_should_refuse_in_words_without_retrying() {
    let fake = FakeVerifier::start().await;
    let verifier = sending_bytes(&fake).await;
    for (code, words) in [
        ("BadDocumentException", "could not read the document"),
        ("DocumentTooLargeException", "too large"),
        ("InvalidParameterException", "refused the document"),
        ("UnsupportedDocumentException", "format"),
    ] {
        let scan = png(code);
        fake.refuse(&Image::bytes(&scan), Operation::DetectDocumentText, Failure::about_the_file(code));
        let reason = refusal(verifier.detect_text(file("k", ContentType::Png, &scan)).await.expect("no outage"));
        assert!(reason.contains(words), "{code}: {reason}");
        assert!(!reason.contains("Exception"), "a reason is in words, not a code: {reason}");
    }
    assert_eq!(fake.calls(Operation::DetectDocumentText), 4, "an answer about the file is not retried");
}

#[tokio::test]
async fn when_textract_cannot_read_the_stored_object_should_refuse() {
    let fake = FakeVerifier::start().await;
    let key = "documents/acme/lead_1/doc_gone";
    fake.refuse(&Image::s3(key), Operation::DetectDocumentText, Failure::about_the_file("InvalidS3ObjectException"));
    let text = reading_s3(&fake).await.detect_text(file(key, ContentType::Jpeg, b"x")).await;
    assert_eq!(refusal(text.expect("no outage")), "the text reader could not read the stored file");
}

// ------------------------------------------------------------------ AnalyzeID

#[tokio::test]
async fn when_an_identity_document_has_no_mrz_should_read_its_fields_with_dates_normalised() {
    let fake = FakeVerifier::start().await;
    let licence = png("driving licence");
    fake.set_id_fields(
        &Image::bytes(&licence),
        &[("FIRST_NAME", "ANNA"), ("LAST_NAME", "ERIKSSON"), ("EXPIRATION_DATE", "2031-04-30"), ("MIDDLE_NAME", "")],
    );

    let fields = sending_bytes(&fake).await.analyze_id(file("k", ContentType::Png, &licence)).await;

    let fields = read(fields.expect("no outage")).fields;
    assert_eq!(fields.get("FIRST_NAME").map(String::as_str), Some("ANNA"));
    assert_eq!(fields.get("LAST_NAME").map(String::as_str), Some("ERIKSSON"));
    assert_eq!(fields.get("EXPIRATION_DATE").map(String::as_str), Some("2031-04-30T00:00:00"));
    assert!(!fields.contains_key("MIDDLE_NAME"), "an empty value is no field");
    assert_eq!(fake.requests(Operation::AnalyzeId)[0]["DocumentPages"].as_array().map(Vec::len), Some(1));
}

// ------------------------------------------------------------------ DetectFaces

#[tokio::test]
async fn when_a_selfie_is_checked_should_ask_for_all_attributes_and_read_each_face() {
    let fake = FakeVerifier::start().await;
    let selfie = png("selfie");
    fake.set_faces(&Image::bytes(&selfie), vec![clear_face()]);

    let faces = sending_bytes(&fake).await.detect_faces(file("k", ContentType::Png, &selfie)).await;

    let faces = read(faces.expect("no outage")).faces;
    assert_eq!(faces, vec![clear_face()], "confidence, eyes, sharpness, brightness and pose all come back");
    assert_eq!(fake.requests(Operation::DetectFaces)[0]["Attributes"], json!(["ALL"]));
}

#[tokio::test]
async fn when_a_selfie_shows_no_face_should_read_no_faces() {
    let fake = FakeVerifier::start().await;
    let gradient = png("gradient");
    let faces = sending_bytes(&fake).await.detect_faces(file("k", ContentType::Jpeg, &gradient)).await;
    assert!(read(faces.expect("no outage")).faces.is_empty());
}

#[tokio::test]
async fn when_rekognition_refuses_the_image_should_say_why_in_words() {
    let fake = FakeVerifier::start().await;
    let verifier = sending_bytes(&fake).await;
    for (code, words) in [
        ("InvalidImageFormatException", "JPEG or PNG"),
        ("ImageTooLargeException", "too large"),
        ("InvalidParameterException", "could not use the image"),
    ] {
        let selfie = png(code);
        fake.refuse(&Image::bytes(&selfie), Operation::DetectFaces, Failure::about_the_file(code));
        let reason = refusal(verifier.detect_faces(file("k", ContentType::Png, &selfie)).await.expect("no outage"));
        assert!(reason.contains(words), "{code}: {reason}");
    }
}

// ------------------------------------------------------------------ CompareFaces

#[tokio::test]
async fn when_faces_are_compared_should_answer_the_highest_similarity_asked_with_threshold_zero() {
    let fake = FakeVerifier::start().await;
    let passport = png("passport");
    let selfie = png("selfie");
    fake.set_faces(&Image::bytes(&passport), vec![clear_face()]);
    fake.set_faces(&Image::bytes(&selfie), vec![clear_face(), clear_face()]);
    fake.set_similarity(&Image::bytes(&passport), &Image::bytes(&selfie), 97.5);

    let comparison = sending_bytes(&fake)
        .await
        .compare_faces(file("id", ContentType::Png, &passport), file("selfie", ContentType::Png, &selfie))
        .await;

    assert_eq!(read(comparison.expect("no outage")), FaceComparison { similarity: Some(97.5) });
    let sent = &fake.requests(Operation::CompareFaces)[0];
    assert_eq!(sent["SimilarityThreshold"], json!(0.0));
    assert_eq!(sent["SourceImage"]["Sha256"], json!(hex_sha256(&passport)), "the identity document is the source");
    assert_eq!(sent["TargetImage"]["Sha256"], json!(hex_sha256(&selfie)), "the selfie is the target");
}

#[tokio::test]
async fn when_the_selfie_shows_no_face_should_answer_no_similarity() {
    let fake = FakeVerifier::start().await;
    let passport = png("passport");
    let gradient = png("gradient");
    fake.set_faces(&Image::bytes(&passport), vec![clear_face()]);

    let comparison = sending_bytes(&fake)
        .await
        .compare_faces(file("id", ContentType::Png, &passport), file("selfie", ContentType::Png, &gradient))
        .await;

    assert_eq!(read(comparison.expect("no outage")), FaceComparison { similarity: None });
    // The service answers "no face" without saying where: the selfie was checked.
    assert_eq!((fake.calls(Operation::CompareFaces), fake.calls(Operation::DetectFaces)), (1, 1));
}

#[tokio::test]
async fn when_the_identity_document_shows_no_face_should_refuse_the_comparison() {
    let fake = FakeVerifier::start().await;
    let blank_id = png("no portrait");
    let selfie = png("selfie");
    fake.set_faces(&Image::bytes(&selfie), vec![clear_face()]);

    let comparison = sending_bytes(&fake)
        .await
        .compare_faces(file("id", ContentType::Png, &blank_id), file("selfie", ContentType::Png, &selfie))
        .await;

    assert_eq!(refusal(comparison.expect("a result, not an outage")), "no face found on the identity document");
    assert_eq!((fake.calls(Operation::CompareFaces), fake.calls(Operation::DetectFaces)), (1, 1));
}

#[tokio::test]
async fn when_faces_are_found_in_both_images_should_compare_with_one_call() {
    let fake = FakeVerifier::start().await;
    let (passport, selfie) = (png("passport"), png("selfie"));
    fake.set_faces(&Image::bytes(&passport), vec![clear_face()]);
    fake.set_faces(&Image::bytes(&selfie), vec![clear_face()]);

    let comparison = sending_bytes(&fake)
        .await
        .compare_faces(file("id", ContentType::Png, &passport), file("selfie", ContentType::Png, &selfie))
        .await;

    assert_eq!(read(comparison.expect("no outage")).similarity, Some(0.0), "a pair not scripted is unlike");
    assert_eq!(fake.total_calls(), 1);
}

#[tokio::test]
async fn when_both_images_are_in_s3_should_name_both_objects() {
    let fake = FakeVerifier::start().await;
    let (id_key, selfie_key) = ("documents/acme/lead_1/doc_id", "documents/acme/lead_1/doc_selfie");
    fake.set_faces(&Image::s3(id_key), vec![clear_face()]);
    fake.set_faces(&Image::s3(selfie_key), vec![clear_face()]);
    fake.set_similarity(&Image::s3(id_key), &Image::s3(selfie_key), 88.0);

    let comparison = reading_s3(&fake)
        .await
        .compare_faces(file(id_key, ContentType::Jpeg, b"x"), file(selfie_key, ContentType::Jpeg, b"y"))
        .await;

    assert_eq!(read(comparison.expect("no outage")).similarity, Some(88.0));
    let sent = &fake.requests(Operation::CompareFaces)[0];
    assert_eq!(sent["SourceImage"], json!({ "S3Object": { "Bucket": BUCKET, "Name": id_key } }));
    assert_eq!(sent["TargetImage"], json!({ "S3Object": { "Bucket": BUCKET, "Name": selfie_key } }));
}

// ------------------------------------------------------------------ limits, before any call

#[tokio::test]
async fn when_sent_bytes_exceed_5_mb_should_refuse_without_calling_either_service() {
    let fake = FakeVerifier::start().await;
    let verifier = sending_bytes(&fake).await;
    let large = vec![0u8; 5 * 1024 * 1024 + 1];

    let text = verifier.detect_text(file("k", ContentType::Jpeg, &large)).await.expect("no outage");
    let faces = verifier.detect_faces(file("k", ContentType::Jpeg, &large)).await.expect("no outage");

    assert!(refusal(text).contains("larger than the 5 MB"));
    assert!(refusal(faces).contains("larger than the 5 MB"));
    assert_eq!(fake.total_calls(), 0);
}

#[tokio::test]
async fn when_exactly_5_mb_are_sent_should_call_the_service() {
    let fake = FakeVerifier::start().await;
    let at_limit = vec![0u8; 5 * 1024 * 1024];
    let text = sending_bytes(&fake).await.detect_text(file("k", ContentType::Jpeg, &at_limit)).await;
    assert!(matches!(text, Ok(Reading::Read(_))), "{text:?}");
    assert_eq!(fake.calls(Operation::DetectDocumentText), 1);
}

#[tokio::test]
async fn when_the_service_reads_s3_should_apply_each_services_object_limit() {
    let fake = FakeVerifier::start().await;
    let verifier = reading_s3(&fake).await;
    let sized = |size: u64| StoredFile { key: "documents/a/b", content_type: ContentType::Jpeg, size, bytes: b"" };

    // 6 MB: above the bytes limit, within both S3 limits (Textract 10 MB, Rekognition 15 MB).
    assert!(matches!(verifier.detect_text(sized(6 << 20)).await, Ok(Reading::Read(_))));
    // 12 MB: too large for synchronous Textract, within Rekognition's 15 MB.
    assert!(refusal(verifier.detect_text(sized(12 << 20)).await.expect("no outage")).contains("10 MB"));
    assert!(matches!(verifier.detect_faces(sized(12 << 20)).await, Ok(Reading::Read(_))));
    // 16 MB: too large for Rekognition too.
    assert!(refusal(verifier.detect_faces(sized(16 << 20)).await.expect("no outage")).contains("15 MB"));

    assert_eq!(fake.calls(Operation::DetectDocumentText), 1);
    assert_eq!(fake.calls(Operation::DetectFaces), 1);
}

#[tokio::test]
async fn when_a_pdf_is_given_to_rekognition_should_refuse_without_a_call() {
    let fake = FakeVerifier::start().await;
    let verifier = sending_bytes(&fake).await;
    let pdf = b"%PDF-1.7 identity card".to_vec();
    let selfie = png("selfie");

    let faces = verifier.detect_faces(file("k", ContentType::Pdf, &pdf)).await.expect("no outage");
    let comparison = verifier
        .compare_faces(file("id", ContentType::Pdf, &pdf), file("selfie", ContentType::Png, &selfie))
        .await
        .expect("no outage");

    assert_eq!(refusal(faces), "the selfie is a PDF; the face service takes JPEG or PNG images only");
    assert_eq!(refusal(comparison), "the identity document is a PDF; the face service takes JPEG or PNG images only");
    assert_eq!(fake.total_calls(), 0);
}

// ------------------------------------------------------------------ outages

#[tokio::test]
async fn when_textract_answers_500_twice_should_retry_and_return_the_answer() {
    let fake = FakeVerifier::start().await;
    let bill = png("bill");
    fake.set_text(&Image::bytes(&bill), &["ACME POWER"]);
    fake.fail_next(Operation::DetectDocumentText, 2, Failure::INTERNAL);

    let text = sending_bytes(&fake).await.detect_text(file("k", ContentType::Png, &bill)).await;

    assert_eq!(read(text.expect("retried past the 500s")).lines, vec!["ACME POWER"]);
    assert_eq!(fake.calls(Operation::DetectDocumentText), 3);
}

#[tokio::test]
async fn when_rekognition_throttles_once_should_retry_and_return_the_answer() {
    let fake = FakeVerifier::start().await;
    let selfie = png("selfie");
    fake.set_faces(&Image::bytes(&selfie), vec![clear_face()]);
    fake.fail_next(Operation::DetectFaces, 1, Failure::THROTTLING);

    let faces = sending_bytes(&fake).await.detect_faces(file("k", ContentType::Png, &selfie)).await;

    assert_eq!(read(faces.expect("retried")).faces.len(), 1);
    assert_eq!(fake.calls(Operation::DetectFaces), 2);
}

#[tokio::test]
async fn when_throttling_persists_should_report_an_outage_after_every_attempt() {
    let fake = FakeVerifier::start().await;
    let selfie = png("selfie");
    fake.fail_next(Operation::CompareFaces, 10, Failure::THROTTLED);
    let passport = png("passport");

    let comparison = sending_bytes(&fake)
        .await
        .compare_faces(file("id", ContentType::Png, &passport), file("selfie", ContentType::Png, &selfie))
        .await;

    let outage = comparison.expect_err("an outage, never a result");
    assert_eq!(outage.service, "rekognition");
    assert!(outage.detail.contains("ProvisionedThroughputExceededException"), "{}", outage.detail);
    assert_eq!(fake.calls(Operation::CompareFaces), quick_policy().max_attempts as usize);
}

#[tokio::test]
async fn when_any_kind_of_throttling_persists_should_report_an_outage_after_every_attempt() {
    let fake = FakeVerifier::start().await;
    let verifier = sending_bytes(&fake).await;
    let selfie = png("selfie");
    let attempts = quick_policy().max_attempts as usize;
    for (round, throttle) in
        [Failure::THROTTLING, Failure::THROTTLED, Failure { status: 400, code: "LimitExceededException" }]
            .into_iter()
            .enumerate()
    {
        fake.fail_next(Operation::DetectFaces, attempts, throttle.clone());
        let outage = verifier.detect_faces(file("k", ContentType::Png, &selfie)).await.expect_err("an outage");
        assert!(outage.detail.contains(throttle.code), "{}", outage.detail);
        assert_eq!(fake.calls(Operation::DetectFaces), attempts * (round + 1), "{} was retried", throttle.code);
    }
}

#[tokio::test]
async fn when_the_service_does_not_answer_in_time_should_report_an_outage() {
    let fake = FakeVerifier::start().await;
    fake.set_latency(Duration::from_millis(600));
    let policy = CallPolicy {
        attempt_timeout: Duration::from_millis(150),
        operation_timeout: Duration::from_millis(1500),
        ..quick_policy()
    };
    let verifier = AwsVerifier::with_policy(&fake.sdk_config().await, FileAccess::Bytes, policy);
    let scan = png("scan");

    let text = verifier.detect_text(file("k", ContentType::Png, &scan)).await;

    let outage = text.expect_err("a timeout is an outage");
    assert_eq!(outage.service, "textract");
    assert!(fake.calls(Operation::DetectDocumentText) >= 2, "the attempt that timed out was retried");
}

#[tokio::test]
async fn when_access_is_denied_should_report_an_outage_not_a_result() {
    let fake = FakeVerifier::start().await;
    let scan = png("scan");
    fake.refuse(&Image::bytes(&scan), Operation::AnalyzeId, Failure::about_the_file("AccessDeniedException"));
    let fields = sending_bytes(&fake).await.analyze_id(file("k", ContentType::Png, &scan)).await;
    let outage = fields.expect_err("a misconfiguration is never taken as a pass or a fail");
    assert_eq!(outage.detail, "AnalyzeID: AccessDeniedException");
}

// ------------------------------------------------------------------ configuration from the environment

/// Run by `when_the_standard_endpoint_variables_are_set_should_call_that_endpoint` in a
/// child process whose environment names the fake (the SDK reads it at load time).
#[tokio::test]
#[ignore = "run in a child process by the test below"]
async fn child_reads_the_endpoints_from_the_environment() {
    let sdk = kyc_aws::sdk_loader().load().await;
    let verifier = AwsVerifier::with_policy(&sdk, FileAccess::Bytes, quick_policy());
    let text = verifier.detect_text(file("k", ContentType::Png, b"scripted by the parent")).await;
    assert_eq!(read(text.expect("the fake answered")).lines, vec!["FROM THE ENVIRONMENT"]);
    let faces = verifier.detect_faces(file("k", ContentType::Png, b"scripted by the parent")).await;
    assert_eq!(read(faces.expect("the fake answered")).faces.len(), 1);
}

#[tokio::test]
async fn when_the_standard_endpoint_variables_are_set_should_call_that_endpoint() {
    let fake = FakeVerifier::start().await;
    let image = Image::bytes(b"scripted by the parent");
    fake.set_text(&image, &["FROM THE ENVIRONMENT"]);
    fake.set_faces(&image, vec![clear_face()]);

    let exe = std::env::current_exe().expect("the test binary");
    let status = tokio::process::Command::new(exe)
        .args(["--ignored", "--exact", "child_reads_the_endpoints_from_the_environment"])
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", "/nonexistent/kyc-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kyc-test-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(fake.env())
        .status()
        .await
        .expect("the child runs");

    assert!(status.success(), "the child test failed: {status}");
    assert_eq!(fake.calls(Operation::DetectDocumentText), 1, "Textract was reached through AWS_ENDPOINT_URL_TEXTRACT");
    assert_eq!(fake.calls(Operation::DetectFaces), 1, "Rekognition was reached through AWS_ENDPOINT_URL_REKOGNITION");
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
