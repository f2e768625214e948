//! The HTTP API as axum routers, served alike by the Lambda functions (through
//! `lambda_http`) and by `kyc-local`. Handlers only translate: HTTP in, use case,
//! JSON or problem+json out.

use std::collections::HashMap;
use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use kyc_domain::audit::canonical_json;
use kyc_domain::input::LeadInput;
use kyc_domain::lead::{LeadType, Level};
use kyc_domain::status::Status;

use crate::Deps;
use crate::auth::TenantId;
use crate::documents::{self, DocumentRequest};
use crate::error::AppError;
use crate::idempotency::{self, Idempotency, Lookup, StoredResponse};
use crate::leads::{self, LeadFilter, NoteInput, Replayable, StatusChangeInput, parse_body};
use crate::problem::Problem;
use crate::webhooks::{self, EndpointInput};

/// JSON request bodies are capped at 256 KiB.
pub const BODY_LIMIT: usize = 256 * 1024;
/// The OpenAPI document of what these routers serve.
pub const OPENAPI: &str = include_str!("../../../infra/openapi.json");

/// Lead creation, reads, patches, notes and the audit trail (`leads-api`).
pub fn leads_routes() -> Router<Deps> {
    Router::new()
        .route("/v1/leads", post(create_lead).get(list_leads))
        .route("/v1/leads/{id}", get(get_lead).patch(patch_lead))
        .route("/v1/leads/{id}/notes", post(add_note))
        .route("/v1/leads/{id}/audit", get(audit_trail))
}

/// Document upload instructions and reads (`documents-api`).
pub fn documents_routes() -> Router<Deps> {
    Router::new()
        .route("/v1/leads/{id}/documents", post(request_document).get(list_documents))
        .route("/v1/leads/{id}/documents/{doc_id}", get(get_document))
}

/// Webhook endpoints, deliveries and the event feed (`webhooks-api`).
pub fn webhooks_routes() -> Router<Deps> {
    Router::new()
        .route("/v1/webhook-endpoints", post(create_endpoint).get(list_endpoints))
        .route("/v1/webhook-endpoints/{id}", get(get_endpoint).patch(update_endpoint).delete(delete_endpoint))
        .route("/v1/webhook-endpoints/{id}/rotate-secret", post(rotate_secret))
        .route("/v1/webhook-endpoints/{id}/deliveries", get(list_deliveries))
        .route("/v1/webhook-deliveries/{id}/retry", post(retry_delivery))
        .route("/v1/events", get(list_events))
}

/// Funnel and pipeline metrics (served by `leads-api`).
pub fn metrics_routes() -> Router<Deps> {
    Router::new().route("/v1/metrics", get(get_metrics)).route("/v1/metrics/pipeline", get(get_pipeline))
}

/// Status transitions (`status-api`).
pub fn status_routes() -> Router<Deps> {
    Router::new().route("/v1/leads/{id}/status", post(change_status))
}

/// Routes every deployment answers: health, the OpenAPI document, and problem+json
/// for unknown routes and methods.
pub fn finish(routes: Router<Deps>, deps: Deps) -> Router {
    routes
        .route("/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(access_log))
        .with_state(deps)
}

/// The whole API on one router (local mode, tests).
pub fn router(deps: Deps) -> Router {
    let all = leads_routes()
        .merge(metrics_routes())
        .merge(status_routes())
        .merge(documents_routes())
        .merge(webhooks_routes());
    finish(all, deps)
}

async fn health() -> Response {
    json(StatusCode::OK, &serde_json::json!({ "status": "ok" }), None)
}

async fn openapi() -> Response {
    let mut response = (StatusCode::OK, OPENAPI).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn not_found() -> Response {
    Problem::new(404, "not_found", "no such route").into_response()
}

async fn method_not_allowed() -> Response {
    Problem::new(405, "method_not_allowed", "this route does not accept that method").into_response()
}

/// One line per request: method, route template (never ids or query values), status.
async fn access_log(request: Request, next: axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

fn json<T: Serialize>(status: StatusCode, body: &T, etag: Option<String>) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert(header::ETAG, tag);
    }
    response
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = json(status, &stored.body, stored.etag);
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn respond<T: Replayable>(status: StatusCode, output: &T) -> Response {
    json(status, output, output.etag())
}

// ---------------------------------------------------------------------- extractors

impl FromRequestParts<Deps> for TenantId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, deps: &Deps) -> Result<Self, Self::Rejection> {
        deps.auth.tenant(parts).await
    }
}

