//! The scoring of a lead's own data (at its creation and on a change) and the re-check
//! of identity documents when who the lead names changes.

use chrono::{NaiveDate, Utc};
use kyc_domain::Status;
use kyc_domain::documents::{
    Check, CheckResult, ContentType, Document, DocumentKind, DocumentObject, DocumentStatus, FileInfo,
};
use kyc_domain::ids::{DocumentId, LeadId};
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Address, Hold, Individual, Lead, Level, RiskLevel, Source};
use kyc_domain::requirement::{Evidence, Requirement};
use kyc_domain::risk::screening::{HitKind, ScreeningHit};
use kyc_domain::risk::{CountryLists, DataFacts, DataVerdict, RiskPolicy, judge_data, level_floor};
use kyc_domain::verification::{
    IdentityRead, ReadSource, data_match, identity_changed, nationality_of, recheck_identity, subject_of,
};

fn lead(country: &str) -> Lead {
    let mut lead = LeadData::default().into_lead(LeadId::from_uuid(uuid::Uuid::now_v7()), Source::Api, Utc::now());
    lead.email = Some("ada@example.com".into());
    lead.individual = Some(Individual {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 12, 10),
        nationality: None,
        phone: None,
    });
    lead.address = Some(Address {
        line1: "1 High St".into(),
        line2: None,
        city: "York".into(),
        postal_code: None,
        state: None,
        country: country.into(),
    });
    lead
}

fn sanctions_hit() -> ScreeningHit {
    ScreeningHit {
        list_entry_id: "fic-p-001".into(),
        kind: HitKind::Sanctions,
        score_percent: 100,
        matched_name_field: "name",
        birth_date_agrees: None,
        dataset: "Synthetic".into(),
    }
}

fn judge(lead: &Lead, hits: &[ScreeningHit], documents: &[Document]) -> DataVerdict {
    let facts = DataFacts {
        lead,
        previous_risk: lead.risk.as_ref(),
        evidence: &Evidence::default(),
        documents,
        leads_same_ip_last_hour: 0,
        leads_same_device_last_hour: 0,
        screening: hits,
        identity_changed: false,
    };
    judge_data(facts, &RiskPolicy::default(), CountryLists::shipped(), Utc::now()).expect("a legal scoring")
}

#[test]
fn when_a_new_lead_is_critical_should_raise_it_to_premium_and_send_it_to_review_with_an_alert() {
    let verdict = judge(&lead("GB"), &[sanctions_hit()], &[]);
    assert_eq!(verdict.risk.level, RiskLevel::Critical);
    assert_eq!(verdict.raised, Some((Level::Basic, Level::Premium)));
    assert_eq!(verdict.lead.level, Level::Premium);
    assert!(verdict.alert);
    assert_eq!(verdict.moves, [(Status::NotStarted, Status::UnderReview)]);
    assert_eq!(verdict.lead.status, Status::UnderReview);
    assert!(verdict.evidence.satisfied.contains(&Requirement::Screening));
    assert!(verdict.lead.compliance_flags.contains(&"sanctions_match".to_string()));
}

#[test]
fn when_a_basic_lead_scores_high_should_raise_it_to_enhanced_and_leave_it_where_it_is() {
    // A PEP hit alone: 50 points, high.
    let pep = ScreeningHit { kind: HitKind::Pep, ..sanctions_hit() };
    let verdict = judge(&lead("GB"), &[pep], &[]);
    assert_eq!(verdict.risk.level, RiskLevel::High);
    assert_eq!(verdict.raised, Some((Level::Basic, Level::Enhanced)));
    assert_eq!(level_floor(RiskLevel::High), Level::Enhanced);
    assert!(verdict.moves.is_empty() && !verdict.alert, "only a critical risk moves the lead");
    assert_eq!(verdict.lead.status, Status::NotStarted);
    assert!(verdict.lead.requirements.missing.contains(&Requirement::IdentityDocument), "enhanced's documents");
}

