//! MRZ parsing and document data checks, on the public ICAO 9303 specimens (built here
//! from their fields with `check_digit`) and on corruptions of them, one digit at a time.

use chrono::NaiveDate;
use kyc_domain::documents::mrz::{
    CHECK_DOCUMENT_EXPIRY, CHECK_MINIMUM_AGE, CHECK_MRZ, CHECK_MRZ_CONSISTENCY, Mrz, MrzError, MrzField, MrzFormat,
    Subject, check_data, check_digit, parse_with_today,
};
use kyc_domain::documents::{Check, CheckResult, DocumentData, DocumentKind};

// ---------------------------------------------------------------------------------
// Builders

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn pad(field: &str, width: usize) -> String {
    format!("{field:<<width$}")
}

fn digit(field: &str) -> char {
    char::from(b'0' + check_digit(field).unwrap_or(0))
}

/// A passport MRZ (TD3) built from its fields.
#[derive(Clone)]
struct Td3 {
    code: &'static str,
    state: &'static str,
    surname: &'static str,
    given: &'static str,
    number: &'static str,
    nationality: &'static str,
    birth: &'static str,
    sex: char,
    expiry: &'static str,
    personal: &'static str,
}

impl Td3 {
    /// ICAO 9303-4 specimen: Anna Maria Eriksson of Utopia.
    fn specimen() -> Self {
        Td3 {
            code: "P",
            state: "UTO",
            surname: "ERIKSSON",
            given: "ANNA<MARIA",
            number: "L898902C3",
            nationality: "UTO",
            birth: "740812",
            sex: 'F',
            expiry: "120415",
            personal: "ZE184226B",
        }
    }

    /// The specimen with an expiry that lies ahead of `TODAY`.
    fn current() -> Self {
        Td3 { expiry: "320415", ..Td3::specimen() }
    }

    fn lines(&self) -> Vec<String> {
        let line1 = pad(
            &format!("{}{}{}", pad(self.code, 2), self.state, pad(&format!("{}<<{}", self.surname, self.given), 39)),
            44,
        );
        let number = pad(self.number, 9);
        let personal = pad(self.personal, 14);
        let mut line2 = format!(
            "{number}{}{}{}{}{}{}{}{personal}{}",
            digit(&number),
            self.nationality,
            self.birth,
            digit(self.birth),
            self.sex,
            self.expiry,
            digit(self.expiry),
            digit(&personal),
        );
        let composite = format!("{}{}{}", &line2[0..10], &line2[13..20], &line2[21..43]);
        line2.push(digit(&composite));
        vec![line1, line2]
    }
}

/// An ID card MRZ (TD1) built from its fields.
#[derive(Clone)]
struct Td1 {
    code: &'static str,
    state: &'static str,
    number: &'static str,
    birth: &'static str,
    sex: char,
    expiry: &'static str,
    nationality: &'static str,
    surname: &'static str,
    given: &'static str,
}

impl Td1 {
    /// ICAO 9303-5 specimen.
    fn specimen() -> Self {
        Td1 {
            code: "I",
            state: "UTO",
            number: "D23145890",
            birth: "740812",
            sex: 'F',
            expiry: "120415",
            nationality: "UTO",
            surname: "ERIKSSON",
            given: "ANNA<MARIA",
        }
    }

    fn current() -> Self {
        Td1 { expiry: "320415", ..Td1::specimen() }
    }

    fn lines(&self) -> Vec<String> {
        let head = format!("{}{}", pad(self.code, 2), self.state);
        // Numbers longer than 9 overflow into the optional data (ICAO 9303-5, 4.2.4).
        let line1 = if self.number.len() > 9 {
            let (first, rest) = self.number.split_at(9);
            pad(&format!("{head}{first}<{rest}{}", digit(self.number)), 30)
        } else {
            let number = pad(self.number, 9);
            pad(&format!("{head}{number}{}", digit(&number)), 30)
        };
        let mut line2 = format!(
            "{}{}{}{}{}{}",
            self.birth,
            digit(self.birth),
            self.sex,
            self.expiry,
            digit(self.expiry),
            pad(self.nationality, 14)
        );
        let composite = format!("{}{}{}{}", &line1[5..30], &line2[0..7], &line2[8..15], &line2[18..29]);
        line2.push(digit(&composite));
        let line3 = pad(&format!("{}<<{}", self.surname, self.given), 30);
        vec![line1, line2, line3]
    }
}

