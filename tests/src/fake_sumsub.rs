//! A fake of Sumsub's API for tests: an HTTP server on loopback that checks every
//! call's app-token signature (`X-App-Token`, `X-App-Access-Ts` within five minutes,
//! `X-App-Access-Sig` = hex HMAC-SHA256 with the secret key of ts + METHOD +
//! path-with-query + body) and answers 401 to a wrong one, as Sumsub does; then answers
//! `POST /resources/applicants/-/import?shareToken=...` and
//! `GET /resources/applicants/{id}/one` as scripted per share token and per applicant.
//!
//! A share token is single-use here as there: a second import with it is 401. A test
//! scripts a token's applicant, an applicant's review, and answers of failure (a status,
//! or a delay longer than the client's timeout), and reads every call's method and
//! whether its signature verified.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// The app token and secret the fake accepts.
pub const APP_TOKEN: &str = "sbx:test-app-token";
pub const SECRET_KEY: &str = "test-secret-key";
/// The secret the fake's webhooks are signed with.
pub const WEBHOOK_SECRET: &str = "test-webhook-secret";

/// An answer of failure for the next call(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Status(u16),
    /// Answer after this long (longer than the client's attempt timeout: a timeout).
    Delay(Duration),
}

/// One call as received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path_and_query: String,
    pub signature_ok: bool,
}

#[derive(Default)]
struct FakeState {
    /// share token → applicant id.
    tokens: HashMap<String, String>,
    used: HashSet<String>,
    /// applicant id → (reviewStatus, reviewAnswer, reviewRejectType).
    reviews: HashMap<String, (String, Option<String>, Option<String>)>,
    /// Failures served before any scripted answer, in order.
    failures: VecDeque<Failure>,
    calls: Vec<Call>,
}

#[derive(Clone)]
pub struct FakeSumsub {
    pub url: String,
    state: Arc<Mutex<FakeState>>,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

impl FakeSumsub {
    pub async fn start() -> FakeSumsub {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = Router::new()
            .route("/resources/applicants/-/import", post(import))
            .route("/resources/applicants/{id}/one", get(applicant))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSumsub { url: format!("http://{addr}"), state, _task: Arc::new(task) }
    }

    fn with<R>(&self, f: impl FnOnce(&mut FakeState) -> R) -> R {
        f(&mut self.state.lock().expect("fake sumsub state"))
    }

    /// `token` shares an applicant who, once imported, is `applicant_id` with this review
    /// (`answer` `None`: pending).
    pub fn share(&self, token: &str, applicant_id: &str, answer: Option<&str>, reject_type: Option<&str>) {
        self.with(|s| {
            s.tokens.insert(token.into(), applicant_id.into());
            let status = if answer.is_some() { "completed" } else { "pending" };
            s.reviews
                .insert(applicant_id.into(), (status.into(), answer.map(String::from), reject_type.map(String::from)));
        });
    }

    /// Sumsub decides `applicant_id`'s review (after an import that found it pending).
    pub fn decide(&self, applicant_id: &str, answer: &str, reject_type: Option<&str>) {
        self.with(|s| {
            s.reviews
                .insert(applicant_id.into(), ("completed".into(), Some(answer.into()), reject_type.map(String::from)));
        });
    }