#[test]
fn when_a_complete_lead_is_low_risk_should_never_approve_it() {
    let verdict = judge(&lead("GB"), &[], &[]);
    assert_eq!(verdict.risk.level, RiskLevel::Low);
    assert!(verdict.lead.requirements.missing.is_empty());
    assert!(verdict.moves.is_empty());
    assert_eq!(verdict.lead.status, Status::NotStarted);
}

#[test]
fn when_a_lead_already_critical_is_scored_again_should_raise_no_second_alert() {
    let first = judge(&lead("GB"), &[sanctions_hit()], &[]);
    let again = judge(&first.lead, &[sanctions_hit()], &[]);
    assert!(!again.alert && again.moves.is_empty() && again.raised.is_none());
}

#[test]
fn when_a_person_holds_the_lead_should_alert_but_not_move_it() {
    let mut held = lead("GB");
    held.status = Status::UnderReview;
    held.hold = Some(Hold { actor: "key:ana".into(), at: Utc::now() });
    let verdict = judge(&held, &[sanctions_hit()], &[]);
    assert!(verdict.alert);
    assert!(verdict.moves.is_empty());
    assert_eq!(verdict.lead.status, Status::UnderReview);
}

fn verified_passport(lead: &Lead) -> Document {
    Document {
        id: DocumentId::from_uuid(uuid::Uuid::now_v7()),
        object: DocumentObject::Document,
        lead_id: lead.id.clone(),
        kind: DocumentKind::Passport,
        side: None,
        director_index: None,
        status: DocumentStatus::Verified,
        content_type: ContentType::Png,
        file: Some(FileInfo { content_type: ContentType::Png, size_bytes: 9, sha256: "ab".repeat(32) }),
        data: None,
        checks: vec![Check::pass("identity_read", "read"), Check::pass("data_match", "agrees")],
        compliance_flags: vec![],
        review_note: None,
        created_at: Utc::now(),
        uploaded_at: Some(Utc::now()),
        verified_at: Some(Utc::now()),
    }
}

fn read_of_ada() -> IdentityRead {
    IdentityRead {
        source: ReadSource::Mrz,
        surname: "LOVELACE".into(),
        given_names: "ADA".into(),
        name_may_be_truncated: false,
        date_of_birth: NaiveDate::from_ymd_opt(1990, 12, 10),
        nationality: Some("GB".into()),
        document_number: None,
        expiry_date: None,
        issuing_country: None,
    }
}

#[test]
fn when_the_lead_is_renamed_should_reject_the_passport_read_under_the_old_name() {
    let before = lead("GB");
    let mut passport = verified_passport(&before);
    // As the scorer left it: `data_match` of what was read against the lead.
    let agreed = data_match(&read_of_ada(), subject_of(&before, &passport), nationality_of(&before, &passport), None);
    passport.checks[1] = agreed;
    let today = Utc::now().date_naive();
    assert_eq!(recheck_identity(&before, &passport, Some(&read_of_ada()), today), None, "nothing changed");

    let mut renamed = before.clone();
    if let Some(person) = renamed.individual.as_mut() {
        person.last_name = "Hopper".into();
    }
    assert!(identity_changed(&before, &renamed));
    let rechecked = recheck_identity(&renamed, &passport, Some(&read_of_ada()), today).expect("changed");
    assert_eq!(rechecked.status, DocumentStatus::Rejected);
    assert!(rechecked.verified_at.is_none());
    let data_match = rechecked.checks.iter().find(|c| c.name == "data_match").map(|c| c.result);
    assert_eq!(data_match, Some(CheckResult::Fail));

    // The decision follows: the rejected passport no longer satisfies anything.
    let verdict = judge(&renamed, &[], &[rechecked]);
    assert!(!verdict.evidence.satisfied.contains(&Requirement::IdentityDocument));
}

#[test]
fn when_only_the_address_changes_should_not_count_as_an_identity_change() {
    let before = lead("GB");
    let mut moved = before.clone();
    if let Some(address) = moved.address.as_mut() {
        address.city = "Bath".into();
    }
    assert!(!identity_changed(&before, &moved));
}
