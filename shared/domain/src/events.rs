//! What each audit action records: one typed payload per [`Action`].
//!
//! An audit event stores its payload as the JSON object `data` next to the `action`
//! string, and the hash chain is computed over that stored JSON. These types are the
//! single description of those objects: the app builds them, the webhook relay reads
//! them, and a change to a field is a change the compiler sees. Every struct refuses
//! fields it does not know, so a stored object and its parsed payload always describe
//! the same thing (nothing is dropped on the way through).
//!
//! Field names, optionality, and `null` against absent are exactly what the app has
//! written since the first stored trails: `risk.scored` writes `"alert": null` and
//! `document.received` may write `"sha256": null`, while optional fields of the other
//! actions are left out when empty.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::audit::Action;
use crate::documents::DocumentKind;
use crate::ids::{DocumentId, LeadId};
use crate::lead::{LeadType, Level, RiskLevel, Source};
use crate::requirement::Requirement;

/// The payload of an audit event, tagged by its action the way it is stored:
/// `{"action": "lead.created", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "data")]
pub enum EventPayload {
    #[serde(rename = "lead.created")]
    LeadCreated(LeadCreated),
    #[serde(rename = "lead.updated")]
    LeadUpdated(LeadUpdated),
    #[serde(rename = "status.changed")]
    StatusChanged(StatusChanged),
    #[serde(rename = "note.added")]
    NoteAdded(NoteAdded),
    #[serde(rename = "document.requested")]
    DocumentRequested(DocumentRequested),
    #[serde(rename = "document.received")]
    DocumentReceived(DocumentReceived),
    #[serde(rename = "document.verified")]
    DocumentVerified(DocumentVerdict),
    #[serde(rename = "document.rejected")]
    DocumentRejected(DocumentVerdict),
    #[serde(rename = "risk.scored")]
    RiskScored(RiskScored),
    #[serde(rename = "follow_up.sent")]
    FollowUpSent(FollowUpSent),
    #[serde(rename = "link.created")]
    LinkCreated(LinkCreated),
    #[serde(rename = "link.opened")]
    LinkOpened(LinkOpened),
    #[serde(rename = "sumsub.imported")]
    SumsubImported(SumsubImported),
    #[serde(rename = "review.first_approval")]
    FirstApproval(FirstApproval),
    #[serde(rename = "level.raised")]
    LevelRaised(LevelRaised),
}

/// A stored `data` object that is not the payload its action calls for, or a payload
/// that could not be turned into JSON.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the data of a {action} event is not a {action} payload")]
    Parse {
        action: Action,
        #[source]
        source: serde_json::Error,
    },
    #[error("a {action} payload could not be serialised")]
    Serialise {
        action: Action,
        #[source]
        source: serde_json::Error,
    },
}

impl EventPayload {
    /// The audit action this payload is recorded under.
    pub fn action(&self) -> Action {
        match self {
            EventPayload::LeadCreated(_) => Action::LeadCreated,
            EventPayload::LeadUpdated(_) => Action::LeadUpdated,
            EventPayload::StatusChanged(_) => Action::StatusChanged,
            EventPayload::NoteAdded(_) => Action::NoteAdded,
            EventPayload::DocumentRequested(_) => Action::DocumentRequested,
            EventPayload::DocumentReceived(_) => Action::DocumentReceived,
            EventPayload::DocumentVerified(_) => Action::DocumentVerified,
            EventPayload::DocumentRejected(_) => Action::DocumentRejected,
            EventPayload::RiskScored(_) => Action::RiskScored,
            EventPayload::FollowUpSent(_) => Action::FollowUpSent,
            EventPayload::LinkCreated(_) => Action::LinkCreated,
            EventPayload::LinkOpened(_) => Action::LinkOpened,
            EventPayload::SumsubImported(_) => Action::SumsubImported,
            EventPayload::FirstApproval(_) => Action::FirstApproval,
            EventPayload::LevelRaised(_) => Action::LevelRaised,
        }
    }

