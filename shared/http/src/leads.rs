//! Lead routes: create, read, list, patch, decide, notes, audit trail.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use kyc_app::leads::{self, LeadFilter, NoteInput, StatusChangeInput};
use kyc_domain::audit::AuditEvent;
use kyc_domain::lead::input::LeadInput;
use kyc_domain::lead::{Lead, LeadType, Level};
use kyc_domain::status::Status;

use crate::Api;
use crate::error::ApiError;
use crate::extract::{JsonBody, Tenant, if_match};
use crate::query::{Paged, Params};
use crate::respond::{Listed, idempotent, post_json, respond};

pub async fn create_lead(State(api): State<Api>, Tenant(tenant): Tenant, body: JsonBody) -> Response {
    post_json(api, tenant, body, StatusCode::CREATED, |a, t, input: LeadInput, key| async move {
        leads::create_lead(&a.deps, &t, input, key.as_ref()).await
    })
    .await
}

pub async fn get_lead(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lead = leads::get_lead(&api.deps, &tenant, &id).await?;
    Ok(respond(StatusCode::OK, &lead))
}

pub async fn list_leads(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    RawQuery(raw): RawQuery,
) -> Result<Listed<Lead>, ApiError> {
    let params = Params::parse(
        raw,
        &["status", "level", "type", "created_after", "created_before", "order", "limit", "cursor"],
    )?;
    let order = params.get("order");
    if order.is_some_and(|o| o != "newest" && o != "oldest") {
        return Err(ApiError::bad_parameter("order", "must be newest or oldest"));
    }
    let filter = LeadFilter {
        status: params.enumerated::<Status>("status", "not_started, in_progress, under_review, approved, rejected")?,
        level: params.enumerated::<Level>("level", "basic, enhanced, premium")?,
        lead_type: params.enumerated::<LeadType>("type", "individual, business")?,
        created_after: params.time("created_after")?,
        created_before: params.time("created_before")?,
        oldest_first: order == Some("oldest"),
        limit: params.limit()?,
        cursor: params.get("cursor").map(String::from),
    };
    Ok(Listed(leads::list_leads(&api.deps, &tenant, &filter).await?))
}

pub async fn patch_lead(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    let expected = match if_match(&body.headers) {
        Ok(expected) => expected,
        Err(e) => return e.into_response(),
    };
    let (deps, t, patch) = (api.deps.clone(), tenant.clone(), body.value.clone());
    idempotent(&api, &tenant, &body, StatusCode::OK, move |key| async move {
        leads::patch_lead(&deps, &t, &id, patch, expected, key.as_ref()).await
    })
    .await
}

pub async fn change_status(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    let prepared = if_match(&body.headers).and_then(|m| {
        Ok((m, kyc_app::json::parse_input::<StatusChangeInput>(body.value.clone()).map_err(ApiError::from)?))
    });
    let (expected, input) = match prepared {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let deps = api.deps.clone();
    let t = tenant.clone();
    idempotent(&api, &tenant, &body, StatusCode::OK, move |key| async move {
        leads::change_status(&deps, &t, &id, input, expected, key.as_ref()).await
    })
    .await
}

pub async fn add_note(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    post_json(api, tenant, body, StatusCode::CREATED, |a, t, input: NoteInput, key| async move {
        leads::add_note(&a.deps, &t, &id, input, key.as_ref()).await
    })
    .await
}

pub async fn audit_trail(
    State(api): State<Api>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    Paged(page): Paged,
) -> Result<Listed<AuditEvent>, ApiError> {
    Ok(Listed(leads::audit_trail(&api.deps, &tenant, &id, &page).await?))
}
