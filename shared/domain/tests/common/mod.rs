//! The frozen trail of `fixtures/audit/trail.json`, as typed drafts: the events a lead
//! gets from creation to a final rejection, with the payloads the app writes.

use chrono::{DateTime, Utc};
use kyc_domain::audit::{AuditEvent, ChainHead, EventDraft};
use kyc_domain::documents::DocumentKind;
use kyc_domain::events::{
    AlertCode, AlertSeverity, DocumentReceived, DocumentRequested, DocumentVerdict, EventPayload, FollowUpSent,
    LeadCreated, LeadUpdated, NoteAdded, PolicyMove, RiskAlert, RiskScored, StatusChangeOrigin, StatusChanged,
};
use kyc_domain::ids::DocumentId;
use kyc_domain::lead::{LeadType, Level, RejectionReason, RiskLevel, Source};
use kyc_domain::{EventId, LeadId, Requirement, Status};

pub const TRAIL_JSON: &str = include_str!("../fixtures/audit/trail.json");

const LEAD: &str = "lead_019a48f1c3d27a4e8b5f6c7d8e9fa0b1";
const PASSPORT: &str = "doc_019a4a0e77b47d1c9e2f3a4b5c6d7e8f";
const PROOF: &str = "doc_019a4c3b12e07f2a8d9c0b1a2f3e4d5c";
const POLICY: &str = "2026-11-1";

fn lead() -> LeadId {
    LeadId::parse(LEAD).expect("a well-formed lead id")
}

fn doc(id: &str) -> DocumentId {
    DocumentId::parse(id).expect("a well-formed document id")
}

fn draft(id: &str, at: &str, actor: &str, payload: EventPayload) -> EventDraft {
    let at: DateTime<Utc> = at.parse().expect("a fixed RFC 3339 time");
    EventDraft::new(EventId::parse(id).expect("a well-formed event id"), at, actor, payload)
}

