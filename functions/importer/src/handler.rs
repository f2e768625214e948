//! Turns an S3 event into one import run per uploaded file.

use std::time::{Duration, SystemTime};

use aws_lambda_events::s3::S3Event;
use serde_json::Value;

use kyc_app::Deps;
use kyc_app::imports::{ImportRun, on_object_created};
use kyc_lambda::s3::{Trigger, created_keys, parse_trigger};

/// Time kept in hand before the invocation's deadline: a batch commits in well under a
/// second, so the run stops between batches with its checkpoint committed, never killed
/// in the middle of one.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(30);

/// Handles one invocation payload, stopping the runs `DEADLINE_MARGIN` before `deadline`.
pub async fn handle_payload(deps: &Deps, payload: Value, deadline: SystemTime) -> Result<(), lambda_runtime::Error> {
    match parse_trigger(payload)? {
        Trigger::Test => {
            tracing::info!("s3:TestEvent received; nothing to import");
            Ok(())
        }
        Trigger::Objects(event) => {
            let stop = move || SystemTime::now() + DEADLINE_MARGIN >= deadline;
            handle(deps, &event, &stop).await
        }
    }
}

/// Runs the import of every uploaded file, each from its checkpoint. An import that
/// failed, or stopped at the deadline, fails the invocation: Lambda delivers the event
/// again (twice, then to the failure queue, from which a replay works the same), and
/// that attempt resumes at the checkpoint; a finished import is not run again.
pub async fn handle(
    deps: &Deps,
    event: &S3Event,
    stop: &(dyn Fn() -> bool + Send + Sync),
) -> Result<(), lambda_runtime::Error> {
    let keys = created_keys(event);
    let mut unfinished = 0;
    for key in &keys {
        match on_object_created(deps, key, stop).await {
            Ok(ImportRun::Paused { rows }) => {
                tracing::warn!(key = %key, rows, "import stopped at the deadline; the retry resumes it");
                unfinished += 1;
            }
            Ok(run) => tracing::info!(key = %key, run = ?run, "import run"),
            Err(e) => {
                tracing::error!(key = %key, error = %kyc_app::error::report(&e), "an import run failed");
                unfinished += 1;
            }
        }
    }
    if unfinished > 0 {
        return Err(format!("{unfinished} of {} imports unfinished", keys.len()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use kyc_tests::api::TestApi;
    use kyc_tests::backends;

    use super::*;

    const FILE: &[u8] = b"external_id,email,first_name,last_name\r\nc-1,a@example.com,Ada,Lovelace\r\nc-2,b@example.com,Alan,Turing\r\n";

    fn s3_event(bucket: &str, key: &str) -> S3Event {
        serde_json::from_value(kyc_tests::fixtures::s3_object_created(bucket, key)).expect("an S3 event")
    }

    /// Asks for a CSV import; answers its id and the upload.
    async fn start(api: &TestApi) -> (String, Value) {
        let reply = api.post("/v1/imports", json!({"format": "csv"})).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        (reply.body["id"].as_str().unwrap_or_default().to_string(), reply.body["upload"].clone())
    }

    #[tokio::test]
    async fn the_s3_test_event_imports_nothing_and_succeeds() {
        let api = TestApi::embedded();
        let payload = serde_json::from_str(include_str!("../../../events/s3-test-event.json")).expect("fixture");
        let later = SystemTime::now() + Duration::from_secs(600);
        handle_payload(&api.deps, payload, later).await.expect("a test event is not a failure");
    }

    #[tokio::test]
    async fn a_run_stopped_at_the_deadline_fails_the_invocation_and_the_retry_finishes_it() {
        let api = TestApi::embedded();
        let (id, _) = start(&api).await;
        let key = format!("imports/acme/{id}");
        api.objects.write(&key, FILE).await.expect("stored");
        let event = s3_event("bucket", &key);
        // An invocation already at its deadline stops before the first batch.
        let past = SystemTime::now();
        let payload = serde_json::to_value(&event).expect("an event serializes");
        assert!(handle_payload(&api.deps, payload, past).await.is_err(), "Lambda must retry");
        assert_eq!(api.get(&format!("/v1/imports/{id}")).await.body["total"], 0);

        handle(&api.deps, &event, &|| false).await.expect("the retry finishes");
        let report = api.get(&format!("/v1/imports/{id}")).await.body;
        assert_eq!((report["status"].as_str(), report["created"].as_u64()), (Some("completed"), Some(2)), "{report}");
    }

    /// The deployed path on moto: the upload URL, a real PUT, the S3 event delivered
    /// twice (S3 delivers at least once): the rows are imported once.
    #[tokio::test]
    async fn an_upload_on_moto_is_imported_once_from_its_event_delivered_twice() {
        let store = backends::s3_objects().await;
        let bucket = store.bucket().to_string();
        let api = TestApi::with_objects(backends::dynamo().await, Arc::new(store));
        let (id, upload) = start(&api).await;
        let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap_or_default()).body(FILE.to_vec());
        for (name, value) in upload["headers"].as_object().cloned().unwrap_or_default() {
            put = put.header(name, value.as_str().unwrap_or_default());
        }
        let status = put.send().await.expect("moto answers").status();
        assert!(status.is_success(), "the presigned PUT is accepted: {status}");

        let event = s3_event(&bucket, &format!("imports/acme/{id}"));
        handle(&api.deps, &event, &|| false).await.expect("imported");
        handle(&api.deps, &event, &|| false).await.expect("a repeated event is fine");
        let report = api.get(&format!("/v1/imports/{id}")).await.body;
        assert_eq!(report["status"], "completed", "{report}");
        assert_eq!((report["total"].as_u64(), report["created"].as_u64()), (Some(2), Some(2)), "{report}");
        let leads = api.get("/v1/leads?limit=100").await.body;
        assert_eq!(leads["data"].as_array().map(Vec::len), Some(2), "{leads}");
    }
}
