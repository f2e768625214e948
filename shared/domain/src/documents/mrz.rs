//! ICAO 9303 machine-readable zones (TD1 ID cards, TD3 passports), and the checks of
//! an identity document's stated data: expiry, MRZ validity, agreement of the MRZ
//! with the lead and the submitted data, and the lead's minimum age.
//!
//! No check's `detail` carries a name, a document number or a birth date: details are
//! shown to reviewers but also end up in logs.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

use crate::documents::{Check, DocumentData, DocumentKind};

pub const CHECK_DOCUMENT_EXPIRY: &str = "document_expiry";
pub const CHECK_MRZ: &str = "mrz";
pub const CHECK_MRZ_CONSISTENCY: &str = "mrz_consistency";
pub const CHECK_MINIMUM_AGE: &str = "minimum_age";

/// The age from which a lead may be verified.
pub const MINIMUM_AGE_YEARS: i32 = 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzFormat {
    /// ID cards: 3 lines of 30.
    Td1,
    /// Passports: 2 lines of 44.
    Td3,
}

impl fmt::Display for MrzFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MrzFormat::Td1 => "TD1",
            MrzFormat::Td3 => "TD3",
        })
    }
}

/// A parsed MRZ. Holds personal data: never log it (its `Debug` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrz {
    pub format: MrzFormat,
    /// `P`, `PD`, `I`, `ID`, `AC`, … (fillers removed).
    pub document_code: String,
    /// ICAO code, usually ISO 3166-1 alpha-3 (`D` for Germany), fillers removed.
    pub issuing_state: String,
    /// With fillers turned into spaces: `VAN DER BERG`.
    pub surname: String,
    /// Space-separated: `ANNA MARIA`.
    pub given_names: String,
    /// Fillers removed; for TD1, including the overflow into the optional data.
    pub document_number: String,
    pub nationality: String,
    /// `None` when the MRZ marks the date unknown (`<` or `00` parts).
    pub birth_date: Option<NaiveDate>,
    /// `M`, `F`, `X` or `<` (unspecified).
    pub sex: char,
    pub expiry_date: Option<NaiveDate>,
}

/// A field protected by a check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzField {
    DocumentNumber,
    BirthDate,
    ExpiryDate,
    /// TD3 only: the personal number (optional data) on line 2.
    PersonalNumber,
    /// The check digit over all the others.
    Composite,
}

impl fmt::Display for MrzField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MrzField::DocumentNumber => "document number",
            MrzField::BirthDate => "birth date",
            MrzField::ExpiryDate => "expiry date",
            MrzField::PersonalNumber => "personal number",
            MrzField::Composite => "whole zone (composite)",
        })
    }
}

/// Why an MRZ is unreadable. Messages name positions and fields, never their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MrzError {
    #[error("an MRZ has 2 lines (passport, TD3) or 3 lines (ID card, TD1), found {found}")]
    LineCount { found: usize },
    #[error("line {line} has {found} characters, a {format} MRZ needs {expected}")]
    LineLength { line: usize, found: usize, expected: usize, format: MrzFormat },
    #[error("2 lines of 36 characters is a TD2 MRZ, which is not supported")]
    Td2Unsupported,
    #[error("line {line}, position {position}: only A-Z, 0-9 and '<' are allowed")]
    BadCharacter { line: usize, position: usize },
    #[error("check digit of the {0} is wrong")]
    CheckDigit(MrzField),
    #[error("the {0} is not a valid date")]
    InvalidDate(MrzField),
    #[error("sex must be M, F, X or '<'")]
    InvalidSex,
}

/// The ICAO 9303 check digit: weights 7, 3, 1; `0`-`9` count as such, `A`=10 … `Z`=35,
/// `<`=0. `None` for any other character.
pub fn check_digit(field: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0;
    for (i, c) in field.chars().enumerate() {
        let value = match c {
            '0'..='9' | 'A'..='Z' => c.to_digit(36)?,
            '<' => 0,
            _ => return None,
        };
        sum = (sum + value * WEIGHTS[i % 3]) % 10;
    }
    u8::try_from(sum).ok()
}

