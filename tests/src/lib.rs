//! End-to-end and cross-backend tests: the `Table` contract suite that every backend
//! must pass, the API through the router, concurrency, `kyc-local` as a process, and a
//! fake of Textract and Rekognition.
//! This file holds the harness those tests share.

pub mod api;
pub mod backends;
pub mod browser;
pub mod clock;
pub mod contract;
pub mod counting;
pub mod fake_sumsub;
pub mod fake_verifier;
pub mod fixtures;
pub mod identity;
pub mod lambda_stack;
pub mod local;
pub mod queue_contract;
pub mod receiver;
