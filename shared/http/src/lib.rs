//! The HTTP API as axum routers, served alike by the Lambda functions (through
//! `lambda_http`) and by `kyc-local`. Handlers only translate: HTTP in, a use case of
//! `kyc-app`, JSON or problem+json out.

pub mod access;
pub mod documents;
pub mod error;
pub mod extract;
pub mod leads;
pub mod metrics;
pub mod problem;
pub mod query;
pub mod respond;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use kyc_app::Deps;

pub use error::ApiError;
pub use extract::{Authenticate, BODY_LIMIT, BearerKeys, Caller};
pub use problem::Problem;

/// The OpenAPI document of what these routers serve.
pub const OPENAPI: &str = include_str!("../../../infra/openapi.json");

/// What every route handler is given: the use cases' dependencies and how requests
/// are authenticated (a key store locally, the authorizer's context on Lambda).
#[derive(Clone)]
pub struct Api {
    pub deps: Deps,
    pub auth: Arc<dyn Authenticate>,
}

/// Lead creation, reads, patches, notes and the audit trail (`leads-api`).
pub fn leads_routes() -> Router<Api> {
    Router::new()
        .route("/v1/leads", post(leads::create_lead).get(leads::list_leads))
        .route("/v1/leads/{id}", get(leads::get_lead).patch(leads::patch_lead))
        .route("/v1/leads/{id}/notes", post(leads::add_note))
        .route("/v1/leads/{id}/audit", get(leads::audit_trail))
}

/// Document upload instructions and reads (`documents-api`).
pub fn documents_routes() -> Router<Api> {
    Router::new()
        .route("/v1/leads/{id}/documents", post(documents::request_document).get(documents::list_documents))
        .route("/v1/leads/{id}/documents/{doc_id}", get(documents::get_document))
}

/// Webhook endpoints, deliveries and the event feed (`webhooks-api`).
pub fn webhooks_routes() -> Router<Api> {
    Router::new()
        .route("/v1/webhook-endpoints", post(webhooks::create_endpoint).get(webhooks::list_endpoints))
        .route(
            "/v1/webhook-endpoints/{id}",
            get(webhooks::get_endpoint).patch(webhooks::update_endpoint).delete(webhooks::delete_endpoint),
        )
        .route("/v1/webhook-endpoints/{id}/rotate-secret", post(webhooks::rotate_secret))
        .route("/v1/webhook-endpoints/{id}/deliveries", get(webhooks::list_deliveries))
        .route("/v1/webhook-deliveries/{id}/retry", post(webhooks::retry_delivery))
        .route("/v1/events", get(webhooks::list_events))
}

/// Funnel and pipeline metrics (served by `leads-api`).
pub fn metrics_routes() -> Router<Api> {
    Router::new()
        .route("/v1/metrics", get(metrics::get_metrics))
        .route("/v1/metrics/pipeline", get(metrics::get_pipeline))
}

/// Status transitions (`status-api`).
pub fn status_routes() -> Router<Api> {
    Router::new().route("/v1/leads/{id}/status", post(leads::change_status))
}

/// Routes every deployment answers: health, the OpenAPI document, and problem+json
/// for unknown routes and methods.
pub fn finish(routes: Router<Api>, api: Api) -> Router {
    routes
        // Every API route is authenticated and checked against the role table; health
        // and the document below are open.
        .route_layer(axum::middleware::from_fn_with_state(api.clone(), access::check))
        .route("/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(access_log))
        .with_state(api)
}

/// The whole API on one router (local mode, tests).
pub fn router(api: Api) -> Router {
    let all = leads_routes()
        .merge(metrics_routes())
        .merge(status_routes())
        .merge(documents_routes())
        .merge(webhooks_routes());
    finish(all, api)
}

async fn health() -> Response {
    respond::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }), None)
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
