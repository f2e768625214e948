//! Reading an identity document by machine and checking what was read:
//! `identity_read` (could a machine read who the document names?), `data_match` (does
//! that agree with the lead and with what the integrator declared?) and
//! `document_expiry` (from the date read). The read data is kept with the document so
//! that a change of the lead's identity can be re-checked without reading the file
//! again; it is personal data and never appears in a check's detail or a log.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::documents::mrz::{
    self, CHECK_DOCUMENT_EXPIRY, Mrz, MrzError, Subject, first_name_matches, surname_matches,
};
use crate::documents::{Check, Document, DocumentData, DocumentKind};
use crate::lead::{Lead, LeadType};
use crate::verification::{DocumentText, IdentityFields};

pub const CHECK_IDENTITY_READ: &str = "identity_read";
pub const CHECK_DATA_MATCH: &str = "data_match";

/// Where the read data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadSource {
    /// The machine-readable zone found in the document's text (every check digit right).
    Mrz,
    /// The fields of a document without an MRZ (Textract `AnalyzeID`).
    IdentityFields,
}

/// Who an identity document names, as a machine read it. Names are upper-case ASCII
/// with single spaces, as an MRZ writes them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRead {
    pub source: ReadSource,
    pub surname: String,
    pub given_names: String,
    /// An MRZ name field used to its last character may have been cut short.
    #[serde(default)]
    pub name_may_be_truncated: bool,
    #[serde(default)]
    pub date_of_birth: Option<NaiveDate>,
    /// ISO 3166-1 alpha-2, where the read code maps to one.
    #[serde(default)]
    pub nationality: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
    #[serde(default)]
    pub expiry_date: Option<NaiveDate>,
    /// ISO 3166-1 alpha-2, where the read code maps to one.
    #[serde(default)]
    pub issuing_country: Option<String>,
}

/// Personal data: the `Debug` form says only where it came from.
impl fmt::Debug for IdentityRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityRead").field("source", &self.source).finish_non_exhaustive()
    }
}

/// What came of trying to read an identity document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityReading {
    Read(IdentityRead),
    /// The document was read but shows no usable identity (an MRZ whose check digits
    /// are wrong, no MRZ and no identity fields): `identity_read` fails.
    Unreadable { reason: String },
    /// No machine reading took place (not offered, a file the service does not take,
    /// the service unavailable): `identity_read` warns with the reason.
    NotRead { reason: String },
}

/// What the document's text shows of an MRZ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MrzInText {
    Found(IdentityRead),
    /// Lines shaped like an MRZ that fail its rules (check digits, dates).
    Invalid(MrzError),
    Absent,
}

