//! The scoring of a lead's own data, free of I/O: at its creation and after every
//! change of what risk is computed from (names, dates of birth, nationality, address,
//! business data, directors, signals, e-mail). It updates the risk, raises the level
//! the risk calls for, adds compliance flags and review reasons, and moves the lead to
//! `under_review` only when its risk becomes `critical`. It never approves, and never
//! moves a lead that is only missing documents.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::documents::{Check, Document};
use crate::lead::{Lead, Level, Risk, RiskLevel};
use crate::requirement::{Evidence, evaluate};
use crate::risk::escalation::raise_for;
use crate::risk::screening::ScreeningHit;
use crate::risk::verdict::{flag_risk, screened_evidence, system_move};
use crate::risk::{self, CountryLists, DecisionInput, RiskInput, RiskPolicy, decide};
use crate::status::{Status, TransitionError};

/// What the scoring of a lead's data looks at, read by the use case.
pub struct DataFacts<'a> {
    /// The lead as the change makes it (its new data), before the scoring.
    pub lead: &'a Lead,
    /// The risk it had before the change (`None` at creation).
    pub previous_risk: Option<&'a Risk>,
    pub evidence: &'a Evidence,
    /// The lead's documents as they stand after any re-check of this change.
    pub documents: &'a [Document],
    pub leads_same_ip_last_hour: u32,
    pub leads_same_device_last_hour: u32,
    /// The screening of everyone the lead now names.
    pub screening: &'a [ScreeningHit],
    /// A change of identity still waits for its documents to be re-checked.
    pub identity_changed: bool,
}

/// What the scoring made of the lead.
#[derive(Debug, Clone)]
pub struct DataVerdict {
    /// The lead as it becomes (its version is the caller's: one write, one version).
    pub lead: Lead,
    pub evidence: Evidence,
    pub risk: Risk,
    pub policy_version: String,
    /// The level raised by the risk: (from, to).
    pub raised: Option<(Level, Level)>,
    /// The risk became `critical` with this scoring: a compliance alert.
    pub alert: bool,
    /// The status moves, in order (at most one: to `under_review`).
    pub moves: Vec<(Status, Status)>,
}

pub fn judge_data(
    facts: DataFacts<'_>,
    policy: &RiskPolicy,
    lists: &CountryLists,
    now: DateTime<Utc>,
) -> Result<DataVerdict, TransitionError> {
    let documents = facts.documents;
    let document_checks: Vec<Check> = documents.iter().flat_map(|d| d.checks.iter().cloned()).collect();
    let input = RiskInput {
        lead: facts.lead,
        document_checks: &document_checks,
        duplicate_document: documents.iter().any(|d| d.compliance_flags.iter().any(|f| f == "duplicate_document")),
        leads_same_ip_last_hour: facts.leads_same_ip_last_hour,
        leads_same_device_last_hour: facts.leads_same_device_last_hour,
        reuploads: reuploads(documents),
        screening: facts.screening,
    };
    let scored = risk::score(&input, policy, lists, now);
    let risk = scored.risk;

    let mut next = facts.lead.clone();
    let raised = raise_for(next.level, risk.level).map(|to| (next.level, to));
    if let Some((_, to)) = raised {
        next.level = to;
    }
    // Documents satisfy requirements while they are verified (one a re-check rejected
    // no longer does); the screening ran on the data the lead now has.
    let evidence = screened_evidence(facts.evidence, documents);
    next.risk = Some(risk.clone());
    next.requirements = evaluate(&next, &evidence);
    flag_risk(&mut next.compliance_flags, facts.screening, &risk);
    let critical = risk.level == RiskLevel::Critical;
    let alert = critical && facts.previous_risk.is_none_or(|r| r.level != RiskLevel::Critical);

    // Only a risk that becomes critical moves the lead, and never a lead a person
    // holds or one already decided against.
    let mut moves = Vec::new();
    let to_review = alert
        && next.hold.is_none()
        && matches!(next.status, Status::NotStarted | Status::InProgress | Status::Approved);
    if to_review {
        let before = next.status;
        next = system_move(&next, Status::UnderReview, now)?;
        moves.push((before, Status::UnderReview));
    }
    let decided =
        decide(DecisionInput { lead: &next, documents, risk: &risk, identity_changed: facts.identity_changed });
    next.review_reasons = if next.status == Status::UnderReview { decided.reasons } else { Vec::new() };
    Ok(DataVerdict { lead: next, evidence, risk, policy_version: scored.policy_version, raised, alert, moves })
}

/// Documents of one kind (and director) uploaded again: the most of any kind.
fn reuploads(documents: &[Document]) -> u32 {
    let mut uploaded: BTreeMap<(&str, Option<u32>), u32> = BTreeMap::new();
    for doc in documents.iter().filter(|d| d.file.is_some()) {
        *uploaded.entry((doc.kind.as_str(), doc.director_index)).or_default() += 1;
    }
    uploaded.values().map(|n| n.saturating_sub(1)).max().unwrap_or(0)
}