    /// The lead the event belongs to.
    pub fn lead_id(&self) -> &LeadId {
        match self {
            EventPayload::LeadCreated(p) => &p.lead_id,
            EventPayload::LeadUpdated(p) => &p.lead_id,
            EventPayload::StatusChanged(p) => &p.lead_id,
            EventPayload::NoteAdded(p) => &p.lead_id,
            EventPayload::DocumentRequested(p) => &p.lead_id,
            EventPayload::DocumentReceived(p) => &p.lead_id,
            EventPayload::DocumentVerified(p) | EventPayload::DocumentRejected(p) => &p.lead_id,
            EventPayload::RiskScored(p) => &p.lead_id,
            EventPayload::FollowUpSent(p) => &p.lead_id,
            EventPayload::LinkCreated(p) => &p.lead_id,
            EventPayload::LinkOpened(p) => &p.lead_id,
            EventPayload::SumsubImported(p) => &p.lead_id,
            EventPayload::FirstApproval(p) => &p.lead_id,
            EventPayload::LevelRaised(p) => &p.lead_id,
        }
    }

    /// The lead's version once the event applied (unchanged by trail-only events such
    /// as a note).
    pub fn lead_version(&self) -> u64 {
        match self {
            EventPayload::LeadCreated(p) => p.lead_version,
            EventPayload::LeadUpdated(p) => p.lead_version,
            EventPayload::StatusChanged(p) => p.lead_version,
            EventPayload::NoteAdded(p) => p.lead_version,
            EventPayload::DocumentRequested(p) => p.lead_version,
            EventPayload::DocumentReceived(p) => p.lead_version,
            EventPayload::DocumentVerified(p) | EventPayload::DocumentRejected(p) => p.lead_version,
            EventPayload::RiskScored(p) => p.lead_version,
            EventPayload::FollowUpSent(p) => p.lead_version,
            EventPayload::LinkCreated(p) => p.lead_version,
            EventPayload::LinkOpened(p) => p.lead_version,
            EventPayload::SumsubImported(p) => p.lead_version,
            EventPayload::FirstApproval(p) => p.lead_version,
            EventPayload::LevelRaised(p) => p.lead_version,
        }
    }

    /// The `data` object as it is stored (without the action tag).
    pub fn to_data(&self) -> Result<Value, PayloadError> {
        let data = match self {
            EventPayload::LeadCreated(p) => serde_json::to_value(p),
            EventPayload::LeadUpdated(p) => serde_json::to_value(p),
            EventPayload::StatusChanged(p) => serde_json::to_value(p),
            EventPayload::NoteAdded(p) => serde_json::to_value(p),
            EventPayload::DocumentRequested(p) => serde_json::to_value(p),
            EventPayload::DocumentReceived(p) => serde_json::to_value(p),
            EventPayload::DocumentVerified(p) | EventPayload::DocumentRejected(p) => serde_json::to_value(p),
            EventPayload::RiskScored(p) => serde_json::to_value(p),
            EventPayload::FollowUpSent(p) => serde_json::to_value(p),
            EventPayload::LinkCreated(p) => serde_json::to_value(p),
            EventPayload::LinkOpened(p) => serde_json::to_value(p),
            EventPayload::SumsubImported(p) => serde_json::to_value(p),
            EventPayload::FirstApproval(p) => serde_json::to_value(p),
            EventPayload::LevelRaised(p) => serde_json::to_value(p),
        };
        data.map_err(|source| PayloadError::Serialise { action: self.action(), source })
    }

    /// Reads the payload of a stored `action` and its `data` object.
    pub fn from_data(action: Action, data: &Value) -> Result<EventPayload, PayloadError> {
        // The stored pair is exactly the serde-tagged form, so the enum's own tag names
        // decide which struct the data must be.
        let mut tagged = Map::new();
        tagged.insert("action".into(), Value::String(action.as_str().into()));
        tagged.insert("data".into(), data.clone());
        EventPayload::deserialize(Value::Object(tagged)).map_err(|source| PayloadError::Parse { action, source })
    }
}

