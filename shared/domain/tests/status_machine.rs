//! Every move of the contract's status table, allowed and forbidden.

use chrono::{DateTime, Utc};
use kyc_domain::lead::{LeadObject, Rejection};
use kyc_domain::requirement::{Evidence, evaluate};
use kyc_domain::status::{DecisionOrigin, transition};
use kyc_domain::*;
use uuid::Uuid;

use Status::*;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_374_400, 0).unwrap_or_default()
}

/// A basic-level lead with every data field, so approval is never blocked by data.
fn lead(status: Status, level: Level) -> Lead {
    let mut lead = Lead {
        id: LeadId::from_uuid(Uuid::now_v7()),
        object: LeadObject::Lead,
        lead_type: LeadType::Individual,
        status,
        level,
        source: Source::Api,
        external_id: None,
        email: Some("ada@example.com".into()),
        individual: Some(kyc_domain::lead::Individual {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            date_of_birth: None,
            nationality: None,
            phone: None,
        }),
        business: None,
        address: Some(kyc_domain::lead::Address {
            line1: "1 Main St".into(),
            line2: None,
            city: "London".into(),
            postal_code: None,
            state: None,
            country: "GB".into(),
        }),
        signals: None,
        requirements: Requirements::default(),
        risk: None,
        compliance_flags: vec![],
        review_reasons: vec![],
        rejection: None,
        hold: None,
        capabilities: Default::default(),
        sumsub: None,
        metadata: Default::default(),
        version: 3,
        created_at: at(),
        updated_at: at(),
        status_changed_at: at(),
    };
    lead.requirements = evaluate(&lead, &Evidence::default());
    if status == Rejected {
        lead.rejection = Some(Rejection { reasons: vec![RejectionReason::Other], note: None, is_final: false });
    }
    lead
}

fn decision(to: Status) -> Decision {
    let reasons = if to == Rejected { vec![RejectionReason::DocumentExpired] } else { vec![] };
    Decision { to, reasons, note: None, is_final: false, origin: DecisionOrigin::Manual, at: at() }
}

/// The contract's table, for a basic-level lead whose rejection is not final.
fn allowed(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (NotStarted, InProgress | UnderReview | Approved | Rejected)
            | (InProgress, UnderReview | Approved | Rejected)
            | (UnderReview, InProgress | Approved | Rejected)
            | (Rejected, InProgress)
            | (Approved, UnderReview)
    )
}

#[test]
fn every_pair_of_statuses_follows_the_contract_table() {
    for from in Status::ALL {
        for to in Status::ALL {
            let result = transition(&lead(from, Level::Basic), &decision(to));
            if allowed(from, to) {
                let next = result.unwrap_or_else(|e| panic!("{from} -> {to} should be allowed: {e}"));
                assert_eq!(next.status, to);
                assert_eq!(next.version, 4, "a move bumps the version once");
                assert_eq!(next.status_changed_at, at());
            } else {
                assert_eq!(result, Err(TransitionError::NotAllowed { from, to }), "{from} -> {to}");
            }
        }
    }
}

#[test]
fn when_a_not_started_lead_above_basic_is_approved_directly_should_refuse() {
    for level in [Level::Enhanced, Level::Premium] {
        let result = transition(&lead(NotStarted, level), &decision(Approved));
        assert_eq!(result, Err(TransitionError::NotAllowed { from: NotStarted, to: Approved }));
    }
}

#[test]
fn the_refusal_names_both_statuses() {
    let err = transition(&lead(Approved, Level::Basic), &decision(Rejected)).expect_err("not allowed");
    assert_eq!(err.to_string(), "a lead cannot move from approved to rejected");
}

#[test]
fn when_rejecting_without_reason_should_refuse() {
    let mut d = decision(Rejected);
    d.reasons.clear();
    assert_eq!(transition(&lead(UnderReview, Level::Basic), &d), Err(TransitionError::ReasonRequired));
}

#[test]
fn when_reasons_come_with_a_move_other_than_rejection_should_refuse() {
    let mut d = decision(Approved);
    d.reasons = vec![RejectionReason::Other];
    assert_eq!(transition(&lead(UnderReview, Level::Basic), &d), Err(TransitionError::ReasonsOnlyForRejection));
}

#[test]
fn a_final_rejection_cannot_be_reopened() {
    let mut rejected = lead(Rejected, Level::Basic);
    rejected.rejection = Some(Rejection { reasons: vec![RejectionReason::SanctionsMatch], note: None, is_final: true });
    let result = transition(&rejected, &decision(InProgress));
    assert_eq!(result, Err(TransitionError::NotAllowed { from: Rejected, to: InProgress }));
}