/// A JSON body: size-capped, media type checked, parsed; with its canonical form for
/// idempotency comparisons.
pub struct JsonBody {
    pub value: Value,
    pub canonical: String,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
            let essence =
                content_type.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let is_json =
                essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
            if !is_json {
                return Err(AppError::UnsupportedMediaType);
            }
        }
        let declared =
            parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(AppError::PayloadTooLarge { limit: BODY_LIMIT });
        }
        let bytes = read_capped(body).await?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| AppError::MalformedJson(e.to_string()))?
        };
        Ok(JsonBody {
            canonical: canonical_json(&value),
            value,
            method: parts.method,
            path: parts.uri.path().to_string(),
            headers: parts.headers,
        })
    }
}

async fn read_capped(body: Body) -> Result<axum::body::Bytes, AppError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        // `to_bytes` reports the cap as a length-limit error in its source chain.
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if too_large {
            AppError::PayloadTooLarge { limit: BODY_LIMIT }
        } else {
            AppError::MalformedJson(format!("the body could not be read: {e}"))
        }
    })
}

/// `If-Match: "3"` (or `3`, `W/"3"`); `*` matches any version.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<u64>()
        .map(Some)
        .map_err(|_| AppError::bad_parameter("If-Match", "must be the ETag of the lead, e.g. \"3\""))
}

fn idempotency_of(deps: &Deps, tenant: &TenantId, body: &JsonBody) -> Result<Option<Idempotency>, AppError> {
    let Some(value) = body.headers.get(idempotency::HEADER) else { return Ok(None) };
    let key = value
        .to_str()
        .map_err(|_| AppError::bad_parameter("Idempotency-Key", "must be 1-255 visible ASCII characters"))?;
    idempotency::validate_key(key)?;
    Ok(Some(Idempotency {
        tenant: tenant.clone(),
        key: key.to_string(),
        request_hash: idempotency::request_hash(body.method.as_str(), &body.path, &body.canonical),
        now: deps.clock.now(),
    }))
}

/// Runs a POST under its idempotency key: replays a stored answer, or runs `run` and
/// lets it record its answer in the same transaction as its change.
async fn idempotent<T, F, Fut>(deps: &Deps, tenant: &TenantId, body: &JsonBody, status: StatusCode, run: F) -> Response
where
    T: Replayable,
    F: FnOnce(Option<Idempotency>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let key = match idempotency_of(deps, tenant, body) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    if let Some(key) = &key {
        match key.lookup(deps.table.as_ref()).await {
            Ok(Lookup::Replay(stored)) => return replay(stored),
            Ok(Lookup::Fresh) => {}
            Err(e) => return e.into_response(),
        }
    }
    match run(key.clone()).await {
        Ok(output) => respond(status, &output),
        Err(AppError::IdempotencyRace) => match key {
            // A concurrent request with the same key committed first: answer as it did.
            Some(key) => match key.lookup(deps.table.as_ref()).await {
                Ok(Lookup::Replay(stored)) => replay(stored),
                Ok(Lookup::Fresh) => AppError::Contention.into_response(),
                Err(e) => e.into_response(),
            },
            None => AppError::Contention.into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// Parses a POST body into `I` and runs `run` under the request's idempotency key.
async fn post_json<I, T, F, Fut>(deps: Deps, tenant: TenantId, body: JsonBody, status: StatusCode, run: F) -> Response
where
    I: serde::de::DeserializeOwned,
    T: Replayable,
    F: FnOnce(Deps, TenantId, I, Option<Idempotency>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let input: I = match parse_body(body.value.clone()) {
        Ok(input) => input,
        Err(e) => return e.into_response(),
    };
    let (d, t) = (deps.clone(), tenant.clone());
    idempotent(&deps, &tenant, &body, status, move |key| run(d, t, input, key)).await
}

/// `?limit=&cursor=` of a plain list.
fn page_params(raw: Option<String>) -> Result<(u32, Option<String>), AppError> {
    let params = query_params(raw, &["limit", "cursor"])?;
    Ok((limit_param(&params)?, params.get("cursor").cloned()))
}

fn query_params(raw: Option<String>, allowed: &[&str]) -> Result<HashMap<String, String>, AppError> {
    let mut params = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !allowed.contains(&name.as_ref()) {
            return Err(AppError::bad_parameter(&name, "is not a parameter of this list"));
        }
        params.insert(name.into_owned(), value.into_owned());
    }
    Ok(params)
}

fn limit_param(params: &HashMap<String, String>) -> Result<u32, AppError> {
    match params.get("limit") {
        None => Ok(25),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AppError::bad_parameter("limit", "must be a whole number from 1 to 100")),
    }
}

fn enum_param<T: serde::de::DeserializeOwned>(
    params: &HashMap<String, String>,
    name: &str,
    allowed: &str,
) -> Result<Option<T>, AppError> {
    params
        .get(name)
        .map(|v| {
            serde_json::from_value::<T>(Value::String(v.clone()))
                .map_err(|_| AppError::bad_parameter(name, format!("must be one of {allowed}")))
        })
        .transpose()
}

fn time_param(params: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    params
        .get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| AppError::bad_parameter(name, "must be an RFC 3339 timestamp, e.g. 2026-01-31T00:00:00Z"))
        })
        .transpose()
}

