//! Use cases, ports and the HTTP routers shared by the Lambda functions and `kyc-local`.

pub mod auth;
pub mod cursor;
pub mod documents;
pub mod error;
pub mod followups;
pub mod http;
pub mod idempotency;
pub mod keys;
pub mod leads;
pub mod metrics;
pub mod objects;
pub mod ports;
pub mod problem;
pub mod queue;
pub mod relay;
pub mod scoring;
pub mod sender;
pub mod table;
pub mod webhooks;

pub use error::AppError;
pub use ports::{Clock, Ids, SystemClock, UuidV7Ids};

use std::sync::Arc;

use auth::Authenticate;
use objects::ObjectStore;
use queue::Queue;
use table::Table;

/// Everything a use case needs, built once per process (cold start) and shared.
#[derive(Clone)]
pub struct Deps {
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub auth: Arc<dyn Authenticate>,
    pub objects: Arc<dyn ObjectStore>,
    /// The webhook deliveries queue.
    pub queue: Arc<dyn Queue>,
    /// Local mode allows loopback `http://` webhook endpoints; production only public `https://`.
    pub mode: kyc_domain::ssrf::Mode,
}
