//! Use cases, a folder per capability, over the ports they need. No HTTP, no AWS:
//! `kyc-http` serves these over axum, `kyc-aws` and `kyc-embedded` implement the ports.
//!
//! - `ports/`: every trait (table, objects, queue, clock, ids, HTTP client, resolver,
//!   screening, API keys)
//! - `store/`: the one table layout, the unit of work, counters, idempotency, paging
//! - `leads/`, `links/`, `documents/`, `scoring/`, `webhooks/`, `followups`, `metrics`, `auth/`:
//!   the use cases

pub mod auth;
pub mod documents;
pub mod error;
pub mod followups;
pub mod imports;
pub mod json;
pub mod leads;
pub mod links;
pub mod metrics;
pub mod ports;
pub mod scoring;
pub mod sealing;
pub mod store;
pub mod sumsub;
pub mod tenant;
pub mod webhooks;

pub use error::AppError;
pub use tenant::TenantId;

use std::sync::Arc;

use ports::{Clock, Ids, ObjectStore, Queue, Resolver, Table};

/// Everything a use case needs, built once per process (cold start) and shared.
#[derive(Clone)]
pub struct Deps {
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub objects: Arc<dyn ObjectStore>,
    /// The webhook deliveries queue.
    pub queue: Arc<dyn Queue>,
    /// Resolves webhook hosts for the SSRF check at registration.
    pub resolver: Arc<dyn Resolver>,
    /// Local mode allows loopback `http://` webhook endpoints; production only public `https://`.
    pub mode: kyc_domain::ssrf::Mode,
    /// What a lead's risk is scored with when it is created or changed: the policy, the
    /// country lists and the screening list (loaded on first use).
    pub risk: Arc<scoring::RiskRules>,
    /// Wraps the data keys that seal webhook signing secrets at rest.
    pub keys: Arc<dyn ports::KeyWrapper>,
    /// Sumsub's API (share-token imports), with each tenant's credentials.
    pub sumsub: Arc<dyn ports::Sumsub>,
}
