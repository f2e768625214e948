//! `follow-up`: run by EventBridge Scheduler; records a follow-up for every lead
//! waiting longer than `KYC_FOLLOW_UP_AFTER` seconds (default 24 h), at most three each.

mod handler;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    let deps = kyc_lambda::Wiring::from_env().await?.sumsub()?.deps()?;
    let delay = match std::env::var("KYC_FOLLOW_UP_AFTER") {
        Ok(v) if !v.is_empty() => {
            v.parse::<i64>().ok().filter(|s| *s >= 1).ok_or("KYC_FOLLOW_UP_AFTER must be whole seconds >= 1")?
        }
        _ => kyc_domain::lead::followup::DEFAULT_DELAY_SECONDS,
    };
    let delay = chrono::TimeDelta::seconds(delay);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        handler::handle(&deps, delay, event.payload)
    }))
    .await
}
