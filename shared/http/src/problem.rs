//! RFC 9457 problem documents: the one shape every error leaves the API in.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use kyc_domain::FieldError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: u16, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            problem_type: format!("urn:kyc:problem:{code}"),
            title: title_of(code).to_string(),
            status,
            detail: detail.into(),
            code: code.to_string(),
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn field(self, field: &str, message: impl Into<String>) -> Self {
        self.with_errors(vec![FieldError::new(field, message)])
    }
}

fn title_of(code: &str) -> &'static str {
    match code {
        "validation_failed" => "The request is not valid",
        "malformed_json" => "The body is not valid JSON",
        "not_found" => "Not found",
        "link_expired" => "The link has expired",
        "method_not_allowed" => "Method not allowed",
        "invalid_transition" => "The status change is not allowed",
        "requirements_missing" => "Requirements are missing",
        "lead_decided" => "The lead is already decided",
        "duplicate_external_id" => "A lead with this external_id exists",
        "version_conflict" => "The lead has changed",
        "concurrent_modification" => "Changed by another request",
        "unauthorized" => "Missing or invalid API key",
        "forbidden" => "Not allowed for this API key's role",
        "second_approval_required" => "Another person must approve",
        "payload_too_large" => "The body is too large",
        "unsupported_media_type" => "Unsupported media type",
        "idempotency_key_reused" => "The idempotency key was used with another request",
        "service_unavailable" => "Service unavailable",
        "object_exists" => "The file was already uploaded",
        "signature_invalid" => "The signed URL is not valid",
        "endpoint_disabled" => "The webhook endpoint is disabled",
        "share_token_rejected" => "Sumsub refused the share token",
        "sumsub_unavailable" => "Sumsub is unavailable",
        "sumsub_not_configured" => "Sumsub is not configured",
        _ => "Internal error",
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match serde_json::to_vec(&self) {
            Ok(body) => body,
            // A problem is strings and numbers: this cannot fail, but must not panic.
            Err(_) => br#"{"type":"urn:kyc:problem:internal","title":"Internal error","status":500,"detail":"an internal error occurred","code":"internal","errors":[]}"#.to_vec(),
        };
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