/// Looks for a TD3 (2×44) or TD1 (3×30) zone among the text lines. Reading software
/// may split a line at spaces or read `<<` as `«`; those are undone first.
pub fn find_mrz(text: &DocumentText, today: NaiveDate) -> MrzInText {
    let lines: Vec<String> = text
        .lines
        .iter()
        .map(|line| line.replace('«', "<<").chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .map(|line| line.to_ascii_uppercase())
        .collect();
    let shaped = |line: &str, width: usize| {
        line.len() == width && line.contains('<') && line.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'<')
    };
    let mut first_error = None;
    // TD3 (passports) first: a TD1 window never fits 44-character lines.
    for (width, count) in [(44, 2), (30, 3)] {
        for start in 0..lines.len() {
            let Some(window) = lines.get(start..start + count) else { break };
            if !window.iter().all(|l| shaped(l, width)) {
                continue;
            }
            match mrz::parse_with_today(window, today) {
                Ok(parsed) => return MrzInText::Found(from_mrz(&parsed, mrz::name_field_full(window))),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
    }
    first_error.map_or(MrzInText::Absent, MrzInText::Invalid)
}

fn from_mrz(zone: &Mrz, name_full: bool) -> IdentityRead {
    IdentityRead {
        source: ReadSource::Mrz,
        surname: zone.surname.clone(),
        given_names: zone.given_names.clone(),
        name_may_be_truncated: name_full,
        date_of_birth: zone.birth_date,
        nationality: icao_to_iso(&zone.nationality),
        document_number: Some(zone.document_number.clone()).filter(|n| !n.is_empty()),
        expiry_date: zone.expiry_date,
        issuing_country: icao_to_iso(&zone.issuing_state),
    }
}

/// The fields of a document without an MRZ; `None` without at least a last name.
pub fn from_identity_fields(fields: &IdentityFields) -> Option<IdentityRead> {
    let field = |name: &str| fields.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let surname = mrz_style(field("LAST_NAME")?);
    if surname.is_empty() {
        return None;
    }
    let given_names = [field("FIRST_NAME"), field("MIDDLE_NAME")].into_iter().flatten().map(mrz_style).collect::<Vec<_>>();
    Some(IdentityRead {
        source: ReadSource::IdentityFields,
        surname,
        given_names: given_names.join(" "),
        name_may_be_truncated: false,
        date_of_birth: field("DATE_OF_BIRTH").and_then(parse_field_date),
        nationality: None,
        document_number: field("DOCUMENT_NUMBER").map(str::to_string),
        expiry_date: field("EXPIRATION_DATE").and_then(parse_field_date),
        issuing_country: None,
    })
}

/// Upper-case ASCII letters and digits with single spaces: how an MRZ writes a name.
fn mrz_style(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_ascii_uppercase();
    ascii
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|part| !part.is_empty())
        .map(|part| part.replace('\'', ""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `AnalyzeID` gives dates normalised as `YYYY-MM-DDT00:00:00`; the text as printed
/// (`MM/DD/YYYY` on US licences) when it could not.
fn parse_field_date(value: &str) -> Option<NaiveDate> {
    let day = value.split('T').next().unwrap_or(value);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().or_else(|| NaiveDate::parse_from_str(value, "%m/%d/%Y").ok())
}

/// ICAO 9303 state codes are ISO 3166-1 alpha-3, except Germany's `D` and the British
/// nationality variants (`GBD`, `GBN`, `GBO`, `GBP`, `GBS`). Codes with no country
/// (`UNO`, `XXA`, `XXB`, …) map to nothing and are not compared.
pub fn icao_to_iso(code: &str) -> Option<String> {
    let code = code.trim_end_matches('<');
    match code {
        "D" => return Some("DE".into()),
        "GBD" | "GBN" | "GBO" | "GBP" | "GBS" => return Some("GB".into()),
        _ => {}
    }
    isocountry::CountryCode::for_alpha3(code).ok().map(|c| c.alpha2().to_string())
}

/// The person an identity document should name: the individual, or the director the
/// document is for.
pub fn subject_of<'a>(lead: &'a Lead, doc: &Document) -> Option<Subject<'a>> {
    match (lead.lead_type, doc.kind) {
        (LeadType::Business, DocumentKind::DirectorId) => {
            let director = lead.business.as_ref()?.directors.get(doc.director_index? as usize)?;
            Some(Subject {
                first_name: &director.first_name,
                last_name: &director.last_name,
                date_of_birth: director.date_of_birth,
            })
        }
        (LeadType::Individual, _) => {
            let person = lead.individual.as_ref()?;
            Some(Subject {
                first_name: &person.first_name,
                last_name: &person.last_name,
                date_of_birth: person.date_of_birth,
            })
        }
        _ => None,
    }
}

/// That person's nationality (ISO alpha-2), where the lead gives it.
pub fn nationality_of<'a>(lead: &'a Lead, doc: &Document) -> Option<&'a str> {
    match (lead.lead_type, doc.kind) {
        (LeadType::Business, DocumentKind::DirectorId) => {
            lead.business.as_ref()?.directors.get(doc.director_index? as usize)?.nationality.as_deref()
        }
        (LeadType::Individual, _) => lead.individual.as_ref()?.nationality.as_deref(),
        _ => None,
    }
}