/// Replaces the character at (line, index) by the next digit (or `0` for a letter).
fn corrupt(mut lines: Vec<String>, line: usize, index: usize) -> Vec<String> {
    let old = lines[line].as_bytes()[index];
    let new = if old.is_ascii_digit() { b'0' + (old - b'0' + 1) % 10 } else { b'0' };
    lines[line].replace_range(index..=index, &char::from(new).to_string());
    lines
}

const SPECIMEN_TODAY: (i32, u32, u32) = (2010, 6, 1);

fn specimen_today() -> NaiveDate {
    day(SPECIMEN_TODAY.0, SPECIMEN_TODAY.1, SPECIMEN_TODAY.2)
}

fn today() -> NaiveDate {
    day(2026, 6, 1)
}

fn anna() -> Subject<'static> {
    Subject { first_name: "Anna Maria", last_name: "Eriksson", date_of_birth: Some(day(1974, 8, 12)) }
}

fn passport_data(lines: Vec<String>) -> DocumentData {
    DocumentData {
        document_number: Some("L898902C3".into()),
        issuing_country: Some("DE".into()),
        expiry_date: Some(day(2032, 4, 15)),
        mrz: Some(lines),
    }
}

fn check<'a>(checks: &'a [Check], name: &str) -> Option<&'a Check> {
    checks.iter().find(|c| c.name == name)
}

fn result(checks: &[Check], name: &str) -> Option<CheckResult> {
    check(checks, name).map(|c| c.result)
}

fn detail(checks: &[Check], name: &str) -> String {
    check(checks, name).map(|c| c.detail.clone()).unwrap_or_default()
}

/// No detail may carry the person's name, document number or birth date.
fn assert_no_personal_data(checks: &[Check]) {
    for check in checks {
        for secret in
            ["ERIKSSON", "Eriksson", "ANNA", "Anna", "MARIA", "L898902C3", "D23145890", "740812", "1974", "08-12"]
        {
            assert!(!check.detail.contains(secret), "{} leaks {secret}: {}", check.name, check.detail);
        }
    }
}

// ---------------------------------------------------------------------------------
// check_digit

#[test]
fn check_digit_uses_weights_7_3_1_and_letter_values() {
    assert_eq!(check_digit("L898902C3"), Some(6));
    assert_eq!(check_digit("D23145890"), Some(7));
    assert_eq!(check_digit("740812"), Some(2));
    assert_eq!(check_digit("120415"), Some(9));
    assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
    assert_eq!(check_digit(""), Some(0));
    assert_eq!(check_digit("A"), Some(0)); // 10 × 7 = 70
    assert_eq!(check_digit("Z"), Some(5)); // 35 × 7 = 245
}

#[test]
fn when_a_field_holds_a_character_outside_the_mrz_set_check_digit_should_be_none() {
    assert_eq!(check_digit("l898902c3"), None);
    assert_eq!(check_digit("AB-12"), None);
    assert_eq!(check_digit("É"), None);
}

// ---------------------------------------------------------------------------------
// Specimens

#[test]
fn when_td3_specimen_is_read_should_yield_its_fields() {
    let lines = Td3::specimen().lines();
    assert_eq!(lines[0].len(), 44);
    assert!(lines[0].starts_with("P<UTOERIKSSON<<ANNA<MARIA<<<"));
    // The published specimen's check digits: 6, 2, 9, 1 and the composite 0.
    assert!(lines[1].ends_with("10"));
    assert_eq!(&lines[1][9..10], "6");
    let mrz = parse_with_today(&lines, specimen_today());
    assert_eq!(
        mrz,
        Ok(Mrz {
            format: MrzFormat::Td3,
            document_code: "P".into(),
            issuing_state: "UTO".into(),
            surname: "ERIKSSON".into(),
            given_names: "ANNA MARIA".into(),
            document_number: "L898902C3".into(),
            nationality: "UTO".into(),
            birth_date: Some(day(1974, 8, 12)),
            sex: 'F',
            expiry_date: Some(day(2012, 4, 15)),
        })
    );
}

