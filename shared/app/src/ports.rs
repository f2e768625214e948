//! Small ports for time and identity, so tests can pin both.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use uuid::Uuid;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to milliseconds so stored and returned times agree.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(now)
    }
}

pub trait Ids: Send + Sync {
    /// A fresh, time-ordered UUID.
    fn uuid(&self) -> Uuid;
}

pub struct UuidV7Ids;

impl Ids for UuidV7Ids {
    fn uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}
