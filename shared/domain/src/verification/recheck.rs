//! A change of a lead's identity re-checks its identity documents without reading
//! them again: `data_match` from the data a machine read and kept, and the declared
//! MRZ's agreement with the lead (`mrz_consistency`, `minimum_age`) where the
//! integrator gave one. A check that turns to `fail` rejects its document.

use chrono::NaiveDate;

use crate::documents::mrz::{self, CHECK_MINIMUM_AGE, CHECK_MRZ_CONSISTENCY};
use crate::documents::{Check, Document, DocumentStatus};
use crate::lead::{Lead, LeadType};
use crate::verification::{CHECK_DATA_MATCH, IdentityRead, data_match, nationality_of, subject_of};

/// Whether a change from `before` to `after` touches who the lead names: names, dates
/// of birth, nationality, legal name, directors.
pub fn identity_changed(before: &Lead, after: &Lead) -> bool {
    match after.lead_type {
        LeadType::Individual => {
            let who = |l: &Lead| {
                l.individual
                    .as_ref()
                    .map(|p| (p.first_name.clone(), p.last_name.clone(), p.date_of_birth, p.nationality.clone()))
            };
            who(before) != who(after)
        }
        LeadType::Business => {
            let who = |l: &Lead| l.business.as_ref().map(|b| (b.legal_name.clone(), b.directors.clone()));
            who(before) != who(after)
        }
    }
}

/// Whether a document is one a change of identity re-checks: an identity document
/// whose file was verified (a rejected document stays rejected).
pub fn is_rechecked(doc: &Document) -> bool {
    doc.kind.is_identity() && doc.status == DocumentStatus::Verified && doc.file.is_some()
}

/// The document re-checked against the lead as it now is, when a check changed:
/// `data_match` from `read` (what a machine read, kept with the document), and the
/// declared data's lead-dependent checks. `None` when nothing changed.
pub fn recheck_identity(
    lead: &Lead,
    doc: &Document,
    read: Option<&IdentityRead>,
    today: NaiveDate,
) -> Option<Document> {
    if !is_rechecked(doc) {
        return None;
    }
    let mut checks = doc.checks.clone();
    let mut replace = |name: &str, fresh: Option<Check>| {
        let at = checks.iter().position(|c| c.name == name);
        match (at, fresh) {
            (Some(i), Some(check)) => checks[i] = check,
            (None, Some(check)) => checks.push(check),
            (Some(i), None) => {
                checks.remove(i);
            }
            (None, None) => {}
        }
    };
    if let Some(read) = read {
        let check = data_match(read, subject_of(lead, doc), nationality_of(lead, doc), doc.data.as_ref());
        replace(CHECK_DATA_MATCH, Some(check));
    }
    if let Some(data) = &doc.data {
        let declared = mrz::check_data(doc.kind, data, subject_of(lead, doc), today);
        for name in [CHECK_MRZ_CONSISTENCY, CHECK_MINIMUM_AGE] {
            replace(name, declared.iter().find(|c| c.name == name).cloned());
        }
    }
    if checks == doc.checks {
        return None;
    }
    let mut next = doc.clone();
    next.status = Document::verdict(&checks);
    next.checks = checks;
    if next.status != DocumentStatus::Verified {
        next.verified_at = None;
    }
    Some(next)
}
