//! The lead status machine, exactly as the contract's table of allowed moves.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lead::{Hold, Lead, Level, Rejection, RejectionReason, RiskLevel};
use crate::requirement::Requirement;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    InProgress,
    UnderReview,
    Approved,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::NotStarted, Status::InProgress, Status::UnderReview, Status::Approved, Status::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::UnderReview => "under_review",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// Whether the table allows `self → to` for a lead at `level` whose rejection (if
    /// any) is `final`.
    pub fn can_move_to(self, to: Status, level: Level, rejection_final: bool) -> bool {
        use Status::*;
        match (self, to) {
            (NotStarted, InProgress | UnderReview | Rejected) => true,
            (NotStarted, Approved) => level == Level::Basic,
            (InProgress, UnderReview | Approved | Rejected) => true,
            (UnderReview, InProgress | Approved | Rejected) => true,
            (Rejected, InProgress) => !rejection_final,
            (Approved, UnderReview) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who or what asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOrigin {
    /// An integrator or reviewer through the API.
    Manual,
    /// The decision policy after scoring.
    System,
    /// Sumsub's review answer imported with a share token: it may approve a lead whose
    /// own requirements are not met here.
    SumsubImport,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub to: Status,
    pub reasons: Vec<RejectionReason>,
    pub note: Option<String>,
    pub is_final: bool,
    pub origin: DecisionOrigin,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a lead cannot move from {from} to {to}{}", hint(*.from, *.to))]
    NotAllowed { from: Status, to: Status },
    #[error("moving to rejected needs at least one reason")]
    ReasonRequired,
    #[error("reasons and final apply only to a move to rejected")]
    ReasonsOnlyForRejection,
    #[error("the lead cannot be approved while requirements are missing: {}", list(.0))]
    RequirementsMissing(Vec<Requirement>),
    /// Four eyes: the second approval of a high or critical risk lead must come from
    /// another actor than the first.
    #[error("this lead's risk needs a second approval by another person")]
    SecondApprovalRequired,
}

fn hint(from: Status, to: Status) -> &'static str {
    match (from, to) {
        (Status::NotStarted, Status::Approved) => " (only a basic-level lead may be approved directly)",
        (Status::Rejected, Status::InProgress) => " (the rejection is final)",
        _ => "",
    }
}

fn list(missing: &[Requirement]) -> String {
    missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Four eyes: approving a lead whose risk is `high` or `critical` takes two approvals by
/// two different actors.
pub fn needs_two_approvals(lead: &Lead) -> bool {
    lead.risk.as_ref().is_some_and(|r| matches!(r.level, RiskLevel::High | RiskLevel::Critical))
}

/// A person's hold follows their moves: moving a lead to `under_review` holds it (and
/// that is why it waits), moving it out of `under_review` ends the hold and its
/// review reasons.
pub fn hold_after_manual_move(mut lead: Lead, actor: &str, at: DateTime<Utc>) -> Lead {
    lead.hold = (lead.status == Status::UnderReview).then(|| Hold { actor: actor.to_string(), at });
    lead.review_reasons =
        if lead.status == Status::UnderReview { vec![crate::lead::ReviewReason::HeldByReviewer] } else { Vec::new() };
    lead
}

/// Applies a decision to a lead, returning the lead as it is after the move. Pure: the
/// caller persists it (with its audit event) in one atomic write.
pub fn transition(lead: &Lead, decision: &Decision) -> Result<Lead, TransitionError> {
    let from = lead.status;
    let to = decision.to;
    let rejection_final = lead.rejection.as_ref().is_some_and(|r| r.is_final);
    if !from.can_move_to(to, lead.level, rejection_final) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if to == Status::Rejected && decision.reasons.is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    if to != Status::Rejected && (!decision.reasons.is_empty() || decision.is_final) {
        return Err(TransitionError::ReasonsOnlyForRejection);
    }
    if to == Status::Approved
        && decision.origin != DecisionOrigin::SumsubImport
        && !lead.requirements.missing.is_empty()
    {
        return Err(TransitionError::RequirementsMissing(lead.requirements.missing.clone()));
    }
    let mut next = lead.clone();
    next.status = to;
    next.rejection = (to == Status::Rejected).then(|| Rejection {
        reasons: decision.reasons.clone(),
        note: decision.note.clone(),
        is_final: decision.is_final,
    });
    // Review reasons say why a lead waits for a person: gone once it leaves review.
    if to != Status::UnderReview {
        next.review_reasons.clear();
    }
    next.version = lead.version + 1;
    next.updated_at = decision.at;
    next.status_changed_at = decision.at;
    next.capabilities = crate::sumsub::capabilities(&next);
    Ok(next)
}
