//! What every handler takes from a request: the tenant (from the API key or the
//! Lambda authorizer's context), a size-capped JSON body, `If-Match`, and the
//! idempotency context of `Idempotency-Key`.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, Method, header, request::Parts};
use serde_json::Value;

use kyc_app::TenantId;
use kyc_app::auth::{ApiKeys, Principal, bearer_token};
use kyc_app::store::idempotency::{self, Idempotency};
use kyc_domain::audit::canonical_json;

use crate::Api;
use crate::error::ApiError;

/// JSON request bodies are capped at 256 KiB.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Decides who a request acts as: tenant, actor and role.
#[async_trait]
pub trait Authenticate: Send + Sync {
    async fn principal(&self, parts: &Parts) -> Result<Principal, ApiError>;
}

/// `Authorization: Bearer <key>` looked up in a key store.
pub struct BearerKeys(pub Arc<dyn ApiKeys>);

/// The key of `Authorization: Bearer <key>`, if well-formed.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?)
}

#[async_trait]
impl Authenticate for BearerKeys {
    async fn principal(&self, parts: &Parts) -> Result<Principal, ApiError> {
        let key = bearer(parts).ok_or(ApiError::Unauthorized)?;
        self.0.principal_of(key).await?.ok_or(ApiError::Unauthorized)
    }
}

/// Who the request acts as, put on the request by the access check
/// (`crate::access`) before any handler runs.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().map(Caller).ok_or(ApiError::Unauthorized)
    }
}

/// A JSON body: size-capped, media type checked, parsed; with its canonical form for
/// idempotency comparisons.
pub struct JsonBody {
    pub value: Value,
    pub canonical: String,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
            let essence =
                content_type.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let is_json =
                essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"));
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
        }
        let declared =
            parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
        }
        let bytes = read_capped(body).await?;
        // No body at all reads as `{}`; anything else (white space included) must be JSON.
        let value = if bytes.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?
        };
        Ok(JsonBody {
            canonical: canonical_json(&value),
            value,
            method: parts.method,
            path: parts.uri.path().to_string(),
            headers: parts.headers,
        })
    }
}

async fn read_capped(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        // `to_bytes` reports the cap as a length-limit error in its source chain.
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if too_large {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        } else {
            ApiError::MalformedJson(format!("the body could not be read: {e}"))
        }
    })
}

/// `If-Match: "3"` (or `3`, `W/"3"`); `*` matches any version. The version is 1-19
/// digits (it always fits a `u64`); anything else is a 400 naming `If-Match`.
pub fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let bare = match tag.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"'),
        // A weak tag is always quoted; a strong one may come bare.
        None if tag.len() == text.len() => Some(tag),
        None => None,
    };
    bare.filter(|v| (1..=19).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_parameter("If-Match", "must be the ETag of the lead, e.g. \"3\""))
}

/// The idempotency context of a request, if it carries `Idempotency-Key`; its answer
/// will be replayed with `status`.
pub fn idempotency_of(
    api: &Api,
    by: &Principal,
    body: &JsonBody,
    status: u16,
) -> Result<Option<Idempotency>, ApiError> {
    idempotency_scoped(api, &by.tenant, &by.key_id, body, status)
}

/// As [`idempotency_of`], for a caller that is not an API key (a KYC link: `scope` is
/// its id, so its keys never meet an API key's).
pub fn idempotency_scoped(
    api: &Api,
    tenant: &TenantId,
    scope: &str,
    body: &JsonBody,
    status: u16,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = body.headers.get(idempotency::HEADER) else { return Ok(None) };
    let refused = || ApiError::bad_parameter("Idempotency-Key", "must be 1-255 visible ASCII characters");
    let key = value.to_str().map_err(|_| refused())?;
    if !idempotency::is_valid_key(key) {
        return Err(refused());
    }
    Ok(Some(Idempotency {
        tenant: tenant.clone(),
        scope: scope.to_string(),
        key: key.to_string(),
        request_hash: idempotency::request_hash(body.method.as_str(), &body.path, &body.canonical),
        now: api.deps.clock.now(),
        replay_status: status,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parsed(value: &str) -> Result<Option<u64>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(value).map_err(|_| ())?);
        if_match(&headers).map_err(|_| ())
    }

    #[test]
    fn if_match_takes_the_etag_forms_the_document_names_and_nothing_else() {
        for (value, version) in [("\"3\"", Some(3)), ("W/\"3\"", Some(3)), ("3", Some(3)), ("*", None)] {
            assert_eq!(parsed(value), Ok(version), "{value}");
        }
        assert_eq!(parsed("\"9999999999999999999\""), Ok(Some(9_999_999_999_999_999_999)));
        for bad in [
            "",
            "\"3",
            "3\"",
            "W/3",
            "\"\"3\"\"",
            "W/W/\"3\"",
            "\"-1\"",
            "\"x\"",
            "\"18446744073709551616\"",
            "W/83681504702565570699052",
        ] {
            assert_eq!(parsed(bad), Err(()), "{bad}");
        }
    }
}
