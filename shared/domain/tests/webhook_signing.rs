//! Standard Webhooks signatures: the published vector, one computed independently,
//! secret rotation and verification.

use chrono::DateTime;
use kyc_domain::webhook::{WebhookError, new_secret, sign, signature_header, timestamp_is_fresh, verify};

// The test vector published by Standard Webhooks (standard-webhooks/standard-webhooks).
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TIMESTAMP: i64 = 1_614_265_330;
const SW_BODY: &str = r#"{"test": 2432232314}"#;
const SW_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// A second vector, computed independently with Python's standard library when this test
// was written, not with this crate:
//   python3 -c 'import hmac,hashlib,base64; k=bytes(range(24)); m=f"{ID}.{TS}.{BODY}";
//               print(base64.b64encode(hmac.new(k,m.encode(),hashlib.sha256).digest()))'
// The secret is `whsec_` + base64 of the bytes 0, 1, …, 23.
const OWN_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
const OWN_ID: &str = "evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10";
const OWN_TIMESTAMP: i64 = 1_764_374_400;
const OWN_BODY: &str = r#"{"id":"evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10","type":"kyc.lead_created","created_at":"2025-11-29T00:00:00Z","data":{"lead_id":"lead_0190b5e8c3a47d2e9f1b6a5c4d3e2f11","lead_version":1}}"#;
const OWN_SIGNATURE: &str = "v1,gAJqi3U6u5QAUuZAXOgLWIhZL6NezxF4IwhGmJME3Kw=";

#[test]
fn signing_the_standard_webhooks_vector_gives_the_published_signature() {
    assert_eq!(sign(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY), Ok(SW_SIGNATURE.to_string()));
}

#[test]
fn signing_an_event_body_gives_the_independently_computed_signature() {
    assert_eq!(sign(OWN_SECRET, OWN_ID, OWN_TIMESTAMP, OWN_BODY), Ok(OWN_SIGNATURE.to_string()));
}

#[test]
fn a_new_secret_is_whsec_and_the_standard_base64_of_the_random_bytes() {
    let bytes: [u8; 24] = std::array::from_fn(|i| i as u8);
    assert_eq!(new_secret(bytes), OWN_SECRET);
    assert_eq!(new_secret([0xFF; 24]), "whsec_////////////////////////////////");
}

#[test]
fn during_rotation_both_secrets_sign_separated_by_a_space() {
    let header = signature_header(&[OWN_SECRET, SW_SECRET], SW_ID, SW_TIMESTAMP, SW_BODY);
    let expected_old = sign(OWN_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY).expect("a valid secret signs");
    assert_eq!(header, Ok(format!("{expected_old} {SW_SIGNATURE}")));
}

#[test]
fn a_header_needs_at_least_one_secret() {
    assert_eq!(signature_header(&[], SW_ID, SW_TIMESTAMP, SW_BODY), Err(WebhookError::NoSecret));
}

#[test]
fn a_secret_without_prefix_or_not_base64_or_empty_is_refused() {
    assert_eq!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SW_ID, 1, "{}"), Err(WebhookError::SecretPrefix));
    assert_eq!(sign("whsec_not base64!", SW_ID, 1, "{}"), Err(WebhookError::SecretEncoding));
    assert_eq!(sign("whsec_", SW_ID, 1, "{}"), Err(WebhookError::SecretEmpty));
    assert_eq!(
        signature_header(&[SW_SECRET, "whsec_%%"], SW_ID, 1, "{}"),
        Err(WebhookError::SecretEncoding),
        "one bad secret fails the header rather than silently dropping a signature"
    );
}

#[test]
fn a_secret_may_lack_base64_padding() {
    // 25 bytes of 0x01 encode to 36 characters ending in "==".
    let padded = "whsec_AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==";
    let bare = padded.trim_end_matches('=');
    assert_eq!(sign(padded, SW_ID, 1, "{}"), sign(bare, SW_ID, 1, "{}"));
    assert!(sign(bare, SW_ID, 1, "{}").is_ok());
}

#[test]
fn verify_accepts_the_published_signature() {
    assert!(verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, SW_SIGNATURE));
    assert!(verify(OWN_SECRET, OWN_ID, OWN_TIMESTAMP, OWN_BODY, OWN_SIGNATURE));
}

#[test]
fn verify_accepts_any_of_the_signatures_of_a_rotation_header() {
    let header = signature_header(&[OWN_SECRET, SW_SECRET], SW_ID, SW_TIMESTAMP, SW_BODY).expect("valid secrets sign");
    assert!(verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, &header));
    assert!(verify(OWN_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, &header));
    let unrelated = new_secret([7; 24]);
    assert!(!verify(&unrelated, SW_ID, SW_TIMESTAMP, SW_BODY, &header));
}

#[test]
fn verify_refuses_any_change_of_id_timestamp_body_or_signature() {
    assert!(!verify(SW_SECRET, "msg_other", SW_TIMESTAMP, SW_BODY, SW_SIGNATURE));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP + 1, SW_BODY, SW_SIGNATURE));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, r#"{"test": 2432232315}"#, SW_SIGNATURE));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="));
}

#[test]
fn verify_ignores_other_versions_and_garbage() {
    let bare = SW_SIGNATURE.trim_start_matches("v1,");
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, &format!("v2,{bare}")));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, bare));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, ""));
    assert!(!verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, "v1,***"));
    assert!(verify(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY, &format!("v1a,xyz v1,*** {SW_SIGNATURE}")));
    assert!(!verify("not a secret", SW_ID, SW_TIMESTAMP, SW_BODY, SW_SIGNATURE));
}

#[test]
fn a_timestamp_is_fresh_within_five_minutes_either_way() {
    let now = DateTime::from_timestamp(SW_TIMESTAMP, 0).expect("a time in range");
    assert!(timestamp_is_fresh(SW_TIMESTAMP, now));
    assert!(timestamp_is_fresh(SW_TIMESTAMP - 300, now));
    assert!(timestamp_is_fresh(SW_TIMESTAMP + 300, now));
    assert!(!timestamp_is_fresh(SW_TIMESTAMP - 301, now));
    assert!(!timestamp_is_fresh(SW_TIMESTAMP + 301, now));
    assert!(!timestamp_is_fresh(i64::MIN, now));
}
