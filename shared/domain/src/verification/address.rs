//! `address_proof`: does a proof of address name the lead, at the lead's address, and
//! is it recent? The text is the document's first page as a machine read it.

use chrono::{Datelike, Days, NaiveDate};

use crate::documents::Check;
use crate::verification::{DocumentText, Reading};

pub const CHECK_ADDRESS_PROOF: &str = "address_proof";

/// A proof of address older than this does not prove a current address.
pub const MAX_AGE_DAYS: u64 = 90;

/// Whom and where the proof should name.
#[derive(Debug, Clone, Copy)]
pub struct AddressSubject<'a> {
    /// The lead's last name, or a business's legal name.
    pub name: &'a str,
    pub postal_code: Option<&'a str>,
    pub city: Option<&'a str>,
}

/// `pass` when the text names the lead (last or legal name), its postal code or city,
/// and carries a date within the last 90 days; otherwise `warn` with what was not
/// found, so that a person looks (a bill in a partner's name may still be right).
pub fn address_proof(reading: &Reading<DocumentText>, subject: Option<AddressSubject<'_>>, today: NaiveDate) -> Check {
    let text = match reading {
        Reading::NotOffered => return Check::warn(CHECK_ADDRESS_PROOF, "not machine-checked"),
        Reading::Refused { reason } => return Check::warn(CHECK_ADDRESS_PROOF, reason.clone()),
        Reading::Read(text) => text,
    };
    if text.lines.iter().all(|l| l.trim().is_empty()) {
        return Check::warn(CHECK_ADDRESS_PROOF, "no text could be read on the document");
    }
    let Some(subject) = subject else {
        return Check::warn(CHECK_ADDRESS_PROOF, "the lead has no name and address to look for");
    };
    let words = normalised_words(&text.lines.join("\n"));
    let mut missing = Vec::new();
    if !contains_phrase(&words, &normalised_words(subject.name)) {
        missing.push("the lead's name");
    }
    let postal = subject.postal_code.map(compact).filter(|p| p.len() >= 3);
    let at_postal = postal.is_some_and(|p| compact(&words.join(" ")).contains(&p));
    let at_city = subject.city.is_some_and(|c| contains_phrase(&words, &normalised_words(c)));
    if !at_postal && !at_city {
        missing.push("the lead's postal code or city");
    }
    let oldest = today.checked_sub_days(Days::new(MAX_AGE_DAYS)).unwrap_or(today);
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let dates = dates_in(&text.lines);
    if !dates.iter().any(|d| (oldest..=tomorrow).contains(d)) {
        missing.push(if dates.is_empty() { "a date" } else { "a date within the last 90 days" });
    }
    if missing.is_empty() {
        Check::pass(CHECK_ADDRESS_PROOF, "names the lead at its address, dated within the last 90 days")
    } else {
        Check::warn(CHECK_ADDRESS_PROOF, format!("not found on the document: {}", missing.join(", ")))
    }
}

