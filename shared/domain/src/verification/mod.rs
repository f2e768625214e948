//! Machine verification of what a document shows about a person: what a reading
//! service answered (`Reading`), and the checks made of those answers (identity read
//! and matched against the lead, expiry, face quality and match, proof of address,
//! the same file used twice). The services themselves sit behind the `Verifier` port
//! of `kyc-app`; everything here is pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a reading service made of one file. An outage (throttling, 5xx, a timeout) is
/// not a reading: the port returns it as an error, and it is never taken as a pass or
/// a fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reading", rename_all = "snake_case")]
pub enum Reading<T> {
    /// The service read the file.
    Read(T),
    /// The service could not use this file, for a reason that is a result and not an
    /// outage: too large, a format it does not take, no face, an unreadable or
    /// multi-page document. `reason` is in words, free of personal data.
    Refused { reason: String },
    /// No machine reading is configured (`KYC_VERIFIER=none`).
    NotOffered,
}

/// The lines of text a document shows (Textract `DetectDocumentText`, LINE blocks in
/// reading order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentText {
    pub lines: Vec<String>,
}

/// The fields an identity document without an MRZ shows (Textract `AnalyzeID`), by
/// the service's normalised field type (`FIRST_NAME`, `LAST_NAME`, `DATE_OF_BIRTH`,
/// `EXPIRATION_DATE`, `DOCUMENT_NUMBER`, `ID_TYPE`, ...). A date field holds the
/// service's normalised value (`YYYY-MM-DDT00:00:00`) where it gave one, else the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityFields {
    pub fields: BTreeMap<String, String>,
}

/// One face found in an image (Rekognition `DetectFaces` with all attributes).
/// Percentages are 0..=100; angles are degrees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceDetail {
    /// How sure the service is that this is a face.
    pub confidence: f32,
    /// `None` when the service did not say.
    pub eyes_open: Option<bool>,
    pub sharpness: Option<f32>,
    pub brightness: Option<f32>,
    pub yaw: Option<f32>,
    pub pitch: Option<f32>,
    pub roll: Option<f32>,
}

/// The faces an image shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Faces {
    pub faces: Vec<FaceDetail>,
}

/// Rekognition `CompareFaces` of the identity document's portrait (source) with the
/// selfie (target), asked with `SimilarityThreshold` 0 so that every face of the
/// target comes back with its similarity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceComparison {
    /// The highest similarity among the target's faces, 0..=100; `None` when the
    /// target shows no face.
    pub similarity: Option<f32>,
}

mod address;
mod face;
mod identity;
mod recheck;

pub use address::{AddressSubject, CHECK_ADDRESS_PROOF, address_proof, dates_in};
pub use face::{
    CHECK_FACE_MATCH, CHECK_FACE_QUALITY, FACE_MATCH_FLOOR, FaceMatchThreshold, face_match, face_match_waiting,
    face_quality,
};
pub use identity::{
    CHECK_DATA_MATCH, CHECK_IDENTITY_READ, IdentityRead, IdentityReading, MrzInText, ReadSource, data_match,
    find_mrz, from_identity_fields, icao_to_iso, identity_checks, nationality_of, subject_of,
};
pub use recheck::{identity_changed, is_rechecked, recheck_identity};

use crate::documents::{Check, Document, DocumentStatus};

pub const CHECK_SAME_FILE: &str = "same_file";

/// The checks of machine verification. Their warnings are the absence of a
/// verification, not a finding, and are not scored as risk.
pub const VERIFICATION_CHECKS: [&str; 7] = [
    CHECK_IDENTITY_READ,
    CHECK_DATA_MATCH,
    crate::documents::mrz::CHECK_DOCUMENT_EXPIRY,
    CHECK_FACE_QUALITY,
    CHECK_FACE_MATCH,
    CHECK_ADDRESS_PROOF,
    CHECK_SAME_FILE,
];

/// The detail of a verifier check when the service stayed unavailable through every
/// attempt; the document also carries the flag [`FLAG_VERIFICATION_UNAVAILABLE`].
pub const VERIFIER_UNAVAILABLE: &str = "verifier unavailable";
pub const FLAG_VERIFICATION_UNAVAILABLE: &str = "verification_unavailable";

/// One file satisfies one requirement: `fail` when another document of the lead
/// holds a file with the same SHA-256. `sha256` is `None` for a file too large to hash.
pub fn same_file(sha256: Option<&str>, others: &[Document]) -> Check {
    let Some(sha256) = sha256.filter(|s| !s.is_empty()) else {
        return Check::warn(CHECK_SAME_FILE, "the file was not read whole, so it was not compared");
    };
    let twin = others.iter().find(|d| {
        d.status != DocumentStatus::PendingUpload && d.file.as_ref().is_some_and(|f| f.sha256 == sha256)
    });
    match twin {
        Some(twin) => Check::fail(
            CHECK_SAME_FILE,
            format!("the same file was already uploaded for this lead as its {} document", twin.kind.as_str()),
        ),
        None => Check::pass(CHECK_SAME_FILE, "no other document of this lead has the same file"),
    }
}
