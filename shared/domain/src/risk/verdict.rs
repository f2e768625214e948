//! The whole decision on an uploaded document, free of I/O: given what the file showed
//! and what is known of the lead, the document's verdict, the evidence it adds, the
//! lead's risk and flags, and the status moves of the decision policy. The scorer
//! (`kyc_app::scoring`) reads the inputs and commits the verdict.

use chrono::{DateTime, Utc};

use crate::documents::mrz::{self, CHECK_DOCUMENT_EXPIRY};
use crate::documents::{Check, CheckResult, Document, DocumentStatus, FileInfo};
use crate::lead::{Lead, Level, Risk, RiskLevel};
use crate::requirement::{Evidence, Requirement, evaluate};
use crate::risk::screening::{HitKind, ScreeningHit};
use crate::ids::DocumentId;
use crate::risk::{self, CountryLists, Decided, DecisionInput, PolicyDecision, RiskInput, RiskPolicy, decide, raise_for};
use crate::verification::{FLAG_VERIFICATION_UNAVAILABLE, same_file, subject_of};
use crate::status::{Decision, DecisionOrigin, Status, TransitionError, transition};

/// What the stored file itself shows (independent of the lead's state).
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub checks: Vec<Check>,
    pub size: u64,
    /// Only for a file read whole (a too-large one is never hashed).
    pub sha256: Option<String>,
}

/// Everything the decision needs, read by the use case.
pub struct UploadFacts<'a> {
    pub lead: &'a Lead,
    pub evidence: &'a Evidence,
    /// The document waiting for this file.
    pub document: Document,
    pub file: FileFacts,
    /// The same file is attached to another lead of the tenant.
    pub duplicate: bool,
    /// The lead's other documents.
    pub others: Vec<Document>,
    pub leads_same_ip_last_hour: u32,
    pub leads_same_device_last_hour: u32,
    pub screening: &'a [ScreeningHit],
    /// What the verifier made of this document (see [`MachineChecks`]).
    pub machine: MachineChecks,
    /// The comparison of the lead's selfie with this identity document, when the
    /// selfie came first: it lands on the selfie.
    pub selfie_face_match: Option<(DocumentId, Check)>,
    /// A change of identity still waits for the lead's documents to be re-checked.
    pub identity_changed: bool,
}

/// The verifier's checks of one document, made by the scorer from the service's
/// answers with the pure checks of [`crate::verification`].
#[derive(Debug, Clone, Default)]
pub struct MachineChecks {
    pub checks: Vec<Check>,
    /// The service stayed unavailable through every attempt: the checks are `warn`
    /// "verifier unavailable" and a person decides.
    pub unavailable: bool,
}

/// What the decision made of the upload.
#[derive(Debug, Clone)]
pub struct UploadVerdict {
    pub document: Document,
    /// The lead as it becomes: one version more, whatever the number of moves.
    pub lead: Lead,
    pub evidence: Evidence,
    pub risk: Risk,
    pub policy_version: String,
    /// The policy's status moves, in order.
    pub moves: Vec<(Status, Status)>,
    /// The lead's selfie when this identity document's face comparison changed it.
    pub selfie: Option<Document>,
    /// The level the risk raised: (from, to).
    pub raised: Option<(Level, Level)>,
}

impl UploadVerdict {
    /// Names of the document's failed checks.
    pub fn failed_checks(&self) -> Vec<String> {
        self.document.checks.iter().filter(|c| c.result == CheckResult::Fail).map(|c| c.name.clone()).collect()
    }
}