// ------------------------------------------------------------------------ handlers

async fn create_lead(State(deps): State<Deps>, tenant: TenantId, body: JsonBody) -> Response {
    post_json(deps, tenant, body, StatusCode::CREATED, |d, t, input: LeadInput, key| async move {
        leads::create_lead(&d, &t, input, key.as_ref()).await
    })
    .await
}

async fn get_lead(State(deps): State<Deps>, tenant: TenantId, Path(id): Path<String>) -> Result<Response, AppError> {
    let lead = leads::get_lead(&deps, &tenant, &id).await?;
    Ok(respond(StatusCode::OK, &lead))
}

async fn list_leads(State(deps): State<Deps>, tenant: TenantId, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    let params =
        query_params(raw, &["status", "level", "type", "created_after", "created_before", "order", "limit", "cursor"])?;
    let order = params.get("order").map(String::as_str);
    if order.is_some_and(|o| o != "newest" && o != "oldest") {
        return Err(AppError::bad_parameter("order", "must be newest or oldest"));
    }
    let filter = LeadFilter {
        status: enum_param::<Status>(&params, "status", "not_started, in_progress, under_review, approved, rejected")?,
        level: enum_param::<Level>(&params, "level", "basic, enhanced, premium")?,
        lead_type: enum_param::<LeadType>(&params, "type", "individual, business")?,
        created_after: time_param(&params, "created_after")?,
        created_before: time_param(&params, "created_before")?,
        oldest_first: order == Some("oldest"),
        limit: limit_param(&params)?,
        cursor: params.get("cursor").cloned(),
    };
    let page = leads::list_leads(&deps, &tenant, &filter).await?;
    Ok(json(StatusCode::OK, &page, None))
}

async fn patch_lead(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, AppError> {
    let expected = if_match(&body.headers)?;
    let lead = leads::patch_lead(&deps, &tenant, &id, body.value, expected).await?;
    Ok(respond(StatusCode::OK, &lead))
}

async fn change_status(State(deps): State<Deps>, tenant: TenantId, Path(id): Path<String>, body: JsonBody) -> Response {
    let prepared = if_match(&body.headers).and_then(|m| Ok((m, parse_body::<StatusChangeInput>(body.value.clone())?)));
    let (expected, input) = match prepared {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let (d, t) = (deps.clone(), tenant.clone());
    idempotent(&deps, &tenant, &body, StatusCode::OK, move |key| async move {
        leads::change_status(&d, &t, &id, input, expected, key.as_ref()).await
    })
    .await
}

async fn add_note(State(deps): State<Deps>, tenant: TenantId, Path(id): Path<String>, body: JsonBody) -> Response {
    post_json(deps, tenant, body, StatusCode::CREATED, |d, t, input: NoteInput, key| async move {
        leads::add_note(&d, &t, &id, input, key.as_ref()).await
    })
    .await
}

async fn audit_trail(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (limit, cursor) = page_params(raw)?;
    let page = leads::audit_trail(&deps, &tenant, &id, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &page, None))
}

async fn request_document(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    post_json(deps, tenant, body, StatusCode::CREATED, |d, t, request: DocumentRequest, key| async move {
        documents::request_upload(&d, &t, &id, request, key.as_ref()).await
    })
    .await
}

async fn list_documents(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (limit, cursor) = page_params(raw)?;
    let page = documents::list_documents(&deps, &tenant, &id, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &page, None))
}

async fn get_document(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let document = documents::get_document(&deps, &tenant, &id, &doc_id).await?;
    Ok(json(StatusCode::OK, &document, None))
}