#[test]
fn when_td1_specimen_is_read_should_yield_its_fields() {
    let lines = Td1::specimen().lines();
    assert!(lines[0].starts_with("I<UTOD231458907<<<"));
    assert!(lines[1].starts_with("7408122F1204159UTO"));
    assert!(lines[1].ends_with('6'));
    let mrz = parse_with_today(&lines, specimen_today());
    assert_eq!(
        mrz,
        Ok(Mrz {
            format: MrzFormat::Td1,
            document_code: "I".into(),
            issuing_state: "UTO".into(),
            surname: "ERIKSSON".into(),
            given_names: "ANNA MARIA".into(),
            document_number: "D23145890".into(),
            nationality: "UTO".into(),
            birth_date: Some(day(1974, 8, 12)),
            sex: 'F',
            expiry_date: Some(day(2012, 4, 15)),
        })
    );
}

#[test]
fn when_td1_document_number_is_longer_than_nine_should_read_it_from_the_optional_data() {
    let lines = Td1 { number: "D23145890123", ..Td1::current() }.lines();
    assert_eq!(&lines[0][14..15], "<");
    let mrz = parse_with_today(&lines, today());
    assert_eq!(mrz.map(|m| m.document_number), Ok("D23145890123".to_string()));
}

#[test]
fn when_lines_carry_surrounding_whitespace_should_ignore_it() {
    let lines: Vec<String> = Td3::current().lines().into_iter().map(|l| format!("  {l}\r\n")).collect();
    assert!(parse_with_today(&lines, today()).is_ok());
}

#[test]
fn when_personal_number_is_empty_its_check_digit_may_be_a_filler() {
    let mut lines = Td3 { personal: "", ..Td3::current() }.lines();
    assert_eq!(&lines[1][42..43], "0");
    lines[1].replace_range(42..43, "<");
    // The composite covers the replaced digit, so recompute it.
    let composite = format!("{}{}{}", &lines[1][0..10], &lines[1][13..20], &lines[1][21..43]);
    lines[1].replace_range(43..44, &digit(&composite).to_string());
    assert!(parse_with_today(&lines, today()).is_ok());
}

#[test]
fn when_birth_date_is_unknown_should_parse_without_it() {
    let mrz = parse_with_today(&Td3 { birth: "74<<<<", ..Td3::current() }.lines(), today());
    assert_eq!(mrz.map(|m| m.birth_date), Ok(None));
}

#[test]
fn when_german_document_uses_the_one_letter_state_code_should_accept_it() {
    let lines = Td1 { state: "D<<", nationality: "D", ..Td1::current() }.lines();
    let mrz = parse_with_today(&lines, today());
    assert_eq!(mrz.as_ref().map(|m| m.issuing_state.as_str()), Ok("D"));
    let data = DocumentData { mrz: Some(lines), ..DocumentData::default() };
    let checks = check_data(DocumentKind::NationalId, &data, None, today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Pass), "{checks:?}");
}

// ---------------------------------------------------------------------------------
// One wrong check digit at a time

#[test]
fn when_td3_check_digit_is_wrong_should_name_the_field() {
    let cases = [
        (9, MrzField::DocumentNumber),
        (19, MrzField::BirthDate),
        (27, MrzField::ExpiryDate),
        (42, MrzField::PersonalNumber),
        (43, MrzField::Composite),
    ];
    for (index, field) in cases {
        let lines = corrupt(Td3::current().lines(), 1, index);
        assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(field)), "position {index}");
    }
}

#[test]
fn when_td3_data_digit_is_altered_should_name_the_field_it_belongs_to() {
    let cases = [
        (3, MrzField::DocumentNumber),
        (15, MrzField::BirthDate),
        (24, MrzField::ExpiryDate),
        (30, MrzField::PersonalNumber),
    ];
    for (index, field) in cases {
        let lines = corrupt(Td3::current().lines(), 1, index);
        assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(field)), "position {index}");
    }
}

