//! Identity and business documents: what may be uploaded, the checks a file passed,
//! and the checks themselves: [`inspect`](fn@inspect) of an uploaded file's bytes,
//! and [`mrz`] for an identity document's stated data.

mod bytes;
mod image;
mod inspect;
pub mod mrz;
mod pdf;
mod sniff;

/// CRC-32 as PNG chunks carry it (also for building PNG fixtures).
pub use image::png::crc32;
pub use image::{CHECK_EDITING_SOFTWARE, CHECK_IMAGE_DIMENSIONS};
pub use inspect::{CHECK_FILE_SIZE, CHECK_FILE_TYPE, FileLimits, inspect};
pub use pdf::CHECK_PDF_SAFETY;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DocumentId, LeadId};
use crate::lead::{LeadType, Level};
use crate::requirement::Requirement;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DocumentKind {
    Passport,
    DriversLicense,
    NationalId,
    ProofOfAddress,
    Selfie,
    SourceOfFunds,
    CertificateOfIncorporation,
    BusinessRegistration,
    DirectorId,
    ProofOfBusinessAddress,
    ShareholderRegister,
}

impl DocumentKind {
    /// The wire name (`proof_of_address`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Identity documents: they carry a number, an expiry date and possibly an MRZ.
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            DocumentKind::Passport | DocumentKind::DriversLicense | DocumentKind::NationalId | DocumentKind::DirectorId
        )
    }

    /// Whether a lead of this type may upload this kind at all.
    pub fn fits(self, lead_type: LeadType) -> bool {
        use DocumentKind::*;
        match lead_type {
            LeadType::Individual => {
                matches!(self, Passport | DriversLicense | NationalId | ProofOfAddress | Selfie | SourceOfFunds)
            }
            LeadType::Business => matches!(
                self,
                CertificateOfIncorporation
                    | BusinessRegistration
                    | DirectorId
                    | ProofOfBusinessAddress
                    | SourceOfFunds
                    | ShareholderRegister
            ),
        }
    }

    /// The lowest level that asks for this kind.
    pub fn needed_from(self) -> Level {
        match self {
            DocumentKind::SourceOfFunds | DocumentKind::ShareholderRegister => Level::Premium,
            _ => Level::Enhanced,
        }
    }

    /// The requirement a verified document of this kind satisfies (`director` is the
    /// director's index for `director_id`).
    pub fn satisfies(self, director: Option<u32>) -> Option<Requirement> {
        use DocumentKind::*;
        Some(match self {
            Passport | DriversLicense | NationalId => Requirement::IdentityDocument,
            ProofOfAddress => Requirement::ProofOfAddress,
            Selfie => Requirement::Selfie,
            SourceOfFunds => Requirement::SourceOfFunds,
            CertificateOfIncorporation => Requirement::CertificateOfIncorporation,
            BusinessRegistration => Requirement::BusinessRegistration,
            DirectorId => Requirement::DirectorId(director?),
            ProofOfBusinessAddress => Requirement::ProofOfBusinessAddress,
            ShareholderRegister => Requirement::ShareholderRegister,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter)]
pub enum Side {
    Front,
    Back,
}

/// The accepted upload types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
pub enum ContentType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Jpeg => "image/jpeg",
            ContentType::Png => "image/png",
            ContentType::Pdf => "application/pdf",
        }
    }

    /// The file name extension of a download.
    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Jpeg => "jpg",
            ContentType::Png => "png",
            ContentType::Pdf => "pdf",
        }
    }

    pub fn parse(s: &str) -> Option<ContentType> {
        match s {
            "image/jpeg" => Some(ContentType::Jpeg),
            "image/png" => Some(ContentType::Png),
            "application/pdf" => Some(ContentType::Pdf),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter)]
pub enum DocumentStatus {
    PendingUpload,
    Uploaded,
    Verified,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub content_type: ContentType,
    pub size_bytes: u64,
    pub sha256: String,
}

/// What the integrator says is printed on the document (checked against the file and
/// the lead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DocumentData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrz: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter)]
pub enum CheckResult {
    Pass,
    Warn,
    Fail,
}

/// One named check with its outcome and a reason a reviewer can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub result: CheckResult,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, result: CheckResult, detail: impl Into<String>) -> Self {
        Check { name: name.to_string(), result, detail: detail.into() }
    }
    pub fn pass(name: &str, detail: impl Into<String>) -> Self {
        Check::new(name, CheckResult::Pass, detail)
    }
    pub fn warn(name: &str, detail: impl Into<String>) -> Self {
        Check::new(name, CheckResult::Warn, detail)
    }
    pub fn fail(name: &str, detail: impl Into<String>) -> Self {
        Check::new(name, CheckResult::Fail, detail)
    }
}

/// Marks the JSON `object` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DocumentObject {
    #[default]
    #[serde(rename = "document")]
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub object: DocumentObject,
    pub lead_id: LeadId,
    pub kind: DocumentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// For `director_id`: which director (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub director_index: Option<u32>,
    pub status: DocumentStatus,
    pub content_type: ContentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DocumentData>,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub compliance_flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_note: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
}

/// File checks whose warning only a person can clear: a PDF that could not be fully
/// inspected may hold what the check looks for, so its lead is never approved
/// automatically, although the document itself is not rejected.
pub const CHECKS_HELD_FOR_A_PERSON_ON_WARN: [&str; 1] = [CHECK_PDF_SAFETY];

impl Document {
    /// Whether a check of this document warned in a way only a person can clear.
    pub fn needs_a_person(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.result == CheckResult::Warn && CHECKS_HELD_FOR_A_PERSON_ON_WARN.contains(&c.name.as_str()))
    }

    /// Verified, unless any check failed; a warning alone does not reject.
    pub fn verdict(checks: &[Check]) -> DocumentStatus {
        if checks.iter().any(|c| c.result == CheckResult::Fail) {
            DocumentStatus::Rejected
        } else {
            DocumentStatus::Verified
        }
    }
}
