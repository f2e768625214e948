//! Which public webhook events an audit event stands for, and what they carry.

use chrono::{DateTime, Utc};
use kyc_domain::audit::{ChainHead, EventDraft};
use kyc_domain::documents::DocumentKind;
use kyc_domain::events::{
    AlertCode, AlertSeverity, DocumentReceived, DocumentRequested, DocumentVerdict, EventPayload, FollowUpSent,
    LeadCreated, LeadUpdated, LinkCreated, LinkOpened, NoteAdded, PolicyMove, RiskAlert, RiskScored,
    StatusChangeOrigin, StatusChanged, SumsubImported,
};
use kyc_domain::ids::DocumentId;
use kyc_domain::lead::{LeadType, Level, RejectionReason, RiskLevel, Source};
use kyc_domain::webhook::{EventType, WebhookData, WebhookEvent, WebhookEventError, derived_event_id, events_for};
use kyc_domain::{Action, AuditEvent, EventId, LeadId, Requirement, Status};
use serde_json::{Value, json};

const AUDIT_ID: &str = "evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10";
const LEAD_ID: &str = "lead_0190b5e8c3a47d2e9f1b6a5c4d3e2f11";
const DOCUMENT_ID: &str = "doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12";

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_374_400, 0).expect("a time in range")
}

fn audit_id() -> EventId {
    EventId::parse(AUDIT_ID).expect("a well-formed event id")
}

fn lead_id() -> LeadId {
    LeadId::parse(LEAD_ID).expect("a well-formed lead id")
}

fn document_id() -> DocumentId {
    DocumentId::parse(DOCUMENT_ID).expect("a well-formed document id")
}

fn draft(actor: &str, payload: EventPayload) -> EventDraft {
    EventDraft::new(audit_id(), at(), actor, payload)
}

fn audit(actor: &str, payload: EventPayload) -> AuditEvent {
    draft(actor, payload).chain(&ChainHead::genesis()).expect("a draft links")
}

fn manual(reviewer: Option<&str>, is_final: Option<bool>) -> StatusChangeOrigin {
    StatusChangeOrigin::Manual { reviewer_label: reviewer.map(String::from), is_final }
}

fn policy(risk_level: RiskLevel) -> StatusChangeOrigin {
    StatusChangeOrigin::Policy(PolicyMove {
        document_id: Some(document_id()),
        kind: Some(DocumentKind::Passport),
        policy_version: "2026-11-1".into(),
        factors: vec![],
        risk_level,
    })
}

fn status_change(from: Status, to: Status, actor: &str, origin: StatusChangeOrigin) -> AuditEvent {
    let payload =
        EventPayload::StatusChanged(StatusChanged { lead_id: lead_id(), lead_version: 4, origin, capabilities: None });
    let mut draft = draft(actor, payload);
    draft.from_status = Some(from);
    draft.to_status = Some(to);
    draft.chain(&ChainHead::genesis()).expect("a draft links")
}

fn lead_created() -> EventPayload {
    EventPayload::LeadCreated(LeadCreated {
        lead_id: lead_id(),
        lead_version: 4,
        source: Source::Api,
        lead_type: LeadType::Individual,
        level: Level::Basic,
    })
}

fn risk_scored(score: u32, level: RiskLevel, alert: Option<RiskAlert>) -> EventPayload {
    EventPayload::RiskScored(RiskScored {
        lead_id: lead_id(),
        lead_version: 4,
        document_id: Some(document_id()),
        kind: Some(DocumentKind::Passport),
        score,
        level,
        policy_version: "2026-11-1".into(),
        factors: vec!["sanctions_match".into()],
        alert,
    })
}

fn events(audit: &AuditEvent) -> Vec<WebhookEvent> {
    events_for(audit).expect("the audit event has a readable payload")
}

fn types(events: &[WebhookEvent]) -> Vec<EventType> {
    events.iter().map(|e| e.event_type).collect()
}

#[test]
fn event_types_serialize_as_their_contract_names_and_parse_back() {
    let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "kyc.lead_created",
            "kyc.status_updated",
            "kyc.document_received",
            "kyc.review_completed",
            "kyc.compliance_alert",
            "kyc.follow_up_due",
            "kyc.requirements_updated"
        ]
    );
    for t in EventType::ALL {
        assert_eq!(serde_json::to_value(t).ok(), Some(json!(t.as_str())));
        assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
        assert_eq!(t.to_string(), t.as_str());
    }
    assert!("lead_created".parse::<EventType>().is_err());
    assert!("*".parse::<EventType>().is_err());
}

