//! Outgoing webhooks: which public events an audit event stands for, their Standard
//! Webhooks signature, the retry schedule with its jitter and `Retry-After` bounds, the
//! classification of one delivery attempt, and when a failing endpoint is disabled.
//!
//! Pure: the caller supplies `now`, random bytes and jitter; sending happens elsewhere.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{Action, AuditEvent};
use crate::ids::EventId;
use crate::status::Status;

// ------------------------------------------------------------------------ event types

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "kyc.lead_created")]
    LeadCreated,
    #[serde(rename = "kyc.status_updated")]
    StatusUpdated,
    #[serde(rename = "kyc.document_received")]
    DocumentReceived,
    #[serde(rename = "kyc.review_completed")]
    ReviewCompleted,
    #[serde(rename = "kyc.compliance_alert")]
    ComplianceAlert,
    #[serde(rename = "kyc.follow_up_due")]
    FollowUpDue,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::LeadCreated,
        EventType::StatusUpdated,
        EventType::DocumentReceived,
        EventType::ReviewCompleted,
        EventType::ComplianceAlert,
        EventType::FollowUpDue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "kyc.lead_created",
            EventType::StatusUpdated => "kyc.status_updated",
            EventType::DocumentReceived => "kyc.document_received",
            EventType::ReviewCompleted => "kyc.review_completed",
            EventType::ComplianceAlert => "kyc.compliance_alert",
            EventType::FollowUpDue => "kyc.follow_up_due",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {0:?}")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

// ----------------------------------------------------------------------------- events

/// The public event body: `{ id, type, created_at, data: { lead_id, lead_version, … } }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub created_at: DateTime<Utc>,
    pub data: Value,
}

/// The webhook events one audit event stands for, in the order they are to be sent.
///
/// The first reuses the audit event's id (so `webhook-id` is the audit event id); any
/// further one gets [`derived_event_id`], so relays and retries agree on it. A
/// `status.changed` without a `to_status` is malformed and stands for nothing.
pub fn events_for(audit: &AuditEvent) -> Vec<WebhookEvent> {
    let payloads: Vec<(EventType, Map<String, Value>)> = match audit.action {
        Action::LeadCreated => vec![(EventType::LeadCreated, lead_fields(audit))],
        Action::StatusChanged => status_changed(audit),
        Action::DocumentReceived => vec![(EventType::DocumentReceived, document_received(audit))],
        Action::RiskScored => compliance_alert(audit).map(|d| (EventType::ComplianceAlert, d)).into_iter().collect(),
        Action::FollowUpSent => {
            let mut data = lead_fields(audit);
            copy(&audit.data, "attempt", &mut data, "attempt");
            copy(&audit.data, "missing", &mut data, "missing");
            vec![(EventType::FollowUpDue, data)]
        }
        Action::LeadUpdated
        | Action::NoteAdded
        | Action::DocumentRequested
        | Action::DocumentVerified
        | Action::DocumentRejected
        | Action::LinkCreated
        | Action::LinkOpened
        | Action::SumsubImported => vec![],
    };
    payloads
        .into_iter()
        .enumerate()
        .map(|(i, (event_type, data))| WebhookEvent {
            id: if i == 0 { audit.id.clone() } else { derived_event_id(&audit.id, event_type) },
            event_type,
            created_at: audit.at,
            data: Value::Object(data),
        })
        .collect()
}

/// `evt_` + the first 32 hex digits of SHA-256(`"{audit_id}/{type}"`): the id of a
/// second event derived from one audit event, the same however often it is computed.
/// Unlike issued ids it is not time-ordered.
pub fn derived_event_id(audit_id: &EventId, event_type: EventType) -> EventId {
    let digest = Sha256::digest(format!("{}/{}", audit_id.as_str(), event_type.as_str()));
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    // A UUID's simple form is its 16 bytes in lower-case hex: exactly the 32 digits.
    EventId::from_uuid(Uuid::from_bytes(first))
}

fn lead_fields(audit: &AuditEvent) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("lead_id".into(), audit.data.get("lead_id").cloned().unwrap_or(Value::Null));
    data.insert("lead_version".into(), audit.data.get("lead_version").cloned().unwrap_or(Value::Null));
    data
}

