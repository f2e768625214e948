//! The OpenAPI document (`infra/openapi.json`, served at `/v1/openapi.json`) against
//! the code it describes, so that neither drifts from the other unnoticed:
//! - every enumeration lists exactly the wire names of the server's Rust enum;
//! - every request example in the document is accepted by the server;
//! - the documented patterns of free text, `If-Match`, ids and cursors accept exactly
//!   what the server accepts, and what it issues.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use strum::IntoEnumIterator;

use kyc_domain::audit::Action;
use kyc_domain::documents::{CheckResult, ContentType, DocumentKind, DocumentStatus, Side};
use kyc_domain::import::{ImportFormat, ImportStatus};
use kyc_domain::lead::{LeadType, Level, RejectionReason, RiskLevel, Source};
use kyc_domain::risk::country::CODES;
use kyc_domain::status::Status;
use kyc_domain::validation::Errors;
use kyc_domain::webhook::{DeliveryStatus, EventType};
use kyc_tests::api::{TestApi, complete_individual};

fn document() -> Value {
    serde_json::from_str(kyc_http::OPENAPI).expect("the document is JSON")
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn strings(value: &Value) -> BTreeSet<String> {
    value.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
}

fn wire<T: Serialize>(values: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    values
        .into_iter()
        .map(|v| serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).expect("a string enum"))
        .collect()
}

#[test]
fn every_enumeration_lists_exactly_the_servers_values() {
    let doc = document();
    let schemas = [
        ("Status", wire(Status::ALL)),
        ("Level", wire(Level::iter())),
        ("LeadType", wire(LeadType::iter())),
        ("Source", wire(Source::iter())),
        ("RejectionReason", wire(RejectionReason::iter())),
        ("DocumentKind", wire(DocumentKind::iter())),
        ("Side", wire(Side::iter())),
        ("DocumentStatus", wire(DocumentStatus::iter())),
        ("DocumentContentType", wire(ContentType::iter())),
        ("CheckResult", wire(CheckResult::iter())),
        ("EventType", wire(EventType::ALL)),
        ("Action", wire(Action::ALL)),
        ("ImportFormat", wire(ImportFormat::iter())),
        ("ImportStatus", wire(ImportStatus::iter())),
        ("CountryCode", CODES.iter().map(|c| c.to_string()).collect()),
    ];
    for (name, server) in schemas {
        assert_eq!(strings(&schema(&doc, name)["enum"]), server, "enum of {name}");
    }
    let inline = [
        (&schema(&doc, "Risk")["properties"]["level"], wire(RiskLevel::iter())),
        (&schema(&doc, "Delivery")["properties"]["status"], wire(DeliveryStatus::iter())),
        (&schema(&doc, "DocumentCreate")["properties"]["content_type"], wire(ContentType::iter())),
    ];
    for (property, server) in inline {
        let mut documented = strings(&property["enum"]);
        documented.extend(property["anyOf"].as_array().into_iter().flatten().flat_map(|b| strings(&b["enum"])));
        assert_eq!(documented, server, "{property}");
    }
    // The webhook subscription takes the event types or "*".
    let events = &schema(&doc, "WebhookEndpointCreate")["properties"]["events"]["items"]["anyOf"];
    assert!(events.as_array().is_some_and(|b| b.iter().any(|b| b["const"] == "*")));
}

// ------------------------------------------------------------------ request examples

/// Every example of every request body, with the operation it belongs to.
fn request_examples(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(content) = operation["requestBody"]["content"].as_object() else { continue };
            let mut found = Vec::new();
            for media in content.values() {
                found.extend(media.get("example").cloned());
                for example in media["examples"].as_object().into_iter().flat_map(|e| e.values()) {
                    found.push(example["value"].clone());
                }
                if let Some(name) = media["schema"]["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                    found.extend(schema(doc, name)["examples"].as_array().cloned().unwrap_or_default());
                }
            }
            assert!(!found.is_empty(), "{method} {path} has a request body and no example of it");
            all.extend(found.into_iter().map(|e| (method.to_uppercase(), path.clone(), e)));
        }
    }
    all
}

/// Resolves every host name to one public address (the tests run offline).
struct PublicResolver;

#[async_trait::async_trait]
impl kyc_app::ports::Resolver for PublicResolver {
    async fn resolve(&self, _host: &str, _port: u16) -> Vec<IpAddr> {
        vec![IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14))]
    }
}

