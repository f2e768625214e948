//! The `Verifier` port on Amazon Textract (`DetectDocumentText`, `AnalyzeID`) and Amazon
//! Rekognition (`DetectFaces`, `CompareFaces`): the services' documented limits enforced
//! before any call, their answers about a file mapped to `Reading::Refused` with a reason
//! in words, and throttling, 5xx and timeouts retried by the SDK (standard mode) and
//! then returned as a `VerifierOutage`.
//!
//! Nothing read from a document (text, fields, faces) and no file byte is ever logged:
//! only the operation, the service's error code and counts.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_rekognition::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::types as rek;
use aws_sdk_textract::types as tex;

use kyc_app::ports::{StoredFile, Verifier, VerifierOutage};
use kyc_domain::documents::ContentType;
use kyc_domain::verification::{DocumentText, FaceComparison, FaceDetail, Faces, IdentityFields, Reading};

/// Documented limits, checked before a call so that a file the service cannot take is
/// a result without a round trip (figures as of 2026-11):
/// - Textract `Document.Bytes`: at most 5 MB ("The maximum size of a document that's
///   provided in a blob of bytes is 5 MB", Textract API reference, data type
///   `Document`). Rekognition `Image.Bytes`: "Blob of image bytes up to 5 MBs",
///   length constraint 5242880 (Rekognition API reference, data type `Image`); the
///   Rekognition guide's quotas: "maximum image size as raw bytes passed in as
///   parameter to an API is 5 MB".
pub const MAX_BYTES_SENT: u64 = 5 * 1024 * 1024;
/// Textract synchronous operations from S3: "JPEG, PNG, PDF, and TIFF files have a
/// limit of 10 MB in memory. PDF and TIFF files also have a limit of 1 page" (Textract
/// developer guide, "Set Quotas in Amazon Textract"; `DocumentTooLargeException`: "The
/// maximum document size for synchronous operations 10 MB").
pub const MAX_TEXTRACT_S3_BYTES: u64 = 10 * 1024 * 1024;
/// Rekognition: "Maximum image size stored as an Amazon S3 object is limited to 15 MB"
/// (Rekognition developer guide, "Guidelines and quotas", set quotas). The same page:
/// "Amazon Rekognition supports the PNG and JPEG image formats".
pub const MAX_REKOGNITION_S3_BYTES: u64 = 15 * 1024 * 1024;

/// How the services get the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAccess {
    /// On Lambda: the service reads the object itself (`S3Object { Bucket, Name }`, same
    /// region), with the caller's credentials.
    S3 { bucket: String },
    /// `kyc-local`: the file's bytes are sent in the request.
    Bytes,
}

/// Retries and timeouts of every call. An outage is retried within the scoring attempt
/// (standard mode: exponential backoff with jitter, throttling and 5xx and transport
/// errors retried), and the whole operation is bounded, so that the scorer fails the
/// attempt in time for the storage event's own retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub connect_timeout: Duration,
    /// One attempt (a synchronous Textract read of a 10 MB page takes seconds).
    pub attempt_timeout: Duration,
    /// All attempts and backoffs of one call.
    pub operation_timeout: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(25),
        }
    }
}

impl CallPolicy {
    fn retry(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial_backoff)
            .with_max_backoff(self.max_backoff)
    }

    fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }
}

/// Textract and Rekognition behind the `Verifier` port.
#[derive(Debug, Clone)]
pub struct AwsVerifier {
    // Built at the first document or face check: a scoring that reads no identity
    // document (a proof of address, a refused upload) never builds them.
    textract: std::sync::Arc<crate::Deferred<aws_sdk_textract::Client>>,
    rekognition: std::sync::Arc<crate::Deferred<aws_sdk_rekognition::Client>>,
    access: FileAccess,
}

impl AwsVerifier {
    /// Clients from the shared configuration with the default [`CallPolicy`]. The
    /// standard `AWS_ENDPOINT_URL_TEXTRACT` / `AWS_ENDPOINT_URL_REKOGNITION` variables
    /// (and `AWS_ENDPOINT_URL`) are honoured: the SDK resolves them when each client's
    /// configuration is built from `sdk`.
    pub fn new(sdk: &SdkConfig, access: FileAccess) -> Self {
        Self::with_policy(sdk, access, CallPolicy::default())
    }

