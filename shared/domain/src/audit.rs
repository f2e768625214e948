//! The tamper-evident audit trail: one hash-chained event per change of a lead.
//!
//! `hash = hex(SHA-256(prev_hash ‖ canonical_json(event without "hash")))`, where the
//! canonical JSON has object keys sorted by their UTF-8 bytes and no insignificant
//! white space. The first event of a lead chains to 64 zeros. Anyone holding the
//! trail can recompute every link with [`verify_chain`].
//!
//! Events are drafted with a typed [`EventPayload`]; the stored event keeps the
//! `action` string and the `data` object it serialises to, so the hash covers exactly
//! the stored JSON and trails stored before the payload types existed still verify.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::events::{EventPayload, PayloadError};
use crate::ids::EventId;
use crate::lead::RejectionReason;
use crate::status::Status;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "lead.created")]
    LeadCreated,
    #[serde(rename = "lead.updated")]
    LeadUpdated,
    #[serde(rename = "status.changed")]
    StatusChanged,
    #[serde(rename = "note.added")]
    NoteAdded,
    #[serde(rename = "document.requested")]
    DocumentRequested,
    #[serde(rename = "document.received")]
    DocumentReceived,
    #[serde(rename = "document.verified")]
    DocumentVerified,
    #[serde(rename = "document.rejected")]
    DocumentRejected,
    #[serde(rename = "risk.scored")]
    RiskScored,
    #[serde(rename = "follow_up.sent")]
    FollowUpSent,
    #[serde(rename = "link.created")]
    LinkCreated,
    #[serde(rename = "link.opened")]
    LinkOpened,
    #[serde(rename = "sumsub.imported")]
    SumsubImported,
    #[serde(rename = "review.first_approval")]
    FirstApproval,
    #[serde(rename = "level.raised")]
    LevelRaised,
}

impl Action {
    pub const ALL: [Action; 15] = [
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
        Action::LinkCreated,
        Action::LinkOpened,
        Action::SumsubImported,
        Action::FirstApproval,
        Action::LevelRaised,
    ];

    /// The stored name (`lead.created`, ...), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::LeadCreated => "lead.created",
            Action::LeadUpdated => "lead.updated",
            Action::StatusChanged => "status.changed",
            Action::NoteAdded => "note.added",
            Action::DocumentRequested => "document.requested",
            Action::DocumentReceived => "document.received",
            Action::DocumentVerified => "document.verified",
            Action::DocumentRejected => "document.rejected",
            Action::RiskScored => "risk.scored",
            Action::FollowUpSent => "follow_up.sent",
            Action::LinkCreated => "link.created",
            Action::LinkOpened => "link.opened",
            Action::SumsubImported => "sumsub.imported",
            Action::FirstApproval => "review.first_approval",
            Action::LevelRaised => "level.raised",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: EventId,
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<RejectionReason>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// An event before it is linked into a chain. Its action is its payload's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub reasons: Option<Vec<RejectionReason>>,
    pub note: Option<String>,
    pub payload: EventPayload,
}

/// The last link of a lead's chain, kept on the lead item so that appending costs no
/// extra read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        ChainHead { seq: 0, hash: GENESIS_HASH.to_string() }
    }
}

/// The JSON an event's hash is computed over could not be produced. Never expected:
/// it is reported rather than hashed as something else, since a wrong hash would only
/// show up later as a "tampered" trail.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the audit event could not be serialised to compute its hash")]
pub struct HashError {
    // Shared so that the error (and `ChainError`) stays cloneable.
    #[source]
    source: Arc<serde_json::Error>,
}

/// Why a draft could not be linked into its chain.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl EventDraft {
    /// A draft with no status change, reasons or note; set those fields when needed.
    pub fn new(id: EventId, at: DateTime<Utc>, actor: impl Into<String>, payload: EventPayload) -> Self {
        EventDraft {
            id,
            at,
            actor: actor.into(),
            from_status: None,
            to_status: None,
            reasons: None,
            note: None,
            payload,
        }
    }

    /// Links the draft after `head`: the payload becomes the stored `action` and `data`.
    pub fn chain(self, head: &ChainHead) -> Result<AuditEvent, DraftError> {
        let data = self.payload.to_data()?;
        let mut event = AuditEvent {
            id: self.id,
            seq: head.seq + 1,
            at: self.at,
            actor: self.actor,
            action: self.payload.action(),
            from_status: self.from_status,
            to_status: self.to_status,
            reasons: self.reasons,
            note: self.note,
            data,
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        event.hash = event.computed_hash()?;
        Ok(event)
    }
}

impl AuditEvent {
    /// The hash this event must carry, from its content and `prev_hash`.
    pub fn computed_hash(&self) -> Result<String, HashError> {
        let mut value = serde_json::to_value(self).map_err(|e| HashError { source: Arc::new(e) })?;
        if let Value::Object(map) = &mut value {
            map.remove("hash");
        }
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(canonical_json(&value).as_bytes());
        Ok(hex::encode(hasher.finalize()))
    }

    /// The typed payload of the stored `action` and `data`.
    pub fn payload(&self) -> Result<EventPayload, PayloadError> {
        EventPayload::from_data(self.action, &self.data)
    }

    pub fn head(&self) -> ChainHead {
        ChainHead { seq: self.seq, hash: self.hash.clone() }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq} has sequence number out of order")]
    Sequence { seq: u64 },
    #[error("event {seq} does not link to the event before it")]
    Link { seq: u64 },
    #[error("event {seq} was altered: its hash does not match its content")]
    Tampered { seq: u64 },
    #[error("event {seq} could not be hashed")]
    Unhashable {
        seq: u64,
        #[source]
        source: HashError,
    },
}