fn business_lead(level: &str) -> Value {
    json!({"type": "business", "level": level, "email": "ops@acme.example",
           "business": {"legal_name": "Acme Ltd", "country_of_incorporation": "DE",
                        "directors": [{"first_name": "Grace", "last_name": "Hopper"}]},
           "address": {"line1": "Hauptstraße 1", "city": "Berlin", "country": "DE"}})
}

/// A fresh lead that the example can be applied to.
async fn lead_for(api: &TestApi, method: &str, path: &str, example: &Value) -> String {
    let body = match (method, path) {
        ("POST", "/v1/leads/{id}/documents") => {
            let kind: DocumentKind = serde_json::from_value(example["kind"].clone()).expect("a kind");
            let level = if kind.needed_from() == Level::Premium { "premium" } else { "enhanced" };
            if kind.fits(LeadType::Individual) {
                let mut lead = complete_individual();
                lead["level"] = json!(level);
                lead
            } else {
                business_lead(level)
            }
        }
        ("PATCH", "/v1/leads/{id}") if example.get("business").is_some() => business_lead("basic"),
        _ => complete_individual(),
    };
    api.create(body).await["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn every_request_example_in_the_document_is_accepted() {
    let doc = document();
    let examples = request_examples(&doc);
    assert!(examples.len() >= 15, "only {} examples", examples.len());
    // Local mode takes loopback webhook URLs; production mode public ones (resolved here).
    let local = TestApi::embedded();
    let production = TestApi::embedded().in_production_mode().with_resolver(Arc::new(PublicResolver));
    for (method, path, mut example) in examples {
        if path == "/v1/kyc-links" && example.get("lead_id").is_some() {
            example["lead_id"] = local.complete_lead().await["id"].clone();
        }
        let url = example["url"].as_str().unwrap_or("");
        let api =
            if path.starts_with("/v1/webhook-endpoints") && !url.contains("127.0.0.1") { &production } else { &local };
        let target = if path.contains("/v1/leads/{id}") {
            path.replace("{id}", &lead_for(api, &method, &path, &example).await)
        } else if path.starts_with("/l/{token}") {
            let mut lead = complete_individual();
            lead["level"] = json!("enhanced");
            let link = api.post("/v1/kyc-links", json!({"lead": lead})).await;
            assert_eq!(link.status, 201, "{}", link.body);
            let token = link.body["url"].as_str().and_then(|u| u.rsplit('/').next()).expect("a token");
            path.replace("{token}", token)
        } else if path == "/v1/webhook-endpoints/{id}" {
            let created =
                api.post("/v1/webhook-endpoints", json!({"url": "https://hooks.example.com/a", "events": ["*"]})).await;
            assert_eq!(created.status, 201, "{}", created.body);
            path.replace("{id}", created.body["id"].as_str().expect("id"))
        } else {
            path.clone()
        };
        let reply = match method.as_str() {
            // Sumsub's webhook takes no API key but its required `X-Payload-Digest`.
            "POST" if path == "/v1/integrations/sumsub/webhook" => {
                let body = example.to_string().into_bytes();
                let digest = kyc_tests::fake_sumsub::payload_digest(kyc_tests::fake_sumsub::WEBHOOK_SECRET, &body);
                api.send("POST", &target, None, Some(body), &[("x-payload-digest", &digest)]).await
            }
            "POST" => api.post(&target, example.clone()).await,
            "PATCH" => api.patch(&target, example.clone(), &[]).await,
            other => panic!("a request body on {other}"),
        };
        assert!((200..300).contains(&reply.status), "{method} {path} refused its example {example}: {}", reply.body);
    }
}

// ------------------------------------------------------------------ patterns

fn pattern(doc: &Value, schema_name: &str, property: &str) -> (regex_lite::Regex, u64, u64) {
    let property = &schema(doc, schema_name)["properties"][property];
    let source = property["pattern"].as_str().unwrap_or_else(|| panic!("{schema_name}.{property} has no pattern"));
    let regex = regex_lite::Regex::new(source).expect("the pattern compiles");
    let min = property["minLength"].as_u64().unwrap_or(0);
    let max = property["maxLength"].as_u64().unwrap_or(u64::MAX);
    (regex, min, max)
}

fn documented(rule: &(regex_lite::Regex, u64, u64), value: &str) -> bool {
    let chars = value.chars().count() as u64;
    rule.0.is_match(value) && (rule.1..=rule.2).contains(&chars)
}

/// Strings at the edges of "single line, not blank, no control characters".
fn tricky_texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "Ada", "", " ", "  x  ", "\t", "a\tb", "a\nb", "a\r\nb", "\n", "a\u{0}b", "\u{7f}", "a\u{85}b", "\u{85}",
        "\u{a0}", "\u{a0}x", "\u{1680}", "\u{2000}", "\u{200a}", "\u{200b}", "\u{2028}", "\u{2029}", "\u{202f}",
        "\u{205f}", "\u{3000}", "\u{feff}", "\u{180e}", "é", "李", "😀", "x\u{9f}", "\u{1f}", "-", "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    texts.extend(["x".repeat(100), "x".repeat(101), "ü".repeat(100), "ü".repeat(101), "x".repeat(500)]);
    texts.extend(["x".repeat(501), format!("{}\n{}", "x".repeat(2000), "y"), "x".repeat(2000)]);
    texts
}

