//! Turns an S3 event into one scoring call per record.

use aws_lambda_events::s3::S3Event;
use serde_json::Value;

use kyc_app::Deps;
use kyc_app::scoring::{Scoring, on_object_created};
use kyc_lambda::s3::{Trigger, parse_trigger};

/// Handles one invocation payload.
pub async fn handle_payload(deps: &Deps, scoring: &Scoring, payload: Value) -> Result<(), lambda_runtime::Error> {
    match parse_trigger(payload)? {
        Trigger::Test => {
            tracing::info!("s3:TestEvent received; nothing to score");
            Ok(())
        }
        Trigger::Objects(event) => handle(deps, scoring, event).await,
    }
}

/// Scores every record. A record that fails fails the invocation, so that Lambda
/// retries it (and finally hands it to the failure queue); records already scored are
/// skipped on the retry, so nothing applies twice.
pub async fn handle(deps: &Deps, scoring: &Scoring, event: S3Event) -> Result<(), lambda_runtime::Error> {
    let mut failed = 0;
    for key in kyc_lambda::s3::created_keys(&event) {
        if let Err(e) = on_object_created(deps, scoring, &key).await {
            tracing::error!(error = %kyc_app::error::report(&e), "scoring a document failed");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} records failed", event.records.len()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kyc_lambda::s3::decode_key;

    use super::*;

    #[test]
    fn keys_are_url_decoded_as_s3_events_encode_them() {
        assert_eq!(decode_key("documents%2Facme%2Flead_1%2Fdoc_2"), "documents/acme/lead_1/doc_2");
        assert_eq!(decode_key("a+b%2Bc"), "a b+c");
    }

    fn fixture(json: &str) -> Value {
        serde_json::from_str(json).expect("a JSON fixture")
    }

    #[test]
    fn an_object_created_event_is_read_with_its_record() {
        let trigger = parse_trigger(fixture(include_str!("../../../events/s3-object-created.json"))).expect("parses");
        assert!(matches!(trigger, Trigger::Objects(ref e) if e.records.len() == 1), "{trigger:?}");
    }

    #[test]
    fn the_s3_test_event_is_recognised_as_such() {
        let trigger = parse_trigger(fixture(include_str!("../../../events/s3-test-event.json"))).expect("parses");
        assert!(matches!(trigger, Trigger::Test), "{trigger:?}");
    }

    #[test]
    fn a_payload_that_is_no_s3_event_is_an_error() {
        assert!(parse_trigger(serde_json::json!({"detail-type": "Scheduled Event"})).is_err());
    }

    #[tokio::test]
    async fn the_s3_test_event_scores_nothing_and_succeeds() {
        let api = kyc_tests::api::TestApi::embedded();
        let scoring = Scoring::new(1024, None).expect("scoring");
        let payload = fixture(include_str!("../../../events/s3-test-event.json"));
        handle_payload(&api.deps, &scoring, payload).await.expect("a test event is not a failure");
    }
}

#[cfg(test)]
mod moto {
    //! The whole S3 path against moto with the real SDK: presign, a real HTTP PUT, the
    //! matching S3 event fed to this handler, the result read back.

    use std::sync::Arc;

    use serde_json::json;

    use kyc_app::scoring::Scoring;
    use kyc_tests::api::TestApi;
    use kyc_tests::{backends, fixtures};

    use super::*;

    fn s3_event(bucket: &str, key: &str) -> S3Event {
        serde_json::from_value(fixtures::s3_object_created(bucket, key)).expect("an S3 event")
    }

    #[tokio::test]
    async fn a_presigned_upload_on_moto_is_scored_once_from_its_s3_event() {
        let store = backends::s3_objects().await;
        let bucket = store.bucket().to_string();
        let api = TestApi::with_objects(backends::dynamo().await, Arc::new(store));
        let scoring = Scoring::new(10 * 1024 * 1024, None).expect("scoring");
        let lead = api
            .create(json!({"level": "enhanced", "email": "ada@example.com",
                "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10"},
                "address": {"line1": "1 High St", "city": "York", "country": "GB"}}))
            .await;
        let id = lead["id"].as_str().unwrap_or_default().to_string();
        let reply = api
            .post(&format!("/v1/leads/{id}/documents"), json!({"kind": "passport", "content_type": "image/png"}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let upload = &reply.body["upload"];
        let doc = reply.body["document"]["id"].as_str().unwrap_or_default().to_string();

        let mut put =
            reqwest::Client::new().put(upload["url"].as_str().unwrap_or_default()).body(fixtures::png(1200, 800, 42));
        for (name, value) in upload["headers"].as_object().cloned().unwrap_or_default() {
            put = put.header(name, value.as_str().unwrap_or_default());
        }
        let second = put.try_clone().expect("a plain body clones");
        let status = put.send().await.expect("moto answers").status();
        assert!(status.is_success(), "the presigned PUT is accepted: {status}");
        let again = second.send().await.expect("moto answers").status();
        assert_eq!(again.as_u16(), 412, "the URL creates the object once (If-None-Match: *), never replaces it");

        let event = s3_event(&bucket, &format!("documents/acme/{id}/{doc}"));
        handle(&api.deps, &scoring, event.clone()).await.expect("handled");
        let document = api.get(&format!("/v1/leads/{id}/documents/{doc}")).await.body;
        assert_eq!(document["status"], "verified", "{document}");
        assert!(document["download"]["url"].as_str().is_some_and(|u| u.contains(&bucket)));
        let trail = api.audit(&id).await.len();

        handle(&api.deps, &scoring, event).await.expect("a repeated event is fine");
        assert_eq!(api.audit(&id).await.len(), trail, "a second event changes nothing");
    }
}