/// The checks of an identity document's machine reading: `identity_read` always,
/// `data_match` and `document_expiry` when something was read. `nationality` is the
/// lead's (ISO alpha-2); `declared` what the integrator said is on the document.
pub fn identity_checks(
    reading: &IdentityReading,
    subject: Option<Subject<'_>>,
    nationality: Option<&str>,
    declared: Option<&DocumentData>,
    today: NaiveDate,
) -> Vec<Check> {
    let read = match reading {
        IdentityReading::Unreadable { reason } => return vec![Check::fail(CHECK_IDENTITY_READ, reason.clone())],
        IdentityReading::NotRead { reason } => return vec![Check::warn(CHECK_IDENTITY_READ, reason.clone())],
        IdentityReading::Read(read) => read,
    };
    let how = match read.source {
        ReadSource::Mrz => "read from the machine-readable zone; every check digit is valid",
        ReadSource::IdentityFields => "read from the document's identity fields (no machine-readable zone)",
    };
    let expiry = match read.expiry_date {
        Some(expiry) if expiry < today => Check::fail(CHECK_DOCUMENT_EXPIRY, format!("the document read expired on {expiry}")),
        Some(expiry) => Check::pass(CHECK_DOCUMENT_EXPIRY, format!("the document read is valid until {expiry}")),
        None => Check::warn(CHECK_DOCUMENT_EXPIRY, "no expiry date could be read"),
    };
    vec![Check::pass(CHECK_IDENTITY_READ, how), data_match(read, subject, nationality, declared), expiry]
}

/// What was read against the lead and the declared data. Names are compared without
/// case, accents or punctuation; a mismatch in anything compared fails.
pub fn data_match(
    read: &IdentityRead,
    subject: Option<Subject<'_>>,
    nationality: Option<&str>,
    declared: Option<&DocumentData>,
) -> Check {
    let mut compared: Vec<&str> = Vec::new();
    let mut differ: Vec<&str> = Vec::new();
    let mut compare = |what: &'static str, same: bool| {
        compared.push(what);
        if !same {
            differ.push(what);
        }
    };
    if let Some(subject) = subject {
        if !subject.last_name.trim().is_empty() {
            compare("surname", surname_matches(subject.last_name, &read.surname, read.name_may_be_truncated));
        }
        if !subject.first_name.trim().is_empty() {
            compare(
                "first given name",
                first_name_matches(subject.first_name, &read.given_names, read.name_may_be_truncated),
            );
        }
        if let (Some(theirs), Some(on_document)) = (subject.date_of_birth, read.date_of_birth) {
            compare("birth date", same_birth_date(theirs, on_document, read.source));
        }
    }
    if let (Some(theirs), Some(on_document)) = (nationality, read.nationality.as_deref()) {
        compare("nationality", theirs.eq_ignore_ascii_case(on_document));
    }
    if let Some(declared) = declared {
        if let (Some(theirs), Some(on_document)) = (declared.document_number.as_deref(), read.document_number.as_deref())
        {
            compare("document number", alphanumeric(theirs) == alphanumeric(on_document));
        }
        if let (Some(theirs), Some(on_document)) = (declared.expiry_date, read.expiry_date) {
            compare("expiry date", theirs == on_document);
        }
        if let (Some(theirs), Some(on_document)) = (declared.issuing_country.as_deref(), read.issuing_country.as_deref())
        {
            compare("issuing country", theirs.eq_ignore_ascii_case(on_document));
        }
    }
    if !differ.is_empty() {
        Check::fail(CHECK_DATA_MATCH, format!("the document read differs from the lead on: {}", differ.join(", ")))
    } else if compared.is_empty() {
        Check::warn(CHECK_DATA_MATCH, "the lead has no identity data to compare the document read with")
    } else {
        Check::pass(CHECK_DATA_MATCH, format!("the document read agrees on {}", compared.join(", ")))
    }
}

