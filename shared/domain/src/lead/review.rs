//! Why a lead waits for a person.

use serde::{Deserialize, Serialize};

/// Why automation could not decide a lead: stable codes a reviewer's queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ReviewReason {
    RiskMedium,
    RiskHigh,
    RiskCritical,
    /// No identity document was read by a machine (`identity_read` did not pass).
    IdentityNotMachineRead,
    /// What was read differs from the lead, or could not be compared (`data_match`).
    DataMismatch,
    /// `face_match` warned or failed.
    FaceMatchLow,
    FaceQualityLow,
    /// `address_proof` did not pass.
    AddressNotProven,
    /// A document was rejected, or (a PDF that could not be fully inspected) needs a
    /// person, and it is neither an identity document nor a proof of address.
    DocumentRejected,
    RequirementsMissing,
    BusinessLead,
    PremiumLevel,
    HeldByReviewer,
    IdentityChanged,
    VerificationUnavailable,
}

impl ReviewReason {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

