//! The decision policy: what automation does with a lead once a document is scored.
//! Automation approves only what a machine verified; everything else waits for a
//! person, and the lead says why (`review_reasons`).

use serde::{Deserialize, Serialize};

use crate::documents::{CheckResult, Document, DocumentKind, DocumentStatus};
use crate::lead::{Lead, LeadType, Level, ReviewReason, Risk, RiskLevel};
use crate::requirement::Requirement;
use crate::verification::{
    CHECK_ADDRESS_PROOF, CHECK_DATA_MATCH, CHECK_FACE_MATCH, CHECK_FACE_QUALITY, CHECK_IDENTITY_READ,
    FLAG_VERIFICATION_UNAVAILABLE,
};

/// What the decision does with the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum PolicyDecision {
    Approve,
    /// Manual review; `alert` raises a `kyc.compliance_alert`.
    Review { alert: bool },
    /// Documents are still to come and nothing found so far needs a person: the lead
    /// stays where it is (`in_progress`).
    AwaitDocuments,
}

/// The decision and, whatever it is, everything that keeps the lead from automatic
/// approval (empty exactly when it is approved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: PolicyDecision,
    pub reasons: Vec<ReviewReason>,
}

/// What the decision looks at: the lead with its requirements already evaluated, its
/// documents (this one included), its risk, and whether a change of identity still
/// waits for its documents to be re-checked.
#[derive(Debug, Clone, Copy)]
pub struct DecisionInput<'a> {
    pub lead: &'a Lead,
    pub documents: &'a [Document],
    pub risk: &'a Risk,
    pub identity_changed: bool,
}

/// The contract's decision. A critical risk goes to a person with an alert. A lead is
/// approved only when nothing keeps it: an individual at `basic` or `enhanced`, a low
/// risk, every requirement met, every document received verified, at `enhanced` the
/// identity read and matched, the face matched and of good quality and the address
/// proven, no person holding it, no identity change pending, no verifier outage.
/// Documents still to come, with no document rejected, keep it waiting; anything
/// else goes to a person with its reasons.
pub fn decide(input: DecisionInput<'_>) -> Decided {
    let DecisionInput { lead, documents, risk, identity_changed } = input;
    let mut reasons = Vec::new();
    match risk.level {
        RiskLevel::Low => {}
        RiskLevel::Medium => reasons.push(ReviewReason::RiskMedium),
        RiskLevel::High => reasons.push(ReviewReason::RiskHigh),
        RiskLevel::Critical => reasons.push(ReviewReason::RiskCritical),
    }
    if lead.lead_type == LeadType::Business {
        reasons.push(ReviewReason::BusinessLead);
    }
    if lead.level == Level::Premium {
        reasons.push(ReviewReason::PremiumLevel);
    }
    if lead.hold.is_some() {
        reasons.push(ReviewReason::HeldByReviewer);
    }
    if identity_changed {
        reasons.push(ReviewReason::IdentityChanged);
    }
    if !lead.requirements.missing.is_empty() {
        reasons.push(ReviewReason::RequirementsMissing);
    }

    let received: Vec<&Document> = documents.iter().filter(|d| d.file.is_some()).collect();
    let any_rejected = received.iter().any(|d| d.status != DocumentStatus::Verified);
    for doc in &received {
        if doc.status != DocumentStatus::Verified {
            reasons.push(ReviewReason::DocumentRejected);
        }
        if doc.compliance_flags.iter().any(|f| f == FLAG_VERIFICATION_UNAVAILABLE) {
            reasons.push(ReviewReason::VerificationUnavailable);
        }
        if doc.needs_a_person() {
            reasons.push(match doc.kind {
                k if k.is_identity() => ReviewReason::IdentityNotMachineRead,
                DocumentKind::ProofOfAddress | DocumentKind::ProofOfBusinessAddress => ReviewReason::AddressNotProven,
                _ => ReviewReason::DocumentRejected,
            });
        }
    }
    if lead.lead_type == LeadType::Individual && lead.level >= Level::Enhanced {
        machine_checks(&received, &mut reasons);
    }
    reasons.sort_unstable();
    reasons.dedup();

    let documents_to_come = lead.requirements.missing.iter().any(Requirement::is_document);
    let decision = if risk.level == RiskLevel::Critical {
        PolicyDecision::Review { alert: true }
    } else if reasons.is_empty() {
        PolicyDecision::Approve
    } else if documents_to_come && !any_rejected {
        PolicyDecision::AwaitDocuments
    } else {
        PolicyDecision::Review { alert: false }
    };
    Decided { decision, reasons }
}

/// At `enhanced` and above, an individual's documents must have been verified by a
/// machine: an identity read and matched, a face matched, an address proven. A check a
/// document lacks counts as not passed.
fn machine_checks(received: &[&Document], reasons: &mut Vec<ReviewReason>) {
    let ran = |doc: &Document, check: &str| doc.checks.iter().any(|c| c.name == check);
    let passed = |doc: &Document, check: &str| {
        ran(doc, check) && doc.checks.iter().filter(|c| c.name == check).all(|c| c.result == CheckResult::Pass)
    };
    let identities: Vec<&Document> = received.iter().copied().filter(|d| d.kind.is_identity()).collect();
    let read: Vec<&Document> = identities.iter().copied().filter(|d| passed(d, CHECK_IDENTITY_READ)).collect();
    if !identities.is_empty() && read.is_empty() {
        reasons.push(ReviewReason::IdentityNotMachineRead);
    }
    // What was read must agree with the lead; a document not read is reported above.
    if read.iter().any(|d| !passed(d, CHECK_DATA_MATCH)) {
        reasons.push(ReviewReason::DataMismatch);
    }
    for doc in received {
        match doc.kind {
            DocumentKind::Selfie => {
                if !passed(doc, CHECK_FACE_MATCH) {
                    reasons.push(ReviewReason::FaceMatchLow);
                }
                if !passed(doc, CHECK_FACE_QUALITY) {
                    reasons.push(ReviewReason::FaceQualityLow);
                }
            }
            DocumentKind::ProofOfAddress if !passed(doc, CHECK_ADDRESS_PROOF) => {
                reasons.push(ReviewReason::AddressNotProven);
            }
            _ => {}
        }
    }
}
