//! The decision policy after documents are checked and the risk is scored.

use chrono::{DateTime, Utc};
use kyc_domain::lead::{Risk, RiskLevel};
use kyc_domain::risk::{PolicyDecision, decide};
use kyc_domain::{LeadType, Level};

fn risk(level: RiskLevel) -> Risk {
    let score = match level {
        RiskLevel::Low => 0,
        RiskLevel::Medium => 25,
        RiskLevel::High => 50,
        RiskLevel::Critical => 75,
    };
    Risk { score, level, factors: vec![], scored_at: DateTime::<Utc>::UNIX_EPOCH }
}

const REVIEW: PolicyDecision = PolicyDecision::Review { alert: false };
const ALERT: PolicyDecision = PolicyDecision::Review { alert: true };

#[test]
fn when_risk_is_low_and_everything_is_verified_should_approve_basic_and_enhanced() {
    assert_eq!(decide(LeadType::Individual, Level::Basic, false, true, &risk(RiskLevel::Low)), PolicyDecision::Approve);
    assert_eq!(
        decide(LeadType::Individual, Level::Enhanced, false, true, &risk(RiskLevel::Low)),
        PolicyDecision::Approve
    );
}

#[test]
fn premium_is_never_approved_automatically() {
    assert_eq!(decide(LeadType::Individual, Level::Premium, false, true, &risk(RiskLevel::Low)), REVIEW);
}

#[test]
fn when_a_requirement_is_missing_should_review() {
    assert_eq!(decide(LeadType::Individual, Level::Basic, true, true, &risk(RiskLevel::Low)), REVIEW);
    assert_eq!(decide(LeadType::Individual, Level::Enhanced, true, true, &risk(RiskLevel::Low)), REVIEW);
}

#[test]
fn when_a_document_is_not_verified_should_review() {
    assert_eq!(decide(LeadType::Individual, Level::Enhanced, false, false, &risk(RiskLevel::Low)), REVIEW);
}

#[test]
fn when_risk_is_medium_or_high_should_review_without_alert() {
    assert_eq!(decide(LeadType::Individual, Level::Enhanced, false, true, &risk(RiskLevel::Medium)), REVIEW);
    assert_eq!(decide(LeadType::Individual, Level::Basic, false, true, &risk(RiskLevel::High)), REVIEW);
}

#[test]
fn when_risk_is_critical_should_review_with_an_alert_at_every_level() {
    for level in [Level::Basic, Level::Enhanced, Level::Premium] {
        assert_eq!(decide(LeadType::Individual, level, false, true, &risk(RiskLevel::Critical)), ALERT, "{level:?}");
        assert_eq!(decide(LeadType::Individual, level, true, false, &risk(RiskLevel::Critical)), ALERT, "{level:?}");
    }
}

#[test]
fn a_business_lead_is_always_decided_by_a_person() {
    for level in [Level::Basic, Level::Enhanced] {
        assert_eq!(decide(LeadType::Business, level, false, true, &risk(RiskLevel::Low)), REVIEW, "{level:?}");
    }
}