    pub fn with_policy(sdk: &SdkConfig, access: FileAccess, policy: CallPolicy) -> Self {
        let textract = crate::Deferred::new({
            let sdk = sdk.clone();
            move || {
                let config = aws_sdk_textract::config::Builder::from(&sdk)
                    .retry_config(policy.retry())
                    .timeout_config(policy.timeouts())
                    .build();
                aws_sdk_textract::Client::from_conf(config)
            }
        });
        let rekognition = crate::Deferred::new({
            let sdk = sdk.clone();
            move || {
                let config = aws_sdk_rekognition::config::Builder::from(&sdk)
                    .retry_config(policy.retry())
                    .timeout_config(policy.timeouts())
                    .build();
                aws_sdk_rekognition::Client::from_conf(config)
            }
        });
        AwsVerifier { textract: std::sync::Arc::new(textract), rekognition: std::sync::Arc::new(rekognition), access }
    }

    fn textract_document(&self, file: &StoredFile<'_>) -> tex::Document {
        match &self.access {
            FileAccess::S3 { bucket } => tex::Document::builder()
                .s3_object(tex::S3Object::builder().bucket(bucket).name(file.key).build())
                .build(),
            FileAccess::Bytes => {
                tex::Document::builder().bytes(aws_sdk_textract::primitives::Blob::new(file.bytes.to_vec())).build()
            }
        }
    }

    fn rekognition_image(&self, file: &StoredFile<'_>) -> rek::Image {
        match &self.access {
            FileAccess::S3 { bucket } => {
                rek::Image::builder().s3_object(rek::S3Object::builder().bucket(bucket).name(file.key).build()).build()
            }
            FileAccess::Bytes => {
                rek::Image::builder().bytes(aws_sdk_rekognition::primitives::Blob::new(file.bytes.to_vec())).build()
            }
        }
    }

    /// The reason a file cannot be sent to Textract, if any.
    fn textract_refuses(&self, file: &StoredFile<'_>) -> Option<String> {
        self.size_refusal(file, MAX_TEXTRACT_S3_BYTES, "the text reader")
    }

    /// The reason a file cannot be sent to Rekognition, if any; `what` names the file
    /// in the reason ("the selfie", "the identity document").
    fn rekognition_refuses(&self, file: &StoredFile<'_>, what: &str) -> Option<String> {
        if !matches!(file.content_type, ContentType::Jpeg | ContentType::Png) {
            return Some(format!(
                "{what} is a {}; the face service takes JPEG or PNG images only",
                file.content_type.extension().to_ascii_uppercase()
            ));
        }
        self.size_refusal(file, MAX_REKOGNITION_S3_BYTES, "the face service").map(|r| format!("{what}: {r}"))
    }

    fn size_refusal(&self, file: &StoredFile<'_>, s3_limit: u64, service: &str) -> Option<String> {
        let (size, limit, how) = match self.access {
            FileAccess::S3 { .. } => (file.size, s3_limit, "from storage"),
            FileAccess::Bytes => (file.bytes.len() as u64, MAX_BYTES_SENT, "in a request"),
        };
        if size == 0 {
            return Some("the file is empty".to_string());
        }
        (size > limit)
            .then(|| format!("the file is larger than the {} MB {service} takes {how}", limit / (1024 * 1024)))
    }
}

/// What a failed call means for the port.
enum Failure {
    Refused(String),
    Outage(VerifierOutage),
}

/// Sorts a failed call: the codes `refusal` knows are answers about the file; anything
/// else (throttling, 5xx, timeouts, transport, access denied, unknown codes) is an
/// outage, the SDK having already retried what is retryable.
fn sort_failure<E>(
    service: &'static str,
    operation: &'static str,
    err: &SdkError<E>,
    refusal: impl Fn(&str) -> Option<String>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error() {
        Some(service_error) => {
            let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
            let unknown = format!("HTTP {status} without an error code");
            let code = service_error.code().unwrap_or(&unknown);
            match refusal(code) {
                Some(reason) => {
                    tracing::info!(service, operation, code, "verifier refused the file");
                    Failure::Refused(reason)
                }
                None => {
                    tracing::warn!(service, operation, code, "verifier unavailable");
                    Failure::Outage(VerifierOutage { service, detail: format!("{operation}: {code}") })
                }
            }
        }
        // Timeouts, dispatch and response failures: their context names no request
        // content (the body is never part of it).
        None => {
            let detail = format!("{operation}: {}", DisplayErrorContext(err));
            tracing::warn!(service, operation, detail = %detail, "verifier unavailable");
            Failure::Outage(VerifierOutage { service, detail })
        }
    }
}