/// Parses and validates a TD1 (3×30) or TD3 (2×44) MRZ, every check digit included.
///
/// Two-digit years need a reference date: a birth date is the latest one not after
/// `today`; an expiry date is 20YY unless that lies more than 50 years ahead of `today`
/// (an expiry in the last century), then 19YY. Surrounding whitespace on each line is
/// ignored; letters must be upper case.
pub fn parse_with_today<S: AsRef<str>>(lines: &[S], today: NaiveDate) -> Result<Mrz, MrzError> {
    let lines: Vec<&str> = lines.iter().map(|l| l.as_ref().trim()).collect();
    let (format, width) = match lines.len() {
        3 => (MrzFormat::Td1, 30),
        2 if lines.iter().all(|l| l.chars().count() == 36) => return Err(MrzError::Td2Unsupported),
        2 => (MrzFormat::Td3, 44),
        found => return Err(MrzError::LineCount { found }),
    };
    for (n, line) in lines.iter().enumerate() {
        let found = line.chars().count();
        if found != width {
            return Err(MrzError::LineLength { line: n + 1, found, expected: width, format });
        }
        if let Some(position) = line.chars().position(|c| !matches!(c, 'A'..='Z' | '0'..='9' | '<')) {
            return Err(MrzError::BadCharacter { line: n + 1, position: position + 1 });
        }
    }
    // Only ASCII from here on, so byte ranges are character ranges.
    match format {
        MrzFormat::Td1 => parse_td1(lines[0], lines[1], lines[2], today),
        MrzFormat::Td3 => parse_td3(lines[0], lines[1], today),
    }
}

fn parse_td3(l1: &str, l2: &str, today: NaiveDate) -> Result<Mrz, MrzError> {
    verify(&l2[0..9], l2.as_bytes()[9], MrzField::DocumentNumber)?;
    verify(&l2[13..19], l2.as_bytes()[19], MrzField::BirthDate)?;
    verify(&l2[21..27], l2.as_bytes()[27], MrzField::ExpiryDate)?;
    let personal = &l2[28..42];
    // An empty personal number may carry a filler as its check digit.
    if !(l2.as_bytes()[42] == b'<' && personal.bytes().all(|c| c == b'<')) {
        verify(personal, l2.as_bytes()[42], MrzField::PersonalNumber)?;
    }
    let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
    verify(&composite, l2.as_bytes()[43], MrzField::Composite)?;

    let (surname, given_names) = split_name(&l1[5..44]);
    Ok(Mrz {
        format: MrzFormat::Td3,
        document_code: unfill(&l1[0..2]),
        issuing_state: unfill(&l1[2..5]),
        surname,
        given_names,
        document_number: unfill(&l2[0..9]),
        nationality: unfill(&l2[10..13]),
        birth_date: birth_date(&l2[13..19], today)?,
        sex: sex(l2.as_bytes()[20])?,
        expiry_date: expiry_date(&l2[21..27], today)?,
    })
}

fn parse_td1(l1: &str, l2: &str, l3: &str, today: NaiveDate) -> Result<Mrz, MrzError> {
    let document_number = td1_document_number(l1)?;
    verify(&l2[0..6], l2.as_bytes()[6], MrzField::BirthDate)?;
    verify(&l2[8..14], l2.as_bytes()[14], MrzField::ExpiryDate)?;
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    verify(&composite, l2.as_bytes()[29], MrzField::Composite)?;

    let (surname, given_names) = split_name(l3);
    Ok(Mrz {
        format: MrzFormat::Td1,
        document_code: unfill(&l1[0..2]),
        issuing_state: unfill(&l1[2..5]),
        surname,
        given_names,
        document_number,
        nationality: unfill(&l2[15..18]),
        birth_date: birth_date(&l2[0..6], today)?,
        sex: sex(l2.as_bytes()[7])?,
        expiry_date: expiry_date(&l2[8..14], today)?,
    })
}

