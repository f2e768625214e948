//! The application's error type. It speaks of leads, documents and stores, never of
//! HTTP: `kyc-http` maps each variant to a status and a problem document.

use kyc_domain::FieldError;
use kyc_domain::ids::LeadId;
use kyc_domain::status::TransitionError;

use crate::ports::objects::ObjectError;
use crate::ports::queue::QueueError;
use crate::ports::table::TableError;

type Source = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input fields that break the rules, each named by its dotted path.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A list or report parameter that is not valid for this query (an unknown cursor,
    /// a range too long), named by the parameter.
    #[error("invalid query parameter {field}")]
    InvalidQuery { field: String, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A KYC link past its expiry (410 `link_expired`).
    #[error("link expired")]
    LinkExpired,
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
    /// A document's declared `content_type` is not one we accept.
    #[error("unsupported document type")]
    UnsupportedDocumentType,
    #[error("endpoint disabled")]
    EndpointDisabled,
    #[error("object store: {0}")]
    Objects(#[from] ObjectError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error("store: {0}")]
    Store(#[from] TableError),
    /// A reading service stayed unavailable through the adapter's retries: the
    /// storage event is retried.
    #[error(transparent)]
    VerifierUnavailable(#[from] crate::ports::VerifierOutage),
    /// Sumsub refused the share token (expired, already used, not shared with us):
    /// 422 `share_token_rejected`.
    #[error("share token rejected")]
    ShareTokenRejected,
    /// Sumsub did not answer, or answered 5xx, through the adapter's retries: 502.
    #[error("sumsub unavailable: {0}")]
    SumsubUnavailable(String),
    /// No Sumsub credentials for this tenant: 503 `sumsub_not_configured`.
    #[error("sumsub not configured")]
    SumsubNotConfigured,
    /// A Sumsub webhook whose `X-Payload-Digest` does not verify: 401.
    #[error("sumsub webhook not verified")]
    SumsubWebhookUnverified,
    /// A fault of ours (an item that does not parse, a value that does not
    /// serialise): logged once at the edge with its source chain, never shown.
    #[error("internal: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Source>,
    },
}

/// An error and each of its sources, for one log line (the edges log a fault once,
/// with everything that led to it).
pub fn report(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl From<kyc_domain::audit::DraftError> for AppError {
    fn from(e: kyc_domain::audit::DraftError) -> Self {
        AppError::internal_from("cannot write an audit event", e)
    }
}

impl From<crate::ports::screening::ScreeningError> for AppError {
    fn from(e: crate::ports::screening::ScreeningError) -> Self {
        AppError::internal_from("cannot screen the lead", e)
    }
}

impl From<crate::ports::keys::KeyError> for AppError {
    fn from(e: crate::ports::keys::KeyError) -> Self {
        AppError::internal_from("cannot seal or open a webhook secret", e)
    }
}

impl From<kyc_domain::webhook::WebhookEventError> for AppError {
    fn from(e: kyc_domain::webhook::WebhookEventError) -> Self {
        AppError::internal_from("cannot read a stored audit event as webhook events", e)
    }
}

impl AppError {
    pub fn invalid_query(field: &str, message: impl Into<String>) -> Self {
        AppError::InvalidQuery { field: field.to_string(), message: message.into() }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(context: impl Into<String>) -> Self {
        AppError::Internal { context: context.into(), source: None }
    }

    pub fn internal_from(context: impl Into<String>, source: impl Into<Source>) -> Self {
        AppError::Internal { context: context.into(), source: Some(source.into()) }
    }

    /// A stored item that does not parse. Only the position and kind of the fault are
    /// kept: serde's own message can quote the data, which may be personal.
    pub fn unreadable(what: &str, e: &serde_json::Error) -> Self {
        AppError::internal(format!("unreadable {what} (line {}, column {}, {:?})", e.line(), e.column(), e.classify()))
    }
}

impl From<crate::ports::SumsubError> for AppError {
    fn from(e: crate::ports::SumsubError) -> Self {
        use crate::ports::SumsubError;
        match e {
            SumsubError::TokenRejected => AppError::ShareTokenRejected,
            SumsubError::Unavailable(detail) => AppError::SumsubUnavailable(detail),
            SumsubError::NotConfigured => AppError::SumsubNotConfigured,
        }
    }
}