#[test]
fn text_patterns_accept_exactly_what_the_server_accepts() {
    let doc = document();
    type Check = fn(&mut Errors, &str);
    let cases: [(&str, &str, Check); 5] = [
        ("IndividualInput", "first_name", |e, v| e.line("f", v, 100)),
        ("AddressInput", "postal_code", |e, v| e.line("f", v, 20)),
        ("StatusChange", "note", |e, v| e.text("f", v, 1, 2000)),
        ("NoteCreate", "reviewer", |e, v| e.line("f", v, 100)),
        ("WebhookEndpointCreate", "description", |e, v| e.text("f", v, 0, 500)),
    ];
    for (schema_name, property, check) in cases {
        let rule = pattern(&doc, schema_name, property);
        for text in tricky_texts() {
            let mut errors = Errors::default();
            check(&mut errors, &text);
            assert_eq!(documented(&rule, &text), errors.is_empty(), "{schema_name}.{property} on {text:?}");
        }
    }
}

#[test]
fn the_if_match_pattern_is_the_servers_rule() {
    let doc = document();
    let source = doc["components"]["parameters"]["IfMatch"]["schema"]["pattern"].as_str().expect("pattern");
    let regex = regex_lite::Regex::new(source).expect("compiles");
    for value in [
        "\"3\"",
        "W/\"3\"",
        "3",
        "*",
        "\"0\"",
        "\"9999999999999999999\"",
        "\"18446744073709551615\"",
        "\"3",
        "3\"",
        "W/3",
        "\"\"3\"\"",
        "W/W/\"3\"",
        "\"-1\"",
        "\"x\"",
        "",
        "w/\"3\"",
        "\"3 \"",
        "**",
    ] {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::IF_MATCH, http::HeaderValue::from_str(value).expect("header"));
        let server = kyc_http::extract::if_match(&headers).is_ok();
        assert_eq!(regex.is_match(value), server, "If-Match: {value}");
    }
}

#[tokio::test]
async fn ids_and_cursors_the_server_issues_match_the_documented_patterns() {
    let doc = document();
    let parameter = |name: &str| {
        let source = doc["components"]["parameters"][name]["schema"]["pattern"].as_str().expect("pattern");
        regex_lite::Regex::new(source).expect("compiles")
    };
    let api = TestApi::embedded();
    let mut lead = complete_individual();
    lead["level"] = json!("enhanced");
    let id = api.create(lead.clone()).await["id"].as_str().expect("id").to_string();
    assert!(parameter("LeadId").is_match(&id), "{id}");
    api.create(lead).await;
    let page = api.get("/v1/leads?limit=1").await;
    let cursor = page.body["next_cursor"].as_str().expect("a second page");
    assert!(parameter("Cursor").is_match(cursor), "{cursor}");
    let document =
        api.post(&format!("/v1/leads/{id}/documents"), json!({"kind": "selfie", "content_type": "image/png"})).await;
    let doc_id = document.body["document"]["id"].as_str().expect("document id");
    assert!(parameter("DocumentId").is_match(doc_id), "{doc_id}");
    let events = api.get("/v1/events?limit=1").await;
    let after = events.body["next_cursor"].as_str().expect("a feed cursor");
    assert!(parameter("EventsAfter").is_match(after), "{after}");
    let endpoint = api.post("/v1/webhook-endpoints", json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]})).await;
    let endpoint_id = endpoint.body["id"].as_str().expect("endpoint id");
    assert!(parameter("EndpointId").is_match(endpoint_id), "{endpoint_id}");
    let import = api.post("/v1/imports", json!({"format": "csv"})).await;
    let import_id = import.body["id"].as_str().expect("import id");
    assert!(parameter("ImportId").is_match(import_id), "{import_id}");
}