#[test]
fn lead_created_becomes_one_lead_created_event_with_the_audit_id_and_time() {
    let events = events(&audit("api", lead_created()));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, audit_id());
    assert_eq!(events[0].event_type, EventType::LeadCreated);
    assert_eq!(events[0].created_at, at());
    // Only the contract's fields, not the audit's internals.
    assert_eq!(events[0].data, json!({ "lead_id": LEAD_ID, "lead_version": 4 }));
}

#[test]
fn the_event_body_has_the_contract_shape() {
    let events = events(&audit("api", lead_created()));
    let body = serde_json::to_value(&events[0]).expect("a webhook event serialises");
    assert_eq!(
        body,
        json!({
            "id": AUDIT_ID,
            "type": "kyc.lead_created",
            "created_at": "2025-11-29T00:00:00Z",
            "data": { "lead_id": LEAD_ID, "lead_version": 4 }
        })
    );
    let back: WebhookEvent = serde_json::from_value(body).expect("the body parses back");
    assert_eq!(Some(&back), events.first());
}

#[test]
fn a_status_change_that_is_not_a_decision_becomes_only_status_updated() {
    let events = events(&status_change(Status::NotStarted, Status::InProgress, "system", policy(RiskLevel::Low)));
    assert_eq!(types(&events), [EventType::StatusUpdated]);
    assert_eq!(events[0].id, audit_id());
    assert_eq!(
        events[0].data,
        json!({ "lead_id": LEAD_ID, "lead_version": 4, "previous_status": "not_started", "status": "in_progress" })
    );
}

#[test]
fn a_status_change_that_recorded_no_previous_status_says_null() {
    let payload = EventPayload::StatusChanged(StatusChanged {
        lead_id: lead_id(),
        lead_version: 4,
        origin: manual(None, None),
        capabilities: None,
    });
    let mut draft = draft("api", payload);
    draft.to_status = Some(Status::UnderReview);
    let events = events(&draft.chain(&ChainHead::genesis()).expect("links"));
    assert_eq!(events[0].data["previous_status"], Value::Null);
}

#[test]
fn a_rejection_also_becomes_review_completed_with_reasons_and_reviewer() {
    let payload = EventPayload::StatusChanged(StatusChanged {
        lead_id: lead_id(),
        lead_version: 4,
        origin: manual(Some("ana"), Some(false)),
        capabilities: None,
    });
    let mut draft = draft("reviewer:ana", payload);
    draft.from_status = Some(Status::UnderReview);
    draft.to_status = Some(Status::Rejected);
    draft.reasons = Some(vec![RejectionReason::DocumentExpired, RejectionReason::SelfieMismatch]);
    let events = events(&draft.chain(&ChainHead::genesis()).expect("links"));
    assert_eq!(types(&events), [EventType::StatusUpdated, EventType::ReviewCompleted]);
    assert_eq!(events[0].data["status"], "rejected");
    assert_eq!(
        events[1].data,
        json!({
            "lead_id": LEAD_ID, "lead_version": 4, "decision": "rejected",
            "reasons": ["document_expired", "selfie_mismatch"], "reviewer": "ana"
        })
    );
    assert_eq!(events[1].created_at, at());
}

#[test]
fn an_approval_by_the_decision_policy_is_reviewed_by_system_with_no_reasons() {
    let events = events(&status_change(Status::InProgress, Status::Approved, "system", policy(RiskLevel::Low)));
    assert_eq!(types(&events), [EventType::StatusUpdated, EventType::ReviewCompleted]);
    assert_eq!(events[1].data["decision"], "approved");
    assert_eq!(events[1].data["reasons"], json!([]));
    assert_eq!(events[1].data["reviewer"], "system");
}

#[test]
fn an_approval_through_the_api_naming_nobody_has_a_null_reviewer() {
    let events = events(&status_change(Status::UnderReview, Status::Approved, "api", manual(None, None)));
    assert_eq!(events[1].data["reviewer"], Value::Null);
}

