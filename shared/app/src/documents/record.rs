//! A document as stored in its lead's partition, and the reads the scorer and the API
//! share.

use kyc_domain::documents::{Document, DocumentStatus};
use kyc_domain::verification::IdentityRead;
use kyc_domain::ids::LeadId;

use crate::Deps;
use crate::error::AppError;
use crate::json;
use crate::ports::table::{Attr, Condition, Item};
use crate::store::layout;
use crate::store::page;
use crate::tenant::TenantId;

/// The most documents one lead holds (more requests are refused long before).
const MAX_DOCUMENTS_PER_LEAD: usize = 1000;

pub fn document_item(tenant: &TenantId, doc: &Document) -> Result<Item, AppError> {
    Ok(Item::new(layout::document_key(tenant, &doc.lead_id, &doc.id), json::to_body("document", doc)?)
        .with_s(layout::KIND, layout::KIND_DOCUMENT)
        .with_s(layout::TENANT, tenant.as_str())
        .with_s(layout::DOCUMENT_STATUS, status_name(doc.status)))
}

/// A scored document with what a machine read of it (identity documents): kept in the
/// stored body beside the document, never in the API's answers, for later re-checks.
pub fn document_item_with_read(tenant: &TenantId, doc: &Document, read: Option<&IdentityRead>) -> Result<Item, AppError> {
    let Some(read) = read else { return document_item(tenant, doc) };
    let stored = StoredDocument { document: doc, read: Some(read) };
    let mut item = document_item(tenant, doc)?;
    item.body = json::to_body("document", &stored)?;
    Ok(item)
}

/// The read data kept with a document, if a machine read it.
pub fn read_data_of(item: &Item) -> Result<Option<IdentityRead>, AppError> {
    #[derive(serde::Deserialize)]
    struct Kept {
        #[serde(default)]
        read: Option<IdentityRead>,
    }
    Ok(json::from_body::<Kept>("document item", &item.body)?.read)
}

#[derive(serde::Serialize)]
struct StoredDocument<'a> {
    #[serde(flatten)]
    document: &'a Document,
    read: Option<&'a IdentityRead>,
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
    Condition::AttrEquals(layout::DOCUMENT_STATUS.into(), Attr::S(status_name(DocumentStatus::PendingUpload).into()))
}

pub fn parse_document(item: &Item) -> Result<Document, AppError> {
    json::from_body("document item", &item.body)
}

/// Every document of a lead with the read data kept with it, oldest first.
pub async fn documents_with_reads_of(
    deps: &Deps,
    tenant: &TenantId,
    lead: &LeadId,
) -> Result<Vec<(Document, Option<IdentityRead>)>, AppError> {
    let partition = layout::lead_pk(tenant, lead);
    page::list_all(deps.table.as_ref(), partition, layout::DOCUMENT_SK_PREFIX, true, MAX_DOCUMENTS_PER_LEAD, |item| {
        Ok(vec![(parse_document(item)?, read_data_of(item)?)])
    })
    .await
}

/// The condition that a document is still verified as it was read (a re-check lands
/// on the document only as it was read).
pub fn still_verified() -> Condition {
    Condition::AttrEquals(layout::DOCUMENT_STATUS.into(), Attr::S(status_name(DocumentStatus::Verified).into()))
}

/// Every document of a lead, oldest first.
pub async fn documents_of(deps: &Deps, tenant: &TenantId, lead: &LeadId) -> Result<Vec<Document>, AppError> {
    let partition = layout::lead_pk(tenant, lead);
    page::list_all(deps.table.as_ref(), partition, layout::DOCUMENT_SK_PREFIX, true, MAX_DOCUMENTS_PER_LEAD, |item| {
        Ok(vec![parse_document(item)?])
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_status_names_are_the_wire_names() {
        for status in [
            DocumentStatus::PendingUpload,
            DocumentStatus::Uploaded,
            DocumentStatus::Verified,
            DocumentStatus::Rejected,
        ] {
            assert_eq!(serde_json::to_value(status).expect("serialises"), status_name(status));
        }
    }
}
