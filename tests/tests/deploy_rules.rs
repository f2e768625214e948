//! Rules of the deployed shape that only a deploy would otherwise show, checked
//! against the template and the real SDK.

use chrono::{TimeDelta, Utc};

use kyc_app::ports::ObjectStore;
use kyc_tests::backends;

/// The bucket's CORS `AllowedHeaders`, as `template.yaml` declares them.
fn cors_allowed_headers() -> Vec<String> {
    let template = include_str!("../../template.yaml");
    let rules: Vec<&str> = template.lines().map(str::trim).filter(|l| l.starts_with("AllowedHeaders:")).collect();
    assert_eq!(rules.len(), 1, "one CORS rule lists the allowed headers");
    let list = rules[0].trim_start_matches("AllowedHeaders:").trim();
    let list = list.strip_prefix('[').and_then(|l| l.strip_suffix(']')).expect("a flow list [a, b]");
    list.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect()
}

#[tokio::test]
async fn every_header_an_upload_url_signs_passes_the_buckets_cors_preflight() {
    let store = backends::s3_objects().await;
    let upload = store
        .presign_put("documents/acme/lead_x/doc_y", "image/png", Utc::now() + TimeDelta::minutes(15))
        .await
        .expect("presigned");
    assert!(!upload.headers.is_empty(), "an upload URL binds its content type at least");
    let allowed = cors_allowed_headers();
    for name in upload.headers.keys() {
        assert!(
            allowed.contains(&name.to_ascii_lowercase()),
            "a browser sends `{name}` with the upload, so the preflight must allow it: {allowed:?}"
        );
    }
}