/// A TD1 number longer than 9 characters continues in the optional data: a filler
/// in place of the check digit, then the rest of the number, its check digit, a filler.
fn td1_document_number(l1: &str) -> Result<String, MrzError> {
    let head = &l1[5..14];
    if l1.as_bytes()[14] != b'<' {
        verify(head, l1.as_bytes()[14], MrzField::DocumentNumber)?;
        return Ok(unfill(head));
    }
    let optional = &l1[15..30];
    let overflow = &optional[..optional.find('<').unwrap_or(optional.len())];
    let Some((&digit, rest)) = overflow.as_bytes().split_last() else {
        return Err(MrzError::CheckDigit(MrzField::DocumentNumber));
    };
    let number = format!("{head}{}", &overflow[..rest.len()]);
    verify(&number, digit, MrzField::DocumentNumber)?;
    Ok(unfill(&number))
}

fn verify(field: &str, digit: u8, which: MrzField) -> Result<(), MrzError> {
    match check_digit(field) {
        Some(expected) if digit == b'0' + expected => Ok(()),
        _ => Err(MrzError::CheckDigit(which)),
    }
}

/// Fillers removed from both ends, inner fillers turned into spaces.
fn unfill(field: &str) -> String {
    field.trim_matches('<').replace('<', " ")
}

/// `SURNAME<<GIVEN<NAMES<<<` → ("SURNAME", "GIVEN NAMES").
fn split_name(field: &str) -> (String, String) {
    let field = field.trim_end_matches('<');
    let (surname, given) = field.split_once("<<").unwrap_or((field, ""));
    let given = given.split('<').filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
    (unfill(surname), given)
}

fn sex(c: u8) -> Result<char, MrzError> {
    match c {
        b'M' | b'F' | b'X' | b'<' => Ok(char::from(c)),
        _ => Err(MrzError::InvalidSex),
    }
}

/// `YYMMDD` → (YY, MM, DD), or `None` when a part is unknown (fillers or zeros).
fn date_parts(field: &str, which: MrzField) -> Result<Option<(i32, u32, u32)>, MrzError> {
    let part = |range: std::ops::Range<usize>| field.get(range).and_then(|p| p.parse::<u32>().ok());
    if field.contains('<') {
        return Ok(None);
    }
    let (Some(yy), Some(mm), Some(dd)) = (part(0..2), part(2..4), part(4..6)) else {
        return Err(MrzError::InvalidDate(which));
    };
    if mm == 0 || dd == 0 {
        return Ok(None);
    }
    if mm > 12 || dd > 31 {
        return Err(MrzError::InvalidDate(which));
    }
    let yy = i32::try_from(yy).map_err(|_| MrzError::InvalidDate(which))?;
    Ok(Some((yy, mm, dd)))
}

fn birth_date(field: &str, today: NaiveDate) -> Result<Option<NaiveDate>, MrzError> {
    let Some((yy, mm, dd)) = date_parts(field, MrzField::BirthDate)? else { return Ok(None) };
    let century = today.year() - today.year().rem_euclid(100);
    [century + yy, century - 100 + yy]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, mm, dd))
        .find(|date| *date <= today)
        .map(Some)
        .ok_or(MrzError::InvalidDate(MrzField::BirthDate))
}

fn expiry_date(field: &str, today: NaiveDate) -> Result<Option<NaiveDate>, MrzError> {
    // Documents are valid for years, not half a century.
    const HORIZON_YEARS: i32 = 50;
    let Some((yy, mm, dd)) = date_parts(field, MrzField::ExpiryDate)? else { return Ok(None) };
    let century = today.year() - today.year().rem_euclid(100);
    let mut year = century + yy;
    if year > today.year() + HORIZON_YEARS {
        year -= 100;
    } else if year < today.year() - HORIZON_YEARS {
        year += 100;
    }
    NaiveDate::from_ymd_opt(year, mm, dd).map(Some).ok_or(MrzError::InvalidDate(MrzField::ExpiryDate))
}

