//! Standard Webhooks signatures: signing secrets, the `webhook-signature` header, its
//! verification, and the freshness of `webhook-timestamp`.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// Receivers should refuse a `webhook-timestamp` further than this from their clock
/// (Standard Webhooks' default), so that a captured request cannot be replayed later.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("a webhook secret starts with {SECRET_PREFIX}")]
    SecretPrefix,
    #[error("a webhook secret is base64 after {SECRET_PREFIX}")]
    SecretEncoding,
    #[error("a webhook secret must not be empty")]
    SecretEmpty,
    #[error("at least one secret is needed to sign")]
    NoSecret,
}

type HmacSha256 = Hmac<Sha256>;

/// Standard base64, with or without padding (secrets minted elsewhere may lack it).
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A fresh signing secret: `whsec_` + standard base64 of 24 random bytes.
pub fn new_secret(random: [u8; 24]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

fn mac_for(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<HmacSha256, WebhookError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(WebhookError::SecretPrefix)?;
    let key = SECRET_BASE64.decode(encoded).map_err(|_| WebhookError::SecretEncoding)?;
    if key.is_empty() {
        return Err(WebhookError::SecretEmpty);
    }
    let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| WebhookError::SecretEncoding)?;
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(mac)
}

/// `v1,<base64(HMAC-SHA256(secret_bytes, "{msg_id}.{timestamp}.{body}"))>`.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, WebhookError> {
    let mac = mac_for(secret, msg_id, timestamp, body)?;
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: one signature per secret, space-separated (during a
/// rotation the new and the previous secret both sign).
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> Result<String, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let signatures = secrets.iter().map(|s| sign(s, msg_id, timestamp, body)).collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// Whether any `v1,` signature of `header` is the one `secret` makes, compared in
/// constant time. Receivers must also check the timestamp ([`timestamp_is_fresh`]).
pub fn verify(secret: &str, msg_id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let Ok(mac) = mac_for(secret, msg_id, timestamp, body) else {
        return false;
    };
    header
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|sig| STANDARD.decode(sig).ok())
        .any(|sig| mac.clone().verify_slice(&sig).is_ok())
}

/// Whether a `webhook-timestamp` is within [`TIMESTAMP_TOLERANCE_SECS`] of `now`.
pub fn timestamp_is_fresh(timestamp: i64, now: DateTime<Utc>) -> bool {
    now.timestamp().abs_diff(timestamp) <= TIMESTAMP_TOLERANCE_SECS.unsigned_abs()
}
