//! A fake of Amazon Textract and Amazon Rekognition for tests: an HTTP server on
//! loopback speaking the services' JSON protocol (awsJson1_1) as the SDK sends it —
//! `POST /`, `X-Amz-Target: Textract.DetectDocumentText` / `Textract.AnalyzeID` /
//! `RekognitionService.DetectFaces` / `RekognitionService.CompareFaces`,
//! `Content-Type: application/x-amz-json-1.1` — and answering errors as that protocol
//! encodes them (`__type` and `message`, with the service's HTTP status), so that the
//! real SDK maps them to its modelled errors and retries what it retries.
//!
//! Scripted per image: an image is named by the SHA-256 of its bytes (the bytes are
//! sent: `kyc-local`) or by its S3 object key (the service reads S3: Lambda). A test
//! scripts the text lines, the `AnalyzeID` fields, the faces, the similarity of a
//! (source, target) pair and answers of failure, and reads how many calls each
//! operation received. Unknown images read as nothing: no lines, no fields, no faces.
//!
//! In-process: `FakeVerifier::start().await` and point the SDK at `fake.url`. For a
//! `kyc-local` child: pass `fake.env()` in its environment.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use kyc_domain::verification::FaceDetail;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The four operations the verifier calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    DetectDocumentText,
    AnalyzeId,
    DetectFaces,
    CompareFaces,
}

impl Operation {
    pub const ALL: [Operation; 4] =
        [Operation::DetectDocumentText, Operation::AnalyzeId, Operation::DetectFaces, Operation::CompareFaces];

    /// The `X-Amz-Target` header the SDK sends for it.
    pub fn target(self) -> &'static str {
        match self {
            Operation::DetectDocumentText => "Textract.DetectDocumentText",
            Operation::AnalyzeId => "Textract.AnalyzeID",
            Operation::DetectFaces => "RekognitionService.DetectFaces",
            Operation::CompareFaces => "RekognitionService.CompareFaces",
        }
    }

    fn from_target(target: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.target() == target)
    }
}

/// How a test names an image: as the service will see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Image {
    /// Sent as bytes: named by their SHA-256 (lower-case hex).
    Sha256(String),
    /// Read by the service from S3: named by the object key.
    S3Key(String),
}

impl Image {
    /// The image whose bytes are these.
    pub fn bytes(bytes: &[u8]) -> Image {
        Image::Sha256(hex::encode(Sha256::digest(bytes)))
    }

    /// The S3 object under this key (any bucket).
    pub fn s3(key: impl Into<String>) -> Image {
        Image::S3Key(key.into())
    }
}

/// An answer of failure, as the service sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: &'static str,
}

impl Failure {
    /// An internal error (HTTP 500): retried by the SDK.
    pub const INTERNAL: Failure = Failure { status: 500, code: "InternalServerError" };
    /// Throttling as both services answer it when the account's rate is exceeded
    /// (HTTP 400, recognised by its code): retried by the SDK.
    pub const THROTTLED: Failure = Failure { status: 400, code: "ProvisionedThroughputExceededException" };
    /// `ThrottlingException` (HTTP 500 in both services' references).
    pub const THROTTLING: Failure = Failure { status: 500, code: "ThrottlingException" };

    /// An answer about the file (HTTP 400): `UnsupportedDocumentException`,
    /// `BadDocumentException`, `InvalidImageFormatException`, ...
    pub fn about_the_file(code: &'static str) -> Failure {
        Failure { status: 400, code }
    }
}

#[derive(Debug, Default, Clone)]
struct Script {
    lines: Vec<String>,
    fields: Vec<(String, String)>,
    faces: Vec<FaceDetail>,
    /// An answer of failure for every call about this image, per operation.
    refusals: HashMap<Operation, Failure>,
}

#[derive(Default)]
struct FakeState {
    images: HashMap<Image, Script>,
    similarities: HashMap<(Image, Image), f32>,
    /// Answers of failure to give before answering normally, per operation.
    failures: HashMap<Operation, VecDeque<Failure>>,
    latency: Duration,
    calls: HashMap<Operation, usize>,
    /// Request bodies, with the bytes of images replaced by their SHA-256.
    requests: Vec<(Operation, Value)>,
}

