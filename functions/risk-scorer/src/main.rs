//! `risk-scorer`: on S3 `ObjectCreated` under `documents/`, checks the file, scores the
//! lead's risk and applies the decision policy.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    // Clients, the country lists and the screening list are loaded once per cold start.
    let deps = kyc_lambda::Wiring::from_env().await?.documents()?.deps()?;
    let scoring = kyc_lambda::scoring(&deps).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handler::handle_payload(&deps, &scoring, event.payload)
    }))
    .await
}
