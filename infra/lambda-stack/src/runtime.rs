//! One Lambda "sandbox" per function: its `bootstrap` (the function's own binary) run as
//! a process that polls a Lambda Runtime API served here, as AWS documents it
//! (`/2018-06-01/runtime/invocation/next`, `.../{id}/response`, `.../{id}/error`,
//! `/init/error`). A process that dies is started again; what it had in flight fails,
//! as a crashed sandbox's invocation does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify, oneshot, watch};

/// Why an invocation did not return a result.
#[derive(Debug, Clone, PartialEq)]
pub enum InvokeError {
    /// The function answered with an error (`.../error`), as Lambda's `FunctionError`.
    Function(Value),
    /// The process died (or was killed) before answering.
    Crashed,
    /// No answer within the function's timeout; the sandbox is recycled.
    TimedOut,
}

impl std::fmt::Display for InvokeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvokeError::Function(error) => write!(f, "function error: {error}"),
            InvokeError::Crashed => write!(f, "the function's process exited"),
            InvokeError::TimedOut => write!(f, "the function timed out"),
        }
    }
}

struct Invocation {
    id: String,
    payload: Value,
    deadline_ms: u64,
    reply: oneshot::Sender<Result<Value, InvokeError>>,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Invocation>,
    /// Bumped each time a process exits: a poll of a dead process takes nothing.
    generation: u64,
}

/// What the Runtime API server and the supervisor share.
struct Sandbox {
    name: String,
    arn: String,
    queue: Mutex<Queue>,
    wake: Notify,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Result<Value, InvokeError>>>>,
    generation: AtomicU64,
    /// Set on the first `/next` of the first process: the function finished its init.
    ready: AtomicBool,
    /// Kill the process as soon as it has taken its next invocation (a crash mid-batch).
    crash_next: AtomicBool,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    restarts: AtomicU32,
    /// Milliseconds from the first spawn to the first `/next`.
    cold_start_ms: AtomicU64,
    started: Instant,
    crashes: AtomicU32,
    invocations: AtomicU64,
}

/// A running function.
#[derive(Clone)]
pub struct Function {
    sandbox: Arc<Sandbox>,
    timeout: Duration,
}

/// How to start a function's process.
pub struct Spec {
    pub name: String,
    pub binary: PathBuf,
    pub env: BTreeMap<String, String>,
    pub timeout_seconds: u64,
    pub memory_mb: u64,
}

impl Function {
    /// Serves the function's Runtime API on a free loopback port and starts its process.
    pub async fn start(spec: Spec, shutdown: watch::Receiver<bool>) -> anyhow::Result<Function> {
        let sandbox = Arc::new(Sandbox {
            arn: format!(
                "arn:aws:lambda:{}:{}:function:{}",
                crate::template::REGION,
                crate::template::ACCOUNT_ID,
                spec.name
            ),
            name: spec.name.clone(),
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            in_flight: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ready: AtomicBool::new(false),
            crash_next: AtomicBool::new(false),
            kill: Mutex::new(None),
            restarts: AtomicU32::new(0),
            cold_start_ms: AtomicU64::new(0),
            started: Instant::now(),
            crashes: AtomicU32::new(0),
            invocations: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = runtime_api(sandbox.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "a runtime API stopped");
            }
        });
        tokio::spawn(supervise(
            sandbox.clone(),
            spec.binary.clone(),
            process_env(&spec, &address.to_string()),
            shutdown,
        ));
        Ok(Function { sandbox, timeout: Duration::from_secs(spec.timeout_seconds.max(1)) })
    }

    pub fn name(&self) -> &str {
        &self.sandbox.name
    }

    pub fn arn(&self) -> &str {
        &self.sandbox.arn
    }

    pub fn is_ready(&self) -> bool {
        self.sandbox.ready.load(Ordering::SeqCst)
    }

    /// The next invocation the function takes kills its process right after it took it.
    pub fn crash_on_next_invocation(&self) {
        self.sandbox.crash_next.store(true, Ordering::SeqCst);
    }

    pub fn status(&self) -> Value {
        json!({
            "name": self.sandbox.name,
            "ready": self.is_ready(),
            "restarts": self.sandbox.restarts.load(Ordering::SeqCst),
            "crashes": self.sandbox.crashes.load(Ordering::SeqCst),
            "cold_start_ms": self.sandbox.cold_start_ms.load(Ordering::SeqCst),
            "invocations": self.sandbox.invocations.load(Ordering::SeqCst),
        })
    }

    /// Invokes the function synchronously (one invocation at a time per sandbox).
    pub async fn invoke(&self, payload: Value) -> Result<Value, InvokeError> {
        self.sandbox.invocations.fetch_add(1, Ordering::SeqCst);
        let (reply, answer) = oneshot::channel();
        let id = uuid::Uuid::new_v4().to_string();
        let now_ms = chrono::Utc::now().timestamp_millis().max(0).unsigned_abs();
        let deadline_ms = now_ms + u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX / 2);
        self.sandbox.queue.lock().await.pending.push_back(Invocation { id: id.clone(), payload, deadline_ms, reply });
        self.sandbox.wake.notify_one();
        // Queued time counts too; a sandbox that starts slowly is given its init time.
        match tokio::time::timeout(self.timeout + Duration::from_secs(30), answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(InvokeError::Crashed),
            Err(_) => {
                self.sandbox.in_flight.lock().await.remove(&id);
                self.sandbox.queue.lock().await.pending.retain(|i| i.id != id);
                self.kill().await;
                Err(InvokeError::TimedOut)
            }
        }
    }

    async fn kill(&self) {
        if let Some(kill) = self.sandbox.kill.lock().await.take() {
            let _ = kill.send(());
        }
    }
}

