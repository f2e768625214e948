//! Answers: JSON with its ETag, replays of idempotent answers, and the one routine
//! that runs a POST under its idempotency key.

use std::future::Future;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use kyc_app::auth::Principal;
use kyc_app::store::idempotency::{Idempotency, Lookup, Replayable, StoredResponse};
use kyc_app::store::page::ListPage;
use kyc_app::{AppError, Deps, json};

use crate::Api;
use crate::error::ApiError;
use crate::extract::{JsonBody, idempotency_of};

pub fn json<T: Serialize>(status: StatusCode, body: &T, etag: Option<String>) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::from(AppError::internal_from("cannot serialise an answer", e)).into_response(),
    };
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        headers.insert(header::ETAG, tag);
    }
    response
}

/// A page of a list, answered 200.
pub struct Listed<T>(pub ListPage<T>);

impl<T: Serialize> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        json(StatusCode::OK, &self.0, None)
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = json(status, &stored.body, stored.etag);
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// An answer with its ETag, and its own status when it decides one.
pub fn respond<T: Replayable>(status: StatusCode, output: &T) -> Response {
    let status = output.status().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(status);
    json(status, output, output.etag())
}

/// Runs a write under its idempotency key: replays a stored answer, or runs `run` (with
/// the use cases' dependencies and the caller) and lets it record its answer in the
/// same transaction as its change.
pub async fn idempotent<T, F, Fut>(api: &Api, by: &Principal, body: &JsonBody, status: StatusCode, run: F) -> Response
where
    T: Replayable,
    F: FnOnce(Deps, Principal, Option<Idempotency>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let key = match idempotency_of(api, by, body, status.as_u16()) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let by = by.clone();
    keyed(api, key, status, move |deps, key| run(deps, by, key)).await
}

/// Runs a write under its idempotency key `key` (if any), whoever the caller is.
pub async fn keyed<T, F, Fut>(api: &Api, key: Option<Idempotency>, status: StatusCode, run: F) -> Response
where
    T: Replayable,
    F: FnOnce(Deps, Option<Idempotency>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let table = api.deps.table.as_ref();
    if let Some(key) = &key {
        match key.lookup(table, api.deps.keys.as_ref()).await {
            Ok(Lookup::Replay(stored)) => return replay(stored),
            Ok(Lookup::Fresh) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    match run(api.deps.clone(), key.clone()).await {
        Ok(output) => respond(status, &output),
        Err(AppError::IdempotencyRace) => match key {
            // A concurrent request with the same key committed first: answer as it did.
            Some(key) => match key.lookup(table, api.deps.keys.as_ref()).await {
                Ok(Lookup::Replay(stored)) => replay(stored),
                Ok(Lookup::Fresh) => ApiError::from(AppError::Contention).into_response(),
                Err(e) => ApiError::from(e).into_response(),
            },
            None => ApiError::from(AppError::Contention).into_response(),
        },
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Parses a POST body into `I` and runs `run` under the request's idempotency key.
pub async fn post_json<I, T, F, Fut>(api: Api, by: Principal, body: JsonBody, status: StatusCode, run: F) -> Response
where
    I: DeserializeOwned,
    T: Replayable,
    F: FnOnce(Deps, Principal, I, Option<Idempotency>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let input: I = match json::parse_input(body.value.clone()) {
        Ok(input) => input,
        Err(e) => return ApiError::from(e).into_response(),
    };
    idempotent(&api, &by, &body, status, move |deps, by, key| run(deps, by, input, key)).await
}