/// An MRZ writes two-digit years: compared within the century there.
fn same_birth_date(theirs: NaiveDate, on_document: NaiveDate, source: ReadSource) -> bool {
    use chrono::Datelike;
    match source {
        ReadSource::Mrz => {
            theirs.year().rem_euclid(100) == on_document.year().rem_euclid(100)
                && (theirs.month(), theirs.day()) == (on_document.month(), on_document.day())
        }
        ReadSource::IdentityFields => theirs == on_document,
    }
}

fn alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// The ICAO 9303 specimen passport (Anna Maria Eriksson, Utopia), with the
    /// nationality and issuer set to Sweden so that the codes map.
    fn specimen_lines() -> Vec<String> {
        let line1 = "P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<".to_string();
        let body = "L898902C36SWE7408122F1204159ZE184226B<<<<<1";
        let composite = mrz::check_digit(&format!("{}{}{}", &body[0..10], &body[13..20], &body[21..43]))
            .map_or('0', |d| char::from(b'0' + d));
        vec![line1, format!("{body}{composite}")]
    }

    #[test]
    fn an_mrz_among_other_text_is_found_and_read() {
        let mut lines = vec!["PASSPORT".to_string(), "Surname / Nom".to_string()];
        lines.extend(specimen_lines());
        let found = find_mrz(&DocumentText { lines }, day(2010, 1, 1));
        let MrzInText::Found(read) = found else { panic!("an MRZ was there: {found:?}") };
        assert_eq!(read.source, ReadSource::Mrz);
        assert_eq!(read.surname, "ERIKSSON");
        assert_eq!(read.given_names, "ANNA MARIA");
        assert_eq!(read.nationality.as_deref(), Some("SE"));
        assert_eq!(read.issuing_country.as_deref(), Some("SE"));
        assert_eq!(read.date_of_birth, Some(day(1974, 8, 12)));
        assert_eq!(read.expiry_date, Some(day(2012, 4, 15)));
    }

    #[test]
    fn an_mrz_split_at_spaces_or_read_with_guillemets_is_still_found() {
        let lines: Vec<String> =
            specimen_lines().iter().map(|l| l.replacen("<<", "« ", 1).replace("L898902C3", "L898 902C3")).collect();
        assert!(matches!(find_mrz(&DocumentText { lines }, day(2010, 1, 1)), MrzInText::Found(_)));
    }

    #[test]
    fn a_zone_whose_check_digit_is_wrong_is_invalid_not_absent() {
        let mut lines = specimen_lines();
        lines[1] = lines[1].replacen("7408122", "7408123", 1);
        assert!(matches!(find_mrz(&DocumentText { lines }, day(2010, 1, 1)), MrzInText::Invalid(_)));
        let text = DocumentText { lines: vec!["ELECTRICITY BILL".into(), "Total due 42.00".into()] };
        assert_eq!(find_mrz(&text, day(2010, 1, 1)), MrzInText::Absent);
    }

    #[test]
    fn icao_codes_map_to_iso_with_germany_and_the_british_variants() {
        assert_eq!(icao_to_iso("D").as_deref(), Some("DE"));
        assert_eq!(icao_to_iso("D<<").as_deref(), Some("DE"));
        assert_eq!(icao_to_iso("GBD").as_deref(), Some("GB"));
        assert_eq!(icao_to_iso("FRA").as_deref(), Some("FR"));
        assert_eq!(icao_to_iso("UTO"), None, "the specimen's Utopia is no country");
        assert_eq!(icao_to_iso("XXA"), None, "stateless");
    }

    fn read() -> IdentityRead {
        IdentityRead {
            source: ReadSource::Mrz,
            surname: "MUELLER".into(),
            given_names: "JOSE MARIA".into(),
            name_may_be_truncated: false,
            date_of_birth: Some(day(1974, 8, 12)),
            nationality: Some("DE".into()),
            document_number: Some("C01X00T47".into()),
            expiry_date: Some(day(2031, 1, 1)),
            issuing_country: Some("DE".into()),
        }
    }

    fn subject<'a>(first: &'a str, last: &'a str, born: Option<NaiveDate>) -> Subject<'a> {
        Subject { first_name: first, last_name: last, date_of_birth: born }
    }

    #[test]
    fn names_match_without_case_accents_or_punctuation() {
        let check = data_match(&read(), Some(subject("José-María", "Müller", Some(day(1974, 8, 12)))), Some("de"), None);
        assert_eq!(check.result, crate::documents::CheckResult::Pass, "{check:?}");
        assert!(check.detail.contains("surname") && check.detail.contains("nationality"));
    }

    #[test]
    fn a_document_naming_someone_else_fails_without_echoing_the_names() {
        let check = data_match(&read(), Some(subject("Ada", "Lovelace", None)), None, None);
        assert_eq!(check.result, crate::documents::CheckResult::Fail);
        assert_eq!(check.detail, "the document read differs from the lead on: surname, first given name");
        assert!(!check.detail.to_uppercase().contains("MUELLER"));
    }

    #[test]
    fn a_different_nationality_birth_date_or_declared_number_fails() {
        let lead = subject("Jose", "Mueller", Some(day(1975, 8, 12)));
        let declared = DocumentData { document_number: Some("X1".into()), ..DocumentData::default() };
        let check = data_match(&read(), Some(lead), Some("AT"), Some(&declared));
        assert_eq!(check.detail, "the document read differs from the lead on: birth date, nationality, document number");
    }

    #[test]
    fn nothing_to_compare_is_a_warning_not_a_pass() {
        assert_eq!(data_match(&read(), None, None, None).result, crate::documents::CheckResult::Warn);
    }

    #[test]
    fn the_expiry_read_decides_document_expiry() {
        let mut expired = read();
        expired.expiry_date = Some(day(2020, 1, 1));
        let checks = identity_checks(&IdentityReading::Read(expired), None, None, None, day(2026, 11, 30));
        let expiry = checks.iter().find(|c| c.name == CHECK_DOCUMENT_EXPIRY).map(|c| c.result);
        assert_eq!(expiry, Some(crate::documents::CheckResult::Fail));
    }

    #[test]
    fn a_document_not_read_warns_and_an_unreadable_one_fails() {
        let not_read = identity_checks(
            &IdentityReading::NotRead { reason: "not machine-read".into() },
            None,
            None,
            None,
            day(2026, 1, 1),
        );
        assert_eq!(not_read, [Check::warn(CHECK_IDENTITY_READ, "not machine-read")]);
        let unreadable = identity_checks(
            &IdentityReading::Unreadable { reason: "no identity could be read".into() },
            None,
            None,
            None,
            day(2026, 1, 1),
        );
        assert_eq!(unreadable[0].result, crate::documents::CheckResult::Fail);
    }

    #[test]
    fn identity_fields_without_an_mrz_are_read_with_their_normalised_dates() {
        let mut fields = IdentityFields::default();
        for (k, v) in [
            ("FIRST_NAME", "Jane"),
            ("LAST_NAME", "O'Connor-Smith"),
            ("DATE_OF_BIRTH", "1990-02-03T00:00:00"),
            ("EXPIRATION_DATE", "07/01/2030"),
            ("DOCUMENT_NUMBER", "D1234567"),
        ] {
            fields.fields.insert(k.into(), v.into());
        }
        let read = from_identity_fields(&fields).expect("a last name was read");
        assert_eq!(read.surname, "OCONNOR SMITH");
        assert_eq!(read.date_of_birth, Some(day(1990, 2, 3)));
        assert_eq!(read.expiry_date, Some(day(2030, 7, 1)));
        assert!(from_identity_fields(&IdentityFields::default()).is_none());
    }
}
