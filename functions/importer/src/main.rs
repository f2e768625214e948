//! `importer`: on S3 `ObjectCreated` under `imports/`, imports the uploaded CSV or
//! NDJSON file's rows as leads, from the import's checkpoint, until the file ends or the
//! invocation's deadline nears.

mod handler;

use std::time::{Duration, SystemTime};

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    // Clients and the screening list (read on first use) live as long as the sandbox.
    let deps = kyc_lambda::Wiring::from_env().await?.documents()?.deps()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(event.context.deadline);
        handler::handle_payload(&deps, event.payload, deadline)
    }))
    .await
}
