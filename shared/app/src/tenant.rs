//! The tenant a request acts for: every key of the table starts with it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant: `[A-Za-z0-9_-]{1,64}`, so it can never break out of a key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Option<TenantId> {
        let ok =
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| TenantId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_cannot_smuggle_key_separators() {
        assert!(TenantId::parse("acme-eu_1").is_some());
        for bad in ["", "a#b", "a:b", "a b", &"x".repeat(65)] {
            assert!(TenantId::parse(bad).is_none(), "{bad}");
        }
    }
}
