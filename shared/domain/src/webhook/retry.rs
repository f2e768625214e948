//! When to try a delivery again: the retry schedule with its jitter, and the bounds
//! within which a receiver's `Retry-After` is honoured.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

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