// ------------------------------------------------------------------------------ leads

/// `lead.created`: a lead was created (through the API, or later by an import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadCreated {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub source: Source,
    #[serde(rename = "type")]
    pub lead_type: LeadType,
    pub level: Level,
}

/// `lead.updated`: a PATCH changed these top-level fields of the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadUpdated {
    pub lead_id: LeadId,
    pub lead_version: u64,
    /// Names of the changed top-level fields (`email`, `address`, `metadata`, ...), in
    /// the order the API lists its patchable fields.
    pub changed: Vec<String>,
}

/// `note.added`: a note was added to the trail; its text is the event's `note`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteAdded {
    pub lead_id: LeadId,
    pub lead_version: u64,
    /// The reviewer named in the request body: a label next to the event's actor,
    /// never instead of it (stored as `reviewer` before actors came from API keys).
    #[serde(default, alias = "reviewer", skip_serializing_if = "Option::is_none")]
    pub reviewer_label: Option<String>,
}

/// `review.first_approval`: the first of the two approvals a high or critical risk
/// lead needs (four eyes); the lead stays under review, and any other change of it
/// voids this approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstApproval {
    pub lead_id: LeadId,
    pub lead_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer_label: Option<String>,
}

/// `follow_up.sent`: the follow-up job nudged a waiting lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSent {
    pub lead_id: LeadId,
    pub lead_version: u64,
    /// 1 for the first follow-up of the lead, counting up to the maximum.
    pub attempt: u8,
    /// What the lead still lacks.
    pub missing: Vec<Requirement>,
}

// ----------------------------------------------------------------------------- status

/// `status.changed`: the lead moved from the event's `from_status` to its `to_status`
/// (those, the reasons and the note are fields of the event, not of this payload).
///
/// Stored flat: a manual change may carry `reviewer` and (for a rejection) `final`; a
/// move by the decision policy carries the scored document and the policy's verdict.
/// The two never mix, and a policy move carries all of its fields or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChanged {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub origin: StatusChangeOrigin,
    /// The lead's capabilities after the move (left out by trails written before
    /// capabilities existed); filled in by the unit of work from the lead it writes.
    pub capabilities: Option<crate::sumsub::Capabilities>,
}

/// Who moved the lead, with what that origin records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChangeOrigin {
    /// Through the API: the reviewer label it named, if any, and for a rejection whether
    /// it is final (`final` is written only for rejections).
    Manual { reviewer_label: Option<String>, is_final: Option<bool> },
    /// By the decision policy: after a document was scored, or after the lead's data was
    /// scored at its creation or on a change.
    Policy(PolicyMove),
    /// By a Sumsub import's review (a share token or Sumsub's `applicantReviewed`).
    Sumsub { applicant_id: String },
}

/// Why the decision policy moved a lead: the document whose scoring led to it (none
/// when the lead's own data was scored, at its creation or on a change) and the risk
/// it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMove {
    pub document_id: Option<DocumentId>,
    pub kind: Option<DocumentKind>,
    pub policy_version: String,
    /// Codes of the risk factors found (`ip_country_mismatch`, `sanctions_match`, ...).
    pub factors: Vec<String>,
    pub risk_level: RiskLevel,
}

/// The stored, flat form of [`StatusChanged`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChangedFields {
    lead_id: LeadId,
    lead_version: u64,
    #[serde(default, alias = "reviewer", skip_serializing_if = "Option::is_none")]
    reviewer_label: Option<String>,
    #[serde(rename = "final", default, skip_serializing_if = "Option::is_none")]
    is_final: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_id: Option<DocumentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<DocumentKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    factors: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    risk_level: Option<RiskLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    capabilities: Option<crate::sumsub::Capabilities>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sumsub_applicant_id: Option<String>,
}