/// Copies `from[key]` into `to[as_key]` when it is present and not null.
fn copy(from: &Value, key: &str, to: &mut Map<String, Value>, as_key: &str) {
    if let Some(v) = from.get(key).filter(|v| !v.is_null()) {
        to.insert(as_key.into(), v.clone());
    }
}

fn status_changed(audit: &AuditEvent) -> Vec<(EventType, Map<String, Value>)> {
    let Some(to) = audit.to_status else {
        return vec![];
    };
    let mut updated = lead_fields(audit);
    updated.insert("previous_status".into(), json!(audit.from_status));
    updated.insert("status".into(), json!(to));
    let mut out = vec![(EventType::StatusUpdated, updated)];
    if matches!(to, Status::Approved | Status::Rejected) {
        let mut review = lead_fields(audit);
        review.insert("decision".into(), json!(to));
        review.insert("reasons".into(), json!(audit.reasons.clone().unwrap_or_default()));
        review.insert("reviewer".into(), reviewer(audit));
        out.push((EventType::ReviewCompleted, review));
    }
    out
}

/// Who decided: the reviewer named on the change, `"system"` for the decision policy,
/// `null` for an API call that named nobody.
fn reviewer(audit: &AuditEvent) -> Value {
    if let Some(name) = audit.data.get("reviewer").and_then(Value::as_str) {
        return json!(name);
    }
    if let Some(name) = audit.actor.strip_prefix("reviewer:") {
        return json!(name);
    }
    if audit.actor == "system" { json!("system") } else { Value::Null }
}

fn document_received(audit: &AuditEvent) -> Map<String, Value> {
    let mut document = Map::new();
    copy(&audit.data, "document_id", &mut document, "id");
    copy(&audit.data, "kind", &mut document, "kind");
    copy(&audit.data, "size_bytes", &mut document, "size_bytes");
    copy(&audit.data, "sha256", &mut document, "sha256");
    let mut data = lead_fields(audit);
    data.insert("document".into(), Value::Object(document));
    data
}

fn compliance_alert(audit: &AuditEvent) -> Option<Map<String, Value>> {
    let alert = audit.data.get("alert").filter(|a| a.is_object())?;
    let field = |v: &Value, key: &str| v.get(key).cloned().unwrap_or(Value::Null);
    let mut data = lead_fields(audit);
    data.insert("alert".into(), field(alert, "code"));
    data.insert("severity".into(), field(alert, "severity"));
    data.insert("risk".into(), json!({ "score": field(&audit.data, "score"), "level": field(&audit.data, "level") }));
    Some(data)
}

// ---------------------------------------------------------------------------- signing

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

// ----------------------------------------------------------------------------- retries

/// The delays between attempts: step `i` is waited before attempt `i + 2` (the first
/// attempt is immediate), so a schedule of `n` steps allows `n + 1` attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryScheduleError {
    #[error("the retry schedule is empty: give 1 to {} comma-separated delays in seconds", RetrySchedule::MAX_STEPS)]
    Empty,
    #[error("the retry schedule has {count} delays: at most {} are allowed", RetrySchedule::MAX_STEPS)]
    TooMany { count: usize },
    #[error("the retry schedule's delay {position} ({value:?}) is not a whole number of seconds")]
    NotANumber { position: usize, value: String },
    #[error(
        "the retry schedule's delay {position} ({value} s) is over the limit of {} s (24 h)",
        RetrySchedule::MAX_STEP_SECS
    )]
    TooLong { position: usize, value: String },
}

impl Default for RetrySchedule {
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours.
    fn default() -> Self {
        RetrySchedule(
            [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl RetrySchedule {
    pub const MAX_STEPS: usize = 20;
    pub const MAX_STEP_SECS: u64 = 86_400;
    /// Each delay is moved by up to this fraction either way, so that endpoints failing
    /// together are not retried in lock-step.
    pub const JITTER: f64 = 0.2;

    /// Parses `KYC_WEBHOOK_RETRY_SCHEDULE`: 1 to 20 comma-separated whole seconds, each
    /// at most 86400 (spaces around an entry are ignored).
    pub fn parse(spec: &str) -> Result<Self, RetryScheduleError> {
        if spec.trim().is_empty() {
            return Err(RetryScheduleError::Empty);
        }
        let entries: Vec<&str> = spec.split(',').map(str::trim).collect();
        if entries.len() > Self::MAX_STEPS {
            return Err(RetryScheduleError::TooMany { count: entries.len() });
        }
        let mut steps = Vec::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            let position = i + 1;
            // Only digits: `str::parse` would also take a leading `+`.
            if entry.is_empty() || !entry.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RetryScheduleError::NotANumber { position, value: entry.to_string() });
            }
            let seconds = entry.parse::<u64>().ok().filter(|s| *s <= Self::MAX_STEP_SECS);
            let Some(seconds) = seconds else {
                return Err(RetryScheduleError::TooLong { position, value: entry.to_string() });
            };
            steps.push(Duration::from_secs(seconds));
        }
        Ok(RetrySchedule(steps))
    }

    pub fn steps(&self) -> &[Duration] {
        &self.0
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX).saturating_add(1)
    }

