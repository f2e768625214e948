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

#[test]
fn the_buckets_cors_rule_allows_only_the_pages_own_origin() {
    let template = include_str!("../../template.yaml");
    let start = template.find("AllowedOrigins:").expect("a CORS origins rule");
    let rule: String = template[start..].lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(!rule.contains('*'), "no wildcard origin: {rule}");
    assert!(rule.contains("${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"), "the API's own origin: {rule}");
}

/// Every route that API Gateway serves without the authorizer under `/l/` and
/// `/assets/` (the KYC link page) has its own throttling route setting.
#[test]
fn every_open_link_page_route_is_throttled_on_its_own() {
    let template = include_str!("../../template.yaml");
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    let mut open_routes = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(path) = line.strip_prefix("Path: ") else { continue };
        if !(path.starts_with("/l/") || path.starts_with("/assets/")) {
            continue;
        }
        let method = lines[i - 1].strip_prefix("Method: ").expect("the method above the path");
        assert_eq!(lines.get(i + 2), Some(&"Authorizer: NONE"), "{method} {path} is open");
        open_routes.push(format!("\"{method} {path}\":"));
    }
    assert_eq!(open_routes.len(), 6, "{open_routes:?}");
    for route in &open_routes {
        let at = lines.iter().position(|l| l == route).unwrap_or_else(|| panic!("no RouteSettings entry {route}"));
        assert!(lines[at + 1].starts_with("ThrottlingBurstLimit: !Ref LinkPage"), "{route}");
        assert!(lines[at + 2].starts_with("ThrottlingRateLimit: !Ref LinkPage"), "{route}");
    }
}
