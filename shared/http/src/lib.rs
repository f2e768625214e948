//! The HTTP API as axum routers, served alike by the Lambda functions (through
//! `lambda_http`) and by `kyc-local`. Handlers only translate: HTTP in, a use case of
//! `kyc-app`, JSON or problem+json out.

pub mod access;
pub mod documents;
pub mod error;
pub mod extract;
pub mod imports;
pub mod leads;
pub mod link_page;
pub mod links;
pub mod metrics;
pub mod problem;
pub mod query;
pub mod respond;
pub mod sumsub;
pub mod webhooks;

use std::sync::{Arc, LazyLock};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use kyc_app::Deps;

pub use error::ApiError;
pub use extract::{Authenticate, BODY_LIMIT, BearerKeys, Caller};
pub use problem::Problem;

/// The OpenAPI document of what these routers serve.
pub const OPENAPI: &str = include_str!("../../../infra/openapi.json");

/// Where clients reach this API (scheme, host, optional port; no path), named in the
/// `servers` of the OpenAPI document it serves. Added as a request extension by a
/// deployment that knows it (`kyc-local --public-url`); otherwise `KYC_PUBLIC_URL`,
/// else the request's `X-Forwarded-Proto` / `X-Forwarded-Host` / `Host` decide.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

/// The origin the hosted page's uploads go to (the documents bucket's, on AWS), allowed
/// by the page's Content-Security-Policy; `KYC_UPLOAD_ORIGIN` when not given as an
/// extension. Without one, uploads go to the API's own origin (`kyc-local`).
#[derive(Debug, Clone)]
pub struct UploadOrigin(pub String);

static DOCUMENT: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::from_str(OPENAPI).unwrap_or(serde_json::Value::Null));

/// What every route handler is given: the use cases' dependencies and how requests
/// are authenticated (a key store locally, the authorizer's context on Lambda).
#[derive(Clone)]
pub struct Api {
    pub deps: Deps,
    pub auth: Arc<dyn Authenticate>,
}

/// The API's routes by capability, added to one router: a function's router chains the
/// capabilities it serves (`Router::new().leads().metrics().imports()`). Not separate
/// routers merged: axum's `merge` inserts every route of the merged router again, and
/// building and merging leads-api's four routers was 0.1 million instructions of its
/// cold start.
pub trait ApiRoutes {
    /// Lead creation, reads, patches, notes and the audit trail (`leads-api`).
    fn leads(self) -> Self;
    /// Document upload instructions and reads (`documents-api`).
    fn documents(self) -> Self;
    /// Webhook endpoints, deliveries and the event feed (`webhooks-api`).
    fn webhooks(self) -> Self;
    /// Funnel and pipeline metrics (served by `leads-api`).
    fn metrics(self) -> Self;
    /// KYC link creation (`links-api`, authenticated).
    fn links(self) -> Self;
    /// The hosted verification page, its assets and its JSON calls (`links-api`): open,
    /// authorised only by the link token in the path.
    fn link_page(self) -> Self;
    /// Bulk imports: upload URLs and reports (`leads-api`).
    fn imports(self) -> Self;
    /// Sumsub's webhook (`leads-api`): open, authenticated by its `X-Payload-Digest`.
    fn sumsub(self) -> Self;
    /// Status transitions (`status-api`).
    fn status(self) -> Self;
}

impl ApiRoutes for Router<Api> {
    fn leads(self) -> Self {
        self.route("/v1/leads", post(leads::create_lead).get(leads::list_leads))
            .route("/v1/leads/{id}", get(leads::get_lead).patch(leads::patch_lead))
            .route("/v1/leads/{id}/notes", post(leads::add_note))
            .route("/v1/leads/{id}/audit", get(leads::audit_trail))
    }

    fn documents(self) -> Self {
        self.route("/v1/leads/{id}/documents", post(documents::request_document).get(documents::list_documents))
            .route("/v1/leads/{id}/documents/{doc_id}", get(documents::get_document))
    }

    fn webhooks(self) -> Self {
        self.route("/v1/webhook-endpoints", post(webhooks::create_endpoint).get(webhooks::list_endpoints))
            .route(
                "/v1/webhook-endpoints/{id}",
                get(webhooks::get_endpoint).patch(webhooks::update_endpoint).delete(webhooks::delete_endpoint),
            )
            .route("/v1/webhook-endpoints/{id}/rotate-secret", post(webhooks::rotate_secret))
            .route("/v1/webhook-endpoints/{id}/deliveries", get(webhooks::list_deliveries))
            .route("/v1/webhook-deliveries/{id}/retry", post(webhooks::retry_delivery))
            .route("/v1/events", get(webhooks::list_events))
    }

    fn metrics(self) -> Self {
        self.route("/v1/metrics", get(metrics::get_metrics)).route("/v1/metrics/pipeline", get(metrics::get_pipeline))
    }

    fn links(self) -> Self {
        self.route("/v1/kyc-links", post(links::create_link))
    }

    fn link_page(self) -> Self {
        self.route("/l/{token}", get(links::page))
            .route("/l/{token}/session", get(links::session).put(links::open))
            .route("/l/{token}/documents", post(links::request_document))
            .route(link_page::SCRIPT_PATH, get(links::script))
            .route(link_page::STYLE_PATH, get(links::style))
    }

    fn imports(self) -> Self {
        self.route("/v1/imports", post(imports::create_import)).route("/v1/imports/{id}", get(imports::get_import))
    }

