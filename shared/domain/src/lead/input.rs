//! What integrators send to create or change a lead, and its validation.
//!
//! Every field is optional at the serde level so that a missing required field is
//! reported by name like any other validation failure, all failures at once.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::ids::LeadId;
use crate::lead::{Address, Business, Director, Individual, Lead, LeadObject, LeadType, Level, Signals, Source};
use crate::status::Status;
use crate::validation::{Errors, FieldError};

pub const MAX_DIRECTORS: usize = 20;
pub const MAX_METADATA_KEYS: usize = 50;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    #[serde(rename = "type")]
    pub lead_type: Option<LeadType>,
    pub level: Option<Level>,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub individual: Option<PersonInput>,
    pub business: Option<BusinessInput>,
    pub address: Option<AddressInput>,
    pub signals: Option<SignalsInput>,
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub nationality: Option<String>,
    /// Directors have no phone; the field is refused there.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessInput {
    pub legal_name: Option<String>,
    pub registration_number: Option<String>,
    pub country_of_incorporation: Option<String>,
    pub directors: Option<Vec<PersonInput>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsInput {
    pub ip_address: Option<String>,
    pub ip_country: Option<String>,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
}

/// A lead's data after validation: every value is well-formed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadData {
    pub lead_type: LeadType,
    pub level: Level,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub individual: Option<Individual>,
    pub business: Option<Business>,
    pub address: Option<Address>,
    pub signals: Option<Signals>,
    pub metadata: BTreeMap<String, String>,
}

impl LeadData {
    /// A lead as first created from this data (`not_started`, version 1).
    pub fn into_lead(self, id: LeadId, source: Source, now: DateTime<Utc>) -> Lead {
        Lead {
            id,
            object: LeadObject::Lead,
            lead_type: self.lead_type,
            status: Status::NotStarted,
            level: self.level,
            source,
            external_id: self.external_id,
            email: self.email,
            individual: self.individual,
            business: self.business,
            address: self.address,
            signals: self.signals,
            requirements: Default::default(),
            risk: None,
            compliance_flags: Vec::new(),
            review_reasons: Vec::new(),
            rejection: None,
            hold: None,
            capabilities: Default::default(),
            sumsub: None,
            metadata: self.metadata,
            version: 1,
            created_at: now,
            updated_at: now,
            status_changed_at: now,
        }
    }
}

impl LeadInput {
    /// Checks every field, reporting all failures; `today` bounds birth dates.
    pub fn validate(self, today: NaiveDate) -> Result<LeadData, Vec<FieldError>> {
        let mut e = Errors::default();
        let lead_type = self.lead_type.unwrap_or_default();
        if let Some(id) = &self.external_id {
            e.line("external_id", id, 255);
        }
        if let Some(email) = &self.email {
            e.email("email", email);
        }
        let individual = match (&self.individual, lead_type) {
            (Some(_), LeadType::Business) => {
                e.add("individual", "is only for leads of type individual");
                None
            }
            (Some(p), LeadType::Individual) => person(&mut e, "individual", p, true, today),
            (None, _) => None,
        };
        let business = match (&self.business, lead_type) {
            (Some(_), LeadType::Individual) => {
                e.add("business", "is only for leads of type business");
                None
            }
            (Some(b), LeadType::Business) => business(&mut e, b, today),
            (None, _) => None,
        };
        let address = self.address.as_ref().and_then(|a| address(&mut e, a));
        let signals = self.signals.as_ref().map(|s| signals(&mut e, s));
        let metadata = self.metadata.unwrap_or_default();
        check_metadata(&mut e, &metadata);
        if !e.is_empty() {
            return Err(e.0);
        }
        Ok(LeadData {
            lead_type,
            level: self.level.unwrap_or_default(),
            external_id: self.external_id,
            email: self.email,
            individual,
            business,
            address,
            signals,
            metadata,
        })
    }
}

