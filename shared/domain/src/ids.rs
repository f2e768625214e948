//! Prefixed, time-ordered identifiers (`lead_…`, `evt_…`).
//!
//! The suffix is a UUIDv7 in lower-case hex without dashes, so ids sort by creation
//! time as plain strings: the table's sort keys rely on that.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn from_uuid(uuid: Uuid) -> Self {
                $name(format!("{}{}", $prefix, uuid.simple()))
            }

            /// Accepts only ids this service could have issued; anything else is `None`
            /// (and so answered as a missing resource).
            pub fn parse(s: &str) -> Option<Self> {
                let hex = s.strip_prefix($prefix)?;
                let well_formed =
                    hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                well_formed.then(|| $name(s.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(LeadId, "lead_");
prefixed_id!(EventId, "evt_");
prefixed_id!(DocumentId, "doc_");
prefixed_id!(EndpointId, "whe_");
prefixed_id!(DeliveryId, "del_");
prefixed_id!(LinkId, "link_");
prefixed_id!(ImportId, "imp_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_issued_later_sort_after_earlier_ones() {
        let a = LeadId::from_uuid(Uuid::now_v7());
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = LeadId::from_uuid(Uuid::now_v7());
        assert!(a < b);
        assert!(a.as_str().starts_with("lead_"));
    }

    #[test]
    fn only_well_formed_ids_parse() {
        let id = LeadId::from_uuid(Uuid::now_v7());
        assert_eq!(LeadId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(LeadId::parse("lead_123"), None);
        assert_eq!(LeadId::parse(&id.as_str().replace("lead_", "evt_")), None);
        assert_eq!(LeadId::parse(&id.as_str().to_uppercase()), None);
        assert_eq!(EventId::parse("evt_../../etc/passwd0000000000000000000"), None);
    }
}
