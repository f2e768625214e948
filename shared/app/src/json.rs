//! JSON at the edges of the use cases: stored bodies in and out (loudly: an item that
//! cannot be written or read is an error, never a default), and request values parsed
//! into input types with the offending field named by its dotted path.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::AppError;

/// The stored body of `what`.
pub fn to_body<T: Serialize>(what: &str, value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal_from(format!("cannot serialise {what}"), e))
}

/// A value as JSON (for replayable answers, merge patches).
pub fn to_value<T: Serialize>(what: &str, value: &T) -> Result<Value, AppError> {
    serde_json::to_value(value).map_err(|e| AppError::internal_from(format!("cannot serialise {what}"), e))
}

/// A stored body read back; what it says is never quoted in the error (it may be personal).
pub fn from_body<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, AppError> {
    serde_json::from_str(body).map_err(|e| AppError::unreadable(what, &e))
}

/// Deserializes a request value into an input type, naming the offending field by its
/// dotted path (`address.country`, `business.directors.0.first_name`).
pub fn parse_input<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path: Vec<String> = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = e.inner().to_string();
        // serde names an unknown field in its message; make it part of the path.
        if let Some(name) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            if path.last().map(String::as_str) != Some(name) {
                path.push(name.to_string());
            }
            return AppError::field(&path.join("."), "is not a known field");
        }
        let field = if path.is_empty() { "body".to_string() } else { path.join(".") };
        AppError::field(&field, message)
    })
}
