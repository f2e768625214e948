//! `authorizer`: API Gateway HTTP API Lambda authorizer (simple responses) mapping an
//! API key to its tenant.

mod handler;

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

use kyc_app::auth::TableKeys;
use kyc_aws::DynamoTable;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    let table_name = std::env::var("KYC_TABLE").map_err(|_| "KYC_TABLE is not set")?;
    // Built once per cold start, reused by every invocation.
    let sdk = kyc_aws::sdk_config().await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), table_name);
    let keys = TableKeys::new(Arc::new(table));
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| handler::authorize(&keys, event.payload))).await
}
