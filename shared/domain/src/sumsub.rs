//! Sumsub's reusable-KYC import, free of I/O: what a Sumsub review says, what it makes
//! of a lead (the contract's mapping), and what the lead keeps of it (`Lead.sumsub`:
//! the applicant, the answer and when; never the share token).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lead::{Lead, Level, RejectionReason, ReviewReason, RiskLevel};
use crate::status::{Decision, DecisionOrigin, Status, TransitionError, transition};

/// Sumsub's `reviewResult.reviewAnswer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ReviewAnswer {
    Green,
    Red,
}

/// Sumsub's `reviewResult.reviewRejectType`: a final reject, or one the applicant may
/// retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RejectType {
    Final,
    Retry,
}

/// An applicant's review as Sumsub reports it (applicant read or `applicantReviewed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumsubReview {
    pub applicant_id: String,
    /// `reviewStatus` (`init`, `pending`, `completed`, ...), kept as Sumsub says it.
    pub review_status: String,
    /// `None` while the review is not completed.
    pub answer: Option<ReviewAnswer>,
    pub reject_type: Option<RejectType>,
}

impl SumsubReview {
    /// Whether Sumsub has given its final word (`GREEN` or `RED`).
    pub fn is_final_answer(&self) -> bool {
        self.answer.is_some()
    }
}

/// What a lead keeps of its Sumsub import (`Lead.sumsub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumsubLink {
    pub applicant_id: String,
    /// Left out while Sumsub's review is pending (optional members are omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_answer: Option<ReviewAnswer>,
    pub review_status: String,
    pub imported_at: DateTime<Utc>,
}

/// What an integrator may enable for a customer (`Lead.capabilities`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    pub crypto_rails: bool,
}

/// The contract's rule: crypto rails only while the lead is `approved` at `enhanced` or
/// `premium` (or approved by a Sumsub import whose answer is `GREEN`) and its risk is
/// not `critical`.
pub fn capabilities(lead: &Lead) -> Capabilities {
    let approved = lead.status == Status::Approved;
    let verified_enough = lead.level >= Level::Enhanced
        || lead.sumsub.as_ref().is_some_and(|s| s.review_answer == Some(ReviewAnswer::Green));
    let not_critical = lead.risk.as_ref().is_none_or(|r| r.level != RiskLevel::Critical);
    Capabilities { crypto_rails: approved && verified_enough && not_critical }
}

/// What the import made of the lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The lead as it becomes (its version is the caller's: one write, one version).
    pub lead: Lead,
    /// The status moves, in order (none, one, or two through an intermediate status).
    pub moves: Vec<(Status, Status)>,
}

/// The status a review calls for on this lead: `GREEN` → `approved`, but
/// `under_review` when the lead's risk is `critical`, a person holds it, or it is
/// `premium`; `RED` final → `rejected` final; `RED` retry → `rejected`; pending →
/// `under_review`.
fn target(lead: &Lead, review: &SumsubReview) -> (Status, bool) {
    match review.answer {
        Some(ReviewAnswer::Green) => {
            let critical = lead.risk.as_ref().is_some_and(|r| r.level == RiskLevel::Critical);
            if critical || lead.hold.is_some() || lead.level == Level::Premium {
                (Status::UnderReview, false)
            } else {
                (Status::Approved, false)
            }
        }
        Some(ReviewAnswer::Red) => (Status::Rejected, review.reject_type == Some(RejectType::Final)),
        None => (Status::UnderReview, false),
    }
}

/// Records the import on the lead and maps its review onto the status. A lead a person
/// holds keeps its status (the hold wins over automation). A move the table does not
/// allow directly goes through `under_review` (from `approved`) or `in_progress` (from
/// a rejection that is not final); a final rejection cannot be reopened.
pub fn apply_import(lead: &Lead, review: &SumsubReview, at: DateTime<Utc>) -> Result<Imported, TransitionError> {
    let mut next = lead.clone();
    next.sumsub = Some(SumsubLink {
        applicant_id: review.applicant_id.clone(),
        review_answer: review.answer,
        review_status: review.review_status.clone(),
        imported_at: at,
    });
    let (to, is_final) = target(lead, review);
    let mut moves = Vec::new();
    let same_place = next.status == to
        && (to != Status::Rejected || next.rejection.as_ref().is_some_and(|r| r.is_final == is_final));
    if next.hold.is_none() && !same_place {
        let rejection_final = next.rejection.as_ref().is_some_and(|r| r.is_final);
        let direct = next.status.can_move_to(to, next.level, rejection_final);
        let path: Vec<Status> = if direct {
            vec![to]
        } else if next.status.can_move_to(Status::UnderReview, next.level, rejection_final)
            && Status::UnderReview.can_move_to(to, next.level, false)
        {
            vec![Status::UnderReview, to]
        } else if next.status.can_move_to(Status::InProgress, next.level, rejection_final)
            && Status::InProgress.can_move_to(to, next.level, false)
        {
            vec![Status::InProgress, to]
        } else {
            return Err(TransitionError::NotAllowed { from: next.status, to });
        };
        let version = next.version;
        for step in path {
            let rejecting = step == Status::Rejected;
            let decision = Decision {
                to: step,
                reasons: if rejecting { vec![RejectionReason::Other] } else { vec![] },
                note: rejecting.then(|| "rejected by Sumsub's review".to_string()),
                is_final: rejecting && is_final,
                origin: DecisionOrigin::SumsubImport,
                at,
            };
            let from = next.status;
            next = transition(&next, &decision)?;
            moves.push((from, step));
        }
        next.version = version;
    }
    if next.status == Status::UnderReview {
        let mut reasons = Vec::new();
        if next.risk.as_ref().is_some_and(|r| r.level == RiskLevel::Critical) {
            reasons.push(ReviewReason::RiskCritical);
        }
        if next.level == Level::Premium {
            reasons.push(ReviewReason::PremiumLevel);
        }
        if next.hold.is_some() {
            reasons.push(ReviewReason::HeldByReviewer);
        }
        if lead.status == Status::UnderReview {
            reasons.extend(lead.review_reasons.iter().copied());
        }
        reasons.sort_unstable();
        reasons.dedup();
        next.review_reasons = reasons;
    }
    next.capabilities = capabilities(&next);
    Ok(Imported { lead: next, moves })
}