fn into_reading<T>(failure: Failure) -> Result<Reading<T>, VerifierOutage> {
    match failure {
        Failure::Refused(reason) => Ok(Reading::Refused { reason }),
        Failure::Outage(outage) => Err(outage),
    }
}

/// Textract's answers about a document, in words.
fn textract_refusal(content_type: ContentType) -> impl Fn(&str) -> Option<String> {
    move |code| {
        let reason = match code {
            // Synchronous operations read one page: a PDF with more is refused so.
            "UnsupportedDocumentException" if content_type == ContentType::Pdf => {
                "multi-page document; the text reader reads single-page documents only"
            }
            "UnsupportedDocumentException" => "the document format is not one the text reader takes",
            "BadDocumentException" => "the text reader could not read the document (damaged or unreadable file)",
            "DocumentTooLargeException" => "the document is too large for the text reader",
            "InvalidParameterException" => "the text reader refused the document as given",
            "InvalidS3ObjectException" => "the text reader could not read the stored file",
            _ => return None,
        };
        Some(reason.to_string())
    }
}

/// Rekognition's answers about an image, in words; `invalid_parameter` says what
/// `InvalidParameterException` means for this operation.
fn rekognition_refusal(invalid_parameter: &'static str) -> impl Fn(&str) -> Option<String> {
    move |code| {
        let reason = match code {
            "InvalidImageFormatException" => "the image is not in a format the face service takes (JPEG or PNG)",
            "ImageTooLargeException" => "the image is too large for the face service",
            "InvalidParameterException" => invalid_parameter,
            "InvalidS3ObjectException" => "the face service could not read the stored file",
            _ => return None,
        };
        Some(reason.to_string())
    }
}

fn face_detail(face: &rek::FaceDetail) -> FaceDetail {
    let quality = face.quality();
    let pose = face.pose();
    FaceDetail {
        confidence: face.confidence().unwrap_or(0.0),
        eyes_open: face.eyes_open().map(|e| e.value()),
        sharpness: quality.and_then(|q| q.sharpness()),
        brightness: quality.and_then(|q| q.brightness()),
        yaw: pose.and_then(|p| p.yaw()),
        pitch: pose.and_then(|p| p.pitch()),
        roll: pose.and_then(|p| p.roll()),
    }
}

const TEXTRACT: &str = "textract";
const REKOGNITION: &str = "rekognition";

#[async_trait]
impl Verifier for AwsVerifier {
    fn reads_storage(&self) -> bool {
        matches!(self.access, FileAccess::S3 { .. })
    }

    async fn detect_text(&self, file: StoredFile<'_>) -> Result<Reading<DocumentText>, VerifierOutage> {
        if let Some(reason) = self.textract_refuses(&file) {
            return Ok(Reading::Refused { reason });
        }
        let answer = self.textract.detect_document_text().document(self.textract_document(&file)).send().await;
        match answer {
            Ok(output) => {
                // LINE blocks in reading order, first page only.
                let lines = output
                    .blocks()
                    .iter()
                    .filter(|b| b.block_type() == Some(&tex::BlockType::Line))
                    .filter(|b| b.page().unwrap_or(1) == 1)
                    .filter_map(|b| b.text().map(str::to_string))
                    .collect::<Vec<_>>();
                tracing::debug!(lines = lines.len(), "document text read");
                Ok(Reading::Read(DocumentText { lines }))
            }
            Err(err) => {
                into_reading(sort_failure(TEXTRACT, "DetectDocumentText", &err, textract_refusal(file.content_type)))
            }
        }
    }

