//! Who may call what: the contract's route × role table, enforced in one place, after
//! routing (the matched route names the row) and before any handler. A request
//! without a valid key is 401; a role the row does not list is 403 `forbidden`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use kyc_app::auth::Role::{self, Admin, Integrator, Reviewer};

use crate::Api;
use crate::error::ApiError;

const EVERYONE: &[Role] = &[Admin, Reviewer, Integrator];
/// What an integration does: create and change leads, ask for documents.
const INTEGRATION: &[Role] = &[Admin, Integrator];
/// What a person reviewing does: decide, write notes, read metrics.
const REVIEW: &[Role] = &[Admin, Reviewer];
const ADMIN_ONLY: &[Role] = &[Admin];

/// Every authenticated route: method, route template, the roles that may call it.
pub const ROUTES: &[(&str, &str, &[Role])] = &[
    ("GET", "/v1/leads", EVERYONE),
    ("POST", "/v1/leads", INTEGRATION),
    ("GET", "/v1/leads/{id}", EVERYONE),
    ("PATCH", "/v1/leads/{id}", INTEGRATION),
    ("GET", "/v1/leads/{id}/audit", EVERYONE),
    ("POST", "/v1/leads/{id}/notes", REVIEW),
    ("POST", "/v1/leads/{id}/status", REVIEW),
    ("GET", "/v1/leads/{id}/documents", EVERYONE),
    ("POST", "/v1/leads/{id}/documents", INTEGRATION),
    ("GET", "/v1/leads/{id}/documents/{doc_id}", EVERYONE),
    ("POST", "/v1/kyc-links", INTEGRATION),
    ("POST", "/v1/imports", INTEGRATION),
    ("GET", "/v1/imports/{id}", INTEGRATION),
    ("GET", "/v1/events", EVERYONE),
    ("GET", "/v1/metrics", REVIEW),
    ("GET", "/v1/metrics/pipeline", REVIEW),
    ("GET", "/v1/webhook-endpoints", ADMIN_ONLY),
    ("POST", "/v1/webhook-endpoints", ADMIN_ONLY),
    ("GET", "/v1/webhook-endpoints/{id}", ADMIN_ONLY),
    ("PATCH", "/v1/webhook-endpoints/{id}", ADMIN_ONLY),
    ("DELETE", "/v1/webhook-endpoints/{id}", ADMIN_ONLY),
    ("POST", "/v1/webhook-endpoints/{id}/rotate-secret", ADMIN_ONLY),
    ("GET", "/v1/webhook-endpoints/{id}/deliveries", ADMIN_ONLY),
    ("POST", "/v1/webhook-deliveries/{id}/retry", ADMIN_ONLY),
];

/// The roles that may call `method` on `route` (none for a route not in the table:
/// a route nobody listed is closed, never open).
pub fn roles_for(method: &Method, route: &str) -> &'static [Role] {
    ROUTES.iter().find(|(m, r, _)| *m == method.as_str() && *r == route).map_or(&[], |(_, _, roles)| roles)
}

/// Authenticates the request and checks its role against the table; the principal
/// rides on the request for the handler (`Caller`).
pub async fn check(State(api): State<Api>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let principal = match api.auth.principal(&parts).await {
        Ok(principal) => principal,
        Err(e) => return e.into_response(),
    };
    let route = parts.extensions.get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    if !roles_for(&parts.method, &route).contains(&principal.role) {
        return ApiError::Forbidden { role: principal.role }.into_response();
    }
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, body)).await
}
