//! Query parameters: every list refuses parameters it does not know, and every value
//! is checked with a message that names the parameter.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use kyc_app::store::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};

use crate::error::ApiError;

pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                return Err(ApiError::bad_parameter(&name, "is not a parameter of this list"));
            }
            params.insert(name.into_owned(), value.into_owned());
        }
        Ok(Params(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `limit`: 1..=100, 25 when absent.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => v.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                ApiError::bad_parameter("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))
            }),
        }
    }

    pub fn enumerated<T: DeserializeOwned>(&self, name: &str, allowed: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| {
                serde_json::from_value::<T>(Value::String(v.to_string()))
                    .map_err(|_| ApiError::bad_parameter(name, format!("must be one of {allowed}")))
            })
            .transpose()
    }

    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.get(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                    ApiError::bad_parameter(name, "must be an RFC 3339 timestamp, e.g. 2026-01-31T00:00:00Z")
                })
            })
            .transpose()
    }

    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, ApiError> {
        self.get(name)
            .map(|v| {
                kyc_domain::validation::parse_date(v)
                    .ok_or_else(|| ApiError::bad_parameter(name, "must be a date in the form YYYY-MM-DD"))
            })
            .transpose()
    }
}

/// `?limit=&cursor=` of a plain list, and no other parameter.
pub struct Paged(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Paged {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let params = Params::parse(parts.uri.query().map(String::from), &["limit", "cursor"])?;
        Ok(Paged(PageRequest { limit: params.limit()?, cursor: params.get("cursor").map(String::from) }))
    }
}
