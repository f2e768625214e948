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
    assert_eq!(seen, EventType::ALL.into_iter().collect(), "one fixture per event type");
}

#[test]
fn every_webhook_body_built_from_typed_payloads_is_its_fixture() {
    assert_every_fixture_from(&chained(frozen_trail_drafts()));
}

#[test]
fn every_webhook_body_of_the_stored_trail_is_its_fixture() {
    assert_every_fixture_from(&frozen_trail());
}