    async fn analyze_id(&self, file: StoredFile<'_>) -> Result<Reading<IdentityFields>, VerifierOutage> {
        if let Some(reason) = self.textract_refuses(&file) {
            return Ok(Reading::Refused { reason });
        }
        let answer = self.textract.analyze_id().document_pages(self.textract_document(&file)).send().await;
        match answer {
            Ok(output) => {
                let mut fields = std::collections::BTreeMap::new();
                for field in output.identity_documents().iter().take(1).flat_map(|d| d.identity_document_fields()) {
                    let (Some(kind), Some(value)) = (field.r#type(), field.value_detection()) else { continue };
                    let text = value.normalized_value().and_then(|n| n.value()).unwrap_or(value.text()).trim();
                    if !kind.text().is_empty() && !text.is_empty() {
                        fields.insert(kind.text().to_string(), text.to_string());
                    }
                }
                tracing::debug!(fields = fields.len(), "identity document analysed");
                Ok(Reading::Read(IdentityFields { fields }))
            }
            Err(err) => into_reading(sort_failure(TEXTRACT, "AnalyzeID", &err, textract_refusal(file.content_type))),
        }
    }

    async fn detect_faces(&self, selfie: StoredFile<'_>) -> Result<Reading<Faces>, VerifierOutage> {
        if let Some(reason) = self.rekognition_refuses(&selfie, "the selfie") {
            return Ok(Reading::Refused { reason });
        }
        let answer = self
            .rekognition
            .detect_faces()
            .image(self.rekognition_image(&selfie))
            .attributes(rek::Attribute::All)
            .send()
            .await;
        match answer {
            Ok(output) => {
                let faces = output.face_details().iter().map(face_detail).collect::<Vec<_>>();
                tracing::debug!(faces = faces.len(), "faces detected");
                Ok(Reading::Read(Faces { faces }))
            }
            Err(err) => into_reading(sort_failure(
                REKOGNITION,
                "DetectFaces",
                &err,
                rekognition_refusal("the face service could not use the image (too small or invalid)"),
            )),
        }
    }

    async fn compare_faces(
        &self,
        identity_document: StoredFile<'_>,
        selfie: StoredFile<'_>,
    ) -> Result<Reading<FaceComparison>, VerifierOutage> {
        let refused = self
            .rekognition_refuses(&identity_document, "the identity document")
            .or_else(|| self.rekognition_refuses(&selfie, "the selfie"));
        if let Some(reason) = refused {
            return Ok(Reading::Refused { reason });
        }
        let answer = self
            .rekognition
            .compare_faces()
            .source_image(self.rekognition_image(&identity_document))
            .target_image(self.rekognition_image(&selfie))
            // 0: every face of the selfie comes back with its similarity.
            .similarity_threshold(0.0)
            .send()
            .await;
        match answer {
            Ok(output) => {
                let best = output.face_matches().iter().filter_map(|m| m.similarity()).reduce(f32::max);
                // Faces below the threshold (none at 0, but the service may still list
                // some as unmatched) count as a similarity of 0: the selfie shows a face.
                let similarity = best.or_else(|| (!output.unmatched_faces().is_empty()).then_some(0.0));
                tracing::debug!(
                    matches = output.face_matches().len(),
                    unmatched = output.unmatched_faces().len(),
                    "faces compared"
                );
                Ok(Reading::Read(FaceComparison { similarity }))
            }
            // CompareFaces answers InvalidParameterException when either image shows no
            // face, without saying which: the selfie's own faces tell (the service's
            // documented advice is to call DetectFaces after that answer).
            Err(err) if err.as_service_error().and_then(|e| e.code()) == Some("InvalidParameterException") => {
                tracing::info!(
                    service = REKOGNITION,
                    operation = "CompareFaces",
                    "no face in one image; checking the selfie"
                );
                match self.detect_faces(selfie).await? {
                    Reading::Read(Faces { faces }) if faces.is_empty() => {
                        Ok(Reading::Read(FaceComparison { similarity: None }))
                    }
                    Reading::Read(_) => {
                        Ok(Reading::Refused { reason: "no face found on the identity document".to_string() })
                    }
                    _ => Ok(Reading::Refused {
                        reason: "no face found on the identity document or on the selfie".to_string(),
                    }),
                }
            }
            Err(err) => into_reading(sort_failure(
                REKOGNITION,
                "CompareFaces",
                &err,
                rekognition_refusal("the face service could not compare the images"),
            )),
        }
    }
}

/// Regions where the verifier's operations are offered, as the AWS General Reference
/// lists them ("Amazon Textract endpoints and quotas", "Amazon Rekognition endpoints
/// and quotas", docs.aws.amazon.com/general/latest/gr/{textract,rekognition}.html),
/// standard and GovCloud partitions, as known on 2026-11-30. `AnalyzeID` is offered in
/// every Textract region. A region missing here where the services have since arrived
/// can be used by naming the regional endpoints in `AWS_ENDPOINT_URL_TEXTRACT` /
/// `AWS_ENDPOINT_URL_REKOGNITION`, which skips this check.
pub const TEXTRACT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "us-gov-east-1",
    "us-gov-west-1",
];
pub const REKOGNITION_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "us-gov-west-1",
];