#[test]
fn when_td3_nationality_or_sex_is_altered_no_check_digit_should_notice() {
    // ICAO 9303 leaves both outside every check digit, the composite included.
    let mut lines = Td3::current().lines();
    lines[1].replace_range(10..13, "UTA");
    lines[1].replace_range(20..21, "M");
    assert!(parse_with_today(&lines, today()).is_ok());
}

#[test]
fn when_a_check_digit_is_a_letter_should_name_its_field() {
    let mut lines = Td3::current().lines();
    lines[1].replace_range(43..44, "X");
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(MrzField::Composite)));
}

#[test]
fn when_td1_check_digit_is_wrong_should_name_the_field() {
    let cases = [
        ((0, 14), MrzField::DocumentNumber),
        ((0, 7), MrzField::DocumentNumber),
        ((1, 6), MrzField::BirthDate),
        ((1, 2), MrzField::BirthDate),
        ((1, 14), MrzField::ExpiryDate),
        ((1, 10), MrzField::ExpiryDate),
        ((1, 29), MrzField::Composite),
    ];
    for ((line, index), field) in cases {
        let lines = corrupt(Td1::current().lines(), line, index);
        assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(field)), "line {line}, {index}");
    }
}

#[test]
fn when_td1_optional_data_is_altered_should_fail_the_composite() {
    let mut lines = Td1::current().lines();
    lines[1].replace_range(20..21, "7");
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(MrzField::Composite)));
}

#[test]
fn when_td1_long_document_number_is_altered_should_name_it() {
    let lines = Td1 { number: "D23145890123", ..Td1::current() }.lines();
    let lines = corrupt(lines, 0, 16);
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::CheckDigit(MrzField::DocumentNumber)));
}

#[test]
fn when_mrz_birth_date_check_digit_is_wrong_should_fail_naming_it() {
    let data = passport_data(corrupt(Td3::current().lines(), 1, 19));
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    assert_eq!(result(&checks, CHECK_MRZ), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_MRZ), "check digit of the birth date is wrong");
    assert_eq!(check(&checks, CHECK_MRZ_CONSISTENCY), None);
}

#[test]
fn when_mrz_composite_check_digit_is_wrong_should_fail_naming_it() {
    let data = passport_data(corrupt(Td3::current().lines(), 1, 43));
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    assert_eq!(detail(&checks, CHECK_MRZ), "check digit of the whole zone (composite) is wrong");
}

// ---------------------------------------------------------------------------------
// Malformed zones

#[test]
fn when_mrz_has_a_wrong_number_of_lines_should_say_so() {
    let one = vec![Td3::current().lines()[0].clone()];
    assert_eq!(parse_with_today(&one, today()), Err(MrzError::LineCount { found: 1 }));
    let none: Vec<String> = Vec::new();
    assert_eq!(parse_with_today(&none, today()), Err(MrzError::LineCount { found: 0 }));
    let mut four = Td1::current().lines();
    four.push("<".repeat(30));
    assert_eq!(parse_with_today(&four, today()), Err(MrzError::LineCount { found: 4 }));
}

#[test]
fn when_a_line_has_the_wrong_length_should_name_the_line() {
    let mut lines = Td3::current().lines();
    lines[1].pop();
    assert_eq!(
        parse_with_today(&lines, today()),
        Err(MrzError::LineLength { line: 2, found: 43, expected: 44, format: MrzFormat::Td3 })
    );
    let message = MrzError::LineLength { line: 2, found: 43, expected: 44, format: MrzFormat::Td3 }.to_string();
    assert_eq!(message, "line 2 has 43 characters, a TD3 MRZ needs 44");
}

#[test]
fn when_mrz_is_td2_should_say_it_is_not_supported() {
    let lines =
        vec!["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<".to_string(), "D231458907UTO7408122F1204159<<<<<<<6".to_string()];
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::Td2Unsupported));
}

#[test]
fn when_mrz_holds_lower_case_or_other_characters_should_give_the_position() {
    let mut lines = Td3::current().lines();
    lines[0].replace_range(5..6, "e");
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::BadCharacter { line: 1, position: 6 }));
    let mut lines = Td1::current().lines();
    lines[2].replace_range(0..1, "É");
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::BadCharacter { line: 3, position: 1 }));
}

