//! Benchmark: machine verification per lead lifecycle. Counts exactly the verifier's
//! calls for an enhanced individual (passport with an MRZ, or a licence without one;
//! proof of address; selfie), shows that a redelivered storage event asks nothing, and
//! measures the latency the verifier adds from the last upload to the decision when
//! each service call answers in 300 ms (fake Textract and Rekognition on loopback,
//! real SDK). Prints Markdown for BENCHMARKS.md.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_domain::verification::FaceMatchThreshold;
use kyc_tests::api::TestApi;
use kyc_tests::fake_verifier::{FakeVerifier, Image, Operation};
use kyc_tests::fixtures;
use kyc_tests::identity::{ADA, script_bill, script_passport, script_selfie, verifier_for};

/// US list prices (us-east-1, first volume tier), per call of one page or image, as
/// published on aws.amazon.com/textract/pricing and /rekognition/pricing; read
/// 2026-11-30 from what the project knew of them (this machine cannot reach AWS):
/// re-check before budgeting.
const PRICE_DETECT_DOCUMENT_TEXT: f64 = 0.0015;
const PRICE_ANALYZE_ID: f64 = 0.025;
const PRICE_DETECT_FACES: f64 = 0.001;
const PRICE_COMPARE_FACES: f64 = 0.001;

fn enhanced_ada() -> Value {
    json!({
        "level": "enhanced", "email": "ada@example.com",
        "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB"},
        "address": {"line1": "1 High St", "city": "York", "postal_code": "YO1 7HH", "country": "GB"}
    })
}

struct Lifecycle {
    api: TestApi,
    fake: FakeVerifier,
    lead: String,
}

impl Lifecycle {
    async fn new(latency: Duration) -> Lifecycle {
        let fake = FakeVerifier::start().await;
        fake.set_latency(latency);
        let api = TestApi::embedded().with_verifier(verifier_for(&fake).await, FaceMatchThreshold::default());
        let lead = api.create(enhanced_ada()).await["id"].as_str().expect("lead id").to_string();
        Lifecycle { api, fake, lead }
    }

    /// Uploads a document; the time its storage event took to score and decide.
    async fn upload(&self, kind: &str, content_type: &str, file: &[u8]) -> (String, Duration) {
        let reply = self
            .api
            .post(&format!("/v1/leads/{}/documents", self.lead), json!({"kind": kind, "content_type": content_type}))
            .await;
        let doc = reply.body["document"]["id"].as_str().expect("document id").to_string();
        let key = format!("documents/acme/{}/{doc}", self.lead);
        self.api.objects.write(&key, file).await.expect("stored");
        let started = Instant::now();
        self.api.storage_event(&key).await.expect("scored");
        (doc, started.elapsed())
    }

    async fn status(&self) -> String {
        let lead = self.api.get(&format!("/v1/leads/{}", self.lead)).await.body;
        lead["status"].as_str().unwrap_or_default().to_string()
    }

    fn calls(&self) -> [usize; 4] {
        Operation::ALL.map(|op| self.fake.calls(op))
    }
}

fn price(calls: [usize; 4]) -> f64 {
    let prices = [PRICE_DETECT_DOCUMENT_TEXT, PRICE_ANALYZE_ID, PRICE_DETECT_FACES, PRICE_COMPARE_FACES];
    calls.iter().zip(prices).map(|(n, p)| *n as f64 * p).sum()
}

/// A passport, a bill and a selfie, the selfie last; the decision's wait for the selfie.
async fn passport_lifecycle(latency: Duration, salt: u8) -> (Lifecycle, Duration) {
    let life = Lifecycle::new(latency).await;
    let passport = script_passport(&life.fake, &ADA, salt);
    let bill = script_bill(&life.fake, &ADA, 10, salt.wrapping_add(1));
    let selfie = script_selfie(&life.fake, &passport, 99.0, salt.wrapping_add(2));
    life.upload("passport", "image/png", &passport).await;
    life.upload("proof_of_address", "application/pdf", &bill).await;
    let (_, last) = life.upload("selfie", "image/png", &selfie).await;
    assert_eq!(life.status().await, "approved");
    (life, last)
}

