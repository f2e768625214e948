//! A webhook receiver on loopback for tests: answers with a scripted list of statuses
//! (then 200), records every request, and can redirect.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    retry_after: Option<String>,
    delay: Duration,
    received: Vec<Received>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    script: Arc<Mutex<Script>>,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

async fn hook(
    State(script): State<Arc<Mutex<Script>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, retry_after, delay) = {
        let mut s = script.lock().expect("receiver lock");
        s.received.push(Received {
            path: uri.path().to_string(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        (s.statuses.pop_front().unwrap_or(200), s.retry_after.clone(), s.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), "ok").into_response();
    if let Some(value) = retry_after.and_then(|v| v.parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if status == 302 {
        response.headers_mut().insert(header::LOCATION, header::HeaderValue::from_static("/elsewhere"));
    }
    response
}

impl Receiver {
    /// Listens on 127.0.0.1 (a free port); `/hook` and `/elsewhere` both record.
    pub async fn start() -> Receiver {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new()
            .route("/hook", post(hook))
            .route("/elsewhere", post(hook).get(hook))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url: format!("http://{addr}/hook"), script, _task: Arc::new(task) }
    }

    /// The next requests get these statuses, in order (200 after that).
    pub fn respond_with(&self, statuses: &[u16]) {
        self.script.lock().expect("lock").statuses = statuses.iter().copied().collect();
    }

    pub fn retry_after(&self, value: &str) {
        self.script.lock().expect("lock").retry_after = Some(value.to_string());
    }

    pub fn delay(&self, delay: Duration) {
        self.script.lock().expect("lock").delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().expect("lock").received.clone()
    }

    /// The lead ids of the event bodies received from the `from`-th request on
    /// (duplicates folded: delivery is at least once).
    pub fn lead_ids(&self, from: usize) -> std::collections::BTreeSet<String> {
        self.received()
            .iter()
            .skip(from)
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter_map(|event| event["data"]["lead_id"].as_str().map(String::from))
            .collect()
    }
}
