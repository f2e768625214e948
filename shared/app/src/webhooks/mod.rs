//! Webhooks: endpoints the integrator registers, the relay that turns committed audit
//! events into queued deliveries, the sender that makes and records each attempt, the
//! delivery log with manual retries, and the event feed for reconciliation.

pub mod deliveries;
pub mod endpoints;
pub mod feed;
pub mod relay;
pub mod sender;

pub use deliveries::{Delivery, DeliveryMessage, DeliveryRetry, list_deliveries, retry_delivery};
pub use endpoints::{
    Endpoint, EndpointInput, EndpointRecord, EndpointStatus, check_endpoint_url, create_endpoint, delete_endpoint,
    get_endpoint, list_endpoints, load_endpoint, rotate_secret, update_endpoint,
};
pub use feed::list_events;
pub use relay::{RelayReport, relay, relay_items};
pub use sender::{Sender, deliver, deliver_batch};
