//! What the verifier reads of a document, turned into checks by the pure rules of
//! `kyc_domain::verification`: an identity document's text (its MRZ, else its identity
//! fields), a proof of address's text, a selfie's faces and its comparison with the
//! lead's identity document. Each service answer that is a result (no face, a format
//! the service does not take) becomes a check; an outage is returned as an error and
//! never becomes a pass or a fail.
//!
//! The service's answers ([`Answers`]) are kept apart from the checks made of them, so
//! that a scoring retried because another writer changed the lead re-checks against
//! the lead as it now is without calling the service again.

use chrono::NaiveDate;

use kyc_domain::documents::{Check, CheckResult, Document, DocumentKind};
use kyc_domain::lead::{Lead, LeadType};
use kyc_domain::risk::MachineChecks;
use kyc_domain::verification::{
    self as rules, AddressSubject, CHECK_ADDRESS_PROOF, CHECK_FACE_MATCH, CHECK_FACE_QUALITY, CHECK_IDENTITY_READ,
    DocumentText, FaceMatchThreshold, Faces, IdentityRead, IdentityReading, MrzInText, Reading, VERIFIER_UNAVAILABLE,
    nationality_of, subject_of,
};

use crate::ports::{StoredFile, Verifier, VerifierOutage};

/// What the services answered about one document.
#[derive(Debug, Clone)]
pub enum Answers {
    Identity(IdentityReading),
    Text(Reading<DocumentText>),
    Faces(Reading<Faces>),
    /// A kind a person reads (source of funds, company documents).
    NotRead,
    /// The verifier stayed unavailable through every attempt.
    Unavailable,
}

/// The checks made of a document's answers, and what is kept of them.
#[derive(Debug, Clone, Default)]
pub struct MachineReading {
    pub checks: MachineChecks,
    /// Who an identity document names, kept with the document for later re-checks.
    pub identity: Option<IdentityRead>,
}

const NOT_MACHINE_READ: &str = "not machine-read";

/// Asks the verifier about one document: one call for most kinds, two for an
/// identity document without an MRZ.
pub async fn ask(
    verifier: &dyn Verifier,
    kind: DocumentKind,
    file: StoredFile<'_>,
    today: NaiveDate,
) -> Result<Answers, VerifierOutage> {
    Ok(match kind {
        k if k.is_identity() => Answers::Identity(read_identity(verifier, file, today).await?),
        DocumentKind::ProofOfAddress | DocumentKind::ProofOfBusinessAddress => {
            Answers::Text(verifier.detect_text(file).await?)
        }
        DocumentKind::Selfie => Answers::Faces(verifier.detect_faces(file).await?),
        _ => Answers::NotRead,
    })
}

/// The text first: its MRZ, where there is one, is read and checked to the digit;
/// a document without one is read for its identity fields instead.
async fn read_identity(
    verifier: &dyn Verifier,
    file: StoredFile<'_>,
    today: NaiveDate,
) -> Result<IdentityReading, VerifierOutage> {
    let text = match verifier.detect_text(file).await? {
        Reading::Read(text) => text,
        Reading::Refused { reason } => return Ok(IdentityReading::NotRead { reason }),
        Reading::NotOffered => return Ok(IdentityReading::NotRead { reason: NOT_MACHINE_READ.into() }),
    };
    match rules::find_mrz(&text, today) {
        MrzInText::Found(read) => return Ok(IdentityReading::Read(read)),
        MrzInText::Invalid(error) => {
            return Ok(IdentityReading::Unreadable { reason: format!("the machine-readable zone is invalid: {error}") });
        }
        MrzInText::Absent => {}
    }
    Ok(match verifier.analyze_id(file).await? {
        Reading::Read(fields) => match rules::from_identity_fields(&fields) {
            Some(read) => IdentityReading::Read(read),
            None => IdentityReading::Unreadable {
                reason: "no machine-readable zone and no identity fields could be read".into(),
            },
        },
        Reading::Refused { reason } => IdentityReading::NotRead { reason },
        Reading::NotOffered => IdentityReading::NotRead { reason: NOT_MACHINE_READ.into() },
    })
}

/// The checks of a document's answers against the lead as it is now. For a selfie,
/// `face_match` is the comparison with the identity document (`None`: none yet).
pub fn checks_of(answers: &Answers, lead: &Lead, doc: &Document, face_match: Option<Check>, today: NaiveDate) -> MachineReading {
    let mut reading = MachineReading::default();
    match answers {
        Answers::Identity(identity) => {
            reading.checks.checks = rules::identity_checks(
                identity,
                subject_of(lead, doc),
                nationality_of(lead, doc),
                doc.data.as_ref(),
                today,
            );
            if let IdentityReading::Read(read) = identity {
                reading.identity = Some(read.clone());
            }
        }
        Answers::Text(text) => reading.checks.checks = vec![rules::address_proof(text, address_subject(lead), today)],
        Answers::Faces(faces) => {
            let quality = rules::face_quality(faces);
            let face_match = if quality.result == CheckResult::Fail {
                // A selfie without one clear face has nothing to compare.
                Check::fail(CHECK_FACE_MATCH, "no single face in the selfie to compare")
            } else {
                face_match.unwrap_or_else(rules::face_match_waiting)
            };
            reading.checks.checks = vec![quality, face_match];
        }
        Answers::NotRead => {}
        Answers::Unavailable => return unavailable(doc.kind),
    }
    reading
}

/// Whether a selfie with these answers is worth comparing (one clear face or so).
pub fn comparable(answers: &Answers) -> bool {
    match answers {
        Answers::Faces(faces) => rules::face_quality(faces).result != CheckResult::Fail,
        _ => false,
    }
}

/// The selfie's `face_match`: the identity document's portrait against the selfie.
pub async fn compare(
    verifier: &dyn Verifier,
    identity_document: StoredFile<'_>,
    selfie: StoredFile<'_>,
    threshold: FaceMatchThreshold,
) -> Result<Check, VerifierOutage> {
    Ok(rules::face_match(&verifier.compare_faces(identity_document, selfie).await?, threshold))
}

/// The checks a document of this kind gets from the verifier, each `warn` "verifier
/// unavailable": what the last scoring attempt records when the service never answered.
fn unavailable(kind: DocumentKind) -> MachineReading {
    let names: &[&str] = match kind {
        k if k.is_identity() => &[CHECK_IDENTITY_READ],
        DocumentKind::ProofOfAddress | DocumentKind::ProofOfBusinessAddress => &[CHECK_ADDRESS_PROOF],
        DocumentKind::Selfie => &[CHECK_FACE_QUALITY, CHECK_FACE_MATCH],
        _ => &[],
    };
    MachineReading {
        checks: MachineChecks {
            checks: names.iter().map(|name| Check::warn(name, VERIFIER_UNAVAILABLE)).collect(),
            unavailable: !names.is_empty(),
        },
        identity: None,
    }
}

/// Whether a selfie's `face_match` still waits for an identity document.
pub fn waits_for_comparison(selfie: &Document) -> bool {
    let waiting = rules::face_match_waiting();
    selfie.checks.contains(&waiting)
}

fn address_subject(lead: &Lead) -> Option<AddressSubject<'_>> {
    let name = match lead.lead_type {
        LeadType::Individual => lead.individual.as_ref().map(|p| p.last_name.as_str()),
        LeadType::Business => lead.business.as_ref().map(|b| b.legal_name.as_str()),
    }?;
    let address = lead.address.as_ref()?;
    Some(AddressSubject { name, postal_code: address.postal_code.as_deref(), city: Some(address.city.as_str()) })
}
