//! The decision policy, table-tested: every combination of level × type × risk ×
//! machine checks × hold, against the contract's rule written out independently.

use chrono::Utc;

use kyc_domain::documents::{Check, CheckResult, ContentType, Document, DocumentKind, DocumentStatus, FileInfo};
use kyc_domain::ids::{DocumentId, LeadId};
use kyc_domain::lead::input::LeadData;
use kyc_domain::lead::{Hold, LeadType, Level, ReviewReason, Risk, RiskLevel};
use kyc_domain::requirement::{Evidence, Requirement, evaluate};
use kyc_domain::risk::{DecisionInput, PolicyDecision, decide};
use kyc_domain::{Lead, Source};

fn risk(level: RiskLevel) -> Risk {
    Risk { score: 0, level, factors: vec![], scored_at: Utc::now() }
}

fn document(lead: &Lead, kind: DocumentKind, checks: &[(&str, CheckResult)]) -> Document {
    let checks: Vec<Check> = checks.iter().map(|(name, result)| Check::new(name, *result, "")).collect();
    Document {
        id: DocumentId::from_uuid(uuid::Uuid::now_v7()),
        object: Default::default(),
        lead_id: lead.id.clone(),
        kind,
        side: None,
        director_index: None,
        status: Document::verdict(&checks),
        content_type: ContentType::Png,
        file: Some(FileInfo { content_type: ContentType::Png, size_bytes: 1, sha256: String::new() }),
        data: None,
        checks,
        compliance_flags: vec![],
        review_note: None,
        created_at: Utc::now(),
        uploaded_at: Some(Utc::now()),
        verified_at: None,
    }
}

/// The machine checks of an individual's enhanced set.
#[derive(Debug, Clone, Copy)]
struct Machine {
    identity_read: CheckResult,
    data_match: CheckResult,
    face_match: CheckResult,
    face_quality: CheckResult,
    address_proof: CheckResult,
}

const ALL_PASS: Machine = Machine {
    identity_read: CheckResult::Pass,
    data_match: CheckResult::Pass,
    face_match: CheckResult::Pass,
    face_quality: CheckResult::Pass,
    address_proof: CheckResult::Pass,
};

fn lead(lead_type: LeadType, level: Level, held: bool) -> Lead {
    let individual = serde_json::from_value(serde_json::json!({"first_name": "Ada", "last_name": "Lovelace"}));
    let business = serde_json::from_value(serde_json::json!({"legal_name": "Analytical Engines Ltd"}));
    let address = serde_json::from_value(serde_json::json!({"line1": "1 High St", "city": "York", "country": "GB"}));
    let data = LeadData {
        lead_type,
        level,
        email: Some("a@example.com".into()),
        individual: (lead_type == LeadType::Individual).then(|| individual.expect("an individual")),
        business: (lead_type == LeadType::Business).then(|| business.expect("a business")),
        address: Some(address.expect("an address")),
        ..LeadData::default()
    };
    let mut lead = data.into_lead(LeadId::from_uuid(uuid::Uuid::now_v7()), Source::Api, Utc::now());
    if held {
        lead.hold = Some(Hold { actor: "key:ana".into(), at: Utc::now() });
    }
    lead
}

/// The documents a lead of this type and level needs, with these machine checks, and
/// the lead's requirements evaluated from them.
fn complete(mut lead: Lead, machine: Machine) -> (Lead, Vec<Document>) {
    use CheckResult::Pass;
    let mut documents = Vec::new();
    if lead.level >= Level::Enhanced {
        let kinds: Vec<(DocumentKind, Vec<(&str, CheckResult)>)> = match lead.lead_type {
            LeadType::Individual => vec![
                (
                    DocumentKind::Passport,
                    vec![("identity_read", machine.identity_read), ("data_match", machine.data_match)],
                ),
                (
                    DocumentKind::Selfie,
                    vec![("face_match", machine.face_match), ("face_quality", machine.face_quality)],
                ),
                (DocumentKind::ProofOfAddress, vec![("address_proof", machine.address_proof)]),
            ],
            LeadType::Business => vec![
                (DocumentKind::CertificateOfIncorporation, vec![("file_type", Pass)]),
                (DocumentKind::BusinessRegistration, vec![("file_type", Pass)]),
                (DocumentKind::ProofOfBusinessAddress, vec![("file_type", Pass)]),
            ],
        };
        for (kind, checks) in kinds {
            documents.push(document(&lead, kind, &checks));
        }
        if lead.level == Level::Premium {
            documents.push(document(&lead, DocumentKind::SourceOfFunds, &[("file_type", Pass)]));
            if lead.lead_type == LeadType::Business {
                documents.push(document(&lead, DocumentKind::ShareholderRegister, &[("file_type", Pass)]));
            }
        }
    }
    let mut evidence = Evidence::default();
    evidence.satisfied.insert(Requirement::Screening);
    for d in documents.iter().filter(|d| d.status == DocumentStatus::Verified) {
        evidence.satisfied.extend(d.kind.satisfies(d.director_index));
    }
    lead.requirements = evaluate(&lead, &evidence);
    (lead, documents)
}

