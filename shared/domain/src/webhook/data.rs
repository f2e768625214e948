//! The `data` of each public webhook event, one struct per [`EventType`].
//!
//! These bodies are the public contract: the golden fixtures under
//! `tests/fixtures/webhooks/` hold one of each, and a change here fails them. Fields
//! are declared in the order the bodies were first built; the JSON written is a
//! `serde_json::Value` (keys sorted), so that order is not what decides the bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::EventType;
use crate::documents::DocumentKind;
use crate::events::{AlertCode, AlertSeverity};
use crate::ids::{DocumentId, LeadId};
use crate::lead::{Level, RejectionReason, RiskLevel};
use crate::requirement::Requirement;
use crate::status::Status;

/// `kyc.lead_created`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadCreatedData {
    pub lead_id: LeadId,
    pub lead_version: u64,
}

/// `kyc.status_updated`: every status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdatedData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    /// `null` when the audit event did not record it.
    pub previous_status: Option<Status>,
    pub status: Status,
    /// What the integrator may enable after the move (`crypto_rails`); left out for
    /// moves recorded before capabilities existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<crate::sumsub::Capabilities>,
}

/// `kyc.review_completed`: a change to `approved` or `rejected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewCompletedData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub decision: ReviewDecision,
    /// Empty (not left out) when the decision gave none.
    pub reasons: Vec<RejectionReason>,
    /// The reviewer's label, `"system"` for the decision policy, `null` for an API call
    /// that named nobody.
    pub reviewer: Option<String>,
    /// Who decided, as the audit trail names it (`key:<actor>` for an API key,
    /// `system:<component>` for the service). Left out only for decisions recorded
    /// before actors came from API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// The statuses that complete a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approved,
    Rejected,
}

impl ReviewDecision {
    /// The decision a move to `status` completes, if it completes one.
    pub fn of(status: Status) -> Option<ReviewDecision> {
        match status {
            Status::Approved => Some(ReviewDecision::Approved),
            Status::Rejected => Some(ReviewDecision::Rejected),
            Status::NotStarted | Status::InProgress | Status::UnderReview => None,
        }
    }
}

/// `kyc.document_received`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentReceivedData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub document: ReceivedDocument,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedDocument {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub size_bytes: u64,
    /// Left out (not `null`) when the file could not be hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// `kyc.compliance_alert`: a risk score raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceAlertData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub alert: AlertCode,
    pub severity: AlertSeverity,
    pub risk: AlertRisk,
}

/// The lead's risk when the alert was raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRisk {
    pub score: u32,
    pub level: RiskLevel,
}

/// `kyc.follow_up_due`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpDueData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub attempt: u8,
    pub missing: Vec<Requirement>,
}

/// `kyc.requirements_updated`: the lead's level was raised because of its risk; what
/// it now lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementsUpdatedData {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub level: Level,
    pub missing: Vec<Requirement>,
}

/// The body of any webhook event. Serialised untagged: the event's `type` says which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum WebhookData {
    LeadCreated(LeadCreatedData),
    StatusUpdated(StatusUpdatedData),
    ReviewCompleted(ReviewCompletedData),
    DocumentReceived(DocumentReceivedData),
    ComplianceAlert(ComplianceAlertData),
    FollowUpDue(FollowUpDueData),
    RequirementsUpdated(RequirementsUpdatedData),
}

impl WebhookData {
    pub fn event_type(&self) -> EventType {
        match self {
            WebhookData::LeadCreated(_) => EventType::LeadCreated,
            WebhookData::StatusUpdated(_) => EventType::StatusUpdated,
            WebhookData::ReviewCompleted(_) => EventType::ReviewCompleted,
            WebhookData::DocumentReceived(_) => EventType::DocumentReceived,
            WebhookData::ComplianceAlert(_) => EventType::ComplianceAlert,
            WebhookData::FollowUpDue(_) => EventType::FollowUpDue,
            WebhookData::RequirementsUpdated(_) => EventType::RequirementsUpdated,
        }
    }

    /// Reads the `data` of a webhook event of `event_type`. Untagged JSON cannot say
    /// which body it is (a lead-created body is a prefix of most others), so the type
    /// decides.
    pub fn parse(event_type: EventType, data: &Value) -> Result<WebhookData, serde_json::Error> {
        Ok(match event_type {
            EventType::LeadCreated => WebhookData::LeadCreated(LeadCreatedData::deserialize(data)?),
            EventType::StatusUpdated => WebhookData::StatusUpdated(StatusUpdatedData::deserialize(data)?),
            EventType::ReviewCompleted => WebhookData::ReviewCompleted(ReviewCompletedData::deserialize(data)?),
            EventType::DocumentReceived => WebhookData::DocumentReceived(DocumentReceivedData::deserialize(data)?),
            EventType::ComplianceAlert => WebhookData::ComplianceAlert(ComplianceAlertData::deserialize(data)?),
            EventType::FollowUpDue => WebhookData::FollowUpDue(FollowUpDueData::deserialize(data)?),
            EventType::RequirementsUpdated => {
                WebhookData::RequirementsUpdated(RequirementsUpdatedData::deserialize(data)?)
            }
        })
    }
}
