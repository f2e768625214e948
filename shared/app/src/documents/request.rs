//! Asking for a document: validated against the lead (its type, level and
//! directors), recorded as pending with its `document.requested` event, and answered
//! with a short-lived upload URL bound to the document's object key and content type.
//! The file goes straight from the customer's device to storage; the scorer takes
//! over when it lands.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use kyc_domain::documents::{ContentType, Document, DocumentData, DocumentKind, DocumentObject, DocumentStatus, Side};
use kyc_domain::events::{DocumentRequested, EventPayload};
use kyc_domain::ids::DocumentId;
use kyc_domain::lead::LeadType;
use kyc_domain::validation::{Errors, parse_date};

use crate::Deps;
use crate::auth::Principal;
use crate::documents::record::document_item;
use crate::error::AppError;
use crate::ports::objects::PresignedRequest;
use crate::store::idempotency::{Idempotency, Replayable};
use crate::store::lead_record::put_new;
use crate::store::unit_of_work::event;
use crate::store::{AsyncChange, Change, LeadRecord, Outcome, layout, mutate};
use crate::tenant::TenantId;

/// Upload URLs live at most 15 minutes (the contract's bound).
pub const UPLOAD_TTL: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    pub kind: Option<DocumentKind>,
    pub side: Option<Side>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    pub director_index: Option<u32>,
    pub data: Option<DocumentDataInput>,
}

