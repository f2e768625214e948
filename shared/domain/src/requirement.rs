//! What each KYC level requires of a lead, and what of it is already satisfied.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lead::{Lead, LeadType, Level};

/// One thing a level requires: a data field, a document, or a screening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    Email,
    Name,
    Country,
    /// One of passport, drivers_license, national_id.
    IdentityDocument,
    ProofOfAddress,
    Selfie,
    SourceOfFunds,
    CertificateOfIncorporation,
    BusinessRegistration,
    /// The identity document of director N (0-based).
    DirectorId(u32),
    ProofOfBusinessAddress,
    ShareholderRegister,
    /// A sanctions / PEP screening has run.
    Screening,
}

impl Requirement {
    /// Data fields are satisfied by the lead's own data; the rest by evidence.
    pub fn is_data_field(self) -> bool {
        matches!(self, Requirement::Email | Requirement::Name | Requirement::Country)
    }

    /// Satisfied by an uploaded, verified document.
    pub fn is_document(&self) -> bool {
        !self.is_data_field() && *self != Requirement::Screening
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Requirement::Email => "email",
            Requirement::Name => "name",
            Requirement::Country => "country",
            Requirement::IdentityDocument => "identity_document",
            Requirement::ProofOfAddress => "proof_of_address",
            Requirement::Selfie => "selfie",
            Requirement::SourceOfFunds => "source_of_funds",
            Requirement::CertificateOfIncorporation => "certificate_of_incorporation",
            Requirement::BusinessRegistration => "business_registration",
            Requirement::DirectorId(n) => return write!(f, "director_id:{n}"),
            Requirement::ProofOfBusinessAddress => "proof_of_business_address",
            Requirement::ShareholderRegister => "shareholder_register",
            Requirement::Screening => "screening",
        };
        f.write_str(name)
    }
}

impl FromStr for Requirement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "email" => Requirement::Email,
            "name" => Requirement::Name,
            "country" => Requirement::Country,
            "identity_document" => Requirement::IdentityDocument,
            "proof_of_address" => Requirement::ProofOfAddress,
            "selfie" => Requirement::Selfie,
            "source_of_funds" => Requirement::SourceOfFunds,
            "certificate_of_incorporation" => Requirement::CertificateOfIncorporation,
            "business_registration" => Requirement::BusinessRegistration,
            "proof_of_business_address" => Requirement::ProofOfBusinessAddress,
            "shareholder_register" => Requirement::ShareholderRegister,
            "screening" => Requirement::Screening,
            other => {
                let n = other
                    .strip_prefix("director_id:")
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or_else(|| format!("unknown requirement `{other}`"))?;
                Requirement::DirectorId(n)
            }
        })
    }
}

impl Serialize for Requirement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Requirements {
    pub required: Vec<Requirement>,
    pub satisfied: Vec<Requirement>,
    pub missing: Vec<Requirement>,
}

/// What verified documents and screenings have shown so far (kept with the lead so
/// that a level change can be recomputed without reading every document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Evidence {
    #[serde(default)]
    pub satisfied: BTreeSet<Requirement>,
}

/// What `level` requires of a lead of `lead_type` with `directors` directors.
pub fn required_for(lead_type: LeadType, level: Level, directors: usize) -> Vec<Requirement> {
    use Requirement::*;
    let mut required = vec![Email, Name, Country];
    if level >= Level::Enhanced {
        match lead_type {
            LeadType::Individual => required.extend([IdentityDocument, ProofOfAddress, Selfie]),
            LeadType::Business => {
                required.extend([CertificateOfIncorporation, BusinessRegistration]);
                // `directors` is capped by validation, so this cast cannot truncate.
                required.extend((0..directors as u32).map(DirectorId));
                required.push(ProofOfBusinessAddress);
            }
        }
    }
    if level == Level::Premium {
        required.push(SourceOfFunds);
        if lead_type == LeadType::Business {
            required.push(ShareholderRegister);
        }
        required.push(Screening);
    }
    required
}

/// Recomputes a lead's requirements from its data and the evidence gathered.
pub fn evaluate(lead: &Lead, evidence: &Evidence) -> Requirements {
    let directors = lead.business.as_ref().map_or(0, |b| b.directors.len());
    let required = required_for(lead.lead_type, lead.level, directors);
    let (satisfied, missing) = required.iter().partition(|r| match r {
        Requirement::Email => lead.email.is_some(),
        Requirement::Name => lead.has_name(),
        Requirement::Country => lead.country().is_some(),
        other => evidence.satisfied.contains(other),
    });
    Requirements { required, satisfied, missing }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Requirement::*;

    #[test]
    fn requirements_read_and_write_as_the_contract_spells_them() {
        for r in [Email, IdentityDocument, DirectorId(3), ProofOfBusinessAddress, Screening] {
            let text = r.to_string();
            assert_eq!(text.parse::<Requirement>(), Ok(r));
        }
        assert_eq!(DirectorId(0).to_string(), "director_id:0");
        assert!("director_id:x".parse::<Requirement>().is_err());
        assert!("passport".parse::<Requirement>().is_err());
    }

    #[test]
    fn basic_requires_only_data_fields() {
        assert_eq!(required_for(LeadType::Individual, Level::Basic, 0), vec![Email, Name, Country]);
        assert_eq!(required_for(LeadType::Business, Level::Basic, 2), vec![Email, Name, Country]);
    }

    #[test]
    fn enhanced_business_requires_each_directors_id() {
        let required = required_for(LeadType::Business, Level::Enhanced, 2);
        assert!(required.contains(&DirectorId(0)) && required.contains(&DirectorId(1)));
        assert!(!required.contains(&DirectorId(2)));
        assert!(required.contains(&CertificateOfIncorporation));
    }

    #[test]
    fn premium_adds_source_of_funds_and_screening_to_enhanced() {
        let individual = required_for(LeadType::Individual, Level::Premium, 0);
        assert!(individual.ends_with(&[SourceOfFunds, Screening]));
        assert!(individual.contains(&IdentityDocument) && individual.contains(&Selfie));
        let business = required_for(LeadType::Business, Level::Premium, 0);
        assert!(business.contains(&ShareholderRegister));
    }
}
