//! `webhooks-api`: webhook endpoints, their deliveries, manual retries and the event
//! feed, behind API Gateway (HTTP API).

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kyc_lambda::init_tracing();
    // SDK configuration and clients are built once per cold start, never per request;
    // only the adapters this function's routes use (the rest are not even linked).
    let api = kyc_lambda::Wiring::from_env().await?.deliveries()?.secrets_key().api()?;
    lambda_http::run(handler::router(api)).await
}
