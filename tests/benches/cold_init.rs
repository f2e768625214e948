//! Cold init of every Lambda function, as a ratio to a hello-world `lambda_http` binary
//! built with the same profile (`infra/hello-lambda`).
//!
//! Each run starts the function's binary (a copy written into a scratch directory, as
//! Lambda unpacks a zip) under a Lambda Runtime API on loopback (this
//! bench serves `/2018-06-01/runtime/invocation/next`) with the environment the template
//! gives it, and measures from the spawn to the function's first request for an event:
//! what Lambda bills as the init phase. Nothing is invoked; the process is killed after.
//! The AWS SDK makes no call during init (credentials are resolved at the first
//! request), so no endpoint is needed.
//!
//! Binaries come from `KYC_LAMBDA_BIN_DIR` (default `target/release`). infra/scripts/bench.sh
//! builds them as the Lambda artifacts are built, for this machine's architecture: release
//! profile, and the code generation flags `.cargo/config.toml` gives the arm64 target
//! (position-dependent executables), hello-lambda too, into `target/<host triple>/release`.
//! Runs per function: `KYC_COLD_INIT_RUNS` (default 21), after one unmeasured run
//! that warms the page cache, interleaved across functions so that a burst of load on
//! this shared machine hits every function alike.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use tokio::sync::mpsc;

/// The functions the template deploys, with the variables it sets for each (values are
/// placeholders of the right shape: init reads them, nothing connects).
fn functions() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let api = vec![
        ("KYC_TABLE", "kyc-bench"),
        ("KYC_DOCUMENTS_BUCKET", "kyc-bench-documents"),
        ("KYC_DELIVERIES_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/kyc-bench-deliveries"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = api.clone();
        vars.extend_from_slice(extra);
        vars
    };
    let dlq = ("KYC_DELIVERIES_DLQ_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/kyc-bench-dlq");
    let kms = ("KYC_SECRETS_KEY_ID", "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000");
    // The template gives the Sumsub credentials secret to the two functions that call Sumsub.
    let sumsub = ("KYC_SUMSUB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:kyc-sumsub-AbCdEf");
    vec![
        ("hello-lambda", vec![]),
        ("authorizer", vec![("KYC_TABLE", "kyc-bench")]),
        ("leads-api", with(&[sumsub])),
        ("status-api", api.clone()),
        ("documents-api", api.clone()),
        ("links-api", with(&[("KYC_UPLOAD_ORIGIN", "https://kyc-bench-documents.s3.us-east-1.amazonaws.com")])),
        ("webhooks-api", with(&[kms])),
        ("risk-scorer", with(&[("KYC_VERIFIER", "aws")])),
        ("importer", api.clone()),
        ("event-relay", with(&[dlq])),
        ("follow-up", with(&[sumsub])),
        ("webhook-sender", with(&[dlq, kms])),
    ]
}

#[derive(Clone)]
struct Runtime {
    /// Signalled at each function's first `next`, and at an init error.
    ready: mpsc::UnboundedSender<Result<(), String>>,
    /// Keeps `next` requests pending until the process is gone.
    parked: Arc<Mutex<Vec<tokio::sync::oneshot::Sender<()>>>>,
}

async fn next(State(rt): State<Runtime>) -> &'static str {
    let _ = rt.ready.send(Ok(()));
    let (keep, wait) = tokio::sync::oneshot::channel();
    rt.parked.lock().expect("parked").push(keep);
    let _ = wait.await;
    ""
}