#[test]
fn the_reviewer_named_on_the_change_comes_before_the_one_the_actor_names() {
    let named = events(&status_change(Status::UnderReview, Status::Approved, "reviewer:bo", manual(Some("ana"), None)));
    assert_eq!(named[1].data["reviewer"], "ana");
    let by_actor = events(&status_change(Status::UnderReview, Status::Approved, "reviewer:bo", manual(None, None)));
    assert_eq!(by_actor[1].data["reviewer"], "bo");
}

#[test]
fn the_second_event_of_an_audit_event_gets_a_stable_derived_id() {
    let change = status_change(Status::UnderReview, Status::Approved, "api", manual(None, None));
    let first = events(&change);
    let again = events(&change);
    // Computed independently with Python's hashlib when this test was written:
    // "evt_" + sha256("evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10/kyc.review_completed")[:32]
    let expected = "evt_66dbef1c343e75a1b4c7a67e34e95338";
    assert_eq!(first[1].id.as_str(), expected);
    assert_eq!(again[1].id, first[1].id);
    assert_eq!(derived_event_id(&audit_id(), EventType::ReviewCompleted).as_str(), expected);
    assert_ne!(first[1].id, first[0].id);
    // It is a well-formed id like any issued one.
    assert_eq!(EventId::parse(expected).as_ref(), Some(&first[1].id));
}

fn received(kind: DocumentKind, size_bytes: u64, sha256: Option<String>) -> EventPayload {
    EventPayload::DocumentReceived(DocumentReceived {
        lead_id: lead_id(),
        lead_version: 4,
        document_id: document_id(),
        kind,
        size_bytes,
        sha256,
    })
}

#[test]
fn a_received_document_carries_what_the_audit_event_knows_of_it() {
    let events = events(&audit("system", received(DocumentKind::Passport, 48213, Some("ab".repeat(32)))));
    assert_eq!(types(&events), [EventType::DocumentReceived]);
    assert_eq!(
        events[0].data,
        json!({
            "lead_id": LEAD_ID, "lead_version": 4,
            "document": { "id": DOCUMENT_ID, "kind": "passport", "size_bytes": 48213, "sha256": "ab".repeat(32) }
        })
    );
}

#[test]
fn a_received_document_without_a_hash_leaves_it_out() {
    let events = events(&audit("system", received(DocumentKind::Selfie, 10, None)));
    assert_eq!(events[0].data["document"], json!({ "id": DOCUMENT_ID, "kind": "selfie", "size_bytes": 10 }));
}

#[test]
fn a_risk_score_with_an_alert_becomes_a_compliance_alert() {
    let alert = RiskAlert { code: AlertCode::CriticalRisk, severity: AlertSeverity::Critical, score: 82 };
    let events = events(&audit("system", risk_scored(82, RiskLevel::Critical, Some(alert))));
    assert_eq!(types(&events), [EventType::ComplianceAlert]);
    assert_eq!(events[0].id, audit_id());
    assert_eq!(
        events[0].data,
        json!({
            "lead_id": LEAD_ID, "lead_version": 4, "alert": "critical_risk", "severity": "critical",
            "risk": { "score": 82, "level": "critical" }
        })
    );
}

#[test]
fn a_risk_score_without_an_alert_becomes_nothing() {
    assert_eq!(events(&audit("system", risk_scored(10, RiskLevel::Low, None))), []);
}

#[test]
fn a_follow_up_sent_becomes_follow_up_due_with_attempt_and_missing() {
    let payload = EventPayload::FollowUpSent(FollowUpSent {
        lead_id: lead_id(),
        lead_version: 4,
        attempt: 2,
        missing: vec![Requirement::ProofOfAddress, Requirement::Selfie],
    });
    let events = events(&audit("system", payload));
    assert_eq!(types(&events), [EventType::FollowUpDue]);
    assert_eq!(
        events[0].data,
        json!({ "lead_id": LEAD_ID, "lead_version": 4, "attempt": 2, "missing": ["proof_of_address", "selfie"] })
    );
}

