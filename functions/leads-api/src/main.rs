//! `leads-api`: lead creation, reads, patches, notes and the audit trail, behind API Gateway (HTTP API).

mod handler;

use std::sync::Arc;

use kyc_app::{Deps, SystemClock, UuidV7Ids};
use kyc_aws::DynamoTable;
use kyc_lambda::AuthorizerContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kyc_lambda::init_tracing();
    let table_name = std::env::var("KYC_TABLE").map_err(|_| "KYC_TABLE is not set")?;
    // SDK configuration and clients are built once per cold start, never per request.
    let sdk = kyc_aws::sdk_config().await;
    let deps = Deps {
        table: Arc::new(DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), table_name)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Ids),
        auth: Arc::new(AuthorizerContext),
    };
    lambda_http::run(handler::router(deps)).await
}