impl StatusChangedFields {
    fn into_change(self) -> Result<StatusChanged, &'static str> {
        let StatusChangedFields {
            lead_id,
            lead_version,
            reviewer_label,
            is_final,
            document_id,
            kind,
            policy_version,
            factors,
            risk_level,
            capabilities,
            sumsub_applicant_id,
        } = self;
        let any_policy_field = document_id.is_some()
            || kind.is_some()
            || policy_version.is_some()
            || factors.is_some()
            || risk_level.is_some();
        let origin = if let Some(applicant_id) = sumsub_applicant_id {
            if any_policy_field || reviewer_label.is_some() || is_final.is_some() {
                return Err("a status change by a Sumsub import names only its applicant");
            }
            StatusChangeOrigin::Sumsub { applicant_id }
        } else if any_policy_field {
            if reviewer_label.is_some() || is_final.is_some() {
                return Err("a status change is either manual (reviewer, final) or by the policy, not both");
            }
            if document_id.is_some() != kind.is_some() {
                return Err("a policy move names its document's document_id and kind together, or neither");
            }
            match (policy_version, factors, risk_level) {
                (Some(policy_version), Some(factors), Some(risk_level)) => {
                    StatusChangeOrigin::Policy(PolicyMove { document_id, kind, policy_version, factors, risk_level })
                }
                _ => {
                    return Err("a policy move names policy_version, factors and risk_level together");
                }
            }
        } else {
            StatusChangeOrigin::Manual { reviewer_label, is_final }
        };
        Ok(StatusChanged { lead_id, lead_version, origin, capabilities })
    }

    fn of(change: &StatusChanged) -> StatusChangedFields {
        let mut fields = StatusChangedFields {
            lead_id: change.lead_id.clone(),
            lead_version: change.lead_version,
            reviewer_label: None,
            is_final: None,
            document_id: None,
            kind: None,
            policy_version: None,
            factors: None,
            risk_level: None,
            capabilities: change.capabilities,
            sumsub_applicant_id: None,
        };
        match &change.origin {
            StatusChangeOrigin::Sumsub { applicant_id } => {
                fields.sumsub_applicant_id = Some(applicant_id.clone());
            }
            StatusChangeOrigin::Manual { reviewer_label, is_final } => {
                fields.reviewer_label = reviewer_label.clone();
                fields.is_final = *is_final;
            }
            StatusChangeOrigin::Policy(policy) => {
                fields.document_id = policy.document_id.clone();
                fields.kind = policy.kind;
                fields.policy_version = Some(policy.policy_version.clone());
                fields.factors = Some(policy.factors.clone());
                fields.risk_level = Some(policy.risk_level);
            }
        }
        fields
    }
}

impl Serialize for StatusChanged {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StatusChangedFields::of(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StatusChanged {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StatusChangedFields::deserialize(deserializer)?.into_change().map_err(D::Error::custom)
    }
}

// -------------------------------------------------------------------------- documents

/// `document.requested`: an upload URL was handed out for a new document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequested {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub document_id: DocumentId,
    pub kind: DocumentKind,
}

/// `document.received`: the uploaded file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentReceived {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub document_id: DocumentId,
    pub kind: DocumentKind,
    pub size_bytes: u64,
    /// Hex SHA-256 of the file; stored as `null` (not left out) when the file could not
    /// be hashed.
    pub sha256: Option<String>,
}

/// `document.verified` and `document.rejected`: the verdict of the document's checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentVerdict {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub document_id: DocumentId,
    pub kind: DocumentKind,
    /// Names of the checks that failed (empty for a verified document).
    pub failed_checks: Vec<String>,
}

impl DocumentVerdict {
    /// The verdict of a document as it stands, at the lead's `lead_version`.
    pub fn of(doc: &crate::documents::Document, lead_version: u64) -> DocumentVerdict {
        DocumentVerdict {
            lead_id: doc.lead_id.clone(),
            lead_version,
            document_id: doc.id.clone(),
            kind: doc.kind,
            failed_checks: doc
                .checks
                .iter()
                .filter(|c| c.result == crate::documents::CheckResult::Fail)
                .map(|c| c.name.clone())
                .collect(),
        }
    }
}