/// A driving licence without an MRZ (read by `AnalyzeID`) arriving after the selfie:
/// the licence is read twice (text, then fields) and compared with the waiting selfie.
async fn licence_last_lifecycle(latency: Duration, salt: u8) -> (Lifecycle, Duration) {
    let life = Lifecycle::new(latency).await;
    let licence = fixtures::png(1200, 800, salt);
    let image = Image::bytes(&licence);
    life.fake.set_text(&image, &["DRIVER LICENSE", "LOVELACE ADA"]);
    life.fake.set_id_fields(
        &image,
        &[
            ("FIRST_NAME", "ADA"),
            ("LAST_NAME", "LOVELACE"),
            ("DATE_OF_BIRTH", "12/10/1990"),
            ("EXPIRATION_DATE", "01/01/2031"),
            ("DOCUMENT_NUMBER", "D1234567"),
        ],
    );
    life.fake.set_faces(&image, vec![kyc_tests::fake_verifier::clear_face()]);
    let bill = script_bill(&life.fake, &ADA, 10, salt.wrapping_add(1));
    let selfie = script_selfie(&life.fake, &licence, 99.0, salt.wrapping_add(2));
    life.upload("selfie", "image/png", &selfie).await;
    life.upload("proof_of_address", "application/pdf", &bill).await;
    let (_, last) = life.upload("drivers_license", "image/png", &licence).await;
    assert_eq!(life.status().await, "approved");
    (life, last)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("## Machine verification per lead lifecycle\n");
    println!("An enhanced individual's documents through the API, the real AWS SDK and a fake of");
    println!("Textract and Rekognition on loopback (`cargo bench -p kyc-tests --bench verifier`).");
    println!("Calls are counted exactly at the fake.\n");
    println!("| lifecycle | DetectDocumentText | AnalyzeID | DetectFaces | CompareFaces | total | list price |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let (passport, _) = passport_lifecycle(Duration::ZERO, 10).await;
    let calls = passport.calls();
    let [t, a, f, c] = calls;
    println!("| passport (MRZ), bill, selfie | {t} | {a} | {f} | {c} | {} | ${:.4} |", t + a + f + c, price(calls));
    let (licence, _) = licence_last_lifecycle(Duration::ZERO, 20).await;
    let calls = licence.calls();
    let [t, a, f, c] = calls;
    println!("| selfie, bill, licence (no MRZ) | {t} | {a} | {f} | {c} | {} | ${:.4} |", t + a + f + c, price(calls));

    // Every storage event of the passport lifecycle delivered again reads nothing.
    let before = passport.fake.total_calls();
    let documents = passport.api.get(&format!("/v1/leads/{}/documents", passport.lead)).await.body;
    for doc in documents["data"].as_array().cloned().unwrap_or_default() {
        let key = format!("documents/acme/{}/{}", passport.lead, doc["id"].as_str().unwrap_or_default());
        passport.api.storage_event(&key).await.expect("a repeated event is fine");
    }
    println!(
        "| the passport lifecycle's 3 storage events delivered again | | | | | {} | $0 |",
        passport.fake.total_calls() - before
    );
    println!();
    println!("One read per document (two for an identity document without an MRZ: its text, then its");
    println!("fields) and one comparison; a repeated event finds the document scored and asks nothing.");
    println!("Prices: us-east-1 list prices of the first volume tier as the project knew them on");
    println!("2026-11-30 (Textract DetectDocumentText $1.50 and AnalyzeID $25 per 1,000 pages,");
    println!("Rekognition DetectFaces and CompareFaces $1 per 1,000 images); re-check before budgeting.\n");

    println!("Latency from the last upload's storage event to the decision (median of 5 lifecycles,");
    println!("embedded store; the verifier's share is the difference):\n");
    println!("| last upload | verifier calls on that event | fake answers at once | each call 300 ms | added |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let mut fast = Vec::new();
    let mut slow = Vec::new();
    for round in 0..5u8 {
        fast.push(passport_lifecycle(Duration::ZERO, 30 + round * 3).await.1);
        slow.push(passport_lifecycle(Duration::from_millis(300), 60 + round * 3).await.1);
    }
    let (f, s) = (median(fast), median(slow));
    println!("| selfie | DetectFaces, CompareFaces | {} | {} | {} |", ms(f), ms(s), ms(s.saturating_sub(f)));
    let mut fast = Vec::new();
    let mut slow = Vec::new();
    for round in 0..5u8 {
        fast.push(licence_last_lifecycle(Duration::ZERO, 100 + round * 3).await.1);
        slow.push(licence_last_lifecycle(Duration::from_millis(300), 130 + round * 3).await.1);
    }
    let (f, s) = (median(fast), median(slow));
    println!(
        "| licence without MRZ, selfie waiting | DetectDocumentText, AnalyzeID, CompareFaces | {} | {} | {} |",
        ms(f),
        ms(s),
        ms(s.saturating_sub(f))
    );
    println!();
    println!("The calls of one event are sequential (a comparison is asked only once the document");
    println!("itself reads well), so the verifier adds about 300 ms per call on that event: at most");
    println!("three calls, under the 1 s the design allows.");
}
