//! What one delivery attempt means: its outcome, and when a failing endpoint is
//! disabled.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

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
