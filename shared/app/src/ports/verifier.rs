//! Machine verification as a port: read an identity document, read a document's text,
//! check a selfie, compare two faces. Adapters: `kyc_aws::verifier` (Amazon Textract
//! and Rekognition) and [`NoVerifier`] (`KYC_VERIFIER=none`: nothing is machine-read,
//! and automation therefore never approves an identity).
//!
//! An answer the service gives about the file — too large, a format it does not take,
//! no face, unreadable — is a [`Reading::Refused`], a result. Throttling, 5xx and
//! timeouts are retried by the adapter with backoff and, if they persist, come back as
//! a [`VerifierOutage`]: the scorer then fails the attempt so that the storage event is
//! retried, and never takes an outage for a pass or a fail.

use kyc_domain::documents::ContentType;
use kyc_domain::verification::{DocumentText, FaceComparison, Faces, IdentityFields, Reading};

/// The file a verifier is shown. Adapters that let the service read storage itself
/// (S3 on Lambda, [`Verifier::reads_storage`]) use `key` and `size`, and may be given no
/// bytes; those that send the file (`kyc-local`) use `bytes`, always the whole file: the
/// scorer never asks about a file it could not read whole.
#[derive(Debug, Clone, Copy)]
pub struct StoredFile<'a> {
    /// The object key in the documents store.
    pub key: &'a str,
    pub content_type: ContentType,
    pub size: u64,
    pub bytes: &'a [u8],
}

/// A reading service did not answer (after the adapter's own retries).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{service} is unavailable: {detail}")]
pub struct VerifierOutage {
    /// `textract` or `rekognition`.
    pub service: &'static str,
    /// What went wrong, for the logs; never personal data.
    pub detail: String,
}

#[async_trait::async_trait]
pub trait Verifier: Send + Sync {
    /// Whether the services read the stored object themselves (by `key`): the scorer
    /// then does not read a file only to show it (the other side of a comparison).
    fn reads_storage(&self) -> bool {
        false
    }

    /// The text lines of a document's first page (Textract `DetectDocumentText`):
    /// identity documents (the MRZ is found in them) and proofs of address.
    async fn detect_text(&self, file: StoredFile<'_>) -> Result<Reading<DocumentText>, VerifierOutage>;

    /// The fields of an identity document without an MRZ (Textract `AnalyzeID`).
    async fn analyze_id(&self, file: StoredFile<'_>) -> Result<Reading<IdentityFields>, VerifierOutage>;

    /// The faces of a selfie, with all attributes (Rekognition `DetectFaces`).
    async fn detect_faces(&self, selfie: StoredFile<'_>) -> Result<Reading<Faces>, VerifierOutage>;

    /// The portrait on an identity document compared with a selfie (Rekognition
    /// `CompareFaces`, `SimilarityThreshold` 0). No face on the identity document is a
    /// `Refused` with that reason.
    async fn compare_faces(
        &self,
        identity_document: StoredFile<'_>,
        selfie: StoredFile<'_>,
    ) -> Result<Reading<FaceComparison>, VerifierOutage>;
}

/// `KYC_VERIFIER=none`: nothing is machine-read. Every answer is
/// [`Reading::NotOffered`], which the checks record as `warn` "not machine-read" /
/// "not machine-checked", so that automation never approves such an identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVerifier;

#[async_trait::async_trait]
impl Verifier for NoVerifier {
    async fn detect_text(&self, _: StoredFile<'_>) -> Result<Reading<DocumentText>, VerifierOutage> {
        Ok(Reading::NotOffered)
    }
    async fn analyze_id(&self, _: StoredFile<'_>) -> Result<Reading<IdentityFields>, VerifierOutage> {
        Ok(Reading::NotOffered)
    }
    async fn detect_faces(&self, _: StoredFile<'_>) -> Result<Reading<Faces>, VerifierOutage> {
        Ok(Reading::NotOffered)
    }
    async fn compare_faces(
        &self,
        _: StoredFile<'_>,
        _: StoredFile<'_>,
    ) -> Result<Reading<FaceComparison>, VerifierOutage> {
        Ok(Reading::NotOffered)
    }
}
