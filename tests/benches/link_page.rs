//! The hosted verification page in headless Chromium against `kyc-local`: its weight
//! (bytes and requests, from the browser's performance entries; gzip sizes of the same
//! bytes) and the time from the last upload on the page (the selfie chosen in its file
//! input) to the final status shown, over a few runs. Prints a Markdown section for
//! BENCHMARKS.md.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use kyc_tests::browser::Driver;
use kyc_tests::fixtures;
use kyc_tests::local::LocalStack;

const KEY: &str = "sk_bench_links_1";
const RUNS: usize = 5;

fn gzip_size(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().expect("stdin").write_all(bytes).expect("written");
    child.wait_with_output().expect("gzip output").stdout.len()
}

async fn link(http: &reqwest::Client, base: &str) -> String {
    let lead = json!({"email": "ada@example.com", "level": "enhanced",
        "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB"},
        "address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}});
    let reply = http.post(format!("{base}/v1/kyc-links")).bearer_auth(KEY).json(&json!({"lead": lead})).send().await;
    let body: Value = reply.expect("kyc-local answers").json().await.expect("json");
    body["url"].as_str().expect("a url").to_string()
}

async fn one_run(driver: &Driver, http: &reqwest::Client, base: &str, dir: &Path, run: usize) -> (Duration, Value) {
    let page = driver.session(390, 844, "en-US,en", &dir.join(format!("profile-{run}"))).await;
    page.goto(&link(http, base).await).await;
    page.wait_for("document.querySelector('#status').textContent.startsWith('In progress')", Duration::from_secs(15))
        .await;
    let entries = page
        .eval(
            "const nav = performance.getEntriesByType('navigation')[0]; \
             return [nav, ...performance.getEntriesByType('resource')].map(e => \
               ({name: e.name, type: e.initiatorType, bytes: e.encodedBodySize}));",
            json!([]),
        )
        .await;
    let files = [("passport.png", fixtures::png(1600, 1200, run as u8)), ("proof.pdf", fixtures::pdf())];
    for (step, (name, bytes)) in files.iter().enumerate() {
        let path = dir.join(format!("{run}-{name}"));
        std::fs::write(&path, bytes).expect("written");
        page.choose_file(&format!("#file-{step}"), &path).await;
        page.wait_for(&format!("document.querySelector('#step-{step}').dataset.state !== 'waiting' && !document.querySelector('#step-{step}').dataset.busy"), Duration::from_secs(30)).await;
    }
    let selfie = dir.join(format!("{run}-selfie.png"));
    std::fs::write(&selfie, fixtures::png(1200, 1600, 100 + run as u8)).expect("written");
    let started = Instant::now();
    page.choose_file("#file-2", &selfie).await;
    page.wait_for("!document.querySelector('#done').hidden", Duration::from_secs(30)).await;
    let elapsed = started.elapsed();
    page.close().await;
    (elapsed, entries)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start(&dir.path().join("data"), &format!("acme:{KEY}"));
    let driver = Driver::start().await;
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    let mut entries = Value::Null;
    for run in 0..RUNS {
        let (elapsed, seen) = one_run(&driver, &http, &stack.base_url, dir.path(), run).await;
        times.push(elapsed);
        entries = seen;
    }
    times.sort();
    let entries = entries.as_array().cloned().unwrap_or_default();
    let page_entries: Vec<&Value> =
        entries.iter().filter(|e| matches!(e["type"].as_str(), Some("navigation" | "script" | "link"))).collect();
    let origin_only = entries.iter().all(|e| e["name"].as_str().is_some_and(|n| n.starts_with(&stack.base_url)));
    println!("## The hosted KYC link page (headless Chromium, 390 × 844)");
    println!();
    println!("`cargo bench -p kyc-tests --bench link_page`: Debian's Chromium against one `kyc-local`, the page's");
    println!("performance entries after it opened; gzip sizes of the same bytes (`gzip -9`; the server sends them");
    println!("uncompressed, so the uncompressed total is what a phone downloads today).");
    println!();
    println!("| resource | requests | bytes | gzip bytes |");
    println!("| --- | ---: | ---: | ---: |");
    let mut total = (0usize, 0u64, 0usize);
    for entry in &page_entries {
        let name = entry["name"].as_str().unwrap_or("");
        let body =
            http.get(name).header("accept", "text/html").send().await.expect("fetch").bytes().await.expect("body");
        let bytes = entry["bytes"].as_u64().unwrap_or(0);
        let gz = gzip_size(&body);
        let label = match entry["type"].as_str() {
            Some("navigation") => "HTML (`GET /l/{token}`)",
            Some("script") => "JS (`/assets/link-page.js`)",
            _ => "CSS (`/assets/link-page.css`)",
        };
        println!("| {label} | 1 | {bytes} | {gz} |");
        total = (total.0 + 1, total.1 + bytes, total.2 + gz);
    }
    println!("| **page** | **{}** | **{}** | **{}** |", total.0, total.1, total.2);
    println!();
    println!(
        "Other origins requested: {}. JSON calls after load: one `PUT /l/{{token}}/session`, then \
         per document one `POST .../documents`, the upload and `GET .../session` polls (every 0.7 s).",
        if origin_only { "none" } else { "SOME (see the test)" }
    );
    println!();
    let ms = |d: Duration| d.as_millis();
    println!(
        "Time from choosing the last file (the selfie) to the final status on the page, {RUNS} runs \
         (upload, scoring in `kyc-local`, the page's poll): median {} ms, min {} ms, max {} ms.",
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1])
    );
}