fn person(e: &mut Errors, at: &str, p: &PersonInput, phone_allowed: bool, today: NaiveDate) -> Option<Individual> {
    let before = e.0.len();
    let first_name = e.required(&format!("{at}.first_name"), &p.first_name).cloned();
    if let Some(v) = &first_name {
        e.line(&format!("{at}.first_name"), v, 100);
    }
    let last_name = e.required(&format!("{at}.last_name"), &p.last_name).cloned();
    if let Some(v) = &last_name {
        e.line(&format!("{at}.last_name"), v, 100);
    }
    let date_of_birth = p.date_of_birth.as_ref().and_then(|d| e.birth_date(&format!("{at}.date_of_birth"), d, today));
    if let Some(n) = &p.nationality {
        e.country(&format!("{at}.nationality"), n);
    }
    if let Some(phone) = &p.phone {
        if phone_allowed {
            e.phone(&format!("{at}.phone"), phone);
        } else {
            e.add(format!("{at}.phone"), "is not a field of a director");
        }
    }
    if e.0.len() > before {
        return None;
    }
    Some(Individual {
        first_name: first_name?,
        last_name: last_name?,
        date_of_birth,
        nationality: p.nationality.clone(),
        phone: p.phone.clone(),
    })
}

fn business(e: &mut Errors, b: &BusinessInput, today: NaiveDate) -> Option<Business> {
    let legal_name = e.required("business.legal_name", &b.legal_name).cloned();
    if let Some(v) = &legal_name {
        e.line("business.legal_name", v, 200);
    }
    if let Some(v) = &b.registration_number {
        e.line("business.registration_number", v, 100);
    }
    if let Some(v) = &b.country_of_incorporation {
        e.country("business.country_of_incorporation", v);
    }
    let inputs = b.directors.as_deref().unwrap_or_default();
    if inputs.len() > MAX_DIRECTORS {
        e.add("business.directors", format!("must list at most {MAX_DIRECTORS} directors"));
        return None;
    }
    let directors: Vec<Option<Director>> = inputs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            person(e, &format!("business.directors.{i}"), d, false, today).map(|p| Director {
                first_name: p.first_name,
                last_name: p.last_name,
                date_of_birth: p.date_of_birth,
                nationality: p.nationality,
            })
        })
        .collect();
    Some(Business {
        legal_name: legal_name?,
        registration_number: b.registration_number.clone(),
        country_of_incorporation: b.country_of_incorporation.clone(),
        directors: directors.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

fn address(e: &mut Errors, a: &AddressInput) -> Option<Address> {
    let line1 = e.required("address.line1", &a.line1).cloned();
    if let Some(v) = &line1 {
        e.line("address.line1", v, 200);
    }
    if let Some(v) = &a.line2 {
        e.line("address.line2", v, 200);
    }
    let city = e.required("address.city", &a.city).cloned();
    if let Some(v) = &city {
        e.line("address.city", v, 100);
    }
    if let Some(v) = &a.postal_code {
        e.line("address.postal_code", v, 20);
    }
    if let Some(v) = &a.state {
        e.line("address.state", v, 100);
    }
    let country = e.required("address.country", &a.country).cloned();
    if let Some(v) = &country {
        e.country("address.country", v);
    }
    Some(Address {
        line1: line1?,
        line2: a.line2.clone(),
        city: city?,
        postal_code: a.postal_code.clone(),
        state: a.state.clone(),
        country: country?,
    })
}

fn signals(e: &mut Errors, s: &SignalsInput) -> Signals {
    if let Some(v) = &s.ip_address {
        e.ip_address("signals.ip_address", v);
    }
    if let Some(v) = &s.ip_country {
        e.country("signals.ip_country", v);
    }
    if let Some(v) = &s.device_id {
        e.line("signals.device_id", v, 255);
    }
    if let Some(v) = &s.user_agent {
        e.line("signals.user_agent", v, 1000);
    }
    Signals {
        ip_address: s.ip_address.clone(),
        ip_country: s.ip_country.clone(),
        device_id: s.device_id.clone(),
        user_agent: s.user_agent.clone(),
    }
}

fn check_metadata(e: &mut Errors, metadata: &BTreeMap<String, String>) {
    if metadata.len() > MAX_METADATA_KEYS {
        e.add("metadata", format!("must have at most {MAX_METADATA_KEYS} keys"));
        return;
    }
    for (key, value) in metadata {
        let key_ok = !key.is_empty()
            && key.len() <= 40
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !key_ok {
            // The key itself is the problem: name it in the message, not the path.
            e.add("metadata", "keys must be 1-40 characters of letters, digits, '_', '-' or '.'");
        } else if value.chars().count() > 500 {
            e.add(format!("metadata.{key}"), "must be at most 500 characters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default()
    }

    fn input(json: &str) -> LeadInput {
        serde_json::from_str(json).expect("test input parses")
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_empty_body_is_a_minimal_individual_basic_lead() {
        let data = input("{}").validate(today()).expect("valid");
        assert_eq!(data.lead_type, LeadType::Individual);
        assert_eq!(data.level, Level::Basic);
    }

    #[test]
    fn a_complete_individual_is_accepted() {
        let data = input(
            r#"{"email":"ada@example.com","individual":{"first_name":"Ada","last_name":"Lovelace",
            "date_of_birth":"1990-12-10","nationality":"GB","phone":"+447700900123"},
            "address":{"line1":"1 Main St","city":"London","postal_code":"N1 9GU","country":"GB"},
            "signals":{"ip_address":"2001:db8::1","ip_country":"GB"},"metadata":{"crm_id":"42"}}"#,
        )
        .validate(today())
        .expect("valid");
        assert_eq!(data.individual.map(|p| p.date_of_birth), Some(NaiveDate::from_ymd_opt(1990, 12, 10)));
    }

    #[test]
    fn every_bad_field_is_reported_by_its_path() {
        let errors = input(
            r#"{"email":"nope","individual":{"first_name":"","nationality":"XX"},
            "address":{"line1":"x","city":"y","country":"de"},"signals":{"ip_address":"999.1.1.1"}}"#,
        )
        .validate(today())
        .expect_err("invalid");
        assert_eq!(
            fields(errors),
            [
                "email",
                "individual.first_name",
                "individual.last_name",
                "individual.nationality",
                "address.country",
                "signals.ip_address"
            ]
        );
    }

    #[test]
    fn business_data_on_an_individual_is_refused() {
        let errors = input(r#"{"business":{"legal_name":"Acme"}}"#).validate(today()).expect_err("invalid");
        assert_eq!(fields(errors), ["business"]);
    }

    #[test]
    fn directors_are_checked_one_by_one() {
        let errors = input(r#"{"type":"business","business":{"legal_name":"Acme Ltd","directors":[
            {"first_name":"A","last_name":"B"},{"first_name":"C","date_of_birth":"2999-01-01","phone":"+4912345678"}]}}"#)
            .validate(today())
            .expect_err("invalid");
        assert_eq!(
            fields(errors),
            ["business.directors.1.last_name", "business.directors.1.date_of_birth", "business.directors.1.phone"]
        );
    }

    #[test]
    fn metadata_is_bounded() {
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        let errors = LeadInput { metadata: Some(many), ..Default::default() }.validate(today()).expect_err("too many");
        assert_eq!(fields(errors), ["metadata"]);
        let long = LeadInput { metadata: Some([("k".to_string(), "v".repeat(501))].into()), ..Default::default() };
        assert_eq!(fields(long.validate(today()).expect_err("too long")), ["metadata.k"]);
    }

    #[test]
    fn a_ten_thousand_character_name_is_refused() {
        let name = "n".repeat(10_000);
        let errors = LeadInput {
            individual: Some(PersonInput { first_name: Some(name), last_name: Some("L".into()), ..Default::default() }),
            ..Default::default()
        }
        .validate(today())
        .expect_err("too long");
        assert_eq!(errors, vec![FieldError::new("individual.first_name", "must be at most 100 characters")]);
    }
}
