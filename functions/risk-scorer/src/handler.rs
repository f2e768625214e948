//! Turns an S3 event into one scoring call per record.

use aws_lambda_events::s3::S3Event;

use kyc_app::Deps;
use kyc_app::scoring::{Scoring, on_object_created};

/// S3 percent-encodes keys in events and writes spaces as `+`.
pub fn decode_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// Scores every record. A record that fails fails the invocation, so that Lambda
/// retries it (and finally hands it to the failure queue); records already scored are
/// skipped on the retry, so nothing applies twice.
pub async fn handle(deps: &Deps, scoring: &Scoring, event: S3Event) -> Result<(), lambda_runtime::Error> {
    let mut failed = 0;
    for record in &event.records {
        let Some(raw) = record.s3.object.key.as_deref() else { continue };
        if !record.event_name.as_deref().unwrap_or_default().starts_with("ObjectCreated") {
            continue;
        }
        let key = decode_key(raw);
        if let Err(e) = on_object_created(deps, scoring, &key).await {
            tracing::error!(error = %e, "scoring a document failed");
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
    use super::*;

    #[test]
    fn keys_are_url_decoded_as_s3_events_encode_them() {
        assert_eq!(decode_key("documents%2Facme%2Flead_1%2Fdoc_2"), "documents/acme/lead_1/doc_2");
        assert_eq!(decode_key("a+b%2Bc"), "a b+c");
    }

    #[test]
    fn the_fixtures_parse_as_s3_events() {
        let created: S3Event =
            serde_json::from_str(include_str!("../../../events/s3-object-created.json")).expect("fixture");
        assert_eq!(created.records.len(), 1);
        let test_event: S3Event =
            serde_json::from_str(include_str!("../../../events/s3-test-event.json")).unwrap_or_default();
        assert!(test_event.records.is_empty(), "the s3:TestEvent has no records and is a no-op");
    }
}
