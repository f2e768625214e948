//! What one delivery attempt means: how it is recorded, what becomes of the queued
//! message, and what it changes about the endpoint's health.
//!
//! The sender does the I/O (load the endpoint, sign, post, write) and asks [`settle`]
//! for the decision, so every rule here is tested without a network or a table.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::retry::{RetrySchedule, next_delay};

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

// ------------------------------------------------------------------------- settlement

/// The state of one recorded delivery attempt, as the deliveries API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter)]
pub enum DeliveryStatus {
    /// Failed, and another attempt is scheduled.
    Pending,
    Succeeded,
    /// Failed, and no further attempt will follow from this one.
    Failed,
}

/// What is known after one attempt, and about the endpoint before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptFacts {
    /// The HTTP status of the answer; `None` for a transport error or a timeout.
    pub status: Option<u16>,
    /// The answer's `Retry-After`, already read (see `retry_after`).
    pub retry_after: Option<Duration>,
    /// This attempt's number, counted from 1.
    pub attempt_number: u32,
    /// A retry asked for through the API: one attempt, never rescheduled.
    pub manual: bool,
    /// When the endpoint's current run of failures began, before this attempt
    /// (`None`: its last attempt succeeded).
    pub failing_since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// A random number in [0, 1) for the schedule's jitter.
    pub jitter_unit: f64,
}

/// What to do with the queued message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueAction {
    /// Remove it: delivered, or nothing more to try.
    Done,
    /// Deliver it again after this long.
    RetryIn(Duration),
    /// The schedule is exhausted: park it where operators look.
    DeadLetter,
}

/// Why an endpoint is disabled; its text is what the endpoint shows as its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisableReason {
    /// The receiver answered 410.
    Gone,
    /// Every attempt failed for [`DISABLE_AFTER`].
    FailingTooLong,
}

impl DisableReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisableReason::Gone => "the endpoint answered 410 Gone",
            DisableReason::FailingTooLong => "every delivery failed for 5 days",
        }
    }
}

impl fmt::Display for DisableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the attempt changes about the endpoint; `Unchanged` means nothing to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    Unchanged,
    /// It was failing and this attempt succeeded: clear its `failing_since`.
    Healthy,
    /// It was healthy and this attempt failed: its run of failures starts now.
    FailingSince(DateTime<Utc>),
    /// Disable it with this reason; its `failing_since` stays as it was.
    Disable {
        reason: DisableReason,
    },
}

/// The decision for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub delivery_status: DeliveryStatus,
    pub queue: QueueAction,
    /// When the next attempt is due; set exactly when the message is retried.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub endpoint_health: HealthChange,
}