/// A running fake; stops with the test's runtime.
#[derive(Clone)]
pub struct FakeVerifier {
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_TEXTRACT` / `_REKOGNITION` or an
    /// SDK `endpoint_url`.
    pub url: String,
    state: Arc<Mutex<FakeState>>,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

impl FakeVerifier {
    /// Listens on 127.0.0.1, on a free port.
    pub async fn start() -> FakeVerifier {
        let state = Arc::new(Mutex::new(FakeState::default()));
        // Far above the 5 MB the services take as bytes (base64 adds a third), so that
        // the adapter's own limit is what a test meets.
        let app = Router::new()
            .route("/", post(answer))
            .layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeVerifier { url: format!("http://{addr}"), state, _task: Arc::new(task) }
    }

    /// The environment that points a child process's SDK at this fake for both
    /// services, with dummy credentials and a region.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_TEXTRACT", self.url.clone()),
            ("AWS_ENDPOINT_URL_REKOGNITION", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// An SDK configuration that sends both services' calls to this fake, with dummy
    /// credentials, for a verifier in the test's own process.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        kyc_aws::sdk_loader()
            .endpoint_url(&self.url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "static"))
            .load()
            .await
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().expect("fake verifier lock"))
    }

    /// `DetectDocumentText` of this image answers these lines (one page).
    pub fn set_text(&self, image: &Image, lines: &[&str]) {
        self.with(|s| s.images.entry(image.clone()).or_default().lines = lines.iter().map(|l| l.to_string()).collect());
    }

    /// `AnalyzeID` of this image answers these fields (`("FIRST_NAME", "ADA")`, ...); a
    /// value that looks like a date (`YYYY-MM-DD...`) also comes back normalised.
    pub fn set_id_fields(&self, image: &Image, fields: &[(&str, &str)]) {
        self.with(|s| {
            s.images.entry(image.clone()).or_default().fields =
                fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        });
    }

    /// `DetectFaces` of this image answers these faces; `CompareFaces` finds them in it.
    pub fn set_faces(&self, image: &Image, faces: Vec<FaceDetail>) {
        self.with(|s| s.images.entry(image.clone()).or_default().faces = faces);
    }

    /// `CompareFaces` of `source` (the identity document) with `target` (the selfie)
    /// answers this similarity for the target's first face (0 for its others, and for
    /// pairs not scripted). Both images need faces (`set_faces`): as the service does,
    /// `CompareFaces` answers `InvalidParameterException` when either shows none.
    pub fn set_similarity(&self, source: &Image, target: &Image, similarity: f32) {
        self.with(|s| s.similarities.insert((source.clone(), target.clone()), similarity));
    }

    /// Every `operation` call about this image answers `failure` (e.g. a multi-page
    /// PDF: `Failure::about_the_file("UnsupportedDocumentException")`).
    pub fn refuse(&self, image: &Image, operation: Operation, failure: Failure) {
        self.with(|s| s.images.entry(image.clone()).or_default().refusals.insert(operation, failure));
    }

    /// The next `times` calls of `operation` answer `failure` (e.g. two 500s, or
    /// throttling more times than the SDK attempts).
    pub fn fail_next(&self, operation: Operation, times: usize, failure: Failure) {
        self.with(|s| s.failures.entry(operation).or_default().extend(std::iter::repeat_n(failure, times)));
    }

    /// Every answer waits this long first (a service answering in 300 ms, a timeout).
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// HTTP requests `operation` received so far, retries included.
    pub fn calls(&self, operation: Operation) -> usize {
        self.with(|s| s.calls.get(&operation).copied().unwrap_or(0))
    }

    /// HTTP requests received so far, every operation.
    pub fn total_calls(&self) -> usize {
        self.with(|s| s.calls.values().sum())
    }

    /// The request bodies `operation` received, in order, each image's `Bytes` replaced
    /// by `{"Sha256": hex}`.
    pub fn requests(&self, operation: Operation) -> Vec<Value> {
        self.with(|s| s.requests.iter().filter(|(op, _)| *op == operation).map(|(_, v)| v.clone()).collect())
    }
}

const JSON_1_1: &str = "application/x-amz-json-1.1";

fn error(failure: &Failure, message: &str) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "__type": failure.code, "message": message });
    (status, [(header::CONTENT_TYPE, JSON_1_1)], body.to_string()).into_response()
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, JSON_1_1)], body.to_string()).into_response()
}

/// The image a request's `Document` / `Image` names, and that object with its bytes
/// replaced by their hash (for `requests`).
fn image_of(object: &Value) -> Option<(Image, Value)> {
    if let Some(encoded) = object.get("Bytes").and_then(Value::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        let image = Image::bytes(&bytes);
        let Image::Sha256(hash) = &image else { return None };
        let shown = json!({ "Sha256": hash });
        return Some((image, shown));
    }
    let s3 = object.get("S3Object")?;
    let key = s3.get("Name").and_then(Value::as_str)?;
    Some((Image::s3(key), json!({ "S3Object": s3 })))
}

async fn answer(State(state): State<Arc<Mutex<FakeState>>>, headers: HeaderMap, body: Bytes) -> Response {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(operation) = Operation::from_target(header_str("x-amz-target")) else {
        return error(&Failure::about_the_file("UnknownOperationException"), "unknown X-Amz-Target");
    };
    if header_str("content-type") != JSON_1_1 {
        return error(&Failure::about_the_file("SerializationException"), "content type must be awsJson1_1");
    }
    let Ok(mut request) = serde_json::from_slice::<Value>(&body) else {
        return error(&Failure::about_the_file("SerializationException"), "body is not JSON");
    };
    // Where the request names its images, by operation.
    let slots: &[&str] = match operation {
        Operation::DetectDocumentText => &["Document"],
        Operation::AnalyzeId => &["DocumentPages"],
        Operation::DetectFaces => &["Image"],
        Operation::CompareFaces => &["SourceImage", "TargetImage"],
    };
    let mut images = Vec::new();
    for slot in slots {
        let objects = match request.get_mut(*slot) {
            Some(Value::Array(pages)) => pages.iter_mut().collect::<Vec<_>>(),
            Some(object) => vec![object],
            None => vec![],
        };
        for object in objects {
            let Some((image, shown)) = image_of(object) else {
                return error(&Failure::about_the_file("InvalidParameterException"), "no Bytes or S3Object");
            };
            *object = shown;
            images.push(image);
        }
    }
    let (latency, outcome) = {
        let mut s = state.lock().expect("fake verifier lock");
        *s.calls.entry(operation).or_default() += 1;
        s.requests.push((operation, request.clone()));
        let scripted_failure = s.failures.get_mut(&operation).and_then(VecDeque::pop_front);
        let outcome = match scripted_failure {
            Some(failure) => Err(failure),
            None => respond(&s, operation, &images, &request),
        };
        (s.latency, outcome)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match outcome {
        Ok(body) => ok(body),
        Err(failure) => error(&failure, "scripted by the test"),
    }
}

/// The service's answer for scripted images.
fn respond(s: &FakeState, operation: Operation, images: &[Image], request: &Value) -> Result<Value, Failure> {
    let empty = Script::default();
    let script = |image: &Image| s.images.get(image).unwrap_or(&empty);
    let Some(first) = images.first() else {
        return Err(Failure::about_the_file("InvalidParameterException"));
    };
    if let Some(failure) = images.iter().find_map(|i| script(i).refusals.get(&operation)) {
        return Err(failure.clone());
    }
    match operation {
        Operation::DetectDocumentText => {
            let mut blocks = vec![json!({ "BlockType": "PAGE", "Id": "page-1", "Page": 1, "Confidence": 99.9 })];
            blocks.extend(script(first).lines.iter().enumerate().map(|(i, text)| {
                json!({ "BlockType": "LINE", "Id": format!("line-{i}"), "Page": 1, "Text": text, "Confidence": 99.0 })
            }));
            Ok(json!({ "DocumentMetadata": { "Pages": 1 }, "Blocks": blocks, "DetectDocumentTextModelVersion": "1.0" }))
        }
        Operation::AnalyzeId => {
            let fields = script(first).fields.iter().map(|(kind, value)| {
                let mut detection = json!({ "Text": value, "Confidence": 98.0 });
                if looks_like_date(value) {
                    detection["NormalizedValue"] =
                        json!({ "Value": format!("{}T00:00:00", &value[..10]), "ValueType": "Date" });
                }
                json!({ "Type": { "Text": kind }, "ValueDetection": detection })
            });
            Ok(json!({
                "DocumentMetadata": { "Pages": 1 },
                "IdentityDocuments": [{ "DocumentIndex": 1, "IdentityDocumentFields": fields.collect::<Vec<_>>() }],
                "AnalyzeIDModelVersion": "1.0"
            }))
        }
        Operation::DetectFaces => {
            let all = request.get("Attributes").and_then(Value::as_array).is_some_and(|a| a.contains(&json!("ALL")));
            let faces = script(first).faces.iter().map(|f| face_json(f, all)).collect::<Vec<_>>();
            Ok(json!({ "FaceDetails": faces }))
        }
        Operation::CompareFaces => {
            let target = images.get(1).ok_or_else(|| Failure::about_the_file("InvalidParameterException"))?;
            // As the service does: no face in either image is a parameter error, which
            // does not say which image.
            if script(first).faces.is_empty() || script(target).faces.is_empty() {
                return Err(Failure::about_the_file("InvalidParameterException"));
            }
            let threshold = request.get("SimilarityThreshold").and_then(Value::as_f64).unwrap_or(80.0) as f32;
            let scripted = s.similarities.get(&(first.clone(), target.clone())).copied().unwrap_or(0.0);
            let (mut matches, mut unmatched) = (Vec::new(), Vec::new());
            for (i, face) in script(target).faces.iter().enumerate() {
                let similarity = if i == 0 { scripted } else { 0.0 };
                if similarity >= threshold {
                    matches.push(json!({ "Similarity": similarity, "Face": compared_face(face) }));
                } else {
                    unmatched.push(compared_face(face));
                }
            }
            Ok(json!({
                "SourceImageFace": { "Confidence": 99.9 },
                "FaceMatches": matches,
                "UnmatchedFaces": unmatched
            }))
        }
    }
}

fn looks_like_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().chain(&b[5..7]).chain(&b[8..10]).all(u8::is_ascii_digit)
}

/// A `FaceDetail` as `DetectFaces` answers it; without `Attributes: ["ALL"]` the
/// service leaves out eyes, among others.
fn face_json(face: &FaceDetail, all: bool) -> Value {
    let mut out = compared_face(face);
    if all && let Some(open) = face.eyes_open {
        out["EyesOpen"] = json!({ "Value": open, "Confidence": 95.0 });
    }
    out
}

fn compared_face(face: &FaceDetail) -> Value {
    let mut out = json!({
        "BoundingBox": { "Width": 0.4, "Height": 0.5, "Left": 0.3, "Top": 0.2 },
        "Confidence": face.confidence,
    });
    let mut quality = serde_json::Map::new();
    if let Some(v) = face.brightness {
        quality.insert("Brightness".into(), json!(v));
    }
    if let Some(v) = face.sharpness {
        quality.insert("Sharpness".into(), json!(v));
    }
    if !quality.is_empty() {
        out["Quality"] = Value::Object(quality);
    }
    let mut pose = serde_json::Map::new();
    for (name, v) in [("Yaw", face.yaw), ("Pitch", face.pitch), ("Roll", face.roll)] {
        if let Some(v) = v {
            pose.insert(name.into(), json!(v));
        }
    }
    if !pose.is_empty() {
        out["Pose"] = Value::Object(pose);
    }
    out
}

/// A clear, frontal face with open eyes: what a good selfie shows.
pub fn clear_face() -> FaceDetail {
    FaceDetail {
        confidence: 99.9,
        eyes_open: Some(true),
        sharpness: Some(80.0),
        brightness: Some(70.0),
        yaw: Some(2.0),
        pitch: Some(-1.0),
        roll: Some(0.5),
    }
}