async fn init_error(State(rt): State<Runtime>, body: String) -> &'static str {
    let _ = rt.ready.send(Err(body));
    "{}"
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin_dir = std::env::var("KYC_LAMBDA_BIN_DIR").map(PathBuf::from).unwrap_or_else(|_| {
        std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target")).join("release")
    });
    let runs: usize = std::env::var("KYC_COLD_INIT_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(21);

    let (ready, mut ready_rx) = mpsc::unbounded_channel();
    let runtime = Runtime { ready, parked: Arc::new(Mutex::new(Vec::new())) };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(runtime.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.expect("runtime api") });

    let functions = functions();
    // Lambda runs a function from its zip unpacked onto the sandbox's disk: every binary,
    // hello-lambda's too, is written afresh into a scratch directory and run from there.
    // Run from the linker's output file, the same binary started up to 0.4 ms slower
    // (leads-api: 260 page faults per start against 239 for a copy of it).
    let staged = tempfile::tempdir().expect("scratch directory");
    for (name, _) in &functions {
        let built = bin_dir.join(name);
        let bytes = std::fs::read(&built)
            .unwrap_or_else(|e| panic!("{}: {e} (build it first: see infra/scripts/bench.sh)", built.display()));
        let binary = staged.path().join(name);
        std::fs::write(&binary, bytes).expect("write the staged binary");
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    }
    let mut times: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for round in 0..=runs {
        for (name, vars) in &functions {
            let binary = staged.path().join(name);
            let mut command = tokio::process::Command::new(&binary);
            command
                .env_clear()
                .env("AWS_LAMBDA_RUNTIME_API", &address)
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("RUST_LOG", "info")
                .envs(vars.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true);
            let started = Instant::now();
            let mut child = match command.spawn() {
                Ok(child) => child,
                Err(e) => panic!("{}: {e}", binary.display()),
            };
            let signal = tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await;
            let elapsed = started.elapsed();
            let _ = child.kill().await;
            runtime.parked.lock().expect("parked").clear();
            match signal {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(body))) => panic!("{name} failed its init: {body}"),
                _ => panic!("{name} did not ask for an event within 30 s"),
            }
            if round > 0 {
                times.entry(name).or_default().push(elapsed);
            }
        }
    }

    let hello = {
        let mut t = times["hello-lambda"].clone();
        t.sort();
        median(&t)
    };
    println!("## Lambda cold init");
    println!();
    println!(
        "From spawning each release binary (a fresh copy of it, as Lambda unpacks its zip) to its first \
         request for an event, under a Runtime API on loopback, with the environment the template sets (`cargo bench -p kyc-tests --bench cold_init --profile dev`, \
         after `infra/scripts/bench.sh`'s release build of the functions and `hello-lambda` with the Lambda \
         artifacts' flags from `.cargo/config.toml`: position-dependent executables); {runs} runs each, \
         interleaved; ratio of medians to a hello-world `lambda_http` binary built the same way \
         (`infra/hello-lambda`)."
    );
    println!();
    println!("| function | median | p90 | ratio to hello |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, _) in &functions {
        let mut t = times[name].clone();
        t.sort();
        let m = median(&t);
        println!(
            "| {name} | {} | {} | {:.2} |",
            ms(m),
            ms(percentile(&t, 0.9)),
            m.as_secs_f64() / hello.as_secs_f64()
        );
    }

    roots_table(&bin_dir, runs);
}

/// The trusted roots of the SDK's HTTPS client, loaded once per process at its first AWS
/// call since the client is built then: the platform's store, against Mozilla's roots
/// compiled in (the alternative not taken), each in `runs` fresh processes of `tls-roots`.
fn roots_table(bin_dir: &std::path::Path, runs: usize) {
    let tool = bin_dir.join("tls-roots");
    let mut rows = Vec::new();
    for mode in ["platform", "compiled"] {
        let mut micros = Vec::new();
        let mut roots = String::new();
        for _ in 0..=runs {
            let out = std::process::Command::new(&tool).arg(mode).output().unwrap_or_else(|e| {
                panic!("{}: {e} (build it first: cargo build --release -p hello-lambda)", tool.display())
            });
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let mut fields = text.split_whitespace();
            roots = fields.next().unwrap_or_default().to_string();
            micros.push(Duration::from_micros(fields.next().and_then(|m| m.parse().ok()).expect("micros")));
        }
        // The first run is the page cache's warm-up, as for the functions.
        let mut warm = micros[1..].to_vec();
        warm.sort();
        rows.push((mode, roots, median(&warm), percentile(&warm, 0.9)));
    }
    println!();
    println!("## Trusted roots at the first AWS call");
    println!();
    println!(
        "Reading and parsing the roots of an HTTPS client, once per process, in {runs} fresh processes \
         each (`tls-roots`, release, from `infra/hello-lambda`); the page cache warm. The SDK's client \
         reads the platform's store at the first AWS call of a process."
    );
    println!();
    println!("| roots | certificates | median | p90 |");
    println!("| --- | ---: | ---: | ---: |");
    for (mode, roots, m, p90) in &rows {
        let name = if *mode == "platform" { "platform store (what the SDK reads)" } else { "compiled in (not taken)" };
        println!("| {name} | {roots} | {:.2} ms | {:.2} ms |", m.as_secs_f64() * 1000.0, p90.as_secs_f64() * 1000.0);
    }
    if let [(_, _, platform, _), (_, _, compiled, _)] = rows.as_slice() {
        println!();
        println!("Platform / compiled: {:.1}×.", platform.as_secs_f64() / compiled.as_secs_f64().max(1e-9));
    }
}