/// Decides what one attempt means.
///
/// - 2xx: succeeded; a failing endpoint is healthy again.
/// - 410: failed, and the endpoint is disabled (even on a manual retry).
/// - anything else (a transport error, a timeout, 3xx, 4xx, 5xx): a failure. The
///   endpoint's run of failures starts now if it was healthy. An endpoint failing for
///   [`DISABLE_AFTER`] is disabled and the message dropped. A manual retry is a single
///   attempt and is not rescheduled. Otherwise the next attempt waits the schedule's
///   step (jittered), lengthened to `Retry-After` within its bounds; once the schedule
///   is exhausted the message goes to the dead letters.
pub fn settle(attempt: &AttemptFacts, schedule: &RetrySchedule) -> Settlement {
    let failed = |queue, endpoint_health| Settlement {
        delivery_status: DeliveryStatus::Failed,
        queue,
        next_attempt_at: None,
        endpoint_health,
    };
    let retry_after = match classify(attempt.status, attempt.retry_after) {
        AttemptOutcome::Delivered => {
            let endpoint_health =
                if attempt.failing_since.is_some() { HealthChange::Healthy } else { HealthChange::Unchanged };
            return Settlement {
                delivery_status: DeliveryStatus::Succeeded,
                queue: QueueAction::Done,
                next_attempt_at: None,
                endpoint_health,
            };
        }
        AttemptOutcome::Gone => {
            return failed(QueueAction::Done, HealthChange::Disable { reason: DisableReason::Gone });
        }
        AttemptOutcome::Retry { retry_after } => retry_after,
    };
    let health = match attempt.failing_since {
        Some(_) => HealthChange::Unchanged,
        None => HealthChange::FailingSince(attempt.now),
    };
    let since = attempt.failing_since.unwrap_or(attempt.now);
    if should_disable(Some(since), attempt.now) {
        return failed(QueueAction::Done, HealthChange::Disable { reason: DisableReason::FailingTooLong });
    }
    if attempt.manual {
        return failed(QueueAction::Done, health);
    }
    let Some(scheduled) = schedule.delay_before(attempt.attempt_number.saturating_add(1), attempt.jitter_unit) else {
        return failed(QueueAction::DeadLetter, health);
    };
    let delay = next_delay(scheduled, retry_after);
    Settlement {
        delivery_status: DeliveryStatus::Pending,
        queue: QueueAction::RetryIn(delay),
        // A delay is at most a day and a fifth, so the sum is always representable.
        next_attempt_at: TimeDelta::from_std(delay).ok().and_then(|d| attempt.now.checked_add_signed(d)),
        endpoint_health: health,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn now() -> DateTime<Utc> {
        // Saturday 2025-11-29 00:00:00 UTC.
        DateTime::from_timestamp(1_764_374_400, 0).expect("a time in range")
    }

    fn ago(seconds: i64) -> Option<DateTime<Utc>> {
        Some(now() - TimeDelta::seconds(seconds))
    }

    const FIVE_DAYS: i64 = 5 * 24 * 3600;

    /// A first, scheduled attempt at an endpoint whose last attempt succeeded, with no
    /// jitter; each row changes what it is about.
    fn facts(status: Option<u16>) -> AttemptFacts {
        AttemptFacts {
            status,
            retry_after: None,
            attempt_number: 1,
            manual: false,
            failing_since: None,
            now: now(),
            jitter_unit: 0.5,
        }
    }

    fn succeeded(health: HealthChange) -> Settlement {
        Settlement {
            delivery_status: DeliveryStatus::Succeeded,
            queue: QueueAction::Done,
            next_attempt_at: None,
            endpoint_health: health,
        }
    }

    fn failed(queue: QueueAction, health: HealthChange) -> Settlement {
        Settlement { delivery_status: DeliveryStatus::Failed, queue, next_attempt_at: None, endpoint_health: health }
    }

    fn retried(delay: Duration, health: HealthChange) -> Settlement {
        Settlement {
            delivery_status: DeliveryStatus::Pending,
            queue: QueueAction::RetryIn(delay),
            next_attempt_at: Some(now() + TimeDelta::from_std(delay).expect("a short delay")),
            endpoint_health: health,
        }
    }

    fn disabled(reason: DisableReason) -> Settlement {
        failed(QueueAction::Done, HealthChange::Disable { reason })
    }

    #[test]
    fn every_kind_of_attempt_settles_as_the_delivery_rules_say() {
        let starts_failing = HealthChange::FailingSince(now());
        let rows: Vec<(&str, AttemptFacts, Settlement)> = vec![
            (
                "a 200 at a healthy endpoint changes nothing about it",
                facts(Some(200)),
                succeeded(HealthChange::Unchanged),
            ),
            ("any 2xx is a success", facts(Some(299)), succeeded(HealthChange::Unchanged)),
            (
                "a success at a failing endpoint makes it healthy",
                AttemptFacts { failing_since: ago(3600), ..facts(Some(204)) },
                succeeded(HealthChange::Healthy),
            ),
            (
                "a success on a manual retry is a success",
                AttemptFacts { manual: true, failing_since: ago(60), ..facts(Some(200)) },
                succeeded(HealthChange::Healthy),
            ),
            ("a 410 disables the endpoint and drops the message", facts(Some(410)), disabled(DisableReason::Gone)),
            (
                "a 410 disables a failing endpoint too",
                AttemptFacts { failing_since: ago(60), attempt_number: 8, ..facts(Some(410)) },
                disabled(DisableReason::Gone),
            ),
            (
                "a 410 on a manual retry disables the endpoint",
                AttemptFacts { manual: true, ..facts(Some(410)) },
                disabled(DisableReason::Gone),
            ),
            (
                "a first failure is retried after the first step and starts the failing run",
                facts(Some(500)),
                retried(secs(5), starts_failing),
            ),
            ("a transport error is a failure", facts(None), retried(secs(5), starts_failing)),
            ("a redirect is a failure", facts(Some(302)), retried(secs(5), starts_failing)),
            ("a 4xx other than 410 is a failure", facts(Some(404)), retried(secs(5), starts_failing)),
            (
                "a failure at an endpoint already failing leaves its run as it was",
                AttemptFacts { failing_since: ago(3600), attempt_number: 3, ..facts(Some(503)) },
                retried(secs(1800), HealthChange::Unchanged),
            ),
            (
                "the jitter moves the wait",
                AttemptFacts { attempt_number: 2, jitter_unit: 0.0, ..facts(Some(500)) },
                retried(secs(240), starts_failing),
            ),
            (
                "a longer Retry-After lengthens the wait",
                AttemptFacts { retry_after: Some(secs(600)), ..facts(Some(429)) },
                retried(secs(600), starts_failing),
            ),
            (
                "a shorter Retry-After does not shorten the wait",
                AttemptFacts { retry_after: Some(Duration::ZERO), attempt_number: 2, ..facts(Some(503)) },
                retried(secs(300), starts_failing),
            ),
            (
                "a Retry-After of a week is capped at a day",
                AttemptFacts { retry_after: Some(secs(7 * 86_400)), ..facts(Some(503)) },
                retried(secs(86_400), starts_failing),
            ),
            (
                "the last scheduled retry still happens",
                AttemptFacts { attempt_number: 7, failing_since: ago(3600), ..facts(Some(500)) },
                retried(secs(36_000), HealthChange::Unchanged),
            ),
            (
                "a failure once the schedule is exhausted goes to the dead letters",
                AttemptFacts { attempt_number: 8, failing_since: ago(3600), ..facts(Some(500)) },
                failed(QueueAction::DeadLetter, HealthChange::Unchanged),
            ),
            (
                "a failure past the schedule at a healthy endpoint still starts its failing run",
                AttemptFacts { attempt_number: 8, ..facts(None) },
                failed(QueueAction::DeadLetter, starts_failing),
            ),
            (
                "a failed manual retry is one attempt: failed, not rescheduled",
                AttemptFacts { manual: true, ..facts(Some(500)) },
                failed(QueueAction::Done, starts_failing),
            ),
            (
                "a failed manual retry at a failing endpoint leaves its run as it was",
                AttemptFacts { manual: true, failing_since: ago(3600), ..facts(Some(500)) },
                failed(QueueAction::Done, HealthChange::Unchanged),
            ),
            (
                "failing for just under five days is still retried",
                AttemptFacts { failing_since: ago(FIVE_DAYS - 1), attempt_number: 2, ..facts(Some(500)) },
                retried(secs(300), HealthChange::Unchanged),
            ),
            (
                "failing for five days disables the endpoint and drops the message",
                AttemptFacts { failing_since: ago(FIVE_DAYS), attempt_number: 2, ..facts(Some(500)) },
                disabled(DisableReason::FailingTooLong),
            ),
            (
                "failing for five days disables the endpoint on a manual retry too",
                AttemptFacts { failing_since: ago(FIVE_DAYS + 1), manual: true, ..facts(None) },
                disabled(DisableReason::FailingTooLong),
            ),
            (
                "failing for five days disables the endpoint even past the schedule",
                AttemptFacts { failing_since: ago(FIVE_DAYS), attempt_number: 8, ..facts(Some(500)) },
                disabled(DisableReason::FailingTooLong),
            ),
        ];
        let schedule = RetrySchedule::default();
        for (behaviour, attempt, expected) in rows {
            assert_eq!(settle(&attempt, &schedule), expected, "{behaviour}");
        }
    }

    #[test]
    fn a_shorter_schedule_dead_letters_sooner() {
        let schedule = RetrySchedule::parse("60").expect("a valid schedule");
        let first = AttemptFacts { attempt_number: 1, ..facts(Some(500)) };
        assert_eq!(settle(&first, &schedule), retried(secs(60), HealthChange::FailingSince(now())));
        let second = AttemptFacts { attempt_number: 2, failing_since: ago(60), ..facts(Some(500)) };
        assert_eq!(settle(&second, &schedule), failed(QueueAction::DeadLetter, HealthChange::Unchanged));
    }

    #[test]
    fn the_reasons_read_as_the_endpoint_shows_them() {
        assert_eq!(DisableReason::Gone.to_string(), "the endpoint answered 410 Gone");
        assert_eq!(DisableReason::FailingTooLong.to_string(), "every delivery failed for 5 days");
    }

    #[test]
    fn a_delivery_status_is_written_in_snake_case() {
        let written: Vec<String> = [DeliveryStatus::Pending, DeliveryStatus::Succeeded, DeliveryStatus::Failed]
            .iter()
            .map(|s| serde_json::to_string(s).expect("serialises"))
            .collect();
        assert_eq!(written, [r#""pending""#, r#""succeeded""#, r#""failed""#]);
    }
}
