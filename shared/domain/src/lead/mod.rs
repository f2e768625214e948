//! The lead: a person or a business that has to be verified, what integrators send to
//! create or change one ([`input`]), and when it is nudged to carry on ([`followup`]).

pub mod followup;
pub mod input;
mod review;

pub use review::ReviewReason;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::LeadId;
use crate::requirement::Requirements;
use crate::status::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter)]
pub enum LeadType {
    #[default]
    Individual,
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Level {
    #[default]
    Basic,
    Enhanced,
    Premium,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    Api,
    KycLink,
    Import,
    Sumsub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum RejectionReason {
    DocumentExpired,
    DocumentUnreadable,
    DocumentMismatch,
    DocumentForged,
    SelfieMismatch,
    SanctionsMatch,
    PepMatch,
    Underage,
    UnsupportedCountry,
    Incomplete,
    Duplicate,
    SuspectedFraud,
    Abandoned,
    Other,
}

/// Marks the JSON `object` field of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LeadObject {
    #[default]
    #[serde(rename = "lead")]
    Lead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Individual {
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Director {
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    pub legal_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_incorporation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directors: Vec<Director>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub country: String,
}

/// Behavioural input for risk scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Signals {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    /// The wire name (as serialised), for messages.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskCategory {
    Geography,
    Document,
    Behaviour,
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFactor {
    pub code: String,
    pub category: RiskCategory,
    pub points: u32,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub score: u32,
    pub level: RiskLevel,
    pub factors: Vec<RiskFactor>,
    pub scored_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reasons: Vec<RejectionReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// A person holds the lead: automation records checks and risk but never moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Who holds it, as the audit trail names them (`key:<actor>`).
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The lead as the API shows it and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub object: LeadObject,
    #[serde(rename = "type")]
    pub lead_type: LeadType,
    pub status: Status,
    pub level: Level,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual: Option<Individual>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<Business>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<Signals>,
    pub requirements: Requirements,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    #[serde(default)]
    pub compliance_flags: Vec<String>,
    /// For a lead under review: why automation could not decide it. Empty otherwise.
    #[serde(default)]
    pub review_reasons: Vec<ReviewReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// What the integrator may enable for this customer, recomputed on every change
    /// (`sumsub::capabilities`).
    #[serde(default)]
    pub capabilities: crate::sumsub::Capabilities,
    /// The Sumsub applicant imported with a share token (never the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sumsub: Option<crate::sumsub::SumsubLink>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

impl Lead {
    /// Approved or rejected: only `metadata` may still change.
    pub fn is_decided(&self) -> bool {
        matches!(self.status, Status::Approved | Status::Rejected)
    }

    /// The country that stands for the lead's residence or seat.
    pub fn country(&self) -> Option<&str> {
        if let Some(address) = &self.address {
            return Some(&address.country);
        }
        self.business.as_ref()?.country_of_incorporation.as_deref()
    }

    /// Display name, used only for rules that need "has a name"; never logged.
    pub fn has_name(&self) -> bool {
        match self.lead_type {
            LeadType::Individual => self.individual.is_some(),
            LeadType::Business => self.business.is_some(),
        }
    }
}

impl Level {
    /// The wire name (as serialised), for messages.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Source {
    /// The wire name (as serialised), for counter names and logs.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl RejectionReason {
    /// The wire name (as serialised), for counter names.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod wire_names {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn wire_names_are_the_serialised_names() {
        for level in Level::iter() {
            assert_eq!(serde_json::to_value(level).expect("serialises"), level.as_str());
        }
        for level in RiskLevel::iter() {
            assert_eq!(serde_json::to_value(level).expect("serialises"), level.as_str());
        }
        for source in Source::iter() {
            assert_eq!(serde_json::to_value(source).expect("serialises"), source.as_str());
        }
        for reason in RejectionReason::iter() {
            assert_eq!(serde_json::to_value(reason).expect("serialises"), reason.as_str());
        }
    }
}
