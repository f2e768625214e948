//! Serves the signed object URLs that `LocalObjects` hands out, as S3 would: a PUT
//! stores the file and raises "object created"; a GET returns it as an attachment. Both
//! only with a valid, unexpired signature for exactly that key and content type (and,
//! for downloads, disposition).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use serde::Deserialize;

use kyc_app::ports::Clock;
use kyc_embedded::LocalObjects;
use kyc_embedded::objects::SignedAccess;
use kyc_http::problem::Problem;

/// Uploads larger than this are cut off before they reach the disk; the scorer rejects
/// anything over the configured document limit anyway.
pub const HARD_UPLOAD_CAP: usize = 64 * 1024 * 1024;

/// Called with the key of every stored object (the local "ObjectCreated" event).
pub type OnCreated = Arc<dyn Fn(String) + Send + Sync>;

#[derive(Clone)]
pub struct ObjectRoutes {
    pub objects: LocalObjects,
    pub clock: Arc<dyn Clock>,
    pub on_created: OnCreated,
}

#[derive(Deserialize)]
pub struct Signed {
    expires: i64,
    #[serde(default)]
    ct: String,
    /// A download's `Content-Disposition`.
    #[serde(default)]
    cd: String,
    sig: String,
}

pub fn router(state: ObjectRoutes) -> Router {
    Router::new().route("/local-objects/{*key}", put(upload).get(download)).with_state(state)
}

fn refused() -> Response {
    Problem::new(403, "signature_invalid", "the URL is not valid for this request, or has expired").into_response()
}

async fn upload(
    State(state): State<ObjectRoutes>,
    Path(key): Path<String>,
    q: Result<Query<Signed>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // A URL without its signature parameters is refused like a wrong signature.
    let Ok(Query(q)) = q else { return refused() };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let access =
        SignedAccess { method: "PUT", key: &key, expires: q.expires, content_type, disposition: "", signature: &q.sig };
    if q.ct != content_type || !q.cd.is_empty() || !state.objects.verify(&access, state.clock.now()) {
        return refused();
    }
    // One upload per URL, as S3 with `If-None-Match: *` would: a second PUT must not
    // swap a scored file for an unchecked one.
    if state.objects.path_of(&key).is_some_and(|p| p.exists()) {
        return Problem::new(412, "object_exists", "this document's file was already uploaded; request a new document")
            .into_response();
    }
    let bytes = match axum::body::to_bytes(body, HARD_UPLOAD_CAP).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Problem::new(413, "payload_too_large", format!("uploads are capped at {HARD_UPLOAD_CAP} bytes"))
                .into_response();
        }
    };
    if let Err(e) = state.objects.write(&key, &bytes).await {
        tracing::error!(error = %e, "storing an upload failed");
        return Problem::new(503, "service_unavailable", "the file could not be stored").into_response();
    }
    tracing::info!(bytes = bytes.len(), "object stored");
    (state.on_created)(key);
    StatusCode::OK.into_response()
}

async fn download(
    State(state): State<ObjectRoutes>,
    Path(key): Path<String>,
    q: Result<Query<Signed>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else { return refused() };
    let access = SignedAccess {
        method: "GET",
        key: &key,
        expires: q.expires,
        content_type: &q.ct,
        disposition: &q.cd,
        signature: &q.sig,
    };
    // Only ever an attachment: a file rendered in the reviewer's browser could run
    // what it carries in the page's origin.
    if !q.cd.starts_with("attachment") || q.ct.is_empty() || !state.objects.verify(&access, state.clock.now()) {
        return refused();
    }
    let (Ok(content_type), Ok(disposition)) = (HeaderValue::from_str(&q.ct), HeaderValue::from_str(&q.cd)) else {
        return refused();
    };
    let Some(path) = state.objects.path_of(&key) else { return refused() };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_DISPOSITION, disposition),
                // The declared type is the only type: no browser guesses another.
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                // Should a browser render it anyway, with no script and no origin.
                (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'")),
                (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => Problem::new(404, "not_found", "no such object").into_response(),
    }
}