fn process_env(spec: &Spec, runtime_api: &str) -> BTreeMap<String, String> {
    let mut env = spec.env.clone();
    let fixed = [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", spec.memory_mb.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", spec.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local".to_string()),
        ("_HANDLER", "bootstrap".to_string()),
    ];
    for (name, value) in fixed {
        env.insert(name.to_string(), value);
    }
    env
}

/// Runs the process, again whenever it exits, until the stack shuts down.
async fn supervise(
    sandbox: Arc<Sandbox>,
    binary: PathBuf,
    env: BTreeMap<String, String>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut command = tokio::process::Command::new(&binary);
        // A sandbox's environment is the function's configuration, not the stack's.
        command.env_clear().envs(&env).kill_on_drop(true);
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                tracing::error!(function = %sandbox.name, error = %e, binary = %binary.display(), "cannot start");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let (kill, killed) = oneshot::channel();
        *sandbox.kill.lock().await = Some(kill);
        let stop = tokio::select! {
            status = child.wait() => {
                tracing::warn!(function = %sandbox.name, status = ?status.ok(), "the function's process exited");
                false
            }
            _ = killed => {
                let _ = child.kill().await;
                sandbox.crashes.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(function = %sandbox.name, "the function's process was killed");
                false
            }
            _ = shutdown.changed() => {
                let _ = child.kill().await;
                true
            }
        };
        // What the dead process held fails; a poll it left open takes nothing more.
        {
            let mut queue = sandbox.queue.lock().await;
            queue.generation += 1;
            sandbox.generation.store(queue.generation, Ordering::SeqCst);
        }
        for (_, reply) in sandbox.in_flight.lock().await.drain() {
            let _ = reply.send(Err(InvokeError::Crashed));
        }
        if stop {
            return;
        }
        sandbox.restarts.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn runtime_api(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(sandbox)
}

async fn next(State(sandbox): State<Arc<Sandbox>>) -> Response {
    let generation = sandbox.generation.load(Ordering::SeqCst);
    if !sandbox.ready.swap(true, Ordering::SeqCst) {
        let ms = u64::try_from(sandbox.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        sandbox.cold_start_ms.store(ms, Ordering::SeqCst);
    }
    loop {
        {
            let mut queue = sandbox.queue.lock().await;
            if queue.generation != generation {
                return StatusCode::GONE.into_response();
            }
            if let Some(invocation) = queue.pending.pop_front() {
                sandbox.in_flight.lock().await.insert(invocation.id.clone(), invocation.reply);
                drop(queue);
                if sandbox.crash_next.swap(false, Ordering::SeqCst) {
                    let sandbox = sandbox.clone();
                    tokio::spawn(async move {
                        // Long enough for the event to reach the process, far too short to finish it.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        if let Some(kill) = sandbox.kill.lock().await.take() {
                            let _ = kill.send(());
                        }
                    });
                }
                let headers = [
                    ("lambda-runtime-aws-request-id", invocation.id),
                    ("lambda-runtime-deadline-ms", invocation.deadline_ms.to_string()),
                    ("lambda-runtime-invoked-function-arn", sandbox.arn.clone()),
                    ("lambda-runtime-trace-id", format!("Root=1-{:08x}-{}", 0, "0".repeat(24))),
                    ("content-type", "application/json".to_string()),
                ];
                let mut response = invocation.payload.to_string().into_response();
                for (name, value) in headers {
                    if let Ok(value) = http::HeaderValue::from_str(&value) {
                        response.headers_mut().insert(name, value);
                    }
                }
                return response;
            }
        }
        sandbox.wake.notified().await;
    }
}

async fn respond(State(sandbox): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let Some(reply) = sandbox.in_flight.lock().await.remove(&id) else { return StatusCode::BAD_REQUEST };
    let value = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    let _ = reply.send(Ok(value));
    StatusCode::ACCEPTED
}

async fn fail(State(sandbox): State<Arc<Sandbox>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let Some(reply) = sandbox.in_flight.lock().await.remove(&id) else { return StatusCode::BAD_REQUEST };
    let error = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = reply.send(Err(InvokeError::Function(error)));
    StatusCode::ACCEPTED
}

async fn init_error(State(sandbox): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let kind = headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::error!(function = %sandbox.name, kind, error = %String::from_utf8_lossy(&body), "init failed");
    StatusCode::ACCEPTED
}
