//! Which public events an audit event stands for, and their envelope.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::data::{
    AlertRisk, ComplianceAlertData, DocumentReceivedData, FollowUpDueData, LeadCreatedData, ReceivedDocument,
    RequirementsUpdatedData, ReviewCompletedData, ReviewDecision, StatusUpdatedData, WebhookData,
};
use crate::audit::AuditEvent;
use crate::events::{EventPayload, PayloadError, StatusChangeOrigin, StatusChanged};
use crate::ids::EventId;

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
    #[serde(rename = "kyc.requirements_updated")]
    RequirementsUpdated,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::LeadCreated,
        EventType::StatusUpdated,
        EventType::DocumentReceived,
        EventType::ReviewCompleted,
        EventType::ComplianceAlert,
        EventType::FollowUpDue,
        EventType::RequirementsUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "kyc.lead_created",
            EventType::StatusUpdated => "kyc.status_updated",
            EventType::DocumentReceived => "kyc.document_received",
            EventType::ReviewCompleted => "kyc.review_completed",
            EventType::ComplianceAlert => "kyc.compliance_alert",
            EventType::FollowUpDue => "kyc.follow_up_due",
            EventType::RequirementsUpdated => "kyc.requirements_updated",
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
///
/// `data` is kept as JSON, as it is queued and sent: it is built from a typed
/// [`WebhookData`] (see [`WebhookEvent::new`]) and read back with
/// [`WebhookEvent::typed_data`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub created_at: DateTime<Utc>,
    pub data: Value,
}

impl WebhookEvent {
    /// An event whose type is its body's.
    pub fn new(id: EventId, created_at: DateTime<Utc>, data: &WebhookData) -> Result<Self, serde_json::Error> {
        Ok(WebhookEvent { id, event_type: data.event_type(), created_at, data: serde_json::to_value(data)? })
    }

    /// The typed body, read according to the event's type.
    pub fn typed_data(&self) -> Result<WebhookData, serde_json::Error> {
        WebhookData::parse(self.event_type, &self.data)
    }
}

/// An audit event whose webhook events could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookEventError {
    #[error("audit event {id} has no readable payload")]
    Payload {
        id: EventId,
        #[source]
        source: PayloadError,
    },
    #[error("the {event_type} body for audit event {id} could not be serialised")]
    Body {
        id: EventId,
        event_type: EventType,
        #[source]
        source: serde_json::Error,
    },
}

/// The webhook events one audit event stands for, in the order they are to be sent.
///
/// The first reuses the audit event's id (so `webhook-id` is the audit event id); any
/// further one gets [`derived_event_id`], so relays and retries agree on it. A
/// `status.changed` without a `to_status` is malformed and stands for nothing. An audit
/// event whose `data` is not its action's payload is an error, not "no events": it
/// would otherwise vanish from the feed unnoticed.
pub fn events_for(audit: &AuditEvent) -> Result<Vec<WebhookEvent>, WebhookEventError> {
    let payload = audit.payload().map_err(|source| WebhookEventError::Payload { id: audit.id.clone(), source })?;
    let bodies: Vec<WebhookData> = match &payload {
        EventPayload::LeadCreated(p) => {
            vec![WebhookData::LeadCreated(LeadCreatedData { lead_id: p.lead_id.clone(), lead_version: p.lead_version })]
        }
        EventPayload::StatusChanged(p) => status_changed(audit, p),
        EventPayload::DocumentReceived(p) => vec![WebhookData::DocumentReceived(DocumentReceivedData {
            lead_id: p.lead_id.clone(),
            lead_version: p.lead_version,
            document: ReceivedDocument {
                id: p.document_id.clone(),
                kind: p.kind,
                size_bytes: p.size_bytes,
                sha256: p.sha256.clone(),
            },
        })],
        EventPayload::RiskScored(p) => p
            .alert
            .iter()
            .map(|alert| {
                WebhookData::ComplianceAlert(ComplianceAlertData {
                    lead_id: p.lead_id.clone(),
                    lead_version: p.lead_version,
                    alert: alert.code,
                    severity: alert.severity,
                    // The lead's score, which the alert's own copy repeats.
                    risk: AlertRisk { score: p.score, level: p.level },
                })
            })
            .collect(),
        EventPayload::FollowUpSent(p) => vec![WebhookData::FollowUpDue(FollowUpDueData {
            lead_id: p.lead_id.clone(),
            lead_version: p.lead_version,
            attempt: p.attempt,
            missing: p.missing.clone(),
        })],
        EventPayload::LevelRaised(p) => vec![WebhookData::RequirementsUpdated(RequirementsUpdatedData {
            lead_id: p.lead_id.clone(),
            lead_version: p.lead_version,
            level: p.to,
            missing: p.missing.clone(),
        })],
        EventPayload::LeadUpdated(_)
        | EventPayload::NoteAdded(_)
        | EventPayload::DocumentRequested(_)
        | EventPayload::DocumentVerified(_)
        | EventPayload::DocumentRejected(_)
        | EventPayload::LinkCreated(_)
        | EventPayload::LinkOpened(_)
        | EventPayload::SumsubImported(_)
        | EventPayload::FirstApproval(_) => vec![],
    };
    bodies
        .iter()
        .enumerate()
        .map(|(i, data)| {
            let event_type = data.event_type();
            let id = if i == 0 { audit.id.clone() } else { derived_event_id(&audit.id, event_type) };
            WebhookEvent::new(id, audit.at, data).map_err(|source| WebhookEventError::Body {
                id: audit.id.clone(),
                event_type,
                source,
            })
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

fn status_changed(audit: &AuditEvent, change: &StatusChanged) -> Vec<WebhookData> {
    let Some(to) = audit.to_status else {
        return vec![];
    };
    let mut out = vec![WebhookData::StatusUpdated(StatusUpdatedData {
        lead_id: change.lead_id.clone(),
        lead_version: change.lead_version,
        previous_status: audit.from_status,
        status: to,
        capabilities: change.capabilities,
    })];
    if let Some(decision) = ReviewDecision::of(to) {
        out.push(WebhookData::ReviewCompleted(ReviewCompletedData {
            lead_id: change.lead_id.clone(),
            lead_version: change.lead_version,
            decision,
            // A decision recorded without reasons gave none: the contract shows `[]`.
            reasons: audit.reasons.clone().unwrap_or_default(),
            reviewer: reviewer(audit, change),
            actor: named_actor(&audit.actor),
        }));
    }
    out
}

/// Who decided: the reviewer named on the change, else the reviewer the actor names,
/// `"system"` for the decision policy, `None` (`null`) for an API call that named
/// nobody.
/// The actor as the webhook names it: an API key's (`key:<actor>`) or the service's
/// (`system:<component>`). Events written before actors came from keys (`api`,
/// `reviewer:<name>`, `system`) name none.
fn named_actor(actor: &str) -> Option<String> {
    (actor.starts_with("key:") || actor.starts_with("system:")).then(|| actor.to_string())
}

fn reviewer(audit: &AuditEvent, change: &StatusChanged) -> Option<String> {
    if let StatusChangeOrigin::Manual { reviewer_label: Some(name), .. } = &change.origin {
        return Some(name.clone());
    }
    if let Some(name) = audit.actor.strip_prefix("reviewer:") {
        return Some(name.to_string());
    }
    (audit.actor == "system" || audit.actor.starts_with("system:")).then(|| "system".to_string())
}
