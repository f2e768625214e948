//! Reading documents: a lead's list, and one document with a short-lived download
//! link once its file is there (an attachment to save, never a page to render).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use kyc_domain::documents::{Document, DocumentStatus};
use kyc_domain::ids::{DocumentId, LeadId};

use crate::Deps;
use crate::documents::record::parse_document;
use crate::error::AppError;
use crate::ports::objects::Attachment;
use crate::store::page::{self, ListPage, ListQuery, PageRequest};
use crate::store::{layout, load};
use crate::tenant::TenantId;

/// Reviewers' download links are short-lived.
pub const DOWNLOAD_TTL: TimeDelta = TimeDelta::minutes(5);

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

pub async fn list_documents(
    deps: &Deps,
    tenant: &TenantId,
    lead_id: &str,
    page: &PageRequest,
) -> Result<ListPage<Document>, AppError> {
    let record = load(deps, tenant, lead_id).await?;
    let partition = layout::lead_pk(tenant, &record.lead.id);
    let query = ListQuery::partition(partition, layout::DOCUMENT_SK_PREFIX, true, page);
    page::list(deps.table.as_ref(), query, |item| Ok(vec![parse_document(item)?])).await
}

pub async fn get_document(
    deps: &Deps,
    tenant: &TenantId,
    lead_id: &str,
    doc_id: &str,
) -> Result<DocumentWithDownload, AppError> {
    let lead = LeadId::parse(lead_id).ok_or(AppError::NotFound("document"))?;
    let doc = DocumentId::parse(doc_id).ok_or(AppError::NotFound("document"))?;
    let item =
        deps.table.get(&layout::document_key(tenant, &lead, &doc)).await?.ok_or(AppError::NotFound("document"))?;
    let document = parse_document(&item)?;
    let download = if document.status == DocumentStatus::PendingUpload {
        None
    } else {
        let expires_at = deps.clock.now() + DOWNLOAD_TTL;
        // Saved as `{document_id}.{ext}` with the declared type (the one the upload was
        // bound to), never shown inline: see `Attachment`.
        let attachment = Attachment::new(
            &format!("{}.{}", document.id, document.content_type.extension()),
            document.content_type.as_str(),
        );
        let key = layout::document_object_key(tenant, &lead, &doc);
        let link = deps.objects.presign_get(&key, &attachment, expires_at).await?;
        Some(Download { url: link.url, expires_at })
    };
    Ok(DocumentWithDownload { document, download })
}