/// A JSON integer, also when written with a zero fraction (`2.0` is the integer 2 in
/// JSON Schema), from 0 to `u32::MAX`; `null` is absent.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else { return Ok(None) };
    let whole = match number.as_u64() {
        Some(n) => Some(n),
        None => {
            number.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX)).map(|f| f as u64)
        }
    };
    whole
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("must be a whole number from 0 to {}", u32::MAX)))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentDataInput {
    pub document_number: Option<String>,
    pub issuing_country: Option<String>,
    pub expiry_date: Option<String>,
    pub mrz: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UploadInstruction {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

impl From<PresignedRequest> for UploadInstruction {
    fn from(p: PresignedRequest) -> Self {
        UploadInstruction { method: p.method, url: p.url, headers: p.headers, expires_at: p.expires_at }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentUpload {
    pub document: Document,
    pub upload: UploadInstruction,
}

impl Replayable for DocumentUpload {}

struct Validated {
    kind: DocumentKind,
    content_type: ContentType,
    data: Option<DocumentData>,
}

fn validate(request: &DocumentRequest, record: &LeadRecord) -> Result<Validated, AppError> {
    let lead = &record.lead;
    let mut e = Errors::default();
    let kind = e.required("kind", &request.kind).copied();
    let content_type = e.required("content_type", &request.content_type).cloned();
    if let Some(name) = &request.file_name {
        e.line("file_name", name, 255);
    }
    if let Some(kind) = kind {
        if !kind.fits(lead.lead_type) {
            let of = if lead.lead_type == LeadType::Individual { "an individual" } else { "a business" };
            e.add("kind", format!("is not a document of {of}"));
        } else if kind.needed_from() > lead.level {
            e.add("kind", format!("is not required at level {}", lead.level.as_str()));
        }
        let directors = lead.business.as_ref().map_or(0, |b| b.directors.len());
        match (kind, request.director_index) {
            (DocumentKind::DirectorId, None) => e.add("director_index", "is required for director_id"),
            (DocumentKind::DirectorId, Some(i)) if i as usize >= directors => {
                e.add("director_index", format!("must name one of the lead's {directors} directors (0-based)"))
            }
            (DocumentKind::DirectorId, Some(_)) => {}
            (_, Some(_)) => e.add("director_index", "is only for director_id"),
            (_, None) => {}
        }
        if !kind.is_identity() && request.side.is_some() {
            e.add("side", "is only for identity documents");
        }
        if !kind.is_identity() && request.data.is_some() {
            e.add("data", "is only for identity documents");
        }
    }
    let data = request.data.as_ref().map(|d| validate_data(&mut e, d));
    let Some(content_type) = content_type else { return Err(AppError::Validation(e.0)) };
    let Some(parsed) = ContentType::parse(&content_type) else {
        if e.is_empty() {
            return Err(AppError::UnsupportedDocumentType);
        }
        e.add("content_type", "must be image/jpeg, image/png or application/pdf");
        return Err(AppError::Validation(e.0));
    };
    // Face services take JPEG and PNG only: a selfie in another type could never be
    // compared with its identity document.
    if kind == Some(DocumentKind::Selfie) && !matches!(parsed, ContentType::Jpeg | ContentType::Png) {
        e.add("content_type", "a selfie must be image/jpeg or image/png");
    }
    match kind {
        Some(kind) if e.is_empty() => Ok(Validated { kind, content_type: parsed, data }),
        _ => Err(AppError::Validation(e.0)),
    }
}

fn validate_data(e: &mut Errors, d: &DocumentDataInput) -> DocumentData {
    if let Some(number) = &d.document_number {
        let ok = (1..=64).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'<');
        if !ok {
            e.add("data.document_number", "must be 1-64 letters, digits, '-' or '<'");
        }
    }
    if let Some(country) = &d.issuing_country {
        e.country("data.issuing_country", country);
    }
    let expiry_date = d.expiry_date.as_ref().and_then(|v| {
        let parsed = parse_date(v);
        if parsed.is_none() {
            e.add("data.expiry_date", "must be a date in the form YYYY-MM-DD");
        }
        parsed
    });
    if let Some(lines) = &d.mrz {
        if !(2..=3).contains(&lines.len()) {
            e.add("data.mrz", "must be the 2 (TD3) or 3 (TD1) lines of the machine-readable zone");
        }
        for (i, line) in lines.iter().enumerate() {
            let ok = !line.is_empty()
                && line.len() <= 44
                && line.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<');
            if !ok {
                e.add(format!("data.mrz.{i}"), "must be up to 44 characters of A-Z, 0-9 and '<'");
            }
        }
    }
    DocumentData {
        document_number: d.document_number.clone(),
        issuing_country: d.issuing_country.clone(),
        expiry_date,
        mrz: d.mrz.clone(),
    }
}

struct RequestUpload<'a> {
    deps: &'a Deps,
    /// Who asks, as the audit trail names them (an API key's actor, or a KYC link).
    actor: String,
    request: DocumentRequest,
}

#[async_trait::async_trait]
impl AsyncChange<DocumentUpload> for RequestUpload<'_> {
    async fn apply(&self, record: &LeadRecord, now: DateTime<Utc>) -> Result<Outcome<DocumentUpload>, AppError> {
        let lead = &record.lead;
        if lead.is_decided() {
            return Err(AppError::LeadDecided);
        }
        let valid = validate(&self.request, record)?;
        let document = Document {
            id: DocumentId::from_uuid(self.deps.ids.uuid()),
            object: DocumentObject::Document,
            lead_id: lead.id.clone(),
            kind: valid.kind,
            side: self.request.side,
            director_index: self.request.director_index,
            status: DocumentStatus::PendingUpload,
            content_type: valid.content_type,
            file: None,
            data: valid.data,
            checks: Vec::new(),
            compliance_flags: Vec::new(),
            review_note: None,
            created_at: now,
            uploaded_at: None,
            verified_at: None,
        };
        let key = layout::document_object_key(&record.tenant, &lead.id, &document.id);
        let expires_at = now + UPLOAD_TTL;
        let upload = self.deps.objects.presign_put(&key, valid.content_type.as_str(), expires_at).await?;
        let payload = EventPayload::DocumentRequested(DocumentRequested {
            lead_id: lead.id.clone(),
            lead_version: lead.version,
            document_id: document.id.clone(),
            kind: document.kind,
        });
        let event = event(self.deps, now, self.actor.clone(), payload);
        let extra = vec![put_new(document_item(&record.tenant, &document)?)];
        // Requesting a document changes the trail, not the lead's data: its version stays.
        Ok(Change::one_with(lead.clone(), event, extra, DocumentUpload { document, upload: upload.into() }))
    }
}

pub async fn request_upload(
    deps: &Deps,
    by: &Principal,
    lead_id: &str,
    request: DocumentRequest,
    idempotency: Option<&Idempotency>,
) -> Result<DocumentUpload, AppError> {
    request_upload_as(deps, &by.tenant, by.audit_actor(), lead_id, request, idempotency).await
}

/// As [`request_upload`], for `actor` (e.g. `link:<id>`, the customer on a KYC link).
pub async fn request_upload_as(
    deps: &Deps,
    tenant: &TenantId,
    actor: String,
    lead_id: &str,
    request: DocumentRequest,
    idempotency: Option<&Idempotency>,
) -> Result<DocumentUpload, AppError> {
    let change = RequestUpload { deps, actor, request };
    mutate(deps, tenant, lead_id, None, idempotency, change).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<DocumentRequest>(json).map(|r| r.director_index).map_err(|e| e.to_string())
    }

    #[test]
    fn a_director_index_is_a_whole_number_however_it_is_written() {
        assert_eq!(index(r#"{"director_index": 2}"#), Ok(Some(2)));
        assert_eq!(index(r#"{"director_index": 2.0}"#), Ok(Some(2)));
        assert_eq!(index(r#"{"director_index": 4294967295}"#), Ok(Some(u32::MAX)));
        assert_eq!(index(r#"{"director_index": null}"#), Ok(None));
        assert_eq!(index("{}"), Ok(None));
        for bad in ["2.5", "-1", "4294967296", "1e10", "\"1\""] {
            assert!(index(&format!(r#"{{"director_index": {bad}}}"#)).is_err(), "{bad}");
        }
    }
}