pub fn judge_upload(
    facts: UploadFacts<'_>,
    policy: &RiskPolicy,
    lists: &CountryLists,
    now: DateTime<Utc>,
) -> Result<UploadVerdict, TransitionError> {
    let lead = facts.lead;
    let mut doc = facts.document;
    // The file, what the integrator said is printed on it, and what a machine read.
    let mut checks = facts.file.checks;
    if let Some(data) = &doc.data {
        checks.extend(mrz::check_data(doc.kind, data, subject_of(lead, &doc), now.date_naive()));
    }
    if facts.machine.checks.iter().any(|c| c.name == CHECK_DOCUMENT_EXPIRY) {
        // The expiry read from the document decides; the declared one is compared in
        // `data_match`.
        checks.retain(|c| c.name != CHECK_DOCUMENT_EXPIRY);
    }
    checks.extend(facts.machine.checks);
    if facts.machine.unavailable {
        flag(&mut doc.compliance_flags, FLAG_VERIFICATION_UNAVAILABLE);
    }
    checks.push(same_file(facts.file.sha256.as_deref(), &facts.others));
    if facts.duplicate {
        checks.push(Check::fail("duplicate_document", "the same file is attached to another lead of this tenant"));
        flag(&mut doc.compliance_flags, "duplicate_document");
    }
    doc.status = Document::verdict(&checks);
    doc.checks = checks;
    doc.file = Some(FileInfo {
        content_type: doc.content_type,
        size_bytes: facts.file.size,
        sha256: facts.file.sha256.clone().unwrap_or_default(),
    });
    doc.uploaded_at = Some(now);
    doc.verified_at = (doc.status == DocumentStatus::Verified).then_some(now);

    // Everything the lead now has on file, this document included.
    let reuploads = facts
        .others
        .iter()
        .filter(|d| d.kind == doc.kind && d.director_index == doc.director_index && d.file.is_some())
        .count() as u32;
    let mut documents = facts.others;
    let mut selfie = None;
    if let Some((selfie_id, face_match)) = facts.selfie_face_match
        && let Some(earlier) = documents.iter_mut().find(|d| d.id == selfie_id)
        && earlier.status == DocumentStatus::Verified
    {
        earlier.checks.retain(|c| c.name != face_match.name);
        earlier.checks.push(face_match);
        earlier.status = Document::verdict(&earlier.checks);
        if earlier.status != DocumentStatus::Verified {
            earlier.verified_at = None;
        }
        selfie = Some(earlier.clone());
    }
    documents.push(doc.clone());
    let document_checks: Vec<Check> = documents.iter().flat_map(|d| d.checks.iter().cloned()).collect();

    // Documents satisfy requirements while they are verified (a selfie rejected by a
    // later comparison no longer does); a screening, once run, stays.
    let evidence = screened_evidence(facts.evidence, &documents);

    let input = RiskInput {
        lead,
        document_checks: &document_checks,
        duplicate_document: facts.duplicate,
        leads_same_ip_last_hour: facts.leads_same_ip_last_hour,
        leads_same_device_last_hour: facts.leads_same_device_last_hour,
        reuploads,
        screening: facts.screening,
    };
    let scored = risk::score(&input, policy, lists, now);
    let risk = scored.risk;

    let mut next = lead.clone();
    next.risk = Some(risk.clone());
    // Requirements rise with risk.
    let raised = raise_for(next.level, risk.level).map(|to| (next.level, to));
    if let Some((_, to)) = raised {
        next.level = to;
    }
    next.requirements = evaluate(&next, &evidence);
    if facts.duplicate {
        flag(&mut next.compliance_flags, "duplicate_document");
    }
    flag_risk(&mut next.compliance_flags, facts.screening, &risk);
    next.version = lead.version + 1;
    next.updated_at = now;

    let decided = decide(DecisionInput {
        lead: &next,
        documents: &documents,
        risk: &risk,
        identity_changed: facts.identity_changed,
    });
    let mut moves = Vec::new();
    for to in policy_moves(&next, &decided) {
        let before = next.status;
        next = system_move(&next, to, now)?;
        moves.push((before, to));
    }
    next.review_reasons = if next.status == Status::UnderReview { decided.reasons } else { Vec::new() };
    Ok(UploadVerdict {
        document: doc,
        lead: next,
        evidence,
        risk,
        policy_version: scored.policy_version,
        moves,
        selfie,
        raised,
    })
}

/// Automation moves the lead to `to`. A scoring is one version of the lead, whatever the
/// number of its moves: `transition` bumps the version per move, this keeps it.
pub(super) fn system_move(lead: &Lead, to: Status, at: DateTime<Utc>) -> Result<Lead, TransitionError> {
    let decision = Decision { to, reasons: vec![], note: None, is_final: false, origin: DecisionOrigin::System, at };
    Ok(Lead { version: lead.version, ..transition(lead, &decision)? })
}

/// The status moves of a decision, in order: a first upload starts the lead, then it
/// is approved, sent to review, or left waiting for its documents; a decided lead stays
/// decided, except that a critical finding sends even an approved lead back for a
/// re-review; a lead a person holds never moves.
pub fn policy_moves(lead: &Lead, decided: &Decided) -> Vec<Status> {
    // A person holds the lead: automation records, it does not move it.
    if lead.hold.is_some() {
        return Vec::new();
    }
    let critical = decided.decision == PolicyDecision::Review { alert: true };
    if lead.status == Status::Approved && critical {
        return vec![Status::UnderReview];
    }
    if lead.is_decided() {
        return Vec::new();
    }
    let mut moves = Vec::new();
    if lead.status == Status::NotStarted {
        moves.push(Status::InProgress);
    }
    let current = moves.last().copied().unwrap_or(lead.status);
    let target = match decided.decision {
        PolicyDecision::Approve => Status::Approved,
        PolicyDecision::Review { .. } => Status::UnderReview,
        // Waiting never takes a lead back out of review.
        PolicyDecision::AwaitDocuments => current,
    };
    if target != current {
        moves.push(target);
    }
    moves
}