// ---------------------------------------------------------------------------------
// Document data checks

/// The lead an identity document should belong to.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub date_of_birth: Option<NaiveDate>,
}

/// Checks a document's stated data on `today`:
/// - `document_expiry` when an expiry date is given;
/// - `mrz` when MRZ lines are given (an empty list counts as none), and, when it is
///   valid, `mrz_consistency` (against `kind`, `subject` and `data`);
/// - `minimum_age` when a birth date is known (the subject's, else the MRZ's).
pub fn check_data(
    kind: DocumentKind,
    data: &DocumentData,
    subject: Option<Subject<'_>>,
    today: NaiveDate,
) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(expiry) = data.expiry_date {
        checks.push(if expiry < today {
            Check::fail(CHECK_DOCUMENT_EXPIRY, format!("expired on {expiry}"))
        } else {
            Check::pass(CHECK_DOCUMENT_EXPIRY, format!("valid until {expiry}"))
        });
    }

    let mut mrz_birth_date = None;
    if let Some(lines) = data.mrz.as_deref().filter(|lines| !lines.is_empty()) {
        match parse_with_today(lines, today) {
            Err(error) => checks.push(Check::fail(CHECK_MRZ, error.to_string())),
            Ok(mrz) => {
                checks.push(Check::pass(CHECK_MRZ, format!("{} MRZ, every check digit is valid", mrz.format)));
                checks.push(consistency(kind, &mrz, name_field_full(lines), data, subject, today));
                mrz_birth_date = mrz.birth_date;
            }
        }
    }

    let subject_birth_date = subject.and_then(|s| s.date_of_birth);
    if let Some(born) = subject_birth_date.or(mrz_birth_date) {
        let source = if subject_birth_date.is_some() { "" } else { " (birth date from the MRZ)" };
        checks.push(if born > today {
            Check::fail(CHECK_MINIMUM_AGE, format!("the birth date is after today{source}"))
        } else if age_on(born, today) < MINIMUM_AGE_YEARS {
            Check::fail(CHECK_MINIMUM_AGE, format!("the lead is under {MINIMUM_AGE_YEARS}{source}"))
        } else {
            Check::pass(CHECK_MINIMUM_AGE, format!("the lead is {MINIMUM_AGE_YEARS} or older{source}"))
        });
    }
    checks
}

/// Whole years; someone born on 29 February comes of age on 1 March in common years.
fn age_on(born: NaiveDate, today: NaiveDate) -> i32 {
    let before_birthday = (today.month(), today.day()) < (born.month(), born.day());
    today.year() - born.year() - i32::from(before_birthday)
}

/// Whether the name field is used to its last character, so names may be truncated.
pub(crate) fn name_field_full<S: AsRef<str>>(lines: &[S]) -> bool {
    let field = match lines.len() {
        3 => lines[2].as_ref().trim(),
        _ => lines[0].as_ref().trim(),
    };
    !field.ends_with('<')
}

