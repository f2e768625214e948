//! Bulk import routes: ask for an import's upload URL, read its report.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use kyc_app::imports::{self, ImportInput};

use crate::Api;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::respond::{json, post_json};

pub async fn create_import(State(api): State<Api>, Caller(by): Caller, body: JsonBody) -> Response {
    post_json(api, by, body, StatusCode::CREATED, |deps, by, input: ImportInput, key| async move {
        imports::create_import(&deps, &by, input, key.as_ref()).await
    })
    .await
}

pub async fn get_import(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let report = imports::get_import(&api.deps, &by.tenant, &id).await?;
    Ok(json(StatusCode::OK, &report, None))
}
