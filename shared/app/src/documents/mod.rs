//! Document use cases: ask for an upload URL, list a lead's documents, read one with a
//! short-lived download link. The scorer (`scoring`) takes over when a file lands.

mod read;
pub mod record;
mod request;

pub use read::{DOWNLOAD_TTL, DocumentWithDownload, Download, get_document, list_documents};
pub use request::{
    DocumentDataInput, DocumentRequest, DocumentUpload, UPLOAD_TTL, UploadInstruction, request_upload,
    request_upload_as, whole_number,
};
