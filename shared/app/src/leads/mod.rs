//! Lead use cases: create, read, list, patch, decide, add notes, read the trail.

mod create;
mod notes;
pub(crate) mod patch;
mod read;
mod status;

pub use create::{FreshLead, PreparedLead, create_lead};
pub use notes::{Note, NoteInput, add_note};
pub use patch::{merge_patch, patch_lead};
pub use read::{LeadFilter, audit_trail, get_lead, list_leads};
pub use status::{StatusAnswer, StatusChangeInput, change_status};

use kyc_domain::lead::Lead;

use crate::store::Replayable;

/// The ETag of a lead's version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

impl Replayable for Lead {
    fn etag(&self) -> Option<String> {
        Some(etag(self.version))
    }
}
