//! `webhook-sender`: SQS-driven; delivers each queued event to its endpoint, signed
//! the Standard Webhooks way, and retries on the schedule through message visibility.

mod handler;

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

use kyc_app::webhooks::sender::Sender;
use kyc_aws::HttpTransport;
use kyc_domain::webhook::RetrySchedule;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    kyc_lambda::init_tracing();
    let wiring = kyc_lambda::Wiring::from_env().await?.secrets_key();
    let queue = wiring.deliveries_queue()?;
    let deps = wiring.deps()?;
    let schedule = match std::env::var("KYC_WEBHOOK_RETRY_SCHEDULE") {
        Ok(spec) if !spec.is_empty() => {
            RetrySchedule::parse(&spec).map_err(|e| format!("KYC_WEBHOOK_RETRY_SCHEDULE: {e}"))?
        }
        _ => RetrySchedule::default(),
    };
    let sender = Sender { transport: Arc::new(HttpTransport::new(deps.mode)?), schedule };
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| handler::handle(&deps, &sender, &queue, event.payload)))
        .await
}