/// The evidence behind the requirements: the documents while they are verified, and
/// the screening that has now run (a screening, once run, stays).
pub(super) fn screened_evidence(evidence: &Evidence, documents: &[Document]) -> Evidence {
    let mut evidence = evidence.clone();
    evidence.satisfied.retain(|r| !r.is_document());
    evidence.satisfied.extend(
        documents
            .iter()
            .filter(|d| d.status == DocumentStatus::Verified)
            .filter_map(|d| d.kind.satisfies(d.director_index)),
    );
    evidence.satisfied.insert(Requirement::Screening);
    evidence
}

/// Adds the compliance flags a risk and its screening hits call for (flags are never
/// removed: a compliance officer sees what was ever found).
pub(super) fn flag_risk(flags: &mut Vec<String>, screening: &[ScreeningHit], risk: &Risk) {
    for hit in screening {
        flag(
            flags,
            match hit.kind {
                HitKind::Sanctions => "sanctions_match",
                HitKind::Pep => "pep_match",
            },
        );
    }
    for code in risk::compliance_flags(risk) {
        flag(flags, &code);
    }
    if risk.level == RiskLevel::Critical {
        flag(flags, "critical_risk");
    }
}

fn flag(flags: &mut Vec<String>, code: &str) {
    if !flags.iter().any(|f| f == code) {
        flags.push(code.to_string());
    }
}

#[cfg(test)]
mod tests {
    use crate::documents::{CHECK_PDF_SAFETY, ContentType, DocumentKind, DocumentObject};
    use crate::ids::{DocumentId, LeadId};
    use crate::lead::input::LeadData;
    use crate::lead::Source;

    use super::*;

    fn lead(status: Status) -> Lead {
        let mut lead = LeadData::default().into_lead(LeadId::from_uuid(uuid::Uuid::now_v7()), Source::Api, Utc::now());
        lead.status = status;
        lead
    }

    fn pending_passport(lead: &Lead) -> Document {
        Document {
            id: DocumentId::from_uuid(uuid::Uuid::now_v7()),
            object: DocumentObject::Document,
            lead_id: lead.id.clone(),
            kind: DocumentKind::Passport,
            side: None,
            director_index: None,
            status: DocumentStatus::PendingUpload,
            content_type: ContentType::Png,
            file: None,
            data: None,
            checks: vec![],
            compliance_flags: vec![],
            review_note: None,
            created_at: Utc::now(),
            uploaded_at: None,
            verified_at: None,
        }
    }

    fn clean_file() -> FileFacts {
        FileFacts { checks: vec![Check::pass("file_type", "a PNG")], size: 2048, sha256: Some("ab".repeat(32)) }
    }

    fn judge(lead: &Lead, file: FileFacts, duplicate: bool, hits: &[ScreeningHit]) -> UploadVerdict {
        let facts = UploadFacts {
            lead,
            evidence: &Evidence::default(),
            document: pending_passport(lead),
            file,
            duplicate,
            others: vec![],
            leads_same_ip_last_hour: 0,
            leads_same_device_last_hour: 0,
            screening: hits,
            machine: MachineChecks::default(),
            selfie_face_match: None,
            identity_changed: false,
        };
        judge_upload(facts, &RiskPolicy::default(), CountryLists::shipped(), Utc::now()).expect("a legal scoring")
    }

    #[test]
    fn a_clean_file_verifies_its_document_and_adds_its_evidence_and_screening() {
        let lead = lead(Status::NotStarted);
        let verdict = judge(&lead, clean_file(), false, &[]);
        assert_eq!(verdict.document.status, DocumentStatus::Verified);
        assert!(verdict.document.verified_at.is_some());
        assert_eq!(verdict.document.file.as_ref().map(|f| f.size_bytes), Some(2048));
        assert!(verdict.evidence.satisfied.contains(&Requirement::Screening));
        assert!(verdict.failed_checks().is_empty());
    }

