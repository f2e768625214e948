//! A real browser for the hosted page's tests: Debian's headless Chromium, driven over
//! W3C WebDriver (chromedriver on a free loopback port) with a small client of our own
//! on reqwest. `infra/scripts/browser.sh` installs Chromium, chromedriver and axe-core;
//! the test script runs it first, so these tests never skip.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The flags Chromium needs on this kind of machine (no sandbox as root, no GPU, and
/// no background connections, which the closed network refuses).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tool(variable: &str, default: PathBuf) -> PathBuf {
    let path = std::env::var(variable).map(PathBuf::from).unwrap_or(default);
    assert!(
        path.exists(),
        "{} not found (set {variable}); infra/scripts/browser.sh installs the browser test tools",
        path.display()
    );
    path
}

/// axe-core's script, as `infra/scripts/browser.sh` installs it.
pub fn axe_source() -> String {
    let path = tool("KYC_AXE_JS", workspace().join(".tmp/node/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(path).expect("axe-core readable")
}

/// Where screenshots go: `target/browser-artifacts/` (or `$CARGO_TARGET_DIR/...`).
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace().join("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// A running chromedriver; stopped (by its own PID) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

impl Driver {
    pub async fn start() -> Driver {
        let binary = tool("KYC_CHROMEDRIVER", PathBuf::from("/usr/bin/chromedriver"));
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut command = Command::new(binary);
        // Its own process group, with the browsers it starts: a test that panics must
        // not leave Chromium running behind it (see `Drop`).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver.http.get(format!("{}/status", driver.url)).send().await;
            if let Ok(reply) = ready {
                let body: Value = reply.json().await.unwrap_or(Value::Null);
                if body["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// A new browser: a fresh profile, a phone-sized viewport (CSS pixels), and the
    /// languages it asks for.
    pub async fn session(&self, width: u32, height: u32, languages: &str, profile: &Path) -> Session {
        let chromium = tool("KYC_CHROMIUM", PathBuf::from("/usr/bin/chromium"));
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--accept-lang={languages}"));
        args.push(format!("--lang={}", languages.split(',').next().unwrap_or("en")));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "prefs": {"intl.accept_languages": languages},
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true}}
            }
        }}});
        let reply = self.call("POST", "/session", Some(capabilities)).await;
        let id = reply["sessionId"].as_str().expect("a session id").to_string();
        let session = Session { driver: self.url.clone(), id, http: self.http.clone() };
        session.command("POST", "/timeouts", json!({"script": 60_000, "pageLoad": 30_000})).await;
        session
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        send(&self.http, method, &format!("{}{path}", self.url), body).await
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group this driver leads (its Chromium processes too), by its id.
        #[cfg(unix)]
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(http: &reqwest::Client, method: &str, url: &str, body: Option<Value>) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.expect("chromedriver answers");
    let status = reply.status();
    let body: Value = reply.json().await.expect("WebDriver answers JSON");
    assert!(status.is_success(), "WebDriver {url}: {status} {body}");
    body["value"].clone()
}

/// One browser session.
pub struct Session {
    driver: String,
    id: String,
    http: reqwest::Client,
}

/// W3C WebDriver's key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if method == "GET" || method == "DELETE" { None } else { Some(body) };
        send(&self.http, method, &format!("{}/session/{}{path}", self.driver, self.id), body).await
    }

    pub async fn goto(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url})).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) and answers its return.
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.command("POST", "/execute/sync", json!({"script": script, "args": args})).await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1]` with its result.
    pub async fn eval_async(&self, script: &str, args: Value) -> Value {
        self.command("POST", "/execute/async", json!({"script": script, "args": args})).await
    }

    /// Types a file's path into a file input: the browser picks that file, as a person
    /// choosing it would.
    pub async fn choose_file(&self, css: &str, file: &Path) {
        let found = self.command("POST", "/element", json!({"using": "css selector", "value": css})).await;
        let element = found[ELEMENT].as_str().expect("an element").to_string();
        self.command("POST", &format!("/element/{element}/value"), json!({"text": file.to_string_lossy()})).await;
    }

    /// Waits until `condition` (a JS expression) is true, at most `limit`.
    pub async fn wait_for(&self, condition: &str, limit: Duration) {
        assert!(self.wait_until(condition, limit).await, "timed out waiting for {condition}");
    }

    /// Whether `condition` (a JS expression) became true within `limit`.
    pub async fn wait_until(&self, condition: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.eval(&format!("return !!({condition});"), json!([])).await == true {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the viewport as `{name}.png` among the test artifacts.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self.command("GET", "/screenshot", Value::Null).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data.as_str().expect("base64")).expect("png");
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, bytes).expect("screenshot written");
        path
    }

    /// axe-core's violations of impact `serious` or `critical` on the current page.
    pub async fn serious_accessibility_violations(&self, axe: &str) -> Vec<Value> {
        self.eval(axe, json!([])).await;
        let result = self
            .eval_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']})\
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                     nodes: v.nodes.map(n => n.target.join(' '))}))), e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));",
                json!([]),
            )
            .await;
        result
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }

    pub async fn close(self) {
        self.command("DELETE", "", Value::Null).await;
    }
}
