//! Document routes: upload instructions, a lead's documents, one document.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use kyc_app::documents::{self, DocumentRequest};
use kyc_domain::documents::Document;

use crate::Api;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::query::Paged;
use crate::respond::{Listed, json, post_json};

pub async fn request_document(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    post_json(api, by, body, StatusCode::CREATED, |deps, t, request: DocumentRequest, key| async move {
        documents::request_upload(&deps, &t, &id, request, key.as_ref()).await
    })
    .await
}

pub async fn list_documents(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    Paged(page): Paged,
) -> Result<Listed<Document>, ApiError> {
    Ok(Listed(documents::list_documents(&api.deps, &by.tenant, &id, &page).await?))
}

pub async fn get_document(
    State(api): State<Api>,
    Caller(by): Caller,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let document = documents::get_document(&api.deps, &by.tenant, &id, &doc_id).await?;
    Ok(json(StatusCode::OK, &document, None))
}
