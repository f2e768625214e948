//! Follow-ups: nudging a lead that stays `not_started` or `in_progress` too long.
//!
//! A lead is due one delay after its anchor: the later of its last status change and
//! its last follow-up. At most three follow-ups are sent, each at least one delay after
//! the one before.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::lead::Lead;
use crate::status::Status;

pub const MAX_FOLLOW_UPS: u8 = 3;
/// The default delay, when the deployment sets none.
pub const DEFAULT_DELAY_SECONDS: i64 = 24 * 60 * 60;

/// What has been sent so far (kept with the lead, not shown in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FollowUps {
    pub sent: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<DateTime<Utc>>,
}

impl FollowUps {
    /// The time the next follow-up counts from, or `None` when no more is ever due
    /// (the lead moved on, or three were sent).
    pub fn anchor(&self, lead: &Lead) -> Option<DateTime<Utc>> {
        let waiting = matches!(lead.status, Status::NotStarted | Status::InProgress);
        if !waiting || self.sent >= MAX_FOLLOW_UPS {
            return None;
        }
        Some(self.last_at.map_or(lead.status_changed_at, |last| last.max(lead.status_changed_at)))
    }

    /// Whether a follow-up is due at `now` with this `delay`.
    pub fn is_due(&self, lead: &Lead, delay: TimeDelta, now: DateTime<Utc>) -> bool {
        self.anchor(lead).is_some_and(|anchor| anchor + delay <= now)
    }

    /// The state after sending one at `now`; its attempt number is `sent` of the result.
    pub fn after_sending(&self, now: DateTime<Utc>) -> FollowUps {
        FollowUps { sent: self.sent + 1, last_at: Some(now) }
    }
}