#[test]
fn a_raised_level_becomes_one_requirements_updated_event_with_the_new_level_and_what_is_missing() {
    let raised = EventPayload::LevelRaised(kyc_domain::events::LevelRaised {
        lead_id: lead_id(),
        lead_version: 1,
        from: kyc_domain::lead::Level::Basic,
        to: kyc_domain::lead::Level::Premium,
        factors: vec!["geo_sanctioned_country".into()],
        missing: vec![kyc_domain::Requirement::IdentityDocument, kyc_domain::Requirement::Screening],
    });
    let audit = EventDraft::new(
        EventId::parse("evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10").expect("an event id"),
        chrono::DateTime::from_timestamp(1_764_374_400, 0).expect("a time"),
        "system:risk-scorer",
        raised,
    )
    .chain(&kyc_domain::audit::ChainHead::genesis())
    .expect("links");
    let events = events_for(&audit).expect("a readable payload");
    assert_eq!(types(&events), [EventType::RequirementsUpdated]);
    assert_eq!(events[0].id, audit.id, "the first webhook reuses the audit event's id");
    assert_eq!(
        events[0].data,
        json!({ "lead_id": lead_id(), "lead_version": 1, "level": "premium",
                "missing": ["identity_document", "screening"] })
    );
}

#[test]
fn other_audit_actions_become_no_webhook_event() {
    let verdict = DocumentVerdict {
        lead_id: lead_id(),
        lead_version: 4,
        document_id: document_id(),
        kind: DocumentKind::Passport,
        failed_checks: vec!["file_type".into()],
    };
    let silent = [
        EventPayload::LeadUpdated(LeadUpdated { lead_id: lead_id(), lead_version: 4, changed: vec!["email".into()] }),
        EventPayload::NoteAdded(NoteAdded { lead_id: lead_id(), lead_version: 4, reviewer_label: Some("ana".into()) }),
        EventPayload::DocumentRequested(DocumentRequested {
            lead_id: lead_id(),
            lead_version: 4,
            document_id: document_id(),
            kind: DocumentKind::Passport,
        }),
        EventPayload::DocumentVerified(verdict.clone()),
        EventPayload::DocumentRejected(verdict),
        EventPayload::LinkCreated(LinkCreated { lead_id: lead_id(), lead_version: 4, link_id: "lnk_1".into() }),
        EventPayload::LinkOpened(LinkOpened { lead_id: lead_id(), lead_version: 4, link_id: "lnk_1".into() }),
        EventPayload::SumsubImported(SumsubImported {
            lead_id: lead_id(),
            lead_version: 4,
            applicant_id: "5f1e0c2ba1b2c3d4e5f60718".into(),
            review_answer: None,
            review_status: None,
        }),
    ];
    for payload in silent {
        let action = payload.action();
        assert_eq!(events(&audit("api", payload)), [], "{action}");
    }
}

#[test]
fn a_status_change_without_a_target_status_becomes_nothing() {
    let payload = EventPayload::StatusChanged(StatusChanged {
        lead_id: lead_id(),
        lead_version: 4,
        origin: manual(None, None),
        capabilities: None,
    });
    assert_eq!(events(&audit("api", payload)), []);
}

#[test]
fn an_audit_event_whose_data_is_not_its_payload_is_an_error_not_silence() {
    let mut event = audit("api", lead_created());
    event.action = Action::FollowUpSent;
    let error = events_for(&event).expect_err("lead.created data is no follow-up");
    assert!(matches!(&error, WebhookEventError::Payload { id, .. } if *id == audit_id()), "{error:?}");
    let mut event = audit("system", risk_scored(82, RiskLevel::Critical, None));
    event.data["alert"] = json!({ "code": "critical_risk" });
    assert!(events_for(&event).is_err(), "an alert without its severity is unreadable, not absent");
}

#[test]
fn every_webhook_body_reads_back_as_its_typed_data() {
    let alert = RiskAlert { code: AlertCode::CriticalRisk, severity: AlertSeverity::Critical, score: 82 };
    let mut all = Vec::new();
    all.extend(events(&audit("api", lead_created())));
    all.extend(events(&status_change(Status::UnderReview, Status::Rejected, "reviewer:ana", manual(None, Some(true)))));
    all.extend(events(&audit("system", received(DocumentKind::Passport, 1, None))));
    all.extend(events(&audit("system", risk_scored(82, RiskLevel::Critical, Some(alert)))));
    assert_eq!(all.len(), 5);
    for event in all {
        let data: WebhookData = event.typed_data().expect("the body is its type's data");
        assert_eq!(data.event_type(), event.event_type);
        assert_eq!(serde_json::to_value(&data).expect("serialises"), event.data);
    }
}
