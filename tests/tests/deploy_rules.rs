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

/// The lines of one resource of `template.yaml` (from its name to the next resource).
fn template_resource(name: &str) -> Vec<&'static str> {
    let template = include_str!("../../template.yaml");
    let start = format!("  {name}:");
    let mut lines = template.lines().skip_while(|l| *l != start);
    let first = lines.next().unwrap_or_else(|| panic!("template.yaml declares {name}"));
    let rest = lines.take_while(|l| l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#'));
    std::iter::once(first).chain(rest).collect()
}

#[test]
fn the_risk_scorer_may_call_every_verifier_operation_the_adapter_calls() {
    use kyc_tests::fake_verifier::Operation;
    let scorer = template_resource("RiskScorerFunction");
    let granted: Vec<&str> = scorer.iter().map(|l| l.trim()).filter_map(|l| l.strip_prefix("- ")).collect();
    for operation in Operation::ALL {
        // X-Amz-Target `Textract.AnalyzeID` is the IAM action `textract:AnalyzeID`.
        let (service, name) = operation.target().split_once('.').expect("Service.Operation");
        let prefix = if service == "Textract" { "textract" } else { "rekognition" };
        let action = format!("{prefix}:{name}");
        assert!(granted.contains(&action.as_str()), "the risk scorer's role lacks {action}");
    }
    // The services read the objects with the scorer's own credentials.
    assert!(granted.contains(&"s3:GetObject"), "the risk scorer reads documents/* itself and through the services");
}

#[test]
fn the_risk_scorers_timeout_covers_three_verifier_calls_with_their_retries() {
    let scorer = template_resource("RiskScorerFunction");
    let timeout: u64 = scorer
        .iter()
        .find_map(|l| l.trim().strip_prefix("Timeout:"))
        .expect("the risk scorer sets its own timeout")
        .trim()
        .parse()
        .expect("seconds");
    let call = kyc_aws::CallPolicy::default().operation_timeout.as_secs();
    assert!(timeout >= 3 * call + 30, "Timeout {timeout} s must cover 3 verifier calls of up to {call} s and the rest");
}

/// The Sumsub credentials secret is readable by the functions that call Sumsub (the
/// leads API for share tokens and Sumsub's webhook, the follow-up job for its re-read)
/// and by no other; Sumsub's webhook reaches the leads API without the authorizer.
#[test]
fn only_the_functions_that_call_sumsub_may_read_its_credentials() {
    let template = include_str!("../../template.yaml");
    let functions: Vec<&str> = template
        .lines()
        .filter_map(|l| l.strip_prefix("  ").and_then(|l| l.strip_suffix(':')))
        .filter(|name| !name.starts_with(' ') && name.ends_with("Function"))
        .collect();
    assert!(functions.len() >= 8, "{functions:?}");
    for name in functions {
        let resource = template_resource(name);
        let reads_secret = resource.iter().any(|l| l.contains("secretsmanager:GetSecretValue"));
        let calls_sumsub = ["LeadsApiFunction", "FollowUpFunction"].contains(&name);
        assert_eq!(reads_secret, calls_sumsub, "{name} reading the Sumsub secret");
        if calls_sumsub {
            assert!(resource.iter().any(|l| l.trim() == "Resource: !Ref SumsubCredentialsSecretArn"), "{name}");
            assert!(resource.iter().any(|l| l.trim() == "KYC_SUMSUB_SECRET_ARN: !Ref SumsubCredentialsSecretArn"));
        }
    }
    let leads = template_resource("LeadsApiFunction");
    let lines: Vec<&str> = leads.iter().map(|l| l.trim()).collect();
    let at = lines.iter().position(|l| *l == "Path: /v1/integrations/sumsub/webhook").expect("the webhook route");
    assert_eq!((lines[at - 1], lines[at + 2]), ("Method: POST", "Authorizer: NONE"));
}