/// The contract's rule, written out on its own.
fn expected(lead: &Lead, risk: RiskLevel, machine: Machine, documents: &[Document]) -> PolicyDecision {
    if risk == RiskLevel::Critical {
        return PolicyDecision::Review { alert: true };
    }
    let machine_ok = lead.level == Level::Basic
        || [machine.identity_read, machine.data_match, machine.face_match, machine.face_quality, machine.address_proof]
            .iter()
            .all(|r| *r == CheckResult::Pass);
    let all_verified = documents.iter().all(|d| d.status == DocumentStatus::Verified);
    if matches!(lead.level, Level::Basic | Level::Enhanced)
        && lead.lead_type == LeadType::Individual
        && risk == RiskLevel::Low
        && lead.requirements.missing.is_empty()
        && all_verified
        && machine_ok
        && lead.hold.is_none()
    {
        PolicyDecision::Approve
    } else {
        PolicyDecision::Review { alert: false }
    }
}

#[test]
fn every_combination_of_level_type_risk_checks_and_hold_decides_as_the_contract_says() {
    use CheckResult::{Fail, Warn};
    let mut machines = vec![ALL_PASS];
    for result in [Warn, Fail] {
        machines.push(Machine { identity_read: result, ..ALL_PASS });
        machines.push(Machine { data_match: result, ..ALL_PASS });
        machines.push(Machine { face_match: result, ..ALL_PASS });
        machines.push(Machine { face_quality: result, ..ALL_PASS });
        machines.push(Machine { address_proof: result, ..ALL_PASS });
    }
    let mut cases = 0;
    for lead_type in [LeadType::Individual, LeadType::Business] {
        for level in [Level::Basic, Level::Enhanced, Level::Premium] {
            for level_of_risk in [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High, RiskLevel::Critical] {
                for machine in &machines {
                    for held in [false, true] {
                        let (lead, documents) = complete(lead(lead_type, level, held), *machine);
                        let risk = risk(level_of_risk);
                        let decided =
                            decide(DecisionInput { lead: &lead, documents: &documents, risk: &risk, identity_changed: false });
                        let want = expected(&lead, level_of_risk, *machine, &documents);
                        assert_eq!(decided.decision, want, "{lead_type:?} {level:?} {level_of_risk:?} {machine:?} held={held}");
                        assert_eq!(
                            decided.reasons.is_empty(),
                            want == PolicyDecision::Approve,
                            "reasons exactly when not approved: {:?}",
                            decided.reasons
                        );
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 2 * 3 * 4 * 11 * 2);
}

fn reasons_of(lead: &Lead, documents: &[Document], level: RiskLevel) -> (PolicyDecision, Vec<ReviewReason>) {
    let risk = risk(level);
    let decided = decide(DecisionInput { lead, documents, risk: &risk, identity_changed: false });
    (decided.decision, decided.reasons)
}

#[test]
fn each_failed_machine_check_names_its_reason() {
    use CheckResult::{Fail, Warn};
    let individual = || lead(LeadType::Individual, Level::Enhanced, false);
    let cases = [
        (Machine { identity_read: Warn, ..ALL_PASS }, ReviewReason::IdentityNotMachineRead),
        (Machine { data_match: Fail, ..ALL_PASS }, ReviewReason::DataMismatch),
        (Machine { face_match: Warn, ..ALL_PASS }, ReviewReason::FaceMatchLow),
        (Machine { face_quality: Warn, ..ALL_PASS }, ReviewReason::FaceQualityLow),
        (Machine { address_proof: Warn, ..ALL_PASS }, ReviewReason::AddressNotProven),
    ];
    for (machine, reason) in cases {
        let (lead, documents) = complete(individual(), machine);
        let (decision, reasons) = reasons_of(&lead, &documents, RiskLevel::Low);
        assert_eq!(decision, PolicyDecision::Review { alert: false });
        assert!(reasons.contains(&reason), "{machine:?}: {reasons:?}");
    }
}

#[test]
fn a_lead_only_missing_documents_waits_without_reasons() {
    let (lead, mut documents) = complete(lead(LeadType::Individual, Level::Enhanced, false), ALL_PASS);
    documents.retain(|d| d.kind != DocumentKind::Selfie);
    let mut evidence = Evidence::default();
    evidence.satisfied.extend([Requirement::IdentityDocument, Requirement::ProofOfAddress, Requirement::Screening]);
    let lead = Lead { requirements: evaluate(&lead, &evidence), ..lead };
    let (decision, reasons) = reasons_of(&lead, &documents, RiskLevel::Low);
    assert_eq!(decision, PolicyDecision::AwaitDocuments);
    assert_eq!(reasons, [ReviewReason::RequirementsMissing], "what keeps it from approval, not shown while it waits");
}

#[test]
fn a_rejected_document_goes_to_a_person_even_while_others_are_missing() {
    use CheckResult::Fail;
    let (lead, documents) = complete(lead(LeadType::Individual, Level::Enhanced, false), Machine { data_match: Fail, ..ALL_PASS });
    let (decision, reasons) = reasons_of(&lead, &documents, RiskLevel::Low);
    assert_eq!(decision, PolicyDecision::Review { alert: false });
    for reason in [ReviewReason::DataMismatch, ReviewReason::DocumentRejected, ReviewReason::RequirementsMissing] {
        assert!(reasons.contains(&reason), "{reasons:?}");
    }
}

#[test]
fn business_and_premium_leads_say_why_a_person_decides() {
    let (lead_b, documents) = complete(lead(LeadType::Business, Level::Enhanced, false), ALL_PASS);
    assert_eq!(reasons_of(&lead_b, &documents, RiskLevel::Low).1, [ReviewReason::BusinessLead]);
    let (lead_p, documents) = complete(lead(LeadType::Individual, Level::Premium, true), ALL_PASS);
    assert_eq!(
        reasons_of(&lead_p, &documents, RiskLevel::High).1,
        [ReviewReason::RiskHigh, ReviewReason::PremiumLevel, ReviewReason::HeldByReviewer]
    );
}
