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
    let deps = kyc_lambda::api_deps().await?;
    let schedule = match std::env::var("KYC_WEBHOOK_RETRY_SCHEDULE") {
        Ok(spec) if !spec.is_empty() => {
            RetrySchedule::parse(&spec).map_err(|e| format!("KYC_WEBHOOK_RETRY_SCHEDULE: {e}"))?
        }
        _ => RetrySchedule::default(),
    };
    let sender = Sender { transport: Arc::new(HttpTransport::new(kyc_lambda::webhook_mode())?), schedule };
    let queue = kyc_lambda::deliveries_queue().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| handler::handle(&deps, &sender, &queue, event.payload)))
        .await
}