/// Errors are equal when they name the same kind of break at the same event; the
/// serialisation error behind `Unhashable` is not compared.
impl PartialEq for ChainError {
    fn eq(&self, other: &Self) -> bool {
        use ChainError::*;
        match (self, other) {
            (Sequence { seq: a }, Sequence { seq: b })
            | (Link { seq: a }, Link { seq: b })
            | (Tampered { seq: a }, Tampered { seq: b })
            | (Unhashable { seq: a, .. }, Unhashable { seq: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for ChainError {}

/// Checks a whole trail, oldest first, from the genesis link.
pub fn verify_chain(events: &[AuditEvent]) -> Result<(), ChainError> {
    let mut head = ChainHead::genesis();
    for event in events {
        if event.seq != head.seq + 1 {
            return Err(ChainError::Sequence { seq: event.seq });
        }
        if event.prev_hash != head.hash {
            return Err(ChainError::Link { seq: event.seq });
        }
        let hash = event.computed_hash().map_err(|source| ChainError::Unhashable { seq: event.seq, source })?;
        if hash != event.hash {
            return Err(ChainError::Tampered { seq: event.seq });
        }
        head = event.head();
    }
    Ok(())
}

/// JSON with object keys sorted by their UTF-8 bytes and no white space; strings and
/// numbers as serde_json writes them. Independent of serde_json's map ordering feature.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{LeadCreated, LeadUpdated, NoteAdded};
    use crate::ids::LeadId;
    use crate::lead::{LeadType, Level, Source};
    use serde_json::json;
    use uuid::Uuid;

    fn lead_id() -> LeadId {
        LeadId::parse("lead_0190b5e8c3a47d2e9f1b6a5c4d3e2f11").expect("a well-formed lead id")
    }

    fn draft(payload: EventPayload) -> EventDraft {
        let at = DateTime::from_timestamp(1_764_374_400, 0).expect("a time in range");
        EventDraft::new(EventId::from_uuid(Uuid::now_v7()), at, "api", payload)
    }

    fn created() -> EventPayload {
        EventPayload::LeadCreated(LeadCreated {
            lead_id: lead_id(),
            lead_version: 1,
            source: Source::Api,
            lead_type: LeadType::Individual,
            level: Level::Basic,
        })
    }

    fn trail() -> Vec<AuditEvent> {
        let updated = EventPayload::LeadUpdated(LeadUpdated {
            lead_id: lead_id(),
            lead_version: 2,
            changed: vec!["email".into()],
        });
        let noted = EventPayload::NoteAdded(NoteAdded { lead_id: lead_id(), lead_version: 2, reviewer_label: None });
        let first = draft(created()).chain(&ChainHead::genesis()).expect("links");
        let second = draft(updated).chain(&first.head()).expect("links");
        let third = draft(noted).chain(&second.head()).expect("links");
        vec![first, second, third]
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [true, null], "c": "x\"y"}});
        assert_eq!(canonical_json(&v), r#"{"a":{"c":"x\"y","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn the_first_event_chains_to_zeros_and_seq_starts_at_one() {
        let events = trail();
        assert_eq!(events[0].prev_hash, GENESIS_HASH);
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(events[1].prev_hash, events[0].hash);
        assert_eq!(verify_chain(&events), Ok(()));
    }

    #[test]
    fn the_hash_is_sha256_of_prev_hash_and_canonical_json() {
        let event = &trail()[0];
        let mut body = serde_json::to_value(event).expect("an event serialises");
        body.as_object_mut().map(|m| m.remove("hash"));
        let expected = hex::encode(Sha256::digest(format!("{}{}", GENESIS_HASH, canonical_json(&body))));
        assert_eq!(event.hash, expected);
    }

    #[test]
    fn a_chained_draft_stores_its_payloads_action_and_data() {
        let event = &trail()[0];
        assert_eq!(event.action, Action::LeadCreated);
        assert_eq!(
            event.data,
            json!({ "lead_id": lead_id(), "lead_version": 1, "source": "api", "type": "individual", "level": "basic" })
        );
        assert_eq!(event.payload().expect("the stored data parses"), created());
    }

    #[test]
    fn data_that_is_not_the_payload_of_its_action_is_an_error() {
        let mut event = trail().remove(0);
        event.action = Action::FollowUpSent;
        let error = event.payload().expect_err("lead.created data is no follow_up.sent payload");
        assert!(matches!(error, PayloadError::Parse { action: Action::FollowUpSent, .. }), "{error:?}");
        assert!(std::error::Error::source(&error).is_some(), "the serde error is kept");
    }

    #[test]
    fn an_altered_event_breaks_the_chain() {
        let mut events = trail();
        events[1].actor = "someone else".into();
        assert_eq!(verify_chain(&events), Err(ChainError::Tampered { seq: 2 }));
    }

    #[test]
    fn altered_data_breaks_the_chain() {
        let mut events = trail();
        events[1].data["changed"] = json!(["email", "address"]);
        assert_eq!(verify_chain(&events), Err(ChainError::Tampered { seq: 2 }));
    }

    #[test]
    fn a_removed_event_breaks_the_chain() {
        let mut events = trail();
        events.remove(1);
        assert_eq!(verify_chain(&events), Err(ChainError::Sequence { seq: 3 }));
    }

    #[test]
    fn every_action_displays_as_its_stored_name() {
        for action in Action::ALL {
            assert_eq!(serde_json::to_value(action).expect("serialises"), json!(action.to_string()));
        }
    }
}
