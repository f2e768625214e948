//! Document routes: upload instructions, a lead's documents, one document.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use kyc_app::documents::{self, DocumentRequest};

use crate::Api;
use crate::error::ApiError;
use crate::extract::{JsonBody, Tenant};
use crate::query::page_params;
use crate::respond::{json, post_json};

pub async fn request_document(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    post_json(api, tenant, body, StatusCode::CREATED, |a, t, request: DocumentRequest, key| async move {
        documents::request_upload(&a.deps, &t, &id, request, key.as_ref()).await
    })
    .await
}

pub async fn list_documents(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (limit, cursor) = page_params(raw)?;
    let page = documents::list_documents(&api.deps, &tenant, &id, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &page, None))
}

pub async fn get_document(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let document = documents::get_document(&api.deps, &tenant, &id, &doc_id).await?;
    Ok(json(StatusCode::OK, &document, None))
}