    /// How long to wait before attempt `attempt_number` (counted from 1, as a
    /// Delivery's `attempt`): zero for the first (0 is read as the first), the schedule
    /// step ±20 % for the others, `None` once the attempts are exhausted.
    /// `jitter_unit` is a random number in [0, 1): 0 gives −20 %, 0.5 the step itself;
    /// values outside are clamped and a non-number counts as 0.5.
    pub fn delay_before(&self, attempt_number: u32, jitter_unit: f64) -> Option<Duration> {
        if attempt_number <= 1 {
            return Some(Duration::ZERO);
        }
        let index = usize::try_from(attempt_number - 2).ok()?;
        let step = *self.0.get(index)?;
        let unit = if jitter_unit.is_finite() { jitter_unit.clamp(0.0, 1.0) } else { 0.5 };
        let factor = 1.0 - Self::JITTER + 2.0 * Self::JITTER * unit;
        // Whole milliseconds: schedulers do not need more, and tests can compare exactly.
        // At most 1.2 × 86 400 000 ms, far inside f64's exact integers.
        let millis = (step.as_millis() as f64 * factor).round();
        Some(Duration::from_millis(millis as u64))
    }
}

/// The longest wait a receiver's `Retry-After` can impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Reads a `Retry-After` value: delta-seconds (`120`) or an HTTP-date in any of the
/// three forms RFC 9110 makes recipients accept (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`). A date already past
/// is zero; anything else unreadable is `None`.
pub fn retry_after(header_value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = header_value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to count is still "a very long time": `next_delay` caps it.
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX)));
    }
    const HTTP_DATES: [&str; 3] = ["%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"];
    let at = HTTP_DATES.iter().find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())?.and_utc();
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The wait before the next attempt: the scheduled (jittered) delay, lengthened to the
/// receiver's `Retry-After` when that asks for longer.
///
/// Bounds: `Retry-After` never shortens the schedule (a `0` or a past date does not
/// make us retry sooner than planned), and what it asks for is capped at
/// [`MAX_RETRY_AFTER`] (24 h) rather than ignored, so that a receiver asking for a
/// week is retried in a day instead of being hammered on the normal schedule.
pub fn next_delay(scheduled: Duration, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(asked) => scheduled.max(asked.min(MAX_RETRY_AFTER)),
        None => scheduled,
    }
}

// ---------------------------------------------------------------------------- outcome

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered,
    /// Anything else: retried on the schedule (and its `Retry-After`, if any).
    Retry { retry_after: Option<Duration> },
    /// 410: the receiver says the endpoint is gone; it is disabled.
    Gone,
}

/// Classifies one attempt from its HTTP status (`None` for a transport error or a
/// timeout). Redirects are not followed, so a 3xx is a failure like a 4xx or 5xx.
pub fn classify(status: Option<u16>, retry_after: Option<Duration>) -> AttemptOutcome {
    match status {
        Some(200..=299) => AttemptOutcome::Delivered,
        Some(410) => AttemptOutcome::Gone,
        _ => AttemptOutcome::Retry { retry_after },
    }
}

// ----------------------------------------------------------------------------- health

/// An endpoint failing without a single success for this long is disabled.
pub const DISABLE_AFTER: TimeDelta = TimeDelta::days(5);

/// Whether an endpoint whose current run of failures began at `first_failure_at`
/// (`None`: its last attempt succeeded) is to be disabled.
pub fn should_disable(first_failure_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    first_failure_at.is_some_and(|since| now - since >= DISABLE_AFTER)
}
