//! The React example (`examples/react`) as an integrator ships it: its page and its small
//! back end (`server.mjs`, which alone holds the API key) against `kyc-local`, in the same
//! headless Chromium as the hosted-page tests. The example is type-checked and built first
//! (`examples/react/build.sh`). A customer starts a verification on the integrator's
//! page, follows the link to the hosted page, uploads three documents, comes back, and
//! the integrator's page shows the status live until a reviewer approves.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_tests::browser::{Driver, Session, axe_source};
use kyc_tests::fixtures;
use kyc_tests::local::LocalStack;

const INTEGRATOR_KEY: &str = "sk_react_example_integrator";
const REVIEWER_KEY: &str = "sk_react_example_reviewer";

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/react")
}

/// `npm ci` (when the lock changed), `tsc --noEmit` and `vite build`: a type error in
/// the example fails this test.
fn build_example() {
    let output = Command::new(example_dir().join("build.sh"))
        .output()
        .expect("examples/react/build.sh runs (needs node and npm)");
    assert!(
        output.status.success(),
        "the React example does not type-check or build:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The integrator's back end (`node server.mjs`), stopped by its own PID when dropped.
struct Backend {
    child: Child,
    url: String,
}

impl Backend {
    async fn start(kyc_url: &str) -> Backend {
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let child = Command::new("node")
            .arg("server.mjs")
            .current_dir(example_dir())
            .env("KYC_API_URL", kyc_url)
            .env("KYC_API_KEY", INTEGRATOR_KEY)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let backend = Backend { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(15);
        while reqwest::get(&backend.url).await.is_err() {
            assert!(Instant::now() < deadline, "the example's back end did not listen in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        backend
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn status_shown(page: &Session) -> Value {
    page.eval("const s = document.querySelector('#status'); return s && s.dataset.status;", json!([])).await
}

async fn wait_for_status(page: &Session, status: &str, limit: Duration) {
    let condition = format!(
        "document.querySelector('#status') && document.querySelector('#status').dataset.status === {}",
        json!(status)
    );
    if !page.wait_until(&condition, limit).await {
        panic!("the integrator's page never showed {status}: it shows {}", status_shown(page).await);
    }
}

async fn upload_on_the_hosted_page(page: &Session, step: usize, file: &Path) {
    page.choose_file(&format!("#file-{step}"), file).await;
    page.wait_for(
        &format!("['verified', 'rejected'].includes(document.querySelector('#step-{step}').dataset.state)"),
        Duration::from_secs(30),
    )
    .await;
}

/// Fills the integrator's sign-up form as the customer would, and sends it.
async fn sign_up(page: &Session, country: &str) {
    let values = json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
        "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": country});
    page.eval(
        "for (const [name, value] of Object.entries(arguments[0])) document.getElementById(name).value = value; \
         document.querySelector('#start').click();",
        json!([values]),
    )
    .await;
}

async fn approve(kyc: &LocalStack, lead_id: &str) {
    let reply = reqwest::Client::new()
        .post(format!("{}/v1/leads/{lead_id}/status", kyc.base_url))
        .bearer_auth(REVIEWER_KEY)
        .json(&json!({"status": "approved", "reviewer": "example reviewer"}))
        .send()
        .await
        .expect("kyc-local answers");
    let status = reply.status();
    let body: Value = reply.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
}

async fn a_customer_is_followed_from_the_integrators_page_to_approved(
    kyc: &LocalStack,
    backend: &Backend,
    driver: &Driver,
    axe: &str,
    dir: &Path,
) {
    let page = driver.session(390, 844, "en-US,en", &dir.join("profile")).await;
    page.goto(&backend.url).await;
    page.wait_for("document.querySelector('#start') !== null", Duration::from_secs(15)).await;
    let violations = page.serious_accessibility_violations(axe).await;
    assert!(violations.is_empty(), "axe-core, the integrator's page: {violations:#?}");
    // A country the KYC API does not know: the page names the field, nothing starts.
    sign_up(&page, "XX").await;
    page.wait_for("document.querySelector('#refused') !== null", Duration::from_secs(15)).await;
    let refusal = page.eval("return document.querySelector('#refused').textContent;", json!([])).await;
    assert!(refusal.as_str().is_some_and(|t| t.contains("Country")), "{refusal}");
    assert_eq!(
        page.eval("return document.querySelector('#country').getAttribute('aria-invalid');", json!([])).await,
        "true"
    );
    sign_up(&page, "GB").await;
    wait_for_status(&page, "not_started", Duration::from_secs(15)).await;
    page.screenshot("react-example-started").await;

    // The browser spoke only to the integrator's origin, and nothing it was sent holds the key.
    let resources = page.eval("return performance.getEntriesByType('resource').map(e => e.name);", json!([])).await;
    let resources: Vec<String> =
        resources.as_array().expect("entries").iter().filter_map(|e| e.as_str().map(String::from)).collect();
    assert!(resources.iter().all(|r| r.starts_with(&backend.url)), "{resources:#?}");
    for resource in resources.iter().chain([&backend.url]) {
        let body = reqwest::get(resource).await.expect("served").text().await.expect("text");
        assert!(!body.contains(INTEGRATOR_KEY), "{resource} carries the API key");
    }

    // The customer follows the link to the hosted page and uploads each document.
    let link = page.eval("return document.querySelector('#verify').href;", json!([])).await;
    let link = link.as_str().expect("a link to the hosted page").to_string();
    assert!(link.starts_with(&format!("{}/l/", kyc.base_url)), "{link}");
    let lead_id = page
        .eval("return JSON.parse(localStorage.getItem('acme.verification')).lead_id;", json!([]))
        .await
        .as_str()
        .expect("the lead the back end created")
        .to_string();
    page.eval("document.querySelector('#verify').click();", json!([])).await;
    page.wait_for(&format!("location.href === {}", json!(link)), Duration::from_secs(10)).await;
    page.wait_for("document.querySelector('#file-0') !== null", Duration::from_secs(15)).await;
    let passport = dir.join("passport.png");
    let proof = dir.join("proof-of-address.pdf");
    let selfie = dir.join("selfie.png");
    std::fs::write(&passport, fixtures::png(1600, 1200, 11)).expect("written");
    std::fs::write(&proof, fixtures::pdf()).expect("written");
    std::fs::write(&selfie, fixtures::png(1200, 1600, 12)).expect("written");
    upload_on_the_hosted_page(&page, 0, &passport).await;
    upload_on_the_hosted_page(&page, 1, &proof).await;
    upload_on_the_hosted_page(&page, 2, &selfie).await;
    page.wait_for("!document.querySelector('#done').hidden", Duration::from_secs(30)).await;

    // Back on the integrator's page: without a machine verifier a person decides, and
    // the page shows the review, then the approval, without a reload.
    page.eval("document.querySelector('#continue').click();", json!([])).await;
    page.wait_for(&format!("location.origin === {}", json!(backend.url)), Duration::from_secs(10)).await;
    wait_for_status(&page, "under_review", Duration::from_secs(15)).await;
    page.screenshot("react-example-under-review").await;
    approve(kyc, &lead_id).await;
    wait_for_status(&page, "approved", Duration::from_secs(15)).await;
    page.screenshot("react-example-approved").await;
    let violations = page.serious_accessibility_violations(axe).await;
    assert!(violations.is_empty(), "axe-core, approved: {violations:#?}");

    // The back end answers only about the leads it created.
    let foreign = reqwest::get(format!("{}/api/verification/lead_0193a1b2c3d4e5f60718293a4b5c6d7e", backend.url))
        .await
        .expect("answers");
    assert_eq!(foreign.status(), 404);
    page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_react_example_follows_a_customer_to_approved() {
    build_example();
    let axe = axe_source();
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = format!("acme:{INTEGRATOR_KEY}:shop:integrator,acme:{REVIEWER_KEY}:alice:reviewer");
    let kyc = LocalStack::start(&dir.path().join("data"), &keys);
    let backend = Backend::start(&kyc.base_url).await;
    let driver = Driver::start().await;
    tokio::time::timeout(
        Duration::from_secs(180),
        a_customer_is_followed_from_the_integrators_page_to_approved(&kyc, &backend, &driver, &axe, dir.path()),
    )
    .await
    .expect("the React example's scenario finishes within 3 minutes");
}
