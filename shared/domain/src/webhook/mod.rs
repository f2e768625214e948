//! Outgoing webhooks: which public events an audit event stands for and their typed
//! bodies, their Standard Webhooks signature, the retry schedule with its jitter and
//! `Retry-After` bounds, and what one delivery attempt settles (how it is recorded,
//! whether it is retried, when a failing endpoint is disabled).
//!
//! Pure: the caller supplies `now`, random bytes and jitter; sending happens elsewhere.
//! Every item is reachable as `kyc_domain::webhook::X`; the files only group them.

mod data;
mod events;
mod retry;
mod settlement;
mod signing;

pub use data::{
    AlertRisk, ComplianceAlertData, DocumentReceivedData, FollowUpDueData, LeadCreatedData, ReceivedDocument,
    RequirementsUpdatedData, ReviewCompletedData, ReviewDecision, StatusUpdatedData, WebhookData,
};
pub use events::{EventType, UnknownEventType, WebhookEvent, WebhookEventError, derived_event_id, events_for};
pub use retry::{MAX_RETRY_AFTER, RetrySchedule, RetryScheduleError, next_delay, retry_after};
pub use settlement::{
    AttemptFacts, AttemptOutcome, DISABLE_AFTER, DeliveryStatus, DisableReason, HealthChange, QueueAction, Settlement,
    classify, settle, should_disable,
};
pub use signing::{
    SECRET_PREFIX, TIMESTAMP_TOLERANCE_SECS, WebhookError, new_secret, sign, signature_header, timestamp_is_fresh,
    verify,
};
