//! The application's error type and its one mapping to HTTP.

use axum::response::{IntoResponse, Response};

use kyc_domain::FieldError;
use kyc_domain::ids::LeadId;
use kyc_domain::status::TransitionError;

use crate::problem::Problem;
use crate::table::TableError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A query parameter or header is wrong (400, named by `field`).
    #[error("bad parameter {field}")]
    BadParameter { field: String, message: String },
    #[error("malformed JSON")]
    MalformedJson(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("lead is decided")]
    LeadDecided,
    #[error("duplicate external id")]
    DuplicateExternalId(LeadId),
    #[error("version conflict")]
    VersionConflict { current: u64 },
    #[error("too much contention")]
    Contention,
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// Another request with the same idempotency key committed first.
    #[error("idempotency race")]
    IdempotencyRace,
    #[error("unauthorized")]
    Unauthorized,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A document's declared `content_type` is not one we accept.
    #[error("unsupported document type")]
    UnsupportedDocumentType,
    #[error("object store: {0}")]
    Objects(#[from] crate::objects::ObjectError),
    #[error("queue: {0}")]
    Queue(#[from] crate::queue::QueueError),
    #[error("endpoint disabled")]
    EndpointDisabled,
    #[error("store: {0}")]
    Store(#[from] TableError),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_parameter(field: &str, message: impl Into<String>) -> Self {
        AppError::BadParameter { field: field.to_string(), message: message.into() }
    }

    /// A stored item that does not parse. Only the position and kind of the fault are
    /// kept: serde's own message can quote the data, which may be personal.
    pub fn unreadable(what: &str, e: &serde_json::Error) -> Self {
        AppError::Internal(format!("unreadable {what} (line {}, column {}, {:?})", e.line(), e.column(), e.classify()))
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
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
            AppError::BadParameter { field, message } => {
                Problem::new(400, "validation_failed", format!("{field}: {message}")).field(&field, message)
            }
            AppError::MalformedJson(message) => {
                Problem::new(400, "malformed_json", format!("the body is not valid JSON: {message}"))
                    .field("body", message)
            }
            AppError::NotFound(what) => Problem::new(404, "not_found", format!("no such {what}")),
            AppError::Transition(t) => match t {
                TransitionError::NotAllowed { .. } => Problem::new(409, "invalid_transition", t.to_string()),
                TransitionError::ReasonRequired | TransitionError::ReasonsOnlyForRejection => {
                    Problem::new(422, "validation_failed", t.to_string()).field("reasons", t.to_string())
                }
                TransitionError::RequirementsMissing(ref missing) => {
                    let errors =
                        missing.iter().map(|r| FieldError::new("requirements.missing", r.to_string())).collect();
                    Problem::new(409, "requirements_missing", t.to_string()).with_errors(errors)
                }
            },
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
            AppError::Unauthorized => {
                Problem::new(401, "unauthorized", "send a valid API key as `Authorization: Bearer <key>`")
            }
            AppError::PayloadTooLarge { limit } => {
                Problem::new(413, "payload_too_large", format!("the body must be at most {limit} bytes"))
                    .field("body", format!("must be at most {limit} bytes"))
            }
            AppError::UnsupportedMediaType => {
                Problem::new(415, "unsupported_media_type", "send the body as application/json")
                    .field("Content-Type", "must be application/json")
            }
            AppError::UnsupportedDocumentType => Problem::new(
                415,
                "unsupported_media_type",
                "documents are accepted as image/jpeg, image/png or application/pdf",
            )
            .field("content_type", "must be image/jpeg, image/png or application/pdf"),
            AppError::Queue(e) => {
                tracing::error!(error = %e, "queue failed");
                Problem::new(503, "service_unavailable", "the deliveries queue is unavailable; retry shortly")
            }
            AppError::EndpointDisabled => Problem::new(
                409,
                "endpoint_disabled",
                "the endpoint is disabled: enable it (PATCH status) before retrying deliveries",
            ),
            AppError::Objects(e) => {
                tracing::error!(error = %e, "object store failed");
                Problem::new(503, "service_unavailable", "document storage is unavailable; retry shortly")
            }
            AppError::Store(TableError::Unavailable(e)) => {
                tracing::error!(error = %e, "store unavailable");
                Problem::new(503, "service_unavailable", "the store is unavailable; retry shortly")
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, "store failed");
                Problem::new(500, "internal", "an internal error occurred")
            }
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                Problem::new(500, "internal", "an internal error occurred")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