/// Which services' endpoints are overridden (then the region list does not apply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    pub textract: bool,
    pub rekognition: bool,
}

impl EndpointOverrides {
    /// From the standard variables: `AWS_ENDPOINT_URL_TEXTRACT`,
    /// `AWS_ENDPOINT_URL_REKOGNITION`, or `AWS_ENDPOINT_URL` for every service.
    pub fn from_env() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let all = set("AWS_ENDPOINT_URL");
        EndpointOverrides {
            textract: all || set("AWS_ENDPOINT_URL_TEXTRACT"),
            rekognition: all || set("AWS_ENDPOINT_URL_REKOGNITION"),
        }
    }
}

/// The verifier cannot run in this region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotOffered {
    #[error("no AWS region is configured (AWS_REGION): the verifier needs Textract and Rekognition in one region")]
    NoRegion,
    #[error(
        "{service} ({operations}) is not offered in region {region}: deploy the stack in a region that has \
         Textract and Rekognition (e.g. us-east-1, eu-west-1, eu-central-1), set KYC_VERIFIER=none, or name the \
         endpoint in {variable}"
    )]
    Service { service: &'static str, operations: &'static str, region: String, variable: &'static str },
}

/// The start-up check: fails with a clear error where Textract (`DetectDocumentText`,
/// `AnalyzeID`) or Rekognition is not offered in `region`. A service whose endpoint is
/// overridden is not checked.
pub fn ensure_offered(region: Option<&str>, overrides: EndpointOverrides) -> Result<(), NotOffered> {
    if overrides.textract && overrides.rekognition {
        return Ok(());
    }
    let region = region.filter(|r| !r.is_empty()).ok_or(NotOffered::NoRegion)?;
    if !overrides.textract && !TEXTRACT_REGIONS.contains(&region) {
        return Err(NotOffered::Service {
            service: "Amazon Textract",
            operations: "DetectDocumentText, AnalyzeID",
            region: region.to_string(),
            variable: "AWS_ENDPOINT_URL_TEXTRACT",
        });
    }
    if !overrides.rekognition && !REKOGNITION_REGIONS.contains(&region) {
        return Err(NotOffered::Service {
            service: "Amazon Rekognition",
            operations: "DetectFaces, CompareFaces",
            region: region.to_string(),
            variable: "AWS_ENDPOINT_URL_REKOGNITION",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_the_region_has_both_services_should_start() {
        assert_eq!(ensure_offered(Some("eu-west-1"), EndpointOverrides::default()), Ok(()));
        assert_eq!(ensure_offered(Some("us-east-1"), EndpointOverrides::default()), Ok(()));
    }

    #[test]
    fn when_rekognition_is_missing_from_the_region_should_name_it() {
        // Paris has Textract but not Rekognition.
        let err = ensure_offered(Some("eu-west-3"), EndpointOverrides::default()).expect_err("refused");
        assert!(matches!(&err, NotOffered::Service { service: "Amazon Rekognition", .. }), "{err}");
        assert!(err.to_string().contains("eu-west-3"), "{err}");
    }

    #[test]
    fn when_textract_is_missing_from_the_region_should_name_it() {
        let err = ensure_offered(Some("sa-east-1"), EndpointOverrides::default()).expect_err("refused");
        assert!(matches!(&err, NotOffered::Service { service: "Amazon Textract", .. }), "{err}");
    }

    #[test]
    fn when_an_endpoint_is_overridden_should_not_check_that_service() {
        let textract_only = EndpointOverrides { textract: true, rekognition: false };
        assert_eq!(ensure_offered(Some("eu-west-2"), textract_only), Ok(()));
        let both = EndpointOverrides { textract: true, rekognition: true };
        assert_eq!(ensure_offered(Some("xx-nowhere-1"), both), Ok(()));
        assert_eq!(ensure_offered(None, both), Ok(()));
    }

    #[test]
    fn when_no_region_is_configured_should_refuse() {
        assert_eq!(ensure_offered(None, EndpointOverrides::default()), Err(NotOffered::NoRegion));
    }
}
