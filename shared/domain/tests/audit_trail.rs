//! A trail stored by earlier code must keep verifying: its hashes were computed once,
//! when the fixture was frozen, and are never recomputed here.

use kyc_domain::audit::{AuditEvent, verify_chain};

const TRAIL: &str = include_str!("fixtures/audit/trail.json");

fn frozen_trail() -> Vec<AuditEvent> {
    serde_json::from_str(TRAIL).expect("the frozen trail parses as audit events")
}

#[test]
fn a_trail_stored_by_earlier_code_still_verifies() {
    let trail = frozen_trail();
    assert_eq!(trail.len(), 15);
    assert_eq!(verify_chain(&trail), Ok(()));
}

#[test]
fn a_frozen_event_serialises_back_to_exactly_what_was_stored() {
    let stored: serde_json::Value = serde_json::from_str(TRAIL).expect("the frozen trail is JSON");
    let again = serde_json::to_value(frozen_trail()).expect("the trail serialises");
    assert_eq!(again, stored);
}