fn consistency(
    kind: DocumentKind,
    mrz: &Mrz,
    name_full: bool,
    data: &DocumentData,
    subject: Option<Subject<'_>>,
    today: NaiveDate,
) -> Check {
    let mut failures: Vec<&str> = Vec::new();
    let mut warnings: Vec<&str> = Vec::new();
    let mut compared: Vec<&str> = Vec::new();

    if let Some(subject) = subject {
        if !subject.last_name.trim().is_empty() {
            compared.push("surname");
            if !surname_matches(subject.last_name, &mrz.surname, name_full) {
                failures.push("surname on the MRZ does not match the lead");
            }
        }
        if !subject.first_name.trim().is_empty() {
            compared.push("first given name");
            if !first_name_matches(subject.first_name, &mrz.given_names, name_full) {
                failures.push("first given name on the MRZ does not match the lead");
            }
        }
        if let (Some(theirs), Some(on_mrz)) = (subject.date_of_birth, mrz.birth_date) {
            compared.push("birth date");
            // The MRZ holds two-digit years: compare within the century.
            let same = theirs.year().rem_euclid(100) == on_mrz.year().rem_euclid(100)
                && theirs.month() == on_mrz.month()
                && theirs.day() == on_mrz.day();
            if !same {
                failures.push("birth date on the MRZ does not match the lead");
            }
        }
    }
    if let Some(number) = data.document_number.as_deref() {
        compared.push("document number");
        if alphanumeric(number) != alphanumeric(&mrz.document_number) {
            failures.push("document number on the MRZ does not match the one submitted");
        }
    }
    if let Some(expiry) = data.expiry_date {
        compared.push("expiry date");
        if mrz.expiry_date != Some(expiry) {
            failures.push("expiry date on the MRZ does not match the one submitted");
        }
    }
    if mrz.expiry_date.is_some_and(|expiry| expiry < today) {
        failures.push("the MRZ expiry date has passed");
    }
    if !is_state_code(&mrz.issuing_state) {
        warnings.push("issuing state on the MRZ is not a 3-letter code");
    }
    if !is_state_code(&mrz.nationality) {
        warnings.push("nationality on the MRZ is not a 3-letter code");
    }
    let passport_code = mrz.document_code.starts_with('P');
    match kind {
        DocumentKind::Passport if !passport_code => warnings.push("the MRZ is not a passport's (document code)"),
        DocumentKind::NationalId | DocumentKind::DriversLicense if passport_code => {
            warnings.push("the MRZ is a passport's (document code)");
        }
        _ => {}
    }

    if !failures.is_empty() {
        failures.extend(warnings);
        Check::fail(CHECK_MRZ_CONSISTENCY, failures.join("; "))
    } else if !warnings.is_empty() {
        Check::warn(CHECK_MRZ_CONSISTENCY, warnings.join("; "))
    } else if compared.is_empty() {
        Check::pass(CHECK_MRZ_CONSISTENCY, "MRZ not expired; nothing to compare it with")
    } else {
        Check::pass(CHECK_MRZ_CONSISTENCY, format!("MRZ not expired and agrees on {}", compared.join(", ")))
    }
}

/// ICAO codes are three letters, except Germany's `D`.
fn is_state_code(code: &str) -> bool {
    code == "D" || (code.len() == 3 && code.bytes().all(|c| c.is_ascii_uppercase()))
}

fn alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// The ways a name may have been written on the MRZ, upper-case ASCII, apostrophes
/// dropped (ICAO 9303-3 omits them): plain transliteration (Ü → U) and the German and
/// Nordic one ICAO also allows (Ü → UE, Å → AA, Ø → OE).
fn transliterations(name: &str) -> [String; 2] {
    let expanded: String = name
        .chars()
        .map(|c| match c {
            'ä' | 'Ä' | 'æ' | 'Æ' => "AE".to_string(),
            'ö' | 'Ö' | 'ø' | 'Ø' | 'œ' | 'Œ' => "OE".to_string(),
            'ü' | 'Ü' => "UE".to_string(),
            'å' | 'Å' => "AA".to_string(),
            'ß' => "SS".to_string(),
            'þ' | 'Þ' => "TH".to_string(),
            other => other.to_string(),
        })
        .collect();
    let ascii = |s: &str| -> String {
        deunicode::deunicode(s).chars().filter(|c| !matches!(c, '\'' | '`')).map(|c| c.to_ascii_uppercase()).collect()
    };
    [ascii(name), ascii(&expanded)]
}

fn letters(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphabetic).collect()
}

/// Compared on letters only: spaces, hyphens and fillers are all `<` on an MRZ.
pub(crate) fn surname_matches(theirs: &str, on_mrz: &str, name_full: bool) -> bool {
    let on_mrz = letters(on_mrz);
    transliterations(theirs)
        .iter()
        .map(|t| letters(t))
        .any(|theirs| theirs == on_mrz || (name_full && !on_mrz.is_empty() && theirs.starts_with(&on_mrz)))
}

