//! The Lambda stack on moto (`infra/scripts/lambda-stack.sh`) as a child process, started
//! once per test binary and shared by its tests; it stops when the test binary exits
//! (it holds the stack's stdin: `LAMBDA_STACK_STOP_ON_EOF`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct LambdaStack {
    pub base_url: String,
    pub moto_url: String,
    /// Kept so that the stack's stdin stays open while the tests run.
    _child: Mutex<Child>,
}

/// Starts the stack on first use with these API keys and variables (later calls share it).
pub fn shared(api_keys: &str, env: &[(&str, &str)]) -> &'static LambdaStack {
    static STACK: OnceLock<LambdaStack> = OnceLock::new();
    STACK.get_or_init(|| start(api_keys, env))
}

/// The binaries the script would build: the stack's and every function the template
/// names. Built beforehand (`infra/scripts/test.sh` does), not from a test: a cargo
/// run under `cargo test` sees the test's environment and rebuilds half the tree.
fn check_built(workspace: &std::path::Path) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace.join("target"));
    let bin_dir = target.join("debug");
    let template = std::fs::read_to_string(workspace.join("template.yaml")).expect("template.yaml");
    let mut binaries = vec!["kyc-lambda-stack".to_string()];
    binaries.extend(template.lines().filter_map(|l| l.trim().strip_prefix("Binary:")).map(|b| b.trim().to_string()));
    for binary in &binaries {
        assert!(
            bin_dir.join(binary).exists(),
            "{binary} is not built: cargo build -p kyc-lambda-stack {} first",
            binaries.iter().skip(1).map(|b| format!("-p {b}")).collect::<Vec<_>>().join(" ")
        );
    }
    bin_dir
}

fn start(api_keys: &str, env: &[(&str, &str)]) -> LambdaStack {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    check_built(&workspace);
    let mut child = Command::new("bash")
        .arg(workspace.join("infra/scripts/lambda-stack.sh"))
        .args(["--port", "0"])
        .current_dir(&workspace)
        .env("KYC_API_KEYS", api_keys)
        .env("LAMBDA_STACK_STOP_ON_EOF", "1")
        .env("LAMBDA_STACK_NO_BUILD", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lambda-stack.sh starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(900);
    let (mut base_url, mut moto_url) = (None, None);
    while base_url.is_none() || moto_url.is_none() {
        assert!(Instant::now() < deadline, "the Lambda stack did not report its address in time");
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("lambda-stack listening on ") {
                    base_url = Some(url.trim().to_string());
                } else if let Some(url) = line.strip_prefix("lambda-stack uploads to ") {
                    moto_url = Some(url.trim().to_string());
                }
            }
            _ => panic!("the Lambda stack exited before listening"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    LambdaStack {
        base_url: base_url.unwrap_or_default(),
        moto_url: moto_url.unwrap_or_default(),
        _child: Mutex::new(child),
    }
}

impl LambdaStack {
    /// Waits until `/health` answers 200 (every function polled its Runtime API).
    pub async fn ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let health = client.get(format!("{}/health", self.base_url)).send().await;
            if health.is_ok_and(|r| r.status().as_u16() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the Lambda stack's functions did not all start within a minute");
    }

    /// The stack's view of one function (readiness, invocations, crashes, cold start).
    pub async fn function(&self, name: &str) -> serde_json::Value {
        let all: serde_json::Value = reqwest::get(format!("{}/__stack/functions", self.base_url))
            .await
            .expect("the stack answers")
            .json()
            .await
            .expect("json");
        all["functions"].as_array().into_iter().flatten().find(|f| f["name"] == name).cloned().unwrap_or_default()
    }

    /// The function's process is killed right after it takes its next invocation.
    pub async fn crash_next_invocation_of(&self, name: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/__stack/functions/{name}/crash-next", self.base_url))
            .send()
            .await
            .expect("the stack answers");
        assert_eq!(response.status().as_u16(), 204, "{name} is a function of the stack");
    }
}

/// One API call with a bearer key: the status and the JSON body (`Null` when none).
pub async fn call(
    client: &reqwest::Client,
    key: &str,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = client.request(method, url).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the stack answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}