    fn complete_basic_lead() -> Lead {
        let mut lead = lead(Status::InProgress);
        lead.email = Some("ada@example.com".into());
        lead.individual = Some(crate::lead::Individual {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            date_of_birth: None,
            nationality: None,
            phone: None,
        });
        lead.address = Some(crate::lead::Address {
            line1: "1 High St".into(),
            line2: None,
            city: "York".into(),
            postal_code: None,
            state: None,
            country: "GB".into(),
        });
        lead
    }

    #[test]
    fn when_pdf_safety_warns_should_verify_the_document_but_send_the_lead_to_a_person() {
        // A basic lead with its data complete, at a low risk.
        let lead = complete_basic_lead();
        let mut file = clean_file();
        file.checks.push(Check::warn(CHECK_PDF_SAFETY, "the PDF has a stream that could not be decoded"));
        let verdict = judge(&lead, file.clone(), false, &[]);
        assert_eq!(verdict.document.status, DocumentStatus::Verified, "a warning alone does not reject");
        assert_eq!(verdict.risk.level, RiskLevel::Low);
        assert_eq!(verdict.moves, [(Status::InProgress, Status::UnderReview)]);

        // The same lead with a clean file is approved: the warning made the difference.
        let verdict = judge(&lead, clean_file(), false, &[]);
        assert_eq!(verdict.moves, [(Status::InProgress, Status::Approved)]);
    }

    #[test]
    fn when_another_check_only_warns_should_not_hold_the_lead() {
        let lead = complete_basic_lead();
        let mut file = clean_file();
        file.checks.push(Check::warn("editing_software", "PNG Software names GIMP"));
        assert_eq!(judge(&lead, file, false, &[]).moves, [(Status::InProgress, Status::Approved)]);
    }

    #[test]
    fn a_failed_check_rejects_the_document_and_names_the_check() {
        let lead = lead(Status::NotStarted);
        let mut file = clean_file();
        file.checks.push(Check::fail("magic_bytes", "not a PNG"));
        let verdict = judge(&lead, file, false, &[]);
        assert_eq!(verdict.document.status, DocumentStatus::Rejected);
        assert_eq!(verdict.failed_checks(), ["magic_bytes"]);
        assert!(verdict.document.verified_at.is_none());
    }

    #[test]
    fn the_same_file_twice_for_one_lead_rejects_the_second() {
        let lead = lead(Status::InProgress);
        let mut first = pending_passport(&lead);
        first.status = DocumentStatus::Verified;
        first.file = Some(FileInfo { content_type: ContentType::Png, size_bytes: 2048, sha256: "ab".repeat(32) });
        let facts = UploadFacts {
            lead: &lead,
            evidence: &Evidence::default(),
            document: Document { kind: DocumentKind::ProofOfAddress, ..pending_passport(&lead) },
            file: clean_file(),
            duplicate: false,
            others: vec![first],
            leads_same_ip_last_hour: 0,
            leads_same_device_last_hour: 0,
            screening: &[],
            machine: MachineChecks::default(),
            selfie_face_match: None,
            identity_changed: false,
        };
        let verdict = judge_upload(facts, &RiskPolicy::default(), CountryLists::shipped(), Utc::now()).expect("legal");
        assert_eq!(verdict.document.status, DocumentStatus::Rejected);
        assert_eq!(verdict.failed_checks(), ["same_file"]);
        assert!(verdict.lead.review_reasons.contains(&crate::lead::ReviewReason::DocumentRejected));
        assert_eq!(verdict.lead.status, Status::UnderReview);
    }

    #[test]
    fn a_failed_face_match_found_by_a_later_identity_document_rejects_the_selfie() {
        let mut lead = complete_basic_lead();
        lead.level = crate::lead::Level::Enhanced;
        let mut selfie = pending_passport(&lead);
        selfie.kind = DocumentKind::Selfie;
        selfie.status = DocumentStatus::Verified;
        selfie.file = Some(FileInfo { content_type: ContentType::Png, size_bytes: 9, sha256: "cd".repeat(32) });
        selfie.checks = vec![crate::verification::face_match_waiting()];
        let face_match = Check::fail("face_match", "similarity 42.0 % (match at 95 %)");
        let facts = UploadFacts {
            lead: &lead,
            evidence: &Evidence { satisfied: [Requirement::Selfie].into() },
            document: pending_passport(&lead),
            file: clean_file(),
            duplicate: false,
            others: vec![selfie.clone()],
            leads_same_ip_last_hour: 0,
            leads_same_device_last_hour: 0,
            screening: &[],
            machine: MachineChecks::default(),
            selfie_face_match: Some((selfie.id.clone(), face_match.clone())),
            identity_changed: false,
        };
        let verdict = judge_upload(facts, &RiskPolicy::default(), CountryLists::shipped(), Utc::now()).expect("legal");
        let updated = verdict.selfie.expect("the selfie changed");
        assert_eq!(updated.status, DocumentStatus::Rejected);
        assert_eq!(updated.checks, [face_match]);
        assert!(!verdict.evidence.satisfied.contains(&Requirement::Selfie), "a rejected selfie satisfies nothing");
        assert_eq!(verdict.lead.status, Status::UnderReview);
        assert!(verdict.lead.review_reasons.contains(&crate::lead::ReviewReason::FaceMatchLow));
    }

