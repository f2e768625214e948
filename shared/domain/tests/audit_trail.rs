//! A trail stored by earlier code must keep verifying and keep reading: its hashes were
//! computed once, when the fixture was frozen, and are never recomputed here.

mod common;

use std::collections::BTreeSet;

use common::{TRAIL_JSON, chained, frozen_trail, frozen_trail_drafts};
use kyc_domain::Action;
use kyc_domain::audit::verify_chain;

#[test]
fn a_trail_stored_by_earlier_code_still_verifies() {
    let trail = frozen_trail();
    assert_eq!(trail.len(), 15);
    assert_eq!(verify_chain(&trail), Ok(()));
}

#[test]
fn a_frozen_event_serialises_back_to_exactly_what_was_stored() {
    let stored: serde_json::Value = serde_json::from_str(TRAIL_JSON).expect("the frozen trail is JSON");
    let again = serde_json::to_value(frozen_trail()).expect("the trail serialises");
    assert_eq!(again, stored);
}

/// The stored data as today's payloads write it. One name changed since the trail was
/// frozen: a body's `reviewer` is recorded as `reviewer_label` (the actor now comes
/// from the API key). Old events keep their stored name and still verify; reading
/// them maps it.
fn as_written_today(mut data: serde_json::Value) -> serde_json::Value {
    if let Some(map) = data.as_object_mut()
        && let Some(label) = map.remove("reviewer")
    {
        map.insert("reviewer_label".into(), label);
    }
    data
}

#[test]
fn every_frozen_event_reads_as_the_payload_of_its_action_and_loses_nothing() {
    for event in frozen_trail() {
        let payload = event.payload().unwrap_or_else(|e| panic!("event {}: {e:?}", event.seq));
        assert_eq!(payload.action(), event.action, "event {}", event.seq);
        assert_eq!(
            payload.to_data().expect("a payload serialises"),
            as_written_today(event.data),
            "event {}",
            event.seq
        );
    }
}

#[test]
fn the_frozen_trail_covers_the_actions_the_app_writes() {
    let actions: BTreeSet<&str> = frozen_trail().iter().map(|e| e.action.as_str()).collect();
    let written = [
        Action::LeadCreated,
        Action::LeadUpdated,
        Action::StatusChanged,
        Action::NoteAdded,
        Action::DocumentRequested,
        Action::DocumentReceived,
        Action::DocumentVerified,
        Action::DocumentRejected,
        Action::RiskScored,
        Action::FollowUpSent,
    ];
    assert_eq!(actions, written.iter().map(|a| a.as_str()).collect());
}

#[test]
fn drafting_the_same_events_with_typed_payloads_stores_the_same_trail_but_for_the_label_name() {
    let drafted = chained(frozen_trail_drafts());
    let frozen = frozen_trail();
    assert_eq!(drafted.len(), frozen.len());
    for (today, then) in drafted.iter().zip(&frozen) {
        assert_eq!((&today.id, today.seq, today.at, &today.actor), (&then.id, then.seq, then.at, &then.actor));
        assert_eq!((today.action, today.from_status, today.to_status), (then.action, then.from_status, then.to_status));
        assert_eq!((&today.reasons, &today.note), (&then.reasons, &then.note));
        assert_eq!(today.data, as_written_today(then.data.clone()), "event {}", then.seq);
    }
    // Up to the first event with a label, the hashes are those frozen.
    assert_eq!(drafted[..3], frozen[..3]);
}
