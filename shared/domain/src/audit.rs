//! The tamper-evident audit trail: one hash-chained event per change of a lead.
//!
//! `hash = hex(SHA-256(prev_hash ‖ canonical_json(event without "hash")))`, where the
//! canonical JSON has object keys sorted by their UTF-8 bytes and no insignificant
//! white space. The first event of a lead chains to 64 zeros. Anyone holding the
//! trail can recompute every link with [`verify_chain`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

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

/// An event before it is linked into a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: Action,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub reasons: Option<Vec<RejectionReason>>,
    pub note: Option<String>,
    pub data: Value,
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

impl EventDraft {
    /// Links the draft after `head`.
    pub fn chain(self, head: &ChainHead) -> AuditEvent {
        let mut event = AuditEvent {
            id: self.id,
            seq: head.seq + 1,
            at: self.at,
            actor: self.actor,
            action: self.action,
            from_status: self.from_status,
            to_status: self.to_status,
            reasons: self.reasons,
            note: self.note,
            data: self.data,
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        event.hash = event.computed_hash();
        event
    }
}

impl AuditEvent {
    /// The hash this event must carry, from its content and `prev_hash`.
    pub fn computed_hash(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("hash");
        }
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(canonical_json(&value).as_bytes());
        hex::encode(hasher.finalize())
    }

    pub fn head(&self) -> ChainHead {
        ChainHead { seq: self.seq, hash: self.hash.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq} has sequence number out of order")]
    Sequence { seq: u64 },
    #[error("event {seq} does not link to the event before it")]
    Link { seq: u64 },
    #[error("event {seq} was altered: its hash does not match its content")]
    Tampered { seq: u64 },
}

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
        if event.computed_hash() != event.hash {
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
    use serde_json::json;
    use uuid::Uuid;

    fn draft(action: Action) -> EventDraft {
        EventDraft {
            id: EventId::from_uuid(Uuid::now_v7()),
            at: DateTime::from_timestamp(1_764_374_400, 0).unwrap_or_default(),
            actor: "api".into(),
            action,
            from_status: None,
            to_status: None,
            reasons: None,
            note: None,
            data: json!({"lead_version": 1, "changed": ["email"]}),
        }
    }

    fn trail() -> Vec<AuditEvent> {
        let first = draft(Action::LeadCreated).chain(&ChainHead::genesis());
        let second = draft(Action::LeadUpdated).chain(&first.head());
        let third = draft(Action::NoteAdded).chain(&second.head());
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
        let mut body = serde_json::to_value(event).unwrap_or_default();
        body.as_object_mut().map(|m| m.remove("hash"));
        let expected = hex::encode(Sha256::digest(format!("{}{}", GENESIS_HASH, canonical_json(&body))));
        assert_eq!(event.hash, expected);
    }

    #[test]
    fn an_altered_event_breaks_the_chain() {
        let mut events = trail();
        events[1].actor = "someone else".into();
        assert_eq!(verify_chain(&events), Err(ChainError::Tampered { seq: 2 }));
    }

    #[test]
    fn a_removed_event_breaks_the_chain() {
        let mut events = trail();
        events.remove(1);
        assert_eq!(verify_chain(&events), Err(ChainError::Sequence { seq: 3 }));
    }
}