#[test]
fn a_rejection_records_reasons_note_and_finality_and_reopening_clears_it() {
    let mut d = decision(Rejected);
    d.note = Some("blurred scan".into());
    d.is_final = false;
    let rejected = transition(&lead(UnderReview, Level::Basic), &d).expect("allowed");
    let rejection = rejected.rejection.clone().expect("rejection recorded");
    assert_eq!(rejection.reasons, vec![RejectionReason::DocumentExpired]);
    assert_eq!(rejection.note.as_deref(), Some("blurred scan"));
    let reopened = transition(&rejected, &decision(InProgress)).expect("allowed");
    assert_eq!(reopened.rejection, None);
}

#[test]
fn when_requirements_are_missing_approval_is_refused_unless_sumsub_decided() {
    let mut incomplete = lead(UnderReview, Level::Basic);
    incomplete.email = None;
    incomplete.requirements = evaluate(&incomplete, &Evidence::default());
    assert_eq!(
        transition(&incomplete, &decision(Approved)),
        Err(TransitionError::RequirementsMissing(vec![Requirement::Email]))
    );
    let mut imported = decision(Approved);
    imported.origin = DecisionOrigin::SumsubImport;
    assert_eq!(transition(&incomplete, &imported).map(|l| l.status), Ok(Approved));
}

#[test]
fn an_enhanced_lead_needs_its_documents_before_approval() {
    let enhanced = lead(UnderReview, Level::Enhanced);
    let Err(TransitionError::RequirementsMissing(missing)) = transition(&enhanced, &decision(Approved)) else {
        panic!("approval must be refused");
    };
    assert_eq!(missing, vec![Requirement::IdentityDocument, Requirement::ProofOfAddress, Requirement::Selfie]);
    let evidence = Evidence { satisfied: missing.iter().copied().collect() };
    let mut complete = enhanced.clone();
    complete.requirements = evaluate(&complete, &evidence);
    assert!(transition(&complete, &decision(Approved)).is_ok());
}

mod follow_ups {
    use chrono::TimeDelta;
    use kyc_domain::lead::followup::{FollowUps, MAX_FOLLOW_UPS};

    use super::*;

    fn day() -> TimeDelta {
        TimeDelta::hours(24)
    }

    #[test]
    fn a_waiting_lead_is_due_one_delay_after_its_last_status_change() {
        let waiting = lead(NotStarted, Level::Basic);
        let none = FollowUps::default();
        assert!(!none.is_due(&waiting, day(), at() + day() - TimeDelta::seconds(1)));
        assert!(none.is_due(&waiting, day(), at() + day()));
    }

    #[test]
    fn each_follow_up_waits_a_delay_after_the_one_before_and_three_is_the_most() {
        let waiting = lead(InProgress, Level::Basic);
        let mut state = FollowUps::default();
        let mut now = at() + day();
        for attempt in 1..=MAX_FOLLOW_UPS {
            assert!(state.is_due(&waiting, day(), now), "attempt {attempt} is due");
            state = state.after_sending(now);
            assert_eq!(state.sent, attempt);
            assert!(!state.is_due(&waiting, day(), now), "never twice for one slot");
            now += day();
        }
        assert!(!state.is_due(&waiting, day(), now + day() * 10), "at most three");
    }

    #[test]
    fn leads_under_review_or_decided_are_never_followed_up() {
        for status in [UnderReview, Approved, Rejected] {
            assert_eq!(FollowUps::default().anchor(&lead(status, Level::Basic)), None, "{status}");
        }
    }
}

#[test]
fn a_person_moving_a_lead_to_review_holds_it_and_moving_it_out_ends_the_hold() {
    let in_review = kyc_domain::status::hold_after_manual_move(lead(UnderReview, Level::Basic), "key:ana", at());
    assert_eq!(in_review.hold.as_ref().map(|h| h.actor.as_str()), Some("key:ana"));
    let moved_on = kyc_domain::status::hold_after_manual_move(Lead { status: Approved, ..in_review }, "key:bo", at());
    assert_eq!(moved_on.hold, None);
}

#[test]
fn only_high_and_critical_risk_approvals_take_two_people() {
    use kyc_domain::lead::{Risk, RiskLevel};
    let with_risk = |level| Lead {
        risk: Some(Risk { score: 0, level, factors: vec![], scored_at: at() }),
        ..lead(UnderReview, Level::Basic)
    };
    assert!(!kyc_domain::status::needs_two_approvals(&lead(UnderReview, Level::Basic)), "no risk scored yet");
    assert!(!kyc_domain::status::needs_two_approvals(&with_risk(RiskLevel::Low)));
    assert!(!kyc_domain::status::needs_two_approvals(&with_risk(RiskLevel::Medium)));
    assert!(kyc_domain::status::needs_two_approvals(&with_risk(RiskLevel::High)));
    assert!(kyc_domain::status::needs_two_approvals(&with_risk(RiskLevel::Critical)));
}
