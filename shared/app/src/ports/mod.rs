//! Every port of the application: the small traits the use cases speak to, with
//! adapters in `kyc-aws` (DynamoDB, S3, SQS, HTTP, DNS, Textract, Rekognition, KMS) and `kyc-embedded` (SQLite,
//! files, in-process queue). Ports depend on nothing else of the application.

pub mod clock;
pub mod http_client;
pub mod ids;
pub mod keys;
pub mod objects;
pub mod queue;
pub mod resolver;
pub mod screening;
pub mod sumsub;
pub mod table;
pub mod verifier;

pub use clock::{Clock, SystemClock};
pub use http_client::{TransportError, TransportResponse, WebhookTransport};
pub use ids::{Ids, UuidV7Ids};
pub use keys::{KeyWrapper, NoKeys};
pub use objects::{NoObjects, ObjectStore};
pub use queue::{NoQueue, Queue, QueueConsumer};
pub use resolver::Resolver;
pub use screening::Screening;
pub use sumsub::{NoSumsub, Sumsub, SumsubError};
pub use table::Table;
pub use verifier::{NoVerifier, StoredFile, Verifier, VerifierOutage};
