//! `status-api`: lead status transitions, behind API Gateway (HTTP API).

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kyc_lambda::init_tracing();
    // SDK configuration and clients are built once per cold start, never per request.
    let api = kyc_lambda::api().await?;
    lambda_http::run(handler::router(api)).await
}
