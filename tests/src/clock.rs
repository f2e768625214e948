//! A clock the test moves by hand.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

use kyc_app::ports::Clock;

pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn starting_now() -> Self {
        ManualClock(Mutex::new(kyc_app::ports::SystemClock.now()))
    }

    /// A clock at a fixed time (mid-day, so tests that move it by hours stay in one day).
    pub fn at(rfc3339: &str) -> Self {
        let at = DateTime::parse_from_rfc3339(rfc3339).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now());
        ManualClock(Mutex::new(at))
    }

    pub fn advance(&self, by: TimeDelta) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|_| Utc::now())
    }
}
