//! The public webhook bodies, frozen: each fixture under `fixtures/webhooks/` is the
//! exact body the code before the typed payloads sent for one event of the frozen
//! trail. Any change to a public payload fails here.

mod common;

use std::collections::BTreeSet;

use common::{chained, frozen_trail, frozen_trail_drafts};
use kyc_domain::AuditEvent;
use kyc_domain::webhook::{EventType, WebhookEvent, events_for};
use serde_json::Value;

/// The trail events (by seq) that stand for a webhook: created, follow-up, document
/// received, critical risk score, and the final rejection (two webhooks).
const SOURCES: [usize; 5] = [1, 3, 6, 13, 15];

fn fixture(event_type: EventType) -> Value {
    let path = format!("{}/tests/fixtures/webhooks/{event_type}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a webhook fixture exists for every event type");
    serde_json::from_str(&text).expect("a webhook fixture is JSON")
}

/// Every key path of a JSON value (`data.document.sha256`, ...).
fn keys(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, path: &str, out: &mut BTreeSet<String>) {
        if let Value::Object(map) = value {
            for (k, v) in map {
                let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, &here, out);
                out.insert(here);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

fn assert_matches_fixture(event: &WebhookEvent) {
    let expected = fixture(event.event_type);
    let actual = serde_json::to_value(event).expect("a webhook event serialises");
    assert_eq!(keys(&actual), keys(&expected), "{}: key set", event.event_type);
    assert_eq!(actual, expected, "{}", event.event_type);
    // The bytes sent are those of the event as queued; one read from the fixture must
    // serialise the same.
    let from_fixture: WebhookEvent = serde_json::from_value(expected).expect("a fixture is a webhook event");
    assert_eq!(
        serde_json::to_string(event).expect("serialises"),
        serde_json::to_string(&from_fixture).expect("serialises"),
        "{}: bytes",
        event.event_type
    );
}

fn assert_every_fixture_from(trail: &[AuditEvent]) {
    let mut seen = BTreeSet::new();
    for seq in SOURCES {
        for event in events_for(&trail[seq - 1]).expect("a trail event has a readable payload") {
            assert_matches_fixture(&event);
            seen.insert(event.event_type);
        }
    }
    // The frozen trail predates the raise of a level by risk (its own test below).
    let later: BTreeSet<EventType> = [EventType::RequirementsUpdated].into();
    assert_eq!(seen, EventType::ALL.into_iter().filter(|t| !later.contains(t)).collect(), "one fixture per event type");
}

/// A lead created from a sanctioned country: its level rises to premium in the
/// creating write, and `level.raised` stands for `kyc.requirements_updated`.
#[test]
fn the_requirements_updated_body_of_a_raised_level_is_its_fixture() {
    use kyc_domain::audit::{ChainHead, EventDraft};
    use kyc_domain::events::{EventPayload, LevelRaised};
    use kyc_domain::lead::Level;
    use kyc_domain::{EventId, LeadId, Requirement};
    let raised = LevelRaised {
        lead_id: LeadId::parse("lead_019a48f1c3d27a4e8b5f6c7d8e9fa0b1").expect("a lead id"),
        lead_version: 1,
        from: Level::Basic,
        to: Level::Premium,
        factors: vec!["geo_sanctioned_country".into(), "geo_fatf_call_for_action".into()],
        missing: vec![
            Requirement::IdentityDocument,
            Requirement::ProofOfAddress,
            Requirement::Selfie,
            Requirement::SourceOfFunds,
        ],
    };
    let at = "2025-11-04T09:12:44.530118Z".parse().expect("a fixed time");
    let id = EventId::parse("evt_019a48f1c3d47b5e8c6f7a8b9cad0be2").expect("an event id");
    let audit = EventDraft::new(id, at, "system:risk-scorer", EventPayload::LevelRaised(raised))
        .chain(&ChainHead::genesis())
        .expect("links");
    let events = events_for(&audit).expect("a readable payload");
    assert_eq!(events.len(), 1);
    assert_matches_fixture(&events[0]);
}

#[test]
fn every_webhook_body_built_from_typed_payloads_is_its_fixture() {
    assert_every_fixture_from(&chained(frozen_trail_drafts()));
}

#[test]
fn every_webhook_body_of_the_stored_trail_is_its_fixture() {
    assert_every_fixture_from(&frozen_trail());
}