#[test]
fn when_a_date_is_impossible_but_its_check_digit_right_should_fail_naming_it() {
    let lines = Td3 { birth: "741312", ..Td3::current() }.lines();
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::InvalidDate(MrzField::BirthDate)));
    let lines = Td3 { expiry: "310231", ..Td3::current() }.lines();
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::InvalidDate(MrzField::ExpiryDate)));
}

#[test]
fn when_sex_is_not_m_f_x_or_filler_should_fail() {
    let lines = Td3 { sex: 'Q', ..Td3::current() }.lines();
    assert_eq!(parse_with_today(&lines, today()), Err(MrzError::InvalidSex));
    for sex in ['M', 'X', '<'] {
        assert!(parse_with_today(&Td3 { sex, ..Td3::current() }.lines(), today()).is_ok());
    }
}

// ---------------------------------------------------------------------------------
// Two-digit years

#[test]
fn when_birth_year_would_be_after_today_should_be_last_century() {
    let mrz = parse_with_today(&Td3 { birth: "270101", ..Td3::current() }.lines(), today());
    assert_eq!(mrz.map(|m| m.birth_date), Ok(Some(day(1927, 1, 1))));
    let mrz = parse_with_today(&Td3 { birth: "080101", ..Td3::current() }.lines(), today());
    assert_eq!(mrz.map(|m| m.birth_date), Ok(Some(day(2008, 1, 1))));
}

#[test]
fn expiry_years_are_this_century_unless_implausibly_far_ahead() {
    let mrz = parse_with_today(&Td3 { expiry: "350101", ..Td3::current() }.lines(), today());
    assert_eq!(mrz.map(|m| m.expiry_date), Ok(Some(day(2035, 1, 1))));
    let mrz = parse_with_today(&Td3 { expiry: "990101", ..Td3::current() }.lines(), today());
    assert_eq!(mrz.map(|m| m.expiry_date), Ok(Some(day(1999, 1, 1))));
}

// ---------------------------------------------------------------------------------
// document_expiry

#[test]
fn when_document_expired_should_fail_with_the_date() {
    let data = DocumentData { expiry_date: Some(day(2026, 5, 31)), ..DocumentData::default() };
    let checks = check_data(DocumentKind::Passport, &data, None, today());
    assert_eq!(result(&checks, CHECK_DOCUMENT_EXPIRY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_DOCUMENT_EXPIRY), "expired on 2026-05-31");
}

#[test]
fn when_document_expires_today_should_still_pass() {
    let data = DocumentData { expiry_date: Some(today()), ..DocumentData::default() };
    let checks = check_data(DocumentKind::Passport, &data, None, today());
    assert_eq!(result(&checks, CHECK_DOCUMENT_EXPIRY), Some(CheckResult::Pass));
}

#[test]
fn when_no_data_is_given_should_return_no_checks() {
    let checks = check_data(DocumentKind::ProofOfAddress, &DocumentData::default(), None, today());
    assert!(checks.is_empty());
    let data = DocumentData { mrz: Some(Vec::new()), ..DocumentData::default() };
    assert!(check_data(DocumentKind::Passport, &data, None, today()).is_empty());
}

// ---------------------------------------------------------------------------------
// mrz and mrz_consistency

#[test]
fn when_passport_mrz_matches_the_lead_and_data_should_pass_all() {
    let data = passport_data(Td3::current().lines());
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [CHECK_DOCUMENT_EXPIRY, CHECK_MRZ, CHECK_MRZ_CONSISTENCY, CHECK_MINIMUM_AGE]);
    assert!(checks.iter().all(|c| c.result == CheckResult::Pass), "{checks:?}");
    assert_eq!(detail(&checks, CHECK_MRZ), "TD3 MRZ, every check digit is valid");
    assert_eq!(
        detail(&checks, CHECK_MRZ_CONSISTENCY),
        "MRZ not expired and agrees on surname, first given name, birth date, document number, expiry date"
    );
    assert_no_personal_data(&checks);
}

