//! The hosted verification page in a real browser: headless Chromium (Debian's) at a
//! phone's 390 × 844 viewport, against `kyc-local` as a process. A customer opens a
//! link, uploads a passport, a proof of address and a selfie through the page's own
//! file inputs, and sees each result and the final status; an expired link; a German
//! browser. Screenshots of each state go to `target/browser-artifacts/`; axe-core runs
//! on each state and no serious or critical violation may remain; the page weighs
//! under 30 KB in one HTML, one script and one style sheet from its own origin.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_tests::browser::{Driver, Session, axe_source};
use kyc_tests::fixtures;
use kyc_tests::local::LocalStack;

const KEY: &str = "sk_browser_tests_1";
const EN: &str = include_str!("../../shared/http/assets/link-page/lang/en.json");
const DE: &str = include_str!("../../shared/http/assets/link-page/lang/de.json");

fn strings(text: &str) -> Value {
    serde_json::from_str(text).expect("a language file")
}

struct Kyc {
    stack: LocalStack,
    http: reqwest::Client,
}

impl Kyc {
    async fn link(&self, body: Value) -> Value {
        let reply = self
            .http
            .post(format!("{}/v1/kyc-links", self.stack.base_url))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .expect("kyc-local answers");
        let status = reply.status();
        let body: Value = reply.json().await.expect("json");
        assert_eq!(status, 201, "{body}");
        body
    }

    async fn get(&self, path: &str) -> Value {
        let reply =
            self.http.get(format!("{}{path}", self.stack.base_url)).bearer_auth(KEY).send().await.expect("answers");
        reply.json().await.expect("json")
    }
}

