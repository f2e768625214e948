//! `links-api`: KYC link creation (behind the authorizer) and the hosted verification
//! page with its JSON calls (no authorizer: the link token is their credential), behind
//! API Gateway (HTTP API).

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    kyc_lambda::init_tracing();
    // SDK configuration and clients are built once per cold start, never per request;
    // only the adapters this function's routes use (the rest are not even linked).
    let api = kyc_lambda::Wiring::from_env().await?.documents()?.api()?;
    // The page may upload only to the documents bucket (its Content-Security-Policy).
    let upload_origin = std::env::var("KYC_UPLOAD_ORIGIN").ok().filter(|o| !o.is_empty());
    lambda_http::run(handler::router(api, upload_origin)).await
}
