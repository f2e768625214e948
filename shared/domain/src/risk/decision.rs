//! The decision policy: what happens to a lead once its documents are checked and its
//! risk is scored.

use serde::{Deserialize, Serialize};

use crate::lead::{LeadType, Level, Risk, RiskLevel};

/// What the decision policy does with a lead once its documents are checked and its
/// risk is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum PolicyDecision {
    Approve,
    /// Manual review; `alert` raises a `kyc.compliance_alert`.
    Review {
        alert: bool,
    },
}

/// The contract's decision policy: a low risk with every requirement met and every
/// document verified is approved where automation may decide (an individual at basic or
/// enhanced; business documents and premium always go to a person); anything else goes
/// to review, a critical risk with an alert. `all_documents_verified` is true for a lead
/// without documents.
pub fn decide(
    lead_type: LeadType,
    level: Level,
    requirements_missing: bool,
    all_documents_verified: bool,
    risk: &Risk,
) -> PolicyDecision {
    if risk.level == RiskLevel::Critical {
        return PolicyDecision::Review { alert: true };
    }
    let automated = lead_type == LeadType::Individual && matches!(level, Level::Basic | Level::Enhanced);
    if automated && !requirements_missing && all_documents_verified && risk.level == RiskLevel::Low {
        PolicyDecision::Approve
    } else {
        PolicyDecision::Review { alert: false }
    }
}