#[test]
fn when_id_card_mrz_matches_the_lead_should_pass() {
    let data = DocumentData {
        document_number: Some("d2314-5890".into()),
        mrz: Some(Td1::current().lines()),
        ..DocumentData::default()
    };
    let checks = check_data(DocumentKind::NationalId, &data, Some(anna()), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Pass), "{checks:?}");
    assert_eq!(detail(&checks, CHECK_MRZ), "TD1 MRZ, every check digit is valid");
}

#[test]
fn when_mrz_surname_differs_from_the_lead_should_fail_without_naming_anyone() {
    let data = passport_data(Td3 { surname: "ERIKSEN", ..Td3::current() }.lines());
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "surname on the MRZ does not match the lead");
    assert_no_personal_data(&checks);
}

#[test]
fn when_mrz_first_given_name_differs_should_fail_naming_the_field() {
    let lead = Subject { first_name: "Maria", ..anna() };
    let checks = check_data(DocumentKind::Passport, &passport_data(Td3::current().lines()), Some(lead), today());
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "first given name on the MRZ does not match the lead");
}

#[test]
fn when_lead_names_carry_accents_hyphens_or_apostrophes_should_still_match() {
    let lines = Td3 { surname: "OCONNOR<MUELLER", given: "JOSE<LUIS", ..Td3::current() }.lines();
    let lead = Subject { first_name: "José-Luis", last_name: "O'Connor Müller", date_of_birth: None };
    let checks = check_data(DocumentKind::Passport, &passport_data(lines), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Pass), "{checks:?}");
    let lead = Subject { first_name: "  ÁNNA ", last_name: "eriksson", date_of_birth: None };
    let checks = check_data(DocumentKind::Passport, &passport_data(Td3::current().lines()), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Pass), "{checks:?}");
}

#[test]
fn when_mrz_birth_date_differs_from_the_lead_should_fail() {
    let lead = Subject { date_of_birth: Some(day(1974, 8, 13)), ..anna() };
    let checks = check_data(DocumentKind::Passport, &passport_data(Td3::current().lines()), Some(lead), today());
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "birth date on the MRZ does not match the lead");
    assert_no_personal_data(&checks);
}

#[test]
fn when_lead_was_born_a_century_before_the_mrz_guess_should_still_match() {
    // "250301" reads as 2025 on a 2026 clock; the lead's 1925 is the same MRZ date.
    let lines = Td3 { birth: "250301", ..Td3::current() }.lines();
    let lead = Subject { date_of_birth: Some(day(1925, 3, 1)), ..anna() };
    let checks = check_data(DocumentKind::Passport, &passport_data(lines), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Pass), "{checks:?}");
    assert_eq!(result(&checks, CHECK_MINIMUM_AGE), Some(CheckResult::Pass));
}

#[test]
fn when_mrz_document_number_differs_from_the_submitted_one_should_fail() {
    let data = DocumentData { document_number: Some("L898902C4".into()), ..passport_data(Td3::current().lines()) };
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "document number on the MRZ does not match the one submitted");
    assert_no_personal_data(&checks);
}

#[test]
fn when_mrz_expiry_differs_from_the_submitted_one_should_fail() {
    let data = DocumentData { expiry_date: Some(day(2032, 4, 16)), ..passport_data(Td3::current().lines()) };
    let checks = check_data(DocumentKind::Passport, &data, Some(anna()), today());
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "expiry date on the MRZ does not match the one submitted");
}

#[test]
fn when_mrz_expiry_has_passed_should_fail_even_if_none_was_submitted() {
    let data = DocumentData { mrz: Some(Td3::specimen().lines()), ..DocumentData::default() };
    let checks = check_data(DocumentKind::Passport, &data, None, today());
    assert_eq!(result(&checks, CHECK_MRZ), Some(CheckResult::Pass));
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "the MRZ expiry date has passed");
}

#[test]
fn when_several_fields_disagree_should_name_each() {
    let data = DocumentData { document_number: Some("X1".into()), ..passport_data(Td3::current().lines()) };
    let lead = Subject { first_name: "Eva", last_name: "Berg", date_of_birth: Some(day(1980, 1, 1)) };
    let detail = detail(&check_data(DocumentKind::Passport, &data, Some(lead), today()), CHECK_MRZ_CONSISTENCY);
    for field in ["surname", "first given name", "birth date", "document number"] {
        assert!(detail.contains(field), "{field}: {detail}");
    }
}

