//! A clock the test moves by hand.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

use kyc_app::Clock;

pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn starting_now() -> Self {
        ManualClock(Mutex::new(kyc_app::SystemClock.now()))
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