// ------------------------------------------------------------------------------- risk

/// `risk.scored`: the lead's risk after a document was scored (which it names), or
/// after its own data was scored at its creation or on a change (no document: left
/// out, so every event stored before such scorings existed reads as it was written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskScored {
    pub lead_id: LeadId,
    pub lead_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<DocumentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<DocumentKind>,
    pub score: u32,
    pub level: RiskLevel,
    pub policy_version: String,
    /// Codes of the risk factors found.
    pub factors: Vec<String>,
    /// Stored as `null` (not left out) when the score raised no alert.
    pub alert: Option<RiskAlert>,
}

/// `level.raised`: the lead's risk called for more than its level asked, so the level
/// was raised (never lowered) and the requirements rose with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRaised {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub from: Level,
    pub to: Level,
    /// Codes of the risk factors that called for the raise.
    pub factors: Vec<String>,
    /// What the lead lacks at its new level.
    pub missing: Vec<Requirement>,
}

/// A compliance alert raised by a score; it becomes `kyc.compliance_alert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAlert {
    pub code: AlertCode,
    pub severity: AlertSeverity,
    pub score: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCode {
    /// The score reached the policy's critical level.
    CriticalRisk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Critical,
}

// ------------------------------------------------------------- not yet produced

/// `link.created`: a hosted verification link was issued for the lead. No code writes
/// it yet; the shape is the minimum a later link feature needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkCreated {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub link_id: String,
}

/// `link.opened`: the applicant opened a verification link. Not written yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOpened {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub link_id: String,
}