    #[test]
    fn a_file_held_by_another_lead_fails_and_flags_document_and_lead() {
        let lead = lead(Status::NotStarted);
        let verdict = judge(&lead, clean_file(), true, &[]);
        assert_eq!(verdict.document.status, DocumentStatus::Rejected);
        assert!(verdict.document.compliance_flags.contains(&"duplicate_document".to_string()));
        assert!(verdict.lead.compliance_flags.contains(&"duplicate_document".to_string()));
    }

    #[test]
    fn a_sanctions_hit_flags_the_lead_and_never_approves_it() {
        let lead = lead(Status::NotStarted);
        let hit = ScreeningHit {
            list_entry_id: "x-1".into(),
            kind: HitKind::Sanctions,
            score_percent: 100,
            matched_name_field: "name",
            birth_date_agrees: Some(true),
            dataset: "synthetic".into(),
        };
        let verdict = judge(&lead, clean_file(), false, &[hit]);
        assert!(verdict.lead.compliance_flags.contains(&"sanctions_match".to_string()));
        assert_ne!(verdict.lead.status, Status::Approved);
    }

    #[test]
    fn one_scoring_is_one_version_whatever_the_number_of_moves() {
        let lead = lead(Status::NotStarted);
        let verdict = judge(&lead, clean_file(), false, &[]);
        assert!(!verdict.moves.is_empty());
        assert_eq!(verdict.moves[0], (Status::NotStarted, Status::InProgress), "a first upload starts the lead");
        assert_eq!(verdict.lead.version, lead.version + 1);
    }

    fn decided(decision: PolicyDecision) -> Decided {
        Decided { decision, reasons: vec![] }
    }

    const APPROVE: PolicyDecision = PolicyDecision::Approve;
    const REVIEW: PolicyDecision = PolicyDecision::Review { alert: false };
    const ALERT: PolicyDecision = PolicyDecision::Review { alert: true };
    const AWAIT: PolicyDecision = PolicyDecision::AwaitDocuments;

    #[test]
    fn a_first_upload_starts_the_lead_then_the_policy_decides() {
        assert_eq!(
            policy_moves(&lead(Status::NotStarted), &decided(APPROVE)),
            [Status::InProgress, Status::Approved]
        );
        assert_eq!(policy_moves(&lead(Status::InProgress), &decided(REVIEW)), [Status::UnderReview]);
        assert!(policy_moves(&lead(Status::UnderReview), &decided(REVIEW)).is_empty(), "already in review");
    }

    #[test]
    fn a_lead_waiting_for_documents_is_started_but_not_sent_to_review() {
        assert_eq!(policy_moves(&lead(Status::NotStarted), &decided(AWAIT)), [Status::InProgress]);
        assert!(policy_moves(&lead(Status::InProgress), &decided(AWAIT)).is_empty());
        assert!(policy_moves(&lead(Status::UnderReview), &decided(AWAIT)).is_empty(), "never back out of review");
    }

    #[test]
    fn a_held_lead_is_never_moved_by_automation() {
        let mut held = lead(Status::UnderReview);
        held.hold = Some(crate::lead::Hold { actor: "key:ana".into(), at: Utc::now() });
        assert!(policy_moves(&held, &decided(APPROVE)).is_empty(), "not approved though all is well");
        assert!(policy_moves(&held, &decided(ALERT)).is_empty());
    }

    #[test]
    fn a_decided_lead_stays_decided_unless_an_approved_one_turns_critical() {
        assert!(policy_moves(&lead(Status::Approved), &decided(REVIEW)).is_empty());
        assert!(policy_moves(&lead(Status::Rejected), &decided(ALERT)).is_empty());
        assert_eq!(policy_moves(&lead(Status::Approved), &decided(ALERT)), [Status::UnderReview]);
    }
}