    fn sumsub(self) -> Self {
        self.route("/v1/integrations/sumsub/webhook", post(sumsub::receive_webhook))
    }

    fn status(self) -> Self {
        self.route("/v1/leads/{id}/status", post(leads::change_status))
    }
}

/// Routes every deployment answers: health, the OpenAPI document, and problem+json
/// for unknown routes and methods.
pub fn finish(routes: Router<Api>, api: Api) -> Router {
    finish_with_open(routes, |routes| routes, api)
}

/// As [`finish`], with the routes `open` adds taking no API key (they authorise
/// themselves).
pub fn finish_with_open(routes: Router<Api>, open: impl FnOnce(Router<Api>) -> Router<Api>, api: Api) -> Router {
    // Every API route is authenticated and checked against the role table; health, the
    // document and the `open` routes, added after this layer, are not.
    let authenticated = routes.route_layer(axum::middleware::from_fn_with_state(api.clone(), access::check));
    open(authenticated)
        .route("/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(access_log))
        .with_state(api)
}

/// The whole API on one router (local mode, tests).
pub fn router(api: Api) -> Router {
    let all = Router::new().leads().metrics().status().documents().webhooks().links().imports();
    finish_with_open(all, |open| open.link_page().sumsub(), api)
}

async fn health() -> Response {
    respond::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }), None)
}

/// Where clients reach this API: the deployment's `PublicUrl`, else `KYC_PUBLIC_URL`,
/// else what the request's proxy headers or `Host` say.
pub fn public_base(public: Option<Extension<PublicUrl>>, headers: &HeaderMap) -> Option<String> {
    public
        .map(|Extension(PublicUrl(url))| url)
        .or_else(|| std::env::var("KYC_PUBLIC_URL").ok())
        .filter(|url| valid_base_url(url))
        .map(|url| url.trim_end_matches('/').to_string())
        .or_else(|| base_url_from_headers(headers))
}

async fn openapi(public: Option<Extension<PublicUrl>>, headers: HeaderMap) -> Response {
    let base = public_base(public, &headers);
    let mut response = (StatusCode::OK, served_openapi(base.as_deref())).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The OpenAPI document with `servers` naming `base` (the document as shipped when
/// there is none). Only the top-level `servers` array is replaced, in the text itself,
/// so everything else is served byte for byte as shipped (members in their order).
pub fn served_openapi(base: Option<&str>) -> String {
    let Some(base) = base else { return OPENAPI.to_string() };
    let servers = serde_json::json!([{
        "url": base.trim_end_matches('/'),
        "description": "this deployment (the URL this document was fetched from)"
    }]);
    if let Some((before, after)) = around_servers(OPENAPI) {
        return format!("{before}\n  \"servers\": {servers}{after}");
    }
    // A document laid out otherwise: the same content, re-serialised.
    let mut document = DOCUMENT.clone();
    let Some(root) = document.as_object_mut() else { return OPENAPI.to_string() };
    root.insert("servers".into(), servers);
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| OPENAPI.to_string())
}

/// The text before and after the top-level `servers` array of a document indented by
/// two spaces (as `infra/openapi.json` is).
fn around_servers(text: &str) -> Option<(&str, &str)> {
    const START: &str = "\n  \"servers\": [";
    const END: &str = "\n  ]";
    let start = text.find(START)?;
    let end = start + START.len() + text[start + START.len()..].find(END)? + END.len();
    Some((&text[..start], &text[end..]))
}

/// `http(s)://host[:port]` with nothing a document reader could trip over.
fn valid_base_url(url: &str) -> bool {
    let url = url.trim_end_matches('/');
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    host.is_some_and(valid_host)
}

fn valid_host(host: &str) -> bool {
    (1..=255).contains(&host.len())
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_'))
}

/// The base URL a client used, as a proxy (API Gateway, a load balancer) or the client
/// itself reports it: the first `X-Forwarded-Proto` (`http` without one) and the first
/// `X-Forwarded-Host`, else `Host`.
fn base_url_from_headers(headers: &HeaderMap) -> Option<String> {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let host = first("x-forwarded-host").or_else(|| first(header::HOST.as_str())).filter(|h| valid_host(h))?;
    let scheme = match first("x-forwarded-proto").map(|p| p.to_ascii_lowercase()).as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_differs_from_the_shipped_one_in_servers_only() {
        let served = served_openapi(Some("https://api.example.com/"));
        let value: serde_json::Value = serde_json::from_str(&served).expect("still JSON");
        assert_eq!(value["servers"][0]["url"], "https://api.example.com");
        let (before, after) = around_servers(OPENAPI).expect("the shipped layout");
        assert!(served.starts_with(before) && served.ends_with(after));
        assert_eq!(served_openapi(None), OPENAPI);
    }

    #[test]
    fn a_base_url_comes_from_the_proxy_headers_or_host_and_only_if_well_formed() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let url = |pairs: &[(&'static str, &'static str)]| base_url_from_headers(&headers(pairs));
        assert_eq!(url(&[("host", "a.example:8080")]), Some("http://a.example:8080".into()));
        assert_eq!(
            url(&[("host", "x"), ("x-forwarded-host", "b.example"), ("x-forwarded-proto", "https, http")]),
            Some("https://b.example".into())
        );
        assert_eq!(url(&[("host", "a/b")]), None);
        assert_eq!(url(&[]), None);
        assert!(
            valid_base_url("https://kyc.example.com/") && !valid_base_url("ftp://x") && !valid_base_url("https://")
        );
    }
}
