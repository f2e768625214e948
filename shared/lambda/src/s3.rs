//! Reading S3 notification payloads, for the functions S3 invokes (the risk scorer and
//! the importer).

use aws_lambda_events::s3::S3Event;
use serde_json::Value;

/// S3 percent-encodes keys in events and writes spaces as `+`.
pub fn decode_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// What S3 can send: object events, or the `s3:TestEvent` it sends once when a
/// notification is configured (no records; nothing to do).
#[derive(Debug)]
pub enum Trigger {
    Test,
    Objects(S3Event),
}

/// Reads the invocation payload; anything that is neither is an error (never a silent
/// "no records").
pub fn parse_trigger(payload: Value) -> Result<Trigger, serde_json::Error> {
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Trigger::Test);
    }
    serde_json::from_value(payload).map(Trigger::Objects)
}

/// The decoded keys of the event's `ObjectCreated` records (anything else is no work).
pub fn created_keys(event: &S3Event) -> Vec<String> {
    event
        .records
        .iter()
        .filter(|record| record.event_name.as_deref().unwrap_or_default().starts_with("ObjectCreated"))
        .filter_map(|record| record.s3.object.key.as_deref().map(decode_key))
        .collect()
}