/// `sumsub.imported`: a Sumsub applicant was imported into the lead (a share token) or
/// its review learnt later (Sumsub's webhook, the follow-up job). Never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumsubImported {
    pub lead_id: LeadId,
    pub lead_version: u64,
    pub applicant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_answer: Option<crate::sumsub::ReviewAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use serde_json::json;

    use super::*;
    use crate::audit::{ChainHead, EventDraft};
    use crate::ids::EventId;

    fn lead_id() -> LeadId {
        LeadId::parse("lead_0190b5e8c3a47d2e9f1b6a5c4d3e2f11").expect("a well-formed lead id")
    }

    fn document_id() -> DocumentId {
        DocumentId::parse("doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12").expect("a well-formed document id")
    }

    fn policy_move() -> PolicyMove {
        PolicyMove {
            document_id: Some(document_id()),
            kind: Some(DocumentKind::Passport),
            policy_version: "2026-11-1".into(),
            factors: vec!["ip_country_mismatch".into()],
            risk_level: RiskLevel::Medium,
        }
    }

    /// At least one payload of every action, with the optional parts both ways.
    fn one_of_each() -> Vec<EventPayload> {
        let lead_id = lead_id();
        let verdict = DocumentVerdict {
            lead_id: lead_id.clone(),
            lead_version: 3,
            document_id: document_id(),
            kind: DocumentKind::ProofOfAddress,
            failed_checks: vec!["file_type".into()],
        };
        let scored = RiskScored {
            lead_id: lead_id.clone(),
            lead_version: 3,
            document_id: Some(document_id()),
            kind: Some(DocumentKind::Passport),
            score: 12,
            level: RiskLevel::Low,
            policy_version: "2026-11-1".into(),
            factors: vec![],
            alert: None,
        };
        let received = DocumentReceived {
            lead_id: lead_id.clone(),
            lead_version: 3,
            document_id: document_id(),
            kind: DocumentKind::Passport,
            size_bytes: 48_213,
            sha256: Some("ab".repeat(32)),
        };
        vec![
            EventPayload::LeadCreated(LeadCreated {
                lead_id: lead_id.clone(),
                lead_version: 1,
                source: Source::Api,
                lead_type: LeadType::Business,
                level: Level::Premium,
            }),
            EventPayload::LeadUpdated(LeadUpdated {
                lead_id: lead_id.clone(),
                lead_version: 2,
                changed: vec!["email".into(), "metadata".into()],
            }),
            EventPayload::StatusChanged(StatusChanged {
                lead_id: lead_id.clone(),
                lead_version: 2,
                origin: StatusChangeOrigin::Manual { reviewer_label: None, is_final: None },
                capabilities: None,
            }),
            EventPayload::StatusChanged(StatusChanged {
                lead_id: lead_id.clone(),
                lead_version: 5,
                origin: StatusChangeOrigin::Manual { reviewer_label: Some("ana".into()), is_final: Some(true) },
                capabilities: None,
            }),
            EventPayload::StatusChanged(StatusChanged {
                lead_id: lead_id.clone(),
                lead_version: 3,
                origin: StatusChangeOrigin::Policy(policy_move()),
                capabilities: None,
            }),
            EventPayload::NoteAdded(NoteAdded { lead_id: lead_id.clone(), lead_version: 2, reviewer_label: None }),
            EventPayload::NoteAdded(NoteAdded {
                lead_id: lead_id.clone(),
                lead_version: 2,
                reviewer_label: Some("bo".into()),
            }),
            EventPayload::FirstApproval(FirstApproval {
                lead_id: lead_id.clone(),
                lead_version: 6,
                reviewer_label: Some("ana".into()),
            }),
            EventPayload::DocumentRequested(DocumentRequested {
                lead_id: lead_id.clone(),
                lead_version: 2,
                document_id: document_id(),
                kind: DocumentKind::DirectorId,
            }),
            EventPayload::DocumentReceived(received.clone()),
            EventPayload::DocumentReceived(DocumentReceived { sha256: None, ..received }),
            EventPayload::DocumentVerified(DocumentVerdict { failed_checks: vec![], ..verdict.clone() }),
            EventPayload::DocumentRejected(verdict),
            EventPayload::RiskScored(scored.clone()),
            EventPayload::RiskScored(RiskScored {
                score: 82,
                level: RiskLevel::Critical,
                alert: Some(RiskAlert { code: AlertCode::CriticalRisk, severity: AlertSeverity::Critical, score: 82 }),
                ..scored.clone()
            }),
            EventPayload::RiskScored(RiskScored {
                document_id: None,
                kind: None,
                score: 100,
                level: RiskLevel::Critical,
                alert: Some(RiskAlert { code: AlertCode::CriticalRisk, severity: AlertSeverity::Critical, score: 100 }),
                ..scored
            }),
            EventPayload::LevelRaised(LevelRaised {
                lead_id: lead_id.clone(),
                lead_version: 1,
                from: Level::Basic,
                to: Level::Premium,
                factors: vec!["geo_sanctioned_country".into()],
                missing: vec![Requirement::IdentityDocument, Requirement::Screening],
            }),
            EventPayload::StatusChanged(StatusChanged {
                lead_id: lead_id.clone(),
                lead_version: 1,
                origin: StatusChangeOrigin::Policy(PolicyMove { document_id: None, kind: None, ..policy_move() }),
                capabilities: None,
            }),
            EventPayload::FollowUpSent(FollowUpSent {
                lead_id: lead_id.clone(),
                lead_version: 2,
                attempt: 3,
                missing: vec![Requirement::DirectorId(1), Requirement::Screening],
            }),
            EventPayload::LinkCreated(LinkCreated {
                lead_id: lead_id.clone(),
                lead_version: 1,
                link_id: "lnk_0190b5e8c3a47d2e9f1b6a5c4d3e2f13".into(),
            }),
            EventPayload::LinkOpened(LinkOpened {
                lead_id: lead_id.clone(),
                lead_version: 1,
                link_id: "lnk_0190b5e8c3a47d2e9f1b6a5c4d3e2f13".into(),
            }),
            EventPayload::SumsubImported(SumsubImported {
                lead_id,
                lead_version: 2,
                applicant_id: "5f1e0c2ba1b2c3d4e5f60718".into(),
                review_answer: None,
                review_status: None,
            }),
        ]
    }

    #[test]
    fn the_samples_cover_every_action() {
        let covered: Vec<Action> =
            Action::ALL.into_iter().filter(|a| one_of_each().iter().any(|p| p.action() == *a)).collect();
        assert_eq!(covered, Action::ALL);
    }

    #[test]
    fn every_payload_serialises_tagged_by_its_action_and_parses_back_equal() {
        for payload in one_of_each() {
            let tagged = serde_json::to_value(&payload).expect("a payload serialises");
            assert_eq!(tagged["action"], json!(payload.action()), "{}", payload.action());
            assert_eq!(tagged["data"], payload.to_data().expect("serialises"), "{}", payload.action());
            let back: EventPayload = serde_json::from_value(tagged).expect("a tagged payload parses");
            assert_eq!(back, payload);
        }
    }

    #[test]
    fn every_payload_survives_being_stored_in_an_audit_event() {
        let at = DateTime::from_timestamp(1_764_374_400, 0).expect("a time in range");
        for payload in one_of_each() {
            let id = EventId::parse("evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10").expect("a well-formed event id");
            let event = EventDraft::new(id, at, "system", payload.clone()).chain(&ChainHead::genesis()).expect("links");
            assert_eq!(event.action, payload.action());
            let stored = serde_json::to_string(&event).expect("an event serialises");
            let read: crate::audit::AuditEvent = serde_json::from_str(&stored).expect("an event parses");
            assert_eq!(read.payload().expect("the stored data parses"), payload);
            assert_eq!(payload.lead_id(), &lead_id());
        }
    }

    #[test]
    fn a_score_without_an_alert_stores_a_null_alert() {
        let payload = one_of_each().into_iter().find(|p| matches!(p, EventPayload::RiskScored(s) if s.alert.is_none()));
        let data = payload.expect("a quiet score").to_data().expect("serialises");
        assert_eq!(data.get("alert"), Some(&Value::Null));
    }

    #[test]
    fn a_document_without_a_hash_stores_a_null_hash() {
        let payload =
            one_of_each().into_iter().find(|p| matches!(p, EventPayload::DocumentReceived(d) if d.sha256.is_none()));
        let data = payload.expect("an unhashed document").to_data().expect("serialises");
        assert_eq!(data.get("sha256"), Some(&Value::Null));
    }

    #[test]
    fn a_manual_change_naming_nobody_stores_only_the_lead() {
        let change = StatusChanged {
            lead_id: lead_id(),
            lead_version: 2,
            origin: StatusChangeOrigin::Manual { reviewer_label: None, is_final: None },
            capabilities: None,
        };
        let data = EventPayload::StatusChanged(change).to_data().expect("serialises");
        assert_eq!(data, json!({ "lead_id": lead_id(), "lead_version": 2 }));
    }

    #[test]
    fn a_final_rejection_stores_final_under_its_contract_name() {
        let change = StatusChanged {
            lead_id: lead_id(),
            lead_version: 5,
            origin: StatusChangeOrigin::Manual { reviewer_label: Some("ana".into()), is_final: Some(false) },
            capabilities: None,
        };
        let data = EventPayload::StatusChanged(change).to_data().expect("serialises");
        assert_eq!(data, json!({ "lead_id": lead_id(), "lead_version": 5, "reviewer_label": "ana", "final": false }));
    }

    #[test]
    fn a_reviewer_stored_before_actors_came_from_keys_reads_as_the_label() {
        let data = json!({ "lead_id": lead_id(), "lead_version": 5, "reviewer": "ana", "final": true });
        let payload = EventPayload::from_data(Action::StatusChanged, &data).expect("an old manual change");
        let EventPayload::StatusChanged(change) = payload else { panic!("a status change") };
        assert_eq!(
            change.origin,
            StatusChangeOrigin::Manual { reviewer_label: Some("ana".into()), is_final: Some(true) }
        );
    }

    #[test]
    fn a_policy_move_stores_its_document_and_verdict_flat() {
        let change = StatusChanged {
            lead_id: lead_id(),
            lead_version: 3,
            origin: StatusChangeOrigin::Policy(policy_move()),
            capabilities: None,
        };
        let data = EventPayload::StatusChanged(change).to_data().expect("serialises");
        assert_eq!(
            data,
            json!({ "lead_id": lead_id(), "lead_version": 3, "document_id": document_id(), "kind": "passport",
                    "policy_version": "2026-11-1", "factors": ["ip_country_mismatch"], "risk_level": "medium" })
        );
    }

    #[test]
    fn a_score_of_the_leads_own_data_names_no_document_and_stores_none() {
        let scored = one_of_each()
            .into_iter()
            .find(|p| matches!(p, EventPayload::RiskScored(s) if s.document_id.is_none()))
            .expect("a score of the lead's data");
        let data = scored.to_data().expect("serialises");
        assert!(data.get("document_id").is_none() && data.get("kind").is_none(), "{data}");
        assert_eq!(EventPayload::from_data(Action::RiskScored, &data).expect("parses"), scored);
    }

    #[test]
    fn a_policy_move_names_its_document_whole_or_not_at_all() {
        let data = json!({ "lead_id": lead_id(), "lead_version": 3, "kind": "passport", "policy_version": "2026-11-1",
                           "factors": [], "risk_level": "critical" });
        assert!(EventPayload::from_data(Action::StatusChanged, &data).is_err(), "a kind without its document");
        let data = json!({ "lead_id": lead_id(), "lead_version": 3, "policy_version": "2026-11-1",
                           "factors": ["geo_sanctioned_country"], "risk_level": "critical" });
        let EventPayload::StatusChanged(change) =
            EventPayload::from_data(Action::StatusChanged, &data).expect("parses")
        else {
            panic!("a status change")
        };
        assert!(matches!(change.origin, StatusChangeOrigin::Policy(PolicyMove { document_id: None, .. })));
    }

    #[test]
    fn a_status_change_with_only_part_of_a_policy_move_is_refused() {
        let data =
            json!({ "lead_id": lead_id(), "lead_version": 3, "policy_version": "2026-11-1", "risk_level": "low" });
        let error = EventPayload::from_data(Action::StatusChanged, &data).expect_err("a partial policy move");
        assert!(error.to_string().contains("status.changed"), "{error}");
    }

    #[test]
    fn a_status_change_both_manual_and_by_the_policy_is_refused() {
        let mut data = EventPayload::StatusChanged(StatusChanged {
            lead_id: lead_id(),
            lead_version: 3,
            origin: StatusChangeOrigin::Policy(policy_move()),
            capabilities: None,
        })
        .to_data()
        .expect("serialises");
        data["reviewer"] = json!("ana");
        assert!(EventPayload::from_data(Action::StatusChanged, &data).is_err());
    }

    #[test]
    fn a_field_no_payload_has_is_refused_rather_than_dropped() {
        let data = json!({ "lead_id": lead_id(), "lead_version": 2, "changed": ["email"], "by": "import" });
        let error = EventPayload::from_data(Action::LeadUpdated, &data).expect_err("an unknown field");
        assert!(matches!(error, PayloadError::Parse { action: Action::LeadUpdated, .. }), "{error:?}");
        let status = json!({ "lead_id": lead_id(), "lead_version": 2, "channel": "email" });
        assert!(EventPayload::from_data(Action::StatusChanged, &status).is_err());
    }

    #[test]
    fn a_score_whose_alert_was_left_out_reads_as_no_alert() {
        // Only `null` has ever been written; a missing key is read the same way.
        let data = json!({ "lead_id": lead_id(), "lead_version": 3, "document_id": document_id(), "kind": "passport",
                           "score": 10, "level": "low", "policy_version": "2026-11-1", "factors": [] });
        let payload = EventPayload::from_data(Action::RiskScored, &data).expect("parses");
        assert!(matches!(payload, EventPayload::RiskScored(RiskScored { alert: None, .. })));
    }
}
