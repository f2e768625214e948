//! Field-level validation helpers. Every failure names the field by its dotted path
//! from the request body's root, so an integrator knows exactly what to fix.

use std::net::IpAddr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::risk::country::is_iso_alpha2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// Collects the failures of one request.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Free text: `min..=max` characters, no control characters, not blank.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let chars = value.chars().count();
        if chars > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if chars < min || (min > 0 && value.trim().is_empty()) {
            self.add(field, "must not be empty");
        } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            self.add(field, "must not contain control characters");
        }
    }

    /// A single-line name-like value.
    pub fn line(&mut self, field: &str, value: &str, max: usize) {
        if value.contains(['\n', '\r', '\t']) {
            self.add(field, "must be a single line");
        } else {
            self.text(field, value, 1, max);
        }
    }

    pub fn required<'a, T>(&mut self, field: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value.as_ref()
    }

    pub fn country(&mut self, field: &str, value: &str) {
        if !is_iso_alpha2(value) {
            self.add(field, "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. DE");
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        if !is_email(value) {
            self.add(field, "must be an e-mail address like name@example.com");
        }
    }

    /// A birth date: `YYYY-MM-DD`, not in the future, not before 1900.
    pub fn birth_date(&mut self, field: &str, value: &str, today: NaiveDate) -> Option<NaiveDate> {
        let Some(date) = parse_date(value) else {
            self.add(field, "must be a date in the form YYYY-MM-DD");
            return None;
        };
        if date > today {
            self.add(field, "must not be in the future");
        } else if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
            self.add(field, "must not be before 1900-01-01");
        }
        Some(date)
    }

    /// E.164: `+`, country code, up to 15 digits in all.
    pub fn phone(&mut self, field: &str, value: &str) {
        let digits = value.strip_prefix('+').unwrap_or("");
        let ok =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if !ok {
            self.add(field, "must be a phone number in E.164 form, e.g. +4915112345678");
        }
    }

    pub fn ip_address(&mut self, field: &str, value: &str) {
        if value.parse::<IpAddr>().is_err() {
            self.add(field, "must be an IPv4 or IPv6 address");
        }
    }
}

/// Strict ISO 8601 calendar date (`2024-02-29`), no time, no offset.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// A pragmatic check of an address's shape, lengths counted in characters (RFC 5321's
/// 254 / 64 / 63): one `@`, a local part without leading, trailing or doubled dots, a
/// domain of at least two labels of ASCII letters, digits and hyphens (not at either
/// end) or other non-ASCII characters (internationalised names are taken as they are),
/// the last one letters only or an `xn--` label. Deliverability is not this layer's job.
pub fn is_email(value: &str) -> bool {
    let length = |s: &str| s.chars().count();
    if length(value) > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else { return false };
    if !(1..=64).contains(&length(local)) || domain.contains('@') {
        return false;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| {
        (1..=63).contains(&length(l))
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
    };
    let tld = labels[labels.len() - 1];
    let letters = length(tld) >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic() || !c.is_ascii());
    let punycode = tld.len() > 4 && tld[..4].eq_ignore_ascii_case("xn--");
    labels.iter().all(label_ok) && (letters || punycode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(f: impl FnOnce(&mut Errors)) -> Vec<FieldError> {
        let mut e = Errors::default();
        f(&mut e);
        e.0
    }

    #[test]
    fn well_formed_emails_pass_and_others_fail() {
        for ok in ["a@b.co", "first.last+tag@mail.example.com", "x@münchen.de", "x@example.xn--p1ai", "x@пример.рф"]
        {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c0m",
            "a@b.c",
            "a@b.xn--",
            "a@b.xn--p1ai-",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(!is_email(&format!("{}@b.com", "a".repeat(65))));
        // Lengths are characters: 64 non-ASCII characters make a valid local part.
        assert!(is_email(&format!("{}@b.com", "ü".repeat(64))));
    }

    #[test]
    fn dates_must_be_strict_calendar_dates() {
        assert_eq!(parse_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        for bad in ["2023-02-29", "2024-2-29", "29.02.2024", "2024-02-29T00:00:00Z", "", "abcd-ef-gh"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn birth_dates_in_the_future_or_before_1900_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        assert_eq!(
            errors_of(|e| {
                e.birth_date("d", "2026-11-30", today);
            })[0]
                .message,
            "must not be in the future"
        );
        assert_eq!(
            errors_of(|e| {
                e.birth_date("d", "1899-12-31", today);
            })
            .len(),
            1
        );
        assert!(
            errors_of(|e| {
                e.birth_date("d", "1990-05-17", today);
            })
            .is_empty()
        );
    }

    #[test]
    fn text_longer_than_its_limit_names_the_limit() {
        let long = "x".repeat(10_000);
        let errors = errors_of(|e| e.line("individual.first_name", &long, 100));
        assert_eq!(errors, vec![FieldError::new("individual.first_name", "must be at most 100 characters")]);
    }

    #[test]
    fn blank_and_control_characters_are_refused() {
        assert_eq!(errors_of(|e| e.line("f", "   ", 10)).len(), 1);
        assert_eq!(errors_of(|e| e.line("f", "a\u{0}b", 10)).len(), 1);
        assert_eq!(errors_of(|e| e.line("f", "a\nb", 10)).len(), 1);
    }

    #[test]
    fn phones_must_be_e164() {
        assert!(errors_of(|e| e.phone("p", "+4915112345678")).is_empty());
        for bad in ["015112345678", "+0123456789", "+49 151", "+1234", "+1234567890123456"] {
            assert_eq!(errors_of(|e| e.phone("p", bad)).len(), 1, "{bad}");
        }
    }
}
