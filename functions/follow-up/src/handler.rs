//! A scheduled invocation runs the job once; its payload carries nothing we need.

use kyc_app::Deps;
use kyc_app::followups::{FollowUpRun, run};

pub async fn handle(
    deps: &Deps,
    delay: chrono::TimeDelta,
    _event: serde_json::Value,
) -> Result<FollowUpRun, lambda_runtime::Error> {
    Ok(run(deps, delay).await?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeDelta;
    use serde_json::{Value, json};

    use kyc_tests::api::TestApi;
    use kyc_tests::clock::ManualClock;

    use super::handle;

    fn schedule_event() -> Value {
        serde_json::from_str(include_str!("../../../events/scheduler-follow-up.json")).expect("fixture")
    }

    #[tokio::test]
    async fn a_scheduled_run_follows_up_a_waiting_lead_once_per_slot() {
        let clock = Arc::new(ManualClock::starting_now());
        let api = TestApi::embedded().with_clock(clock.clone());
        let lead = api.create(json!({"email": "a@example.com"})).await;
        let delay = TimeDelta::hours(24);

        let early = handle(&api.deps, delay, schedule_event()).await.expect("ran");
        assert_eq!(early.sent, 0, "nothing is due before one delay");

        clock.advance(delay);
        let due = handle(&api.deps, delay, schedule_event()).await.expect("ran");
        assert_eq!(due.sent, 1);
        let again = handle(&api.deps, delay, schedule_event()).await.expect("ran");
        assert_eq!(again.sent, 0, "a second invocation of the same schedule sends nothing twice");

        let trail = api.audit(lead["id"].as_str().expect("an id")).await;
        assert_eq!(trail.iter().filter(|e| e["action"] == "follow_up.sent").count(), 1);
    }
}