fn moved(mut draft: EventDraft, from: Status, to: Status) -> EventDraft {
    draft.from_status = Some(from);
    draft.to_status = Some(to);
    draft
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The frozen trail's events as the app drafts them, oldest first.
pub fn frozen_trail_drafts() -> Vec<EventDraft> {
    let passport_scored_at = "2025-11-04T14:03:02.871204Z";
    let proof_scored_at = "2025-11-05T08:31:40.004417Z";
    let proof_factors = strings(&["ip_country_mismatch", "document_check_failed", "sanctions_match"]);
    let mut rejection = draft(
        "evt_019a4d9e4c2b7f3a8e1d2c3b4a5f6e7d",
        "2025-11-05T15:08:55.61Z",
        "reviewer:ana",
        EventPayload::StatusChanged(StatusChanged {
            lead_id: lead(),
            lead_version: 5,
            origin: StatusChangeOrigin::Manual { reviewer_label: Some("ana".into()), is_final: Some(true) },
            capabilities: None,
        }),
    );
    rejection.reasons = Some(vec![RejectionReason::DocumentForged, RejectionReason::SanctionsMatch]);
    rejection.note = Some("Edited proof of address; the name matches the EU consolidated list.".into());
    let rejection = moved(rejection, Status::UnderReview, Status::Rejected);
    let mut note = draft(
        "evt_019a4f0d2b6c7e1f8a9b0c1d2e3f4a5b",
        "2025-11-04T13:51:44.9Z",
        "reviewer:ana",
        EventPayload::NoteAdded(NoteAdded { lead_id: lead(), lead_version: 2, reviewer_label: Some("ana".into()) }),
    );
    note.note = Some("Called the applicant: the passport upload is on its way.".into());

    vec![
        draft(
            "evt_019a48f1c3d27a4e8b5f6c7d8e9fa0c1",
            "2025-11-03T09:14:07.482913Z",
            "api",
            EventPayload::LeadCreated(LeadCreated {
                lead_id: lead(),
                lead_version: 1,
                source: Source::Api,
                lead_type: LeadType::Individual,
                level: Level::Enhanced,
            }),
        ),
        draft(
            "evt_019a490b5a1e7b3c9d0e1f2a3b4c5d6e",
            "2025-11-03T09:42:19.007Z",
            "api",
            EventPayload::LeadUpdated(LeadUpdated {
                lead_id: lead(),
                lead_version: 2,
                changed: strings(&["email", "address"]),
            }),
        ),
        draft(
            "evt_019a4e31f0c87d2a9b3c4d5e6f7a8b9c",
            "2025-11-04T09:50:00.120551Z",
            "system",
            EventPayload::FollowUpSent(FollowUpSent {
                lead_id: lead(),
                lead_version: 2,
                attempt: 1,
                missing: vec![Requirement::IdentityDocument, Requirement::ProofOfAddress, Requirement::Selfie],
            }),
        ),
        note,
        draft(
            "evt_019a4a0e77b47d1c9e2f3a4b5c6d7e90",
            "2025-11-04T14:02:31.333Z",
            "api",
            EventPayload::DocumentRequested(DocumentRequested {
                lead_id: lead(),
                lead_version: 2,
                document_id: doc(PASSPORT),
                kind: DocumentKind::Passport,
            }),
        ),
        draft(
            "evt_019a4a0f0f9a7b2c8d3e4f5a6b7c8d9e",
            passport_scored_at,
            "system",
            EventPayload::DocumentReceived(DocumentReceived {
                lead_id: lead(),
                lead_version: 3,
                document_id: doc(PASSPORT),
                kind: DocumentKind::Passport,
                size_bytes: 482_113,
                sha256: Some("5f2b8c1e9a4d7f6031b2c8e4a9d5f7e3c1b0a8d6e4f2c9b7a5e3d1f0c8b6a4e2".into()),
            }),
        ),
        draft(
            "evt_019a4a0f0f9a7b2c8d3e4f5a6b7c8d9f",
            passport_scored_at,
            "system",
            EventPayload::DocumentVerified(DocumentVerdict {
                lead_id: lead(),
                lead_version: 3,
                document_id: doc(PASSPORT),
                kind: DocumentKind::Passport,
                failed_checks: vec![],
            }),
        ),
        draft(
            "evt_019a4a0f0f9a7b2c8d3e4f5a6b7c8da0",
            passport_scored_at,
            "system",
            EventPayload::RiskScored(RiskScored {
                lead_id: lead(),
                lead_version: 3,
                document_id: Some(doc(PASSPORT)),
                kind: Some(DocumentKind::Passport),
                score: 35,
                level: RiskLevel::Medium,
                policy_version: POLICY.into(),
                factors: strings(&["ip_country_mismatch"]),
                alert: None,
            }),
        ),
        moved(
            draft(
                "evt_019a4a0f0f9a7b2c8d3e4f5a6b7c8da1",
                passport_scored_at,
                "system",
                EventPayload::StatusChanged(StatusChanged {
                    lead_id: lead(),
                    lead_version: 3,
                    origin: StatusChangeOrigin::Policy(PolicyMove {
                        document_id: Some(doc(PASSPORT)),
                        kind: Some(DocumentKind::Passport),
                        policy_version: POLICY.into(),
                        factors: strings(&["ip_country_mismatch"]),
                        risk_level: RiskLevel::Medium,
                    }),
                    capabilities: None,
                }),
            ),
            Status::NotStarted,
            Status::InProgress,
        ),
        draft(
            "evt_019a4c3b12e07f2a8d9c0b1a2f3e4d5d",
            "2025-11-05T08:30:12.5Z",
            "api",
            EventPayload::DocumentRequested(DocumentRequested {
                lead_id: lead(),
                lead_version: 3,
                document_id: doc(PROOF),
                kind: DocumentKind::ProofOfAddress,
            }),
        ),
        draft(
            "evt_019a4c3c6a117a3b9c4d5e6f7a8b9ca0",
            proof_scored_at,
            "system",
            EventPayload::DocumentReceived(DocumentReceived {
                lead_id: lead(),
                lead_version: 4,
                document_id: doc(PROOF),
                kind: DocumentKind::ProofOfAddress,
                size_bytes: 20_931,
                sha256: None,
            }),
        ),
        draft(
            "evt_019a4c3c6a117a3b9c4d5e6f7a8b9ca1",
            proof_scored_at,
            "system",
            EventPayload::DocumentRejected(DocumentVerdict {
                lead_id: lead(),
                lead_version: 4,
                document_id: doc(PROOF),
                kind: DocumentKind::ProofOfAddress,
                failed_checks: strings(&["file_type", "editing_software"]),
            }),
        ),
        draft(
            "evt_019a4c3c6a117a3b9c4d5e6f7a8b9ca2",
            proof_scored_at,
            "system",
            EventPayload::RiskScored(RiskScored {
                lead_id: lead(),
                lead_version: 4,
                document_id: Some(doc(PROOF)),
                kind: Some(DocumentKind::ProofOfAddress),
                score: 82,
                level: RiskLevel::Critical,
                policy_version: POLICY.into(),
                factors: proof_factors.clone(),
                alert: Some(RiskAlert { code: AlertCode::CriticalRisk, severity: AlertSeverity::Critical, score: 82 }),
            }),
        ),
        moved(
            draft(
                "evt_019a4c3c6a117a3b9c4d5e6f7a8b9ca3",
                proof_scored_at,
                "system",
                EventPayload::StatusChanged(StatusChanged {
                    lead_id: lead(),
                    lead_version: 4,
                    origin: StatusChangeOrigin::Policy(PolicyMove {
                        document_id: Some(doc(PROOF)),
                        kind: Some(DocumentKind::ProofOfAddress),
                        policy_version: POLICY.into(),
                        factors: proof_factors,
                        risk_level: RiskLevel::Critical,
                    }),
                    capabilities: None,
                }),
            ),
            Status::InProgress,
            Status::UnderReview,
        ),
        rejection,
    ]
}

/// The drafts linked from the genesis, as the app would store them today.
pub fn chained(drafts: Vec<EventDraft>) -> Vec<AuditEvent> {
    let mut head = ChainHead::genesis();
    let mut trail = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let event = draft.chain(&head).expect("a draft links");
        head = event.head();
        trail.push(event);
    }
    trail
}

/// The trail as it was stored, hashes included.
pub fn frozen_trail() -> Vec<AuditEvent> {
    serde_json::from_str(TRAIL_JSON).expect("the frozen trail parses as audit events")
}