/// Upper-case ASCII words: case, accents and punctuation do not matter.
fn normalised_words(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

fn compact(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

const MONTHS: [(&str, u32); 26] = [
    ("JAN", 1),
    ("FEB", 2),
    ("MAR", 3),
    ("APR", 4),
    ("MAY", 5),
    ("JUN", 6),
    ("JUL", 7),
    ("AUG", 8),
    ("SEP", 9),
    ("OCT", 10),
    ("NOV", 11),
    ("DEC", 12),
    // German, French and Spanish spellings that differ in their first three letters.
    ("MAE", 3),
    ("MRZ", 3),
    ("MAI", 5),
    ("OKT", 10),
    ("DEZ", 12),
    ("JANV", 1),
    ("FEV", 2),
    ("AVR", 4),
    ("JUI", 7),
    ("AOU", 8),
    ("ENE", 1),
    ("ABR", 4),
    ("AGO", 8),
    ("DIC", 12),
];

fn month_named(word: &str) -> Option<u32> {
    if word.len() < 3 || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // Longest prefix first: "JANV" before "JAN", "JUIL" (July) before "JUI" (June in
    // French is "JUIN", read as June below).
    if word.starts_with("JUIN") {
        return Some(6);
    }
    MONTHS.iter().filter(|(prefix, _)| word.starts_with(prefix)).max_by_key(|(p, _)| p.len()).map(|(_, m)| *m)
}

fn year_of(word: &str) -> Option<i32> {
    (word.len() == 4).then(|| word.parse().ok()).flatten().filter(|y| (1900..=2200).contains(y))
}

fn day_of(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic()); // 1st, 2nd, 3rd
    (1..=2).contains(&digits.len()).then(|| digits.parse().ok()).flatten().filter(|d| (1..=31).contains(d))
}

/// Every date the text shows, in the common ways bills print them: `2026-11-01`,
/// `01.11.2026`, `01/11/2026` (taken both day-first and month-first, as the text does
/// not say which), `1 November 2026`, `November 1, 2026`, `1. Nov. 2026`.
pub fn dates_in(lines: &[String]) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    for line in lines {
        let upper = deunicode::deunicode(line).to_ascii_uppercase();
        let tokens: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect();
        for window in tokens.windows(3) {
            let [a, b, c] = [window[0], window[1], window[2]];
            // Year first: 2026-11-01.
            if let (Some(y), Some(m), Some(d)) = (year_of(a), day_of(b), day_of(c)) {
                dates.extend(NaiveDate::from_ymd_opt(y, m, d));
            }
            if let Some(y) = year_of(c) {
                // 01.11.2026 or 11/01/2026: both readings.
                if let (Some(x), Some(z)) = (day_of(a), day_of(b)) {
                    dates.extend(NaiveDate::from_ymd_opt(y, z, x));
                    dates.extend(NaiveDate::from_ymd_opt(y, x, z));
                }
                // 1 November 2026
                if let (Some(d), Some(m)) = (day_of(a), month_named(b)) {
                    dates.extend(NaiveDate::from_ymd_opt(y, m, d));
                }
                // November 1, 2026
                if let (Some(m), Some(d)) = (month_named(a), day_of(b)) {
                    dates.extend(NaiveDate::from_ymd_opt(y, m, d));
                }
            }
        }
    }
    dates.sort_unstable();
    dates.dedup();
    dates.retain(|d| d.year() >= 1900);
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::CheckResult;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn bill(lines: &[&str]) -> Reading<DocumentText> {
        Reading::Read(DocumentText { lines: lines.iter().map(|l| l.to_string()).collect() })
    }

    fn lovelace() -> Option<AddressSubject<'static>> {
        Some(AddressSubject { name: "Lovelace", postal_code: Some("YO1 7HH"), city: Some("York") })
    }

    const TODAY: (i32, u32, u32) = (2026, 11, 30);

    fn today() -> NaiveDate {
        day(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn a_recent_bill_naming_the_lead_at_its_postal_code_proves_the_address() {
        let check = address_proof(
            &bill(&["NORTHERN POWER", "Ms A. LOVELACE", "1 High St, YO17HH", "Statement date: 12 November 2026"]),
            lovelace(),
            today(),
        );
        assert_eq!(check.result, CheckResult::Pass, "{check:?}");
    }

    #[test]
    fn a_150_day_old_bill_is_not_proof() {
        let check = address_proof(&bill(&["A LOVELACE", "York", "Issued 2026-07-03"]), lovelace(), today());
        assert_eq!(check.result, CheckResult::Warn);
        assert_eq!(check.detail, "not found on the document: a date within the last 90 days");
    }

    #[test]
    fn a_bill_in_another_name_or_town_says_what_was_missing() {
        let check = address_proof(&bill(&["J SMITH", "Leeds LS1 1AA", "01.11.2026"]), lovelace(), today());
        assert_eq!(check.detail, "not found on the document: the lead's name, the lead's postal code or city");
    }

    #[test]
    fn without_a_machine_or_text_the_address_is_not_proven() {
        assert_eq!(address_proof(&Reading::NotOffered, lovelace(), today()).detail, "not machine-checked");
        assert_eq!(address_proof(&bill(&[]), lovelace(), today()).result, CheckResult::Warn);
    }

    #[test]
    fn dates_are_read_in_the_ways_bills_print_them() {
        let lines: Vec<String> = ["2026-11-01", "02.11.2026", "November 3, 2026", "4. Okt. 2026", "5th Mar 2026"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let dates = dates_in(&lines);
        for expected in [day(2026, 11, 1), day(2026, 11, 2), day(2026, 11, 3), day(2026, 10, 4), day(2026, 3, 5)] {
            assert!(dates.contains(&expected), "{expected} in {dates:?}");
        }
        assert!(dates_in(&["Total 1234.56".to_string(), "Account 12 34 5678".to_string()]).is_empty());
    }
}
