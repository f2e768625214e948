//! Webhook routes: endpoints, their deliveries, manual retries, the event feed.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use kyc_app::webhooks::{self, Delivery, Endpoint, EndpointInput};
use kyc_domain::webhook::{EventType, WebhookEvent};

use crate::Api;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};
use crate::query::{Paged, Params};
use crate::respond::{Listed, idempotent, json, post_json};

pub async fn create_endpoint(State(api): State<Api>, Caller(by): Caller, body: JsonBody) -> Response {
    // The secret is shown once: replaying it to a retried create is the point.
    post_json(api, by, body, StatusCode::CREATED, |deps, t, input: EndpointInput, key| async move {
        webhooks::create_endpoint(&deps, &t.tenant, input, key.as_ref()).await
    })
    .await
}

pub async fn list_endpoints(
    State(api): State<Api>,
    Caller(by): Caller,
    Paged(page): Paged,
) -> Result<Listed<Endpoint>, ApiError> {
    Ok(Listed(webhooks::list_endpoints(&api.deps, &by.tenant, &page).await?))
}

pub async fn get_endpoint(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(json(StatusCode::OK, &webhooks::get_endpoint(&api.deps, &by.tenant, &id).await?, None))
}

pub async fn update_endpoint(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    post_json(api, by, body, StatusCode::OK, |deps, t, input: EndpointInput, key| async move {
        webhooks::update_endpoint(&deps, &t.tenant, &id, input, key.as_ref()).await
    })
    .await
}

pub async fn delete_endpoint(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    webhooks::delete_endpoint(&api.deps, &by.tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn rotate_secret(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    idempotent(&api, &by, &body, StatusCode::OK, move |deps, t, key| async move {
        webhooks::rotate_secret(&deps, &t.tenant, &id, key.as_ref()).await
    })
    .await
}

pub async fn list_deliveries(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    Paged(page): Paged,
) -> Result<Listed<Delivery>, ApiError> {
    Ok(Listed(webhooks::list_deliveries(&api.deps, &by.tenant, &id, &page).await?))
}

pub async fn retry_delivery(
    State(api): State<Api>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Response {
    idempotent(&api, &by, &body, StatusCode::ACCEPTED, move |deps, t, key| async move {
        webhooks::retry_delivery(&deps, &t.tenant, &id, key.as_ref()).await
    })
    .await
}

pub async fn list_events(
    State(api): State<Api>,
    Caller(by): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Listed<WebhookEvent>, ApiError> {
    let params = Params::parse(raw, &["after", "type", "limit"])?;
    let event_type = match params.get("type") {
        None => None,
        Some(t) => Some(
            t.parse::<EventType>()
                .map_err(|_| ApiError::bad_parameter("type", "must be an event type such as kyc.lead_created"))?,
        ),
    };
    Ok(Listed(webhooks::list_events(&api.deps, &by.tenant, params.get("after"), event_type, params.limit()?).await?))
}
