//! `event-relay`: reads the table's stream (filtered to audit events, the outbox) and
//! queues one delivery per webhook event and subscribed endpoint.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    let deps = kyc_lambda::Wiring::from_env().await?.deliveries()?.deps()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| handler::handle(&deps, event.payload))).await
}