    /// The next calls fail as listed, one each.
    pub fn fail_next(&self, failures: &[Failure]) {
        self.with(|s| s.failures.extend(failures.iter().copied()));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// A client of this fake with the right credentials (shared pair), and timings
    /// short enough for tests.
    pub fn client(&self) -> kyc_aws::SumsubClient {
        self.client_with(APP_TOKEN, SECRET_KEY)
    }

    pub fn client_with(&self, app_token: &str, secret_key: &str) -> kyc_aws::SumsubClient {
        self.client_of(Some(credentials(app_token, secret_key)), HashMap::new())
    }

    /// A client where each of `tenants` has its own (right) pair and there is no shared
    /// one: any other tenant is not configured.
    pub fn client_per_tenant(&self, tenants: &[&str]) -> kyc_aws::SumsubClient {
        let pairs = tenants.iter().map(|t| (t.to_string(), credentials(APP_TOKEN, SECRET_KEY))).collect();
        self.client_of(None, pairs)
    }

    fn client_of(
        &self,
        shared: Option<kyc_aws::SumsubCredentials>,
        tenants: HashMap<String, kyc_aws::SumsubCredentials>,
    ) -> kyc_aws::SumsubClient {
        let timing = kyc_aws::SumsubTiming {
            attempt_timeout: Duration::from_millis(400),
            budget: Duration::from_millis(1500),
            first_backoff: Duration::from_millis(20),
        };
        kyc_aws::SumsubClient::new(&self.url, shared, tenants, timing)
    }
}

fn credentials(app_token: &str, secret_key: &str) -> kyc_aws::SumsubCredentials {
    kyc_aws::SumsubCredentials {
        app_token: app_token.into(),
        secret_key: secret_key.into(),
        webhook_secret: Some(WEBHOOK_SECRET.into()),
    }
}

/// The hex HMAC-SHA256 digest Sumsub puts in `X-Payload-Digest`.
pub fn payload_digest(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn signature_ok(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(token), Some(ts), Some(sig)) =
        (header("x-app-token"), header("x-app-access-ts"), header("x-app-access-sig"))
    else {
        return false;
    };
    let fresh = ts.parse::<i64>().is_ok_and(|ts| (chrono::Utc::now().timestamp() - ts).abs() <= 300);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET_KEY.as_bytes()).expect("any key length");
    mac.update(ts.as_bytes());
    mac.update(method.as_str().as_bytes());
    mac.update(path.as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    token == APP_TOKEN && fresh && expected == sig
}

/// Records the call; answers 401 for a bad signature or the scripted failure, if any.
async fn gate(
    state: &Arc<Mutex<FakeState>>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let ok = signature_ok(method, uri, headers, body);
    let failure = {
        let mut s = state.lock().expect("fake sumsub state");
        s.calls.push(Call {
            method: method.to_string(),
            path_and_query: uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
            signature_ok: ok,
        });
        if !ok {
            return Some(
                (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": 401, "description": "Invalid signature"})))
                    .into_response(),
            );
        }
        s.failures.pop_front()
    };
    match failure {
        Some(Failure::Status(code)) => {
            let status = StatusCode::from_u16(code).expect("status");
            Some((status, axum::Json(json!({"code": code, "description": "scripted failure"}))).into_response())
        }
        Some(Failure::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        None => None,
    }
}

async fn import(
    State(state): State<Arc<Mutex<FakeState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&state, &method, &uri, &headers, &body).await {
        return answer;
    }
    let token = query.get("shareToken").cloned().unwrap_or_default();
    let mut s = state.lock().expect("fake sumsub state");
    match s.tokens.get(&token).cloned() {
        Some(applicant) if s.used.insert(token) => {
            axum::Json(json!({"id": applicant, "createdAt": "2026-11-30 10:00:00", "clientId": "acme"})).into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"code": 401, "description": "Token is invalid", "type": "ServiceException"})),
        )
            .into_response(),
    }
}

async fn applicant(
    State(state): State<Arc<Mutex<FakeState>>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&state, &method, &uri, &headers, &body).await {
        return answer;
    }
    let s = state.lock().expect("fake sumsub state");
    let Some((status, answer, reject_type)) = s.reviews.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"code": 404, "description": "not found"}))).into_response();
    };
    let mut review = json!({"reviewStatus": status, "levelName": "basic-kyc-level"});
    if let Some(answer) = answer {
        review["reviewResult"] = json!({"reviewAnswer": answer, "reviewRejectType": reject_type, "rejectLabels": []});
    }
    let body: Value = json!({"id": id, "info": {"firstName": "Ada", "lastName": "Lovelace"}, "review": review});
    axum::Json(body).into_response()
}