/// The digest algorithms Sumsub may name in `X-Payload-Digest-Alg` that are accepted.
pub const DIGEST_ALGORITHMS: [&str; 2] = ["HMAC_SHA256_HEX", "HMAC_SHA512_HEX"];

/// Whether a webhook's `X-Payload-Digest` (and its algorithm, if named) can be a
/// digest at all: whole bytes of hex, an accepted algorithm. A request that fails this
/// is refused before anything is looked up.
pub fn payload_digest_is_well_formed(algorithm: Option<&str>, digest: Option<&str>) -> bool {
    let hex_bytes =
        digest.is_some_and(|d| !d.is_empty() && d.len() % 2 == 0 && d.bytes().all(|b| b.is_ascii_hexdigit()));
    hex_bytes && algorithm.is_none_or(|a| DIGEST_ALGORITHMS.contains(&a))
}

/// Sumsub's webhook signature (`X-Payload-Digest`): hex HMAC of the raw body with the
/// webhook secret, SHA-256 unless `X-Payload-Digest-Alg` says `HMAC_SHA512_HEX`.
/// Compared in constant time. An unknown algorithm (SHA-1 is not accepted) fails.
pub fn payload_digest_matches(secret: &[u8], body: &[u8], algorithm: Option<&str>, digest_hex: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(digest) = hex::decode(digest_hex.trim()) else {
        return false;
    };
    match algorithm.unwrap_or("HMAC_SHA256_HEX") {
        "HMAC_SHA256_HEX" => Hmac::<sha2::Sha256>::new_from_slice(secret)
            .map(|mut mac| {
                mac.update(body);
                mac.verify_slice(&digest).is_ok()
            })
            .unwrap_or(false),
        "HMAC_SHA512_HEX" => Hmac::<sha2::Sha512>::new_from_slice(secret)
            .map(|mut mac| {
                mac.update(body);
                mac.verify_slice(&digest).is_ok()
            })
            .unwrap_or(false),
        _ => false,
    }
}

/// The parts of a Sumsub webhook body this service reads (`applicantReviewed`:
/// `applicantId`, `reviewStatus`, `reviewResult.reviewAnswer` / `reviewRejectType`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SumsubWebhook {
    #[serde(rename = "type")]
    pub kind: String,
    pub applicant_id: String,
    #[serde(default)]
    pub review_status: Option<String>,
    #[serde(default)]
    pub review_result: Option<ReviewResult>,
}

/// Sumsub's `reviewResult` object (applicant reads and webhooks).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResult {
    #[serde(default)]
    pub review_answer: Option<ReviewAnswer>,
    #[serde(default)]
    pub review_reject_type: Option<RejectType>,
}

impl SumsubWebhook {
    /// The webhook of a raw body, or `None` when it is not one: a JSON object with a
    /// string `type` and `applicantId`, whose `reviewResult` (if any) is an object too
    /// (serde alone would take an array for either).
    pub fn parse(body: &[u8]) -> Option<SumsubWebhook> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let result_is_object = value.get("reviewResult").is_none_or(|r| r.is_object() || r.is_null());
        if !value.is_object() || !result_is_object {
            return None;
        }
        serde_json::from_value(value).ok()
    }

    /// The review it reports.
    pub fn review(&self) -> SumsubReview {
        let result = self.review_result.clone().unwrap_or_default();
        SumsubReview {
            applicant_id: self.applicant_id.clone(),
            review_status: self.review_status.clone().unwrap_or_else(|| "completed".into()),
            answer: result.review_answer,
            reject_type: result.review_reject_type,
        }
    }
}
