//! Which public webhook events an audit event stands for, and what they carry.

use chrono::{DateTime, Utc};
use kyc_domain::audit::{ChainHead, EventDraft};
use kyc_domain::lead::RejectionReason;
use kyc_domain::webhook::{EventType, WebhookEvent, derived_event_id, events_for};
use kyc_domain::{Action, AuditEvent, EventId, Status};
use serde_json::{Value, json};

const AUDIT_ID: &str = "evt_0190b5e8c3a47d2e9f1b6a5c4d3e2f10";
const LEAD_ID: &str = "lead_0190b5e8c3a47d2e9f1b6a5c4d3e2f11";

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_374_400, 0).unwrap_or_default()
}

fn audit_id() -> EventId {
    EventId::parse(AUDIT_ID).unwrap_or_else(|| EventId::from_uuid(uuid::Uuid::nil()))
}

fn audit(action: Action, actor: &str, extra: Value) -> AuditEvent {
    let mut data = json!({ "lead_id": LEAD_ID, "lead_version": 4 });
    if let (Some(m), Value::Object(extra)) = (data.as_object_mut(), extra) {
        m.extend(extra);
    }
    EventDraft {
        id: audit_id(),
        at: at(),
        actor: actor.into(),
        action,
        from_status: None,
        to_status: None,
        reasons: None,
        note: None,
        data,
    }
    .chain(&ChainHead::genesis())
}

fn status_change(from: Status, to: Status, actor: &str, extra: Value) -> AuditEvent {
    let mut event = audit(Action::StatusChanged, actor, extra);
    event.from_status = Some(from);
    event.to_status = Some(to);
    event
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
            "kyc.follow_up_due"
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
    let events = events_for(&audit(Action::LeadCreated, "api", json!({ "source": "api", "level": "basic" })));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, audit_id());
    assert_eq!(events[0].event_type, EventType::LeadCreated);
    assert_eq!(events[0].created_at, at());
    // Only the contract's fields, not the audit's internals.
    assert_eq!(events[0].data, json!({ "lead_id": LEAD_ID, "lead_version": 4 }));
}

#[test]
fn the_event_body_has_the_contract_shape() {
    let events = events_for(&audit(Action::LeadCreated, "api", json!({})));
    let body = serde_json::to_value(&events[0]).unwrap_or_default();
    assert_eq!(
        body,
        json!({
            "id": AUDIT_ID,
            "type": "kyc.lead_created",
            "created_at": "2025-11-29T00:00:00Z",
            "data": { "lead_id": LEAD_ID, "lead_version": 4 }
        })
    );
    let back: Result<WebhookEvent, _> = serde_json::from_value(body);
    assert_eq!(back.ok().as_ref(), events.first());
}

#[test]
fn a_status_change_that_is_not_a_decision_becomes_only_status_updated() {
    let events = events_for(&status_change(Status::NotStarted, Status::InProgress, "system", json!({})));
    assert_eq!(types(&events), [EventType::StatusUpdated]);
    assert_eq!(events[0].id, audit_id());
    assert_eq!(
        events[0].data,
        json!({ "lead_id": LEAD_ID, "lead_version": 4, "previous_status": "not_started", "status": "in_progress" })
    );
}

#[test]
fn a_rejection_also_becomes_review_completed_with_reasons_and_reviewer() {
    let mut change = status_change(Status::UnderReview, Status::Rejected, "reviewer:ana", json!({ "reviewer": "ana" }));
    change.reasons = Some(vec![RejectionReason::DocumentExpired, RejectionReason::SelfieMismatch]);
    let events = events_for(&change);
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
    let events =
        events_for(&status_change(Status::InProgress, Status::Approved, "system", json!({ "risk_level": "low" })));
    assert_eq!(types(&events), [EventType::StatusUpdated, EventType::ReviewCompleted]);
    assert_eq!(events[1].data["decision"], "approved");
    assert_eq!(events[1].data["reasons"], json!([]));
    assert_eq!(events[1].data["reviewer"], "system");
}

#[test]
fn an_approval_through_the_api_naming_nobody_has_a_null_reviewer() {
    let events = events_for(&status_change(Status::UnderReview, Status::Approved, "api", json!({})));
    assert_eq!(events[1].data["reviewer"], Value::Null);
}

#[test]
fn the_second_event_of_an_audit_event_gets_a_stable_derived_id() {
    let change = status_change(Status::UnderReview, Status::Approved, "api", json!({}));
    let first = events_for(&change);
    let again = events_for(&change);
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

#[test]
fn a_received_document_carries_what_the_audit_event_knows_of_it() {
    let events = events_for(&audit(
        Action::DocumentReceived,
        "system",
        json!({ "document_id": "doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12", "kind": "passport",
                "size_bytes": 48213, "sha256": "ab".repeat(32) }),
    ));
    assert_eq!(types(&events), [EventType::DocumentReceived]);
    assert_eq!(
        events[0].data,
        json!({
            "lead_id": LEAD_ID, "lead_version": 4,
            "document": { "id": "doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12", "kind": "passport",
                          "size_bytes": 48213, "sha256": "ab".repeat(32) }
        })
    );
}

#[test]
fn a_received_document_without_a_hash_leaves_it_out() {
    let events = events_for(&audit(
        Action::DocumentReceived,
        "system",
        json!({ "document_id": "doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12", "kind": "selfie", "size_bytes": 10, "sha256": null }),
    ));
    assert_eq!(
        events[0].data["document"],
        json!({ "id": "doc_0190b5e8c3a47d2e9f1b6a5c4d3e2f12", "kind": "selfie", "size_bytes": 10 })
    );
}

#[test]
fn a_risk_score_with_an_alert_becomes_a_compliance_alert() {
    let events = events_for(&audit(
        Action::RiskScored,
        "system",
        json!({ "score": 82, "level": "critical", "factors": ["sanctions_match"],
                "alert": { "code": "critical_risk", "severity": "critical", "score": 82 } }),
    ));
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
    let quiet = json!({ "score": 10, "level": "low", "factors": [], "alert": null });
    assert_eq!(events_for(&audit(Action::RiskScored, "system", quiet)), []);
    assert_eq!(events_for(&audit(Action::RiskScored, "system", json!({ "score": 10, "level": "low" }))), []);
}

#[test]
fn a_follow_up_sent_becomes_follow_up_due_with_attempt_and_missing() {
    let events = events_for(&audit(
        Action::FollowUpSent,
        "system",
        json!({ "attempt": 2, "missing": ["proof_of_address", "selfie"], "channel": "email" }),
    ));
    assert_eq!(types(&events), [EventType::FollowUpDue]);
    assert_eq!(
        events[0].data,
        json!({ "lead_id": LEAD_ID, "lead_version": 4, "attempt": 2, "missing": ["proof_of_address", "selfie"] })
    );
}

#[test]
fn other_audit_actions_become_no_webhook_event() {
    for action in [
        Action::LeadUpdated,
        Action::NoteAdded,
        Action::DocumentRequested,
        Action::DocumentVerified,
        Action::DocumentRejected,
        Action::LinkCreated,
        Action::LinkOpened,
        Action::SumsubImported,
    ] {
        assert_eq!(events_for(&audit(action, "api", json!({}))), [], "{action:?}");
    }
}

#[test]
fn a_status_change_without_a_target_status_becomes_nothing() {
    assert_eq!(events_for(&audit(Action::StatusChanged, "api", json!({}))), []);
}
