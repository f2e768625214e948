//! End-to-end and cross-backend tests: the `Table` contract suite that every backend
//! must pass, the API through the router, concurrency, and `kyc-local` as a process.
//! This file holds the harness those tests share.

pub mod api;
pub mod backends;
pub mod browser;
pub mod clock;
pub mod contract;
pub mod fixtures;
pub mod local;
pub mod queue_contract;
pub mod receiver;