async fn create_endpoint(State(deps): State<Deps>, tenant: TenantId, body: JsonBody) -> Response {
    // The secret is shown once: replaying it to a retried create is the point.
    post_json(deps, tenant, body, StatusCode::CREATED, |d, t, input: EndpointInput, key| async move {
        webhooks::create_endpoint(&d, &t, input, key.as_ref()).await
    })
    .await
}

async fn list_endpoints(
    State(deps): State<Deps>,
    tenant: TenantId,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    // Every endpoint at once (at most 50): no parameters, and unknown ones are refused.
    query_params(raw, &[])?;
    Ok(json(StatusCode::OK, &webhooks::list_endpoints(&deps, &tenant).await?, None))
}

async fn get_endpoint(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(json(StatusCode::OK, &webhooks::get_endpoint(&deps, &tenant, &id).await?, None))
}

async fn update_endpoint(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, AppError> {
    let input: EndpointInput = parse_body(body.value)?;
    Ok(json(StatusCode::OK, &webhooks::update_endpoint(&deps, &tenant, &id, input).await?, None))
}

async fn delete_endpoint(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    webhooks::delete_endpoint(&deps, &tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_secret(State(deps): State<Deps>, tenant: TenantId, Path(id): Path<String>, body: JsonBody) -> Response {
    let (d, t) = (deps.clone(), tenant.clone());
    idempotent(&deps, &tenant, &body, StatusCode::OK, move |key| async move {
        webhooks::rotate_secret(&d, &t, &id, key.as_ref()).await
    })
    .await
}

async fn list_deliveries(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (limit, cursor) = page_params(raw)?;
    let page = webhooks::list_deliveries(&deps, &tenant, &id, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &page, None))
}

async fn retry_delivery(
    State(deps): State<Deps>,
    tenant: TenantId,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    let (d, t) = (deps.clone(), tenant.clone());
    idempotent(&deps, &tenant, &body, StatusCode::ACCEPTED, move |key| async move {
        let retry = webhooks::retry_delivery(&d, &t, &id).await?;
        // The message is queued; recording the answer afterwards makes a retried
        // request replay it instead of queueing a second attempt.
        if let Some(key) = key {
            let record =
                key.record(crate::idempotency::StoredResponse { status: 202, body: retry.clone(), etag: None });
            if let Err(e) = d.table.transact(vec![record]).await {
                tracing::warn!(error = %e, "could not record the idempotency key of a retry");
            }
        }
        Ok(RetryAccepted(retry))
    })
    .await
}

/// The answer to a manual retry.
#[derive(Serialize)]
#[serde(transparent)]
struct RetryAccepted(Value);

impl Replayable for RetryAccepted {
    fn etag(&self) -> Option<String> {
        None
    }
}

async fn list_events(
    State(deps): State<Deps>,
    tenant: TenantId,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = query_params(raw, &["after", "type", "limit"])?;
    let limit = limit_param(&params)?;
    let event_type = match params.get("type") {
        None => None,
        Some(t) => Some(
            t.parse::<kyc_domain::webhook::EventType>()
                .map_err(|_| AppError::bad_parameter("type", "must be an event type such as kyc.lead_created"))?,
        ),
    };
    let page =
        webhooks::list_events(&deps, &tenant, params.get("after").map(String::as_str), event_type, limit).await?;
    Ok(json(StatusCode::OK, &page, None))
}

fn date_param(params: &HashMap<String, String>, name: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    params
        .get(name)
        .map(|v| {
            kyc_domain::validation::parse_date(v)
                .ok_or_else(|| AppError::bad_parameter(name, "must be a date in the form YYYY-MM-DD"))
        })
        .transpose()
}

async fn get_metrics(
    State(deps): State<Deps>,
    tenant: TenantId,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = query_params(raw, &["from", "to"])?;
    let to = date_param(&params, "to")?.unwrap_or_else(|| deps.clock.now().date_naive());
    // The last 30 days unless told otherwise.
    let from = date_param(&params, "from")?.unwrap_or(to - chrono::TimeDelta::days(29));
    let report = crate::metrics::metrics(&deps, &tenant, from, to).await?;
    Ok(json(StatusCode::OK, &report, None))
}

async fn get_pipeline(
    State(deps): State<Deps>,
    tenant: TenantId,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    query_params(raw, &[])?;
    let report = crate::metrics::pipeline(&deps, &tenant).await?;
    Ok(json(StatusCode::OK, &report, None))
}
