//! The public webhook bodies, frozen: each fixture is the exact body today's code sends
//! for one audit event of the frozen trail.

use std::collections::BTreeSet;

use kyc_domain::audit::AuditEvent;
use kyc_domain::webhook::{EventType, WebhookEvent, events_for};
use serde_json::Value;

fn frozen_trail() -> Vec<AuditEvent> {
    serde_json::from_str(include_str!("fixtures/audit/trail.json")).expect("the frozen trail parses")
}

fn fixture(event_type: EventType) -> Value {
    let path = format!("{}/tests/fixtures/webhooks/{event_type}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a webhook fixture exists for every event type");
    serde_json::from_str(&text).expect("a webhook fixture is JSON")
}

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
    let from_fixture: WebhookEvent = serde_json::from_value(expected).expect("a fixture is a webhook event");
    assert_eq!(
        serde_json::to_string(event).expect("serialises"),
        serde_json::to_string(&from_fixture).expect("serialises"),
        "{}: bytes",
        event.event_type
    );
}

#[test]
fn every_webhook_body_of_the_frozen_trail_is_its_fixture() {
    let trail = frozen_trail();
    let mut seen = BTreeSet::new();
    for seq in [1, 3, 6, 13, 15] {
        for event in events_for(&trail[seq - 1]) {
            assert_matches_fixture(&event);
            seen.insert(event.event_type);
        }
    }
    assert_eq!(seen, EventType::ALL.into_iter().collect());
}