#[test]
fn when_state_codes_are_not_three_letters_should_warn() {
    let lines = Td3 { state: "UT<", nationality: "U<<", ..Td3::current() }.lines();
    let checks = check_data(DocumentKind::Passport, &passport_data(lines), Some(anna()), today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Warn));
    assert_eq!(
        detail(&checks, CHECK_MRZ_CONSISTENCY),
        "issuing state on the MRZ is not a 3-letter code; nationality on the MRZ is not a 3-letter code"
    );
}

#[test]
fn when_document_kind_and_mrz_document_code_disagree_should_warn() {
    let data = DocumentData { mrz: Some(Td1::current().lines()), ..DocumentData::default() };
    let checks = check_data(DocumentKind::Passport, &data, None, today());
    assert_eq!(detail(&checks, CHECK_MRZ_CONSISTENCY), "the MRZ is not a passport's (document code)");
    let data = DocumentData { mrz: Some(Td3::current().lines()), ..DocumentData::default() };
    let checks = check_data(DocumentKind::NationalId, &data, None, today());
    assert_eq!(result(&checks, CHECK_MRZ_CONSISTENCY), Some(CheckResult::Warn));
}

// ---------------------------------------------------------------------------------
// minimum_age

#[test]
fn when_lead_is_17_should_fail_minimum_age() {
    let lead = Subject { date_of_birth: Some(day(2008, 6, 2)), ..anna() };
    let checks = check_data(DocumentKind::Passport, &DocumentData::default(), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MINIMUM_AGE), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_MINIMUM_AGE), "the lead is under 18");
}

#[test]
fn when_lead_turns_18_today_should_pass_minimum_age() {
    let lead = Subject { date_of_birth: Some(day(2008, 6, 1)), ..anna() };
    let checks = check_data(DocumentKind::Passport, &DocumentData::default(), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MINIMUM_AGE), Some(CheckResult::Pass));
}

#[test]
fn when_lead_has_no_birth_date_should_take_the_mrz_one() {
    let lines = Td3 { birth: "100101", ..Td3::current() }.lines();
    let lead = Subject { date_of_birth: None, ..anna() };
    let checks = check_data(DocumentKind::Passport, &passport_data(lines), Some(lead), today());
    assert_eq!(result(&checks, CHECK_MINIMUM_AGE), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_MINIMUM_AGE), "the lead is under 18 (birth date from the MRZ)");
}

#[test]
fn when_lead_birth_date_is_known_it_should_win_over_the_mrz() {
    let lines = Td3 { birth: "100101", ..Td3::current() }.lines();
    let checks = check_data(DocumentKind::Passport, &passport_data(lines), Some(anna()), today());
    assert_eq!(result(&checks, CHECK_MINIMUM_AGE), Some(CheckResult::Pass));
}

#[test]
fn when_no_birth_date_is_known_should_skip_minimum_age() {
    let lead = Subject { date_of_birth: None, ..anna() };
    let data = passport_data(Td3 { birth: "74<<<<", ..Td3::current() }.lines());
    let checks = check_data(DocumentKind::Passport, &data, Some(lead), today());
    assert_eq!(check(&checks, CHECK_MINIMUM_AGE), None);
    // Nor is a broken MRZ's birth date used.
    let data = passport_data(corrupt(Td3::current().lines(), 1, 19));
    assert_eq!(check(&check_data(DocumentKind::Passport, &data, Some(lead), today()), CHECK_MINIMUM_AGE), None);
}

#[test]
fn when_birth_date_is_after_today_should_fail_minimum_age() {
    let lead = Subject { date_of_birth: Some(day(2030, 1, 1)), ..anna() };
    let checks = check_data(DocumentKind::Passport, &DocumentData::default(), Some(lead), today());
    assert_eq!(detail(&checks, CHECK_MINIMUM_AGE), "the birth date is after today");
}