fn lead(level: &str) -> Value {
    json!({"email": "ada@example.com", "level": level,
           "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB"},
           "address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}})
}

async fn assert_accessible(page: &Session, axe: &str, state: &str) {
    let violations = page.serious_accessibility_violations(axe).await;
    assert!(violations.is_empty(), "axe-core, {state}: {violations:#?}");
}

/// The step cards' states as the page shows them, by requirement.
async fn shown_states(page: &Session) -> Value {
    page.eval(
        "const out = {}; document.querySelectorAll('.step').forEach(s => \
           out[s.dataset.requirement] = [s.dataset.state, s.querySelector('.result').textContent]); return out;",
        json!([]),
    )
    .await
}

async fn upload(page: &Session, step: usize, file: &Path, name: &str) -> Duration {
    let started = Instant::now();
    page.choose_file(&format!("#file-{step}"), file).await;
    page.wait_for(
        &format!("['verified', 'rejected', 'received', 'error'].includes(document.querySelector('#step-{step}').dataset.state)"),
        Duration::from_secs(30),
    )
    .await;
    let elapsed = started.elapsed();
    page.screenshot(name).await;
    elapsed
}

async fn customer_uploads_each_document_and_sees_the_final_status(kyc: &Kyc, driver: &Driver, axe: &str, dir: &Path) {
    let en = strings(EN);
    let redirect = format!("{}/health", kyc.stack.base_url);
    let link = kyc.link(json!({"lead": lead("enhanced"), "redirect_url": redirect})).await;
    let url = link["url"].as_str().expect("url");
    let lead_path = format!("/v1/leads/{}", link["lead_id"].as_str().expect("lead"));

    let page = driver.session(390, 844, "en-US,en", &dir.join("profile-en")).await;
    page.goto(url).await;
    assert_eq!(page.eval("return [window.innerWidth, window.innerHeight];", json!([])).await, json!([390, 844]));
    page.wait_for(
        &format!("document.querySelector('#status').textContent === {}", en["status_in_progress"]),
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(kyc.get(&lead_path).await["status"], "in_progress", "the page's first call opened the link");
    page.screenshot("link-page-opened").await;
    assert_accessible(&page, axe, "opened").await;

    // Page weight: one document, one script, one style sheet, all from this origin.
    let entries = page
        .eval(
            "const nav = performance.getEntriesByType('navigation')[0]; \
             return [nav, ...performance.getEntriesByType('resource')].map(e => \
               ({name: e.name, type: e.initiatorType, bytes: e.encodedBodySize, transfer: e.transferSize}));",
            json!([]),
        )
        .await;
    let entries = entries.as_array().expect("entries").clone();
    let origin = kyc.stack.base_url.as_str();
    assert!(entries.iter().all(|e| e["name"].as_str().is_some_and(|n| n.starts_with(origin))), "{entries:#?}");
    let count = |kind: &str| entries.iter().filter(|e| e["type"] == kind).count();
    assert_eq!((count("navigation"), count("script"), count("link")), (1, 1, 1), "{entries:#?}");
    let page_bytes: u64 = entries
        .iter()
        .filter(|e| matches!(e["type"].as_str(), Some("navigation" | "script" | "link")))
        .map(|e| e["bytes"].as_u64().unwrap_or(u64::MAX))
        .sum();
    assert!(page_bytes < 30 * 1024, "HTML + JS + CSS weigh {page_bytes} bytes");

    let passport = dir.join("passport.png");
    let proof = dir.join("proof-of-address.pdf");
    let selfie = dir.join("selfie.png");
    std::fs::write(&passport, fixtures::png(1600, 1200, 1)).expect("written");
    std::fs::write(&proof, fixtures::pdf()).expect("written");
    std::fs::write(&selfie, fixtures::png(1200, 1600, 2)).expect("written");
    upload(&page, 0, &passport, "link-page-passport").await;
    upload(&page, 1, &proof, "link-page-proof-of-address").await;
    upload(&page, 2, &selfie, "link-page-selfie").await;
    if !page.wait_until("!document.querySelector('#done').hidden", Duration::from_secs(30)).await {
        let status = page.eval("return document.querySelector('#status').textContent;", json!([])).await;
        let server = kyc.get(&format!("{lead_path}/documents")).await;
        panic!("the page never showed the end: {} / {status}; the server: {server}", shown_states(&page).await);
    }
    page.screenshot("link-page-done").await;
    assert_accessible(&page, axe, "done").await;

    // What the page shows is what the server says: each document, and the status.
    let lead = kyc.get(&lead_path).await;
    let documents = kyc.get(&format!("{lead_path}/documents")).await["data"].as_array().expect("documents").clone();
    assert_eq!(documents.len(), 3);
    let shown = shown_states(&page).await;
    for (requirement, kind) in
        [("identity_document", "passport"), ("proof_of_address", "proof_of_address"), ("selfie", "selfie")]
    {
        let document = documents.iter().find(|d| d["kind"] == kind).expect("uploaded");
        let status = document["status"].as_str().expect("status");
        assert!(matches!(status, "verified" | "rejected"), "{document}");
        assert_eq!(shown[requirement][0], status, "{requirement}: {shown}");
        assert!(
            shown[requirement][1]
                .as_str()
                .is_some_and(|t| t.starts_with(en[format!("doc_{status}")].as_str().unwrap_or("?")))
        );
    }
    let status = lead["status"].as_str().expect("status");
    assert!(matches!(status, "under_review" | "approved" | "rejected"), "the lead waits for nothing more: {status}");
    let final_text = page.eval("return document.querySelector('#final').textContent;", json!([])).await;
    assert_eq!(final_text, en[format!("status_{status}")]);

    // The end: on to the integrator's page.
    page.eval("document.querySelector('#continue').click();", json!([])).await;
    page.wait_for(&format!("location.href === {}", json!(redirect)), Duration::from_secs(10)).await;
    page.close().await;
}

async fn an_expired_link_shows_a_page_that_says_so(kyc: &Kyc, driver: &Driver, axe: &str, dir: &Path) {
    let en = strings(EN);
    let link = kyc.link(json!({"lead": lead("basic"), "expires_in": 1})).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let page = driver.session(390, 844, "en-US,en", &dir.join("profile-expired")).await;
    page.goto(link["url"].as_str().expect("url")).await;
    let heading = page.eval("return document.querySelector('h1').textContent;", json!([])).await;
    assert_eq!(heading, en["expired_title"]);
    page.screenshot("link-page-expired").await;
    assert_accessible(&page, axe, "expired").await;
    page.goto(&format!("{}/l/kyl_{}", kyc.stack.base_url, "A".repeat(43))).await;
    assert_eq!(page.eval("return document.querySelector('h1').textContent;", json!([])).await, en["unknown_title"]);
    page.screenshot("link-page-unknown").await;
    page.close().await;
}

async fn a_german_browser_gets_the_german_page(kyc: &Kyc, driver: &Driver, axe: &str, dir: &Path) {
    let de = strings(DE);
    let link = kyc.link(json!({"lead": lead("enhanced")})).await;
    let page = driver.session(390, 844, "de-DE,de", &dir.join("profile-de")).await;
    page.goto(link["url"].as_str().expect("url")).await;
    page.wait_for(
        &format!("document.querySelector('#status').textContent === {}", de["status_in_progress"]),
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(page.eval("return document.documentElement.lang;", json!([])).await, "de");
    assert_eq!(page.eval("return document.querySelector('h1').textContent;", json!([])).await, de["title"]);
    page.screenshot("link-page-de").await;
    assert_accessible(&page, axe, "German").await;
    page.close().await;
}

/// One `kyc-local` and one chromedriver for the three scenarios, each in its own
/// browser; the whole run is bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_page_works_in_a_real_browser() {
    let axe = axe_source();
    let dir = tempfile::tempdir().expect("temp dir");
    let kyc = Kyc {
        stack: LocalStack::start(&dir.path().join("data"), &format!("acme:{KEY}")),
        http: reqwest::Client::new(),
    };
    let driver = Driver::start().await;
    let run = async {
        customer_uploads_each_document_and_sees_the_final_status(&kyc, &driver, &axe, dir.path()).await;
        an_expired_link_shows_a_page_that_says_so(&kyc, &driver, &axe, dir.path()).await;
        a_german_browser_gets_the_german_page(&kyc, &driver, &axe, dir.path()).await;
    };
    tokio::time::timeout(Duration::from_secs(240), run).await.expect("the browser scenarios finish within 4 minutes");
}