/// The first given name on the MRZ against the lead's first name(s).
pub(crate) fn first_name_matches(theirs: &str, on_mrz: &str, name_full: bool) -> bool {
    let mrz_first = on_mrz.split(' ').next().unwrap_or_default();
    let mrz_all = letters(on_mrz);
    transliterations(theirs).iter().any(|t| {
        let first = t.split(|c: char| !c.is_ascii_alphabetic()).find(|part| !part.is_empty()).unwrap_or_default();
        let all = letters(t);
        first == mrz_first
            // "D'Arcy" written "D<ARCY" on the MRZ
            || (!all.is_empty() && all == mrz_all)
            || (name_full && !mrz_first.is_empty() && first.starts_with(mrz_first))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn check_digit_follows_the_icao_examples() {
        assert_eq!(check_digit("520727"), Some(3));
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("<<<<<<<<<<<<<<"), Some(0));
        assert_eq!(check_digit("ab"), None);
    }

    #[test]
    fn when_birth_year_would_be_in_the_future_should_take_the_last_century() {
        let today = day(2026, 6, 1);
        assert_eq!(birth_date("250101", today), Ok(Some(day(2025, 1, 1))));
        assert_eq!(birth_date("260602", today), Ok(Some(day(1926, 6, 2))));
        assert_eq!(birth_date("740812", today), Ok(Some(day(1974, 8, 12))));
    }

    #[test]
    fn when_expiry_year_is_far_ahead_should_take_the_last_century() {
        let today = day(2026, 6, 1);
        assert_eq!(expiry_date("120415", today), Ok(Some(day(2012, 4, 15))));
        assert_eq!(expiry_date("760101", today), Ok(Some(day(2076, 1, 1))));
        assert_eq!(expiry_date("980101", today), Ok(Some(day(1998, 1, 1))));
    }

    #[test]
    fn when_date_parts_are_fillers_or_zero_should_be_unknown() {
        let today = day(2026, 6, 1);
        assert_eq!(birth_date("74<<<<", today), Ok(None));
        assert_eq!(birth_date("740000", today), Ok(None));
        assert_eq!(birth_date("741301", today), Err(MrzError::InvalidDate(MrzField::BirthDate)));
        assert_eq!(birth_date("010229", today), Err(MrzError::InvalidDate(MrzField::BirthDate)));
    }

    #[test]
    fn when_born_on_29_february_should_come_of_age_on_1_march() {
        let born = day(2008, 2, 29);
        assert_eq!(age_on(born, day(2026, 2, 28)), 17);
        assert_eq!(age_on(born, day(2026, 3, 1)), 18);
    }

    #[test]
    fn when_names_use_umlauts_either_transliteration_should_match() {
        assert!(surname_matches("Müller", "MUELLER", false));
        assert!(surname_matches("Müller", "MULLER", false));
        assert!(surname_matches("O'Neil", "ONEIL", false));
        assert!(surname_matches("van der Berg", "VAN DER BERG", false));
        assert!(surname_matches("Smith-Jones", "SMITH JONES", false));
        assert!(!surname_matches("Miller", "MUELLER", false));
    }

    #[test]
    fn when_mrz_name_is_truncated_should_match_on_its_prefix_only() {
        assert!(surname_matches("Wolfeschlegelsteinhausenbergerdorff", "WOLFESCHLEGELSTEINHAUSENBERGERDOR", true));
        assert!(!surname_matches("Wolfeschlegelsteinhausenbergerdorff", "WOLFESCHLEGELSTEINHAUSENBERGERDOR", false));
    }

    #[test]
    fn first_given_name_is_compared_on_its_own() {
        assert!(first_name_matches("Anna Maria", "ANNA MARIA", false));
        assert!(first_name_matches("Anna", "ANNA MARIA", false));
        assert!(first_name_matches("Jean-Pierre", "JEAN PIERRE", false));
        assert!(first_name_matches("D'Arcy", "D ARCY", false));
        assert!(first_name_matches("José", "JOSE", false));
        assert!(!first_name_matches("Maria", "ANNA MARIA", false));
    }
}
