//! The HTTP edge's error: the application's errors plus what only HTTP can get wrong
//! (a body that is not JSON, a wrong media type, a bad header), each mapped once to a
//! status and a problem document. Internal faults are logged here, once, with their
//! source chain, and never shown.

use axum::response::{IntoResponse, Response};

use kyc_app::AppError;
use kyc_app::auth::Role;
use kyc_app::error::report as chain;
use kyc_app::ports::table::TableError;
use kyc_domain::FieldError;
use kyc_domain::status::TransitionError;

use crate::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("malformed JSON")]
    MalformedJson(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// A header or query parameter that is not valid (400, named by `field`).
    #[error("bad parameter {field}")]
    BadParameter { field: String, message: String },
    #[error("unauthorized")]
    Unauthorized,
    /// The key's role may not call this route.
    #[error("forbidden")]
    Forbidden { role: Role },
}

impl ApiError {
    pub fn bad_parameter(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadParameter { field: field.to_string(), message: message.into() }
    }
}

impl From<ApiError> for Problem {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::App(e) => Problem::from(e),
            ApiError::BadParameter { field, message } => {
                Problem::new(400, "validation_failed", format!("{field}: {message}")).field(&field, message)
            }
            ApiError::MalformedJson(message) => {
                Problem::new(400, "malformed_json", format!("the body is not valid JSON: {message}"))
                    .field("body", message)
            }
            ApiError::Unauthorized => {
                Problem::new(401, "unauthorized", "send a valid API key as `Authorization: Bearer <key>`")
            }
            ApiError::Forbidden { role } => Problem::new(
                403,
                "forbidden",
                format!("an API key with the role {} may not call this route", role.as_str()),
            ),
            ApiError::PayloadTooLarge { limit } => {
                Problem::new(413, "payload_too_large", format!("the body must be at most {limit} bytes"))
                    .field("body", format!("must be at most {limit} bytes"))
            }
            ApiError::UnsupportedMediaType => {
                Problem::new(415, "unsupported_media_type", "send the body as application/json")
                    .field("Content-Type", "must be application/json")
            }
        }
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(errors) => {
                let detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    many => format!("{} fields are not valid", many.len()),
                };
                Problem::new(422, "validation_failed", detail).with_errors(errors)
            }
            AppError::InvalidQuery { field, message } => {
                Problem::new(400, "validation_failed", format!("{field}: {message}")).field(&field, message)
            }
            AppError::NotFound(what) => Problem::new(404, "not_found", format!("no such {what}")),
            AppError::Transition(t) => match t {
                TransitionError::NotAllowed { .. } => Problem::new(409, "invalid_transition", t.to_string()),
                TransitionError::ReasonRequired | TransitionError::ReasonsOnlyForRejection => {
                    Problem::new(422, "validation_failed", t.to_string()).field("reasons", t.to_string())
                }
                TransitionError::SecondApprovalRequired => Problem::new(409, "second_approval_required", t.to_string()),
                TransitionError::RequirementsMissing(ref missing) => {
                    let errors =
                        missing.iter().map(|r| FieldError::new("requirements.missing", r.to_string())).collect();
                    Problem::new(409, "requirements_missing", t.to_string()).with_errors(errors)
                }
            },
            AppError::LinkExpired => {
                Problem::new(410, "link_expired", "this verification link has expired; ask for a new one")
            }
            AppError::LeadDecided => {
                Problem::new(409, "lead_decided", "the lead is approved or rejected: only metadata can change")
            }
            AppError::DuplicateExternalId(existing) => {
                Problem::new(409, "duplicate_external_id", format!("lead {existing} already has this external_id"))
                    .field("external_id", "is already used by another lead")
            }
            AppError::VersionConflict { current } => Problem::new(
                412,
                "version_conflict",
                format!("If-Match does not match the lead's current version {current}"),
            ),
            AppError::Contention => Problem::new(
                409,
                "concurrent_modification",
                "the resource was changed by concurrent requests; read it again and retry",
            ),
            AppError::IdempotencyKeyReused | AppError::IdempotencyRace => Problem::new(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request in the last 24 hours",
            )
            .field("Idempotency-Key", "was used with a different request"),
            AppError::UnsupportedDocumentType => Problem::new(
                415,
                "unsupported_media_type",
                "documents are accepted as image/jpeg, image/png or application/pdf",
            )
            .field("content_type", "must be image/jpeg, image/png or application/pdf"),
            AppError::EndpointDisabled => Problem::new(
                409,
                "endpoint_disabled",
                "the endpoint is disabled: enable it (PATCH status) before retrying deliveries",
            ),
            AppError::ShareTokenRejected => Problem::new(
                422,
                "share_token_rejected",
                "Sumsub refused the share token (expired, already used or not shared with this account); \
                 ask the applicant for a fresh one",
            )
            .field("sumsub_share_token", "was refused by Sumsub"),
            AppError::SumsubUnavailable(detail) => {
                tracing::warn!(error = %detail, "sumsub unavailable");
                Problem::new(502, "sumsub_unavailable", "Sumsub did not answer; the lead is unchanged, retry shortly")
            }
            AppError::SumsubNotConfigured => Problem::new(
                503,
                "sumsub_not_configured",
                "no Sumsub credentials are configured for this tenant; the lead is unchanged",
            ),
            AppError::SumsubWebhookUnverified => {
                Problem::new(401, "unauthorized", "the X-Payload-Digest of this Sumsub webhook does not verify")
            }
            AppError::Queue(e) => {
                tracing::error!(error = %chain(&e), "queue failed");
                Problem::new(503, "service_unavailable", "the deliveries queue is unavailable; retry shortly")
            }
            AppError::Objects(e) => {
                tracing::error!(error = %chain(&e), "object store failed");
                Problem::new(503, "service_unavailable", "document storage is unavailable; retry shortly")
            }
            AppError::VerifierUnavailable(e) => {
                tracing::error!(error = %e, "verifier unavailable");
                Problem::new(503, "service_unavailable", "document verification is unavailable; retry shortly")
            }
            AppError::Store(TableError::Unavailable(e)) => {
                tracing::error!(error = %e, "store unavailable");
                Problem::new(503, "service_unavailable", "the store is unavailable; retry shortly")
            }
            e @ (AppError::Store(_) | AppError::Internal { .. }) => {
                tracing::error!(error = %chain(&e), "internal error");
                Problem::new(500, "internal", "an internal error occurred")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
