//! Document use cases: ask for an upload URL, list a lead's documents, read one with a
//! short-lived download link. Files go straight from the customer's device to storage;
//! the scorer (`scoring`) takes over when a file lands.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use kyc_domain::audit::Action;
use kyc_domain::document::{ContentType, Document, DocumentData, DocumentKind, DocumentObject, DocumentStatus, Side};
use kyc_domain::ids::{DocumentId, LeadId};
use kyc_domain::lead::LeadType;
use kyc_domain::validation::{Errors, parse_date};

use crate::Deps;
use crate::auth::TenantId;
use crate::cursor;
use crate::error::AppError;
use crate::idempotency::Idempotency;
use crate::keys;
use crate::leads::{Change, LeadRecord, ListPage, Outcome, Replayable, actor, draft, mutate};
use crate::objects::PresignedRequest;
use crate::table::{Attr, Condition, Index, Item, Query, SortKey, Write};

/// Upload URLs live at most 15 minutes (the contract's bound).
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);
/// Reviewers' download links are short-lived.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    pub kind: Option<DocumentKind>,
    pub side: Option<Side>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    pub director_index: Option<u32>,
    pub data: Option<DocumentDataInput>,
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

impl Replayable for DocumentUpload {
    fn etag(&self) -> Option<String> {
        None
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentWithDownload {
    #[serde(flatten)]
    pub document: Document,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<Download>,
}

/// `documents/{tenant}/{lead}/{doc}`: the one object key a document's file may have.
pub fn object_key(tenant: &TenantId, lead: &LeadId, doc: &DocumentId) -> String {
    format!("documents/{tenant}/{lead}/{doc}")
}

/// The parts of an object key, if it is one of ours.
pub fn parse_object_key(key: &str) -> Option<(TenantId, LeadId, DocumentId)> {
    let rest = key.strip_prefix("documents/")?;
    let mut parts = rest.split('/');
    let (tenant, lead, doc) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((TenantId::parse(tenant)?, LeadId::parse(lead)?, DocumentId::parse(doc)?))
}

pub fn document_key(tenant: &TenantId, lead: &LeadId, doc: &DocumentId) -> crate::table::Key {
    crate::table::Key::new(keys::lead_pk(tenant, lead), format!("DOC#{doc}"))
}

pub fn document_item(tenant: &TenantId, doc: &Document) -> Item {
    Item::new(document_key(tenant, &doc.lead_id, &doc.id), serde_json::to_string(doc).unwrap_or_default())
        .with_s(keys::KIND, "document")
        .with_s("tenant", tenant.as_str())
        .with_s("status", status_name(doc.status))
}

pub fn status_name(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::PendingUpload => "pending_upload",
        DocumentStatus::Uploaded => "uploaded",
        DocumentStatus::Verified => "verified",
        DocumentStatus::Rejected => "rejected",
    }
}

/// The condition that a document is still waiting for its file (scoring happens once).
pub fn still_pending() -> Condition {
    Condition::AttrEquals("status".into(), Attr::S(status_name(DocumentStatus::PendingUpload).into()))
}

pub fn parse_document(item: &Item) -> Result<Document, AppError> {
    serde_json::from_str(&item.body).map_err(|e| AppError::unreadable("document item", &e))
}

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
            e.add(
                "kind",
                format!(
                    "is not required at level {}",
                    serde_json::to_value(lead.level).unwrap_or_default().as_str().unwrap_or("?")
                ),
            );
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
    request: DocumentRequest,
}

#[async_trait::async_trait]
impl crate::leads::AsyncChange<DocumentUpload> for RequestUpload<'_> {
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
        let key = object_key(&record.tenant, &lead.id, &document.id);
        let expires_at = now + TimeDelta::from_std(UPLOAD_TTL).unwrap_or_default();
        let upload = self.deps.objects.presign_put(&key, valid.content_type.as_str(), expires_at).await?;
        let data = json!({ "lead_id": lead.id, "lead_version": lead.version, "document_id": document.id, "kind": document.kind });
        let event = draft(self.deps, now, actor(None), Action::DocumentRequested, data);
        let extra =
            vec![Write::Put { item: document_item(&record.tenant, &document), condition: Condition::NotExists }];
        // Requesting a document changes the trail, not the lead's data: its version stays.
        Ok(Outcome::Changed(Change {
            lead: lead.clone(),
            evidence: None,
            follow_ups: None,
            events: vec![event],
            extra,
            output: DocumentUpload { document, upload: upload.into() },
        }))
    }
}

pub async fn request_upload(
    deps: &Deps,
    tenant: &TenantId,
    lead_id: &str,
    request: DocumentRequest,
    idempotency: Option<&Idempotency>,
) -> Result<DocumentUpload, AppError> {
    let change = RequestUpload { deps, request };
    mutate(deps, tenant, lead_id, None, idempotency.map(|i| (i, 201)), change).await
}

pub async fn list_documents(
    deps: &Deps,
    tenant: &TenantId,
    lead_id: &str,
    limit: u32,
    after: Option<&str>,
) -> Result<ListPage<Document>, AppError> {
    let record = crate::leads::load(deps, tenant, lead_id).await?;
    let partition = keys::lead_pk(tenant, &record.lead.id);
    let start_after = after.map(|c| cursor::decode(c, Index::Primary, &partition)).transpose()?;
    let query = Query {
        index: Index::Primary,
        partition: partition.clone(),
        sort: SortKey::BeginsWith("DOC#".into()),
        forward: true,
        limit: limit.clamp(1, 100),
        start_after,
    };
    let page = deps.table.query(&query).await?;
    let data = page.items.iter().map(parse_document).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = page.next.map(|k| cursor::encode(Index::Primary, &partition, &k));
    Ok(ListPage { data, next_cursor })
}

pub async fn get_document(
    deps: &Deps,
    tenant: &TenantId,
    lead_id: &str,
    doc_id: &str,
) -> Result<DocumentWithDownload, AppError> {
    let lead = LeadId::parse(lead_id).ok_or(AppError::NotFound("document"))?;
    let doc = DocumentId::parse(doc_id).ok_or(AppError::NotFound("document"))?;
    let item = deps.table.get(&document_key(tenant, &lead, &doc)).await?.ok_or(AppError::NotFound("document"))?;
    let document = parse_document(&item)?;
    let download = if document.status == DocumentStatus::PendingUpload {
        None
    } else {
        let expires_at = deps.clock.now() + TimeDelta::from_std(DOWNLOAD_TTL).unwrap_or_default();
        let link = deps.objects.presign_get(&object_key(tenant, &lead, &doc), expires_at).await?;
        Some(Download { url: link.url, expires_at })
    };
    Ok(DocumentWithDownload { document, download })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_round_trip_and_foreign_keys_are_refused() {
        let tenant = TenantId::parse("acme").expect("tenant");
        let lead = LeadId::from_uuid(uuid::Uuid::now_v7());
        let doc = DocumentId::from_uuid(uuid::Uuid::now_v7());
        let key = object_key(&tenant, &lead, &doc);
        assert_eq!(parse_object_key(&key), Some((tenant, lead, doc)));
        for bad in ["imports/acme/x", "documents/acme", "documents/a#b/lead_x/doc_y", &format!("{key}/extra")] {
            assert_eq!(parse_object_key(bad), None, "{bad}");
        }
    }
}
