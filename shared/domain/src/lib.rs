//! The KYC rules, free of I/O and of AWS. A folder per capability: `lead` (the lead,
//! its input and follow-ups), `documents` (document types and the checks of uploaded
//! files and of an identity document's data), `risk` (scoring, country lists,
//! screening and the decision policy). Beside them: the status machine, levels and
//! requirements, input validation, identifiers, the SSRF rules for outbound URLs,
//! webhooks (bodies, signatures, retries, settlement), and the hash-chained audit trail
//! with its typed event payloads (`events`).

pub mod audit;
pub mod documents;
pub mod events;
pub mod ids;
pub mod import;
pub mod lead;
pub mod requirement;
pub mod risk;
pub mod ssrf;
pub mod status;
pub mod sumsub;
pub mod validation;
pub mod verification;
pub mod webhook;

pub use audit::{Action, AuditEvent, GENESIS_HASH};
pub use ids::{EventId, LeadId};
pub use lead::{Lead, LeadType, Level, RejectionReason, Source};
pub use requirement::{Evidence, Requirement, Requirements};
pub use status::{Decision, Status, TransitionError};
pub use validation::FieldError;
