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
    #[test]
    fn the_schedule_fixture_is_json() {
        let event: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/scheduler-follow-up.json")).expect("fixture");
        assert!(event.is_object());
    }
}
