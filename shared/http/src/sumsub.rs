//! Sumsub's webhook (`POST /v1/integrations/sumsub/webhook`): no API key, the body's
//! `X-Payload-Digest` is its authentication (checked by the use case with the tenant's
//! webhook secret). Answers 200 for a review applied or a webhook ignored, so that
//! Sumsub stops resending it; 401 for a digest that does not verify.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use kyc_app::sumsub::webhook::{self, WebhookOutcome};

use crate::error::ApiError;
use crate::{Api, respond};

pub async fn receive_webhook(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match webhook::receive(&api.deps, &body, header("x-payload-digest"), header("x-payload-digest-alg")).await {
        Ok(outcome) => {
            let status = match outcome {
                WebhookOutcome::Applied => "applied",
                WebhookOutcome::Ignored => "ignored",
            };
            respond::json(StatusCode::OK, &serde_json::json!({ "status": status }), None)
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
