//! KYC links through the router: tokens (entropy, one lead only, expiry, hashed at rest),
//! the page's GET changing nothing while its first JSON call opens the link, and API
//! keys and link tokens never standing in for each other.

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine;
use chrono::TimeDelta;
use serde_json::{Value, json};

use kyc_tests::api::{ACME_ANA_KEY, ACME_KEY, ACME_SHOP_KEY, Reply, TestApi, complete_individual};
use kyc_tests::clock::ManualClock;
use kyc_tests::local::LocalStack;

fn token_of(link: &Value) -> String {
    let url = link["url"].as_str().expect("a url");
    url.rsplit('/').next().expect("a token").to_string()
}

async fn new_link(api: &TestApi, body: Value) -> Value {
    let reply = api.post("/v1/kyc-links", body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn enhanced_lead() -> Value {
    json!({"lead": complete_individual(), "level": "enhanced", "redirect_url": "https://shop.example.com/done"})
}

/// A call of the page (no API key).
async fn page_call(api: &TestApi, method: &str, path: &str, body: Option<Value>) -> Reply {
    api.send(method, path, None, body.map(|b| b.to_string().into_bytes()), &[]).await
}

fn actions(trail: &[Value]) -> Vec<String> {
    trail.iter().map(|e| e["action"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn a_link_creates_its_lead_with_source_kyc_link_at_the_links_level() {
    let api = TestApi::embedded();
    let link = new_link(&api, enhanced_lead()).await;
    assert!(link["id"].as_str().is_some_and(|id| id.starts_with("link_")));
    assert!(link["url"].as_str().is_some_and(|u| u.contains("/l/kyl_")), "{link}");
    let lead = api.get(&format!("/v1/leads/{}", link["lead_id"].as_str().expect("lead"))).await.body;
    assert_eq!((lead["source"].as_str(), lead["level"].as_str()), (Some("kyc_link"), Some("enhanced")));
    assert_eq!(lead["status"], "not_started");
    let trail = api.audit(lead["id"].as_str().expect("id")).await;
    assert_eq!(actions(&trail), ["lead.created", "link.created", "risk.scored"], "scored in the creating write");
    assert_eq!(trail[1]["data"]["link_id"], link["id"]);
    assert_eq!(trail[1]["actor"], "key:acme");
}

#[tokio::test]
async fn tokens_carry_256_random_bits_each() {
    let api = TestApi::embedded();
    let lead = api.complete_lead().await;
    let mut seen = HashSet::new();
    let mut ones = 0u32;
    for _ in 0..64 {
        let link = new_link(&api, json!({"lead_id": lead["id"]})).await;
        let token = token_of(&link);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.strip_prefix("kyl_").expect("the prefix"))
            .expect("base64url");
        assert_eq!(bytes.len(), 32, "256 bits");
        ones += bytes.iter().map(|b| b.count_ones()).sum::<u32>();
        assert!(seen.insert(token), "a token repeats");
    }
    // 16384 random bits: the share of ones is within 0.5 +- 0.03 (over 7 sigma).
    let share = f64::from(ones) / 16384.0;
    assert!((0.47..0.53).contains(&share), "bits look biased: {share}");
}

#[tokio::test]
async fn the_pages_get_changes_nothing_and_its_first_call_opens_the_link_once() {
    let api = TestApi::embedded();
    let link = new_link(&api, enhanced_lead()).await;
    let (token, lead_id) = (token_of(&link), link["lead_id"].as_str().expect("lead").to_string());
    let page = api.send("GET", &format!("/l/{token}"), None, None, &[("accept", "text/html")]).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let csp = page.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let read = page_call(&api, "GET", &format!("/l/{token}/session"), None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["status"], "not_started", "neither the page nor a read opens the link");
    assert_eq!(actions(&api.audit(&lead_id).await), ["lead.created", "link.created", "risk.scored"]);

    let opened = page_call(&api, "PUT", &format!("/l/{token}/session"), None).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert_eq!(opened.body["status"], "in_progress");
    let steps: Vec<&str> =
        opened.body["steps"].as_array().expect("steps").iter().filter_map(|s| s["requirement"].as_str()).collect();
    assert_eq!(steps, ["identity_document", "proof_of_address", "selfie"]);
    let trail = api.audit(&lead_id).await;
    assert_eq!(actions(&trail), ["lead.created", "link.created", "risk.scored", "link.opened", "status.changed"]);
    let actor = format!("link:{}", link["id"].as_str().expect("id"));
    assert!(trail[3..].iter().all(|e| e["actor"] == actor.as_str()), "{trail:?}");
    assert_eq!(
        (trail[4]["from_status"].as_str(), trail[4]["to_status"].as_str()),
        (Some("not_started"), Some("in_progress"))
    );

    let again = page_call(&api, "PUT", &format!("/l/{token}/session"), None).await;
    assert_eq!(again.status, 200);
    assert_eq!(api.audit(&lead_id).await.len(), 5, "a second open records nothing");
}

#[tokio::test]
async fn a_token_reaches_its_own_lead_only() {
    let api = TestApi::embedded();
    let a = new_link(&api, enhanced_lead()).await;
    let b = new_link(&api, enhanced_lead()).await;
    let requested = page_call(
        &api,
        "POST",
        &format!("/l/{}/documents", token_of(&a)),
        Some(json!({"kind": "passport", "content_type": "image/png"})),
    )
    .await;
    assert_eq!(requested.status, 201, "{}", requested.body);
    assert_eq!(requested.body["document"]["lead_id"], a["lead_id"]);
    let docs_of = |link: &Value| format!("/v1/leads/{}/documents", link["lead_id"].as_str().unwrap_or(""));
    assert_eq!(api.get(&docs_of(&a)).await.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(api.get(&docs_of(&b)).await.body["data"].as_array().map(Vec::len), Some(0));
    let trail = api.audit(a["lead_id"].as_str().expect("lead")).await;
    let last = trail.last().expect("an event");
    assert_eq!(last["action"], "document.requested");
    assert_eq!(last["actor"], format!("link:{}", a["id"].as_str().expect("id")));
    let session_b = page_call(&api, "GET", &format!("/l/{}/session", token_of(&b)), None).await;
    assert_eq!(session_b.body["link_id"], b["id"]);
    assert_eq!(session_b.body["documents"], json!([]), "nothing of lead a shows on lead b's link");
    // The page's body cannot name another lead: there is no such field.
    let smuggled = page_call(
        &api,
        "POST",
        &format!("/l/{}/documents", token_of(&b)),
        Some(json!({"kind": "passport", "content_type": "image/png", "lead_id": a["lead_id"]})),
    )
    .await;
    smuggled.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn an_expired_link_is_gone_and_an_unknown_one_is_not_found() {
    let clock = Arc::new(ManualClock::starting_now());
    let api = TestApi::embedded().with_clock(clock.clone());
    let link = new_link(&api, json!({"lead": complete_individual(), "expires_in": 3600})).await;
    let token = token_of(&link);
    assert_eq!(page_call(&api, "GET", &format!("/l/{token}/session"), None).await.status, 200);
    clock.advance(TimeDelta::seconds(3600));
    let html = api.send("GET", &format!("/l/{token}"), None, None, &[("accept", "text/html")]).await;
    assert_eq!(html.status, 410);
    assert!(html.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    page_call(&api, "GET", &format!("/l/{token}"), None).await.assert_problem(410, "link_expired");
    page_call(&api, "PUT", &format!("/l/{token}/session"), None).await.assert_problem(410, "link_expired");
    page_call(
        &api,
        "POST",
        &format!("/l/{token}/documents"),
        Some(json!({"kind": "selfie", "content_type": "image/png"})),
    )
    .await
    .assert_problem(410, "link_expired");

    let unknown = format!("kyl_{}", "A".repeat(43));
    let html = api.send("GET", &format!("/l/{unknown}"), None, None, &[("accept", "text/html")]).await;
    assert_eq!(html.status, 404);
    page_call(&api, "GET", &format!("/l/{unknown}/session"), None).await.assert_problem(404, "not_found");
    for refused in [json!({"expires_in": 0}), json!({"expires_in": 2_592_001})] {
        let mut body = refused;
        body["lead"] = complete_individual();
        api.post("/v1/kyc-links", body).await.assert_problem(422, "validation_failed");
    }
}

#[tokio::test]
async fn an_api_key_is_no_link_token_and_a_link_token_is_no_api_key() {
    let api = TestApi::embedded();
    let link = new_link(&api, enhanced_lead()).await;
    let token = token_of(&link);
    for key in [ACME_KEY, ACME_SHOP_KEY] {
        page_call(&api, "GET", &format!("/l/{key}/session"), None).await.assert_problem(404, "not_found");
        page_call(&api, "PUT", &format!("/l/{key}/session"), None).await.assert_problem(404, "not_found");
        // Nor does an API key in the header open someone's page.
        let with_key = api.send("PUT", &format!("/l/{key}/session"), Some(key), None, &[]).await;
        with_key.assert_problem(404, "not_found");
    }
    let lead = format!("/v1/leads/{}", link["lead_id"].as_str().expect("lead"));
    api.send("GET", &lead, Some(&token), None, &[]).await.assert_problem(401, "unauthorized");
    api.send("POST", "/v1/kyc-links", Some(&token), Some(b"{}".to_vec()), &[])
        .await
        .assert_problem(401, "unauthorized");
    // Reviewers do not create links (the role table).
    api.send("POST", "/v1/kyc-links", Some(ACME_ANA_KEY), Some(enhanced_lead().to_string().into_bytes()), &[])
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_retried_creation_answers_the_same_link_with_a_new_token() {
    let api = TestApi::embedded();
    let body = enhanced_lead();
    let first = api.post_with("/v1/kyc-links", body.clone(), &[("idempotency-key", "link-1")]).await;
    let second = api.post_with("/v1/kyc-links", body, &[("idempotency-key", "link-1")]).await;
    assert_eq!((first.status, second.status), (201, 201), "{}", second.body);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!((&first.body["id"], &first.body["lead_id"]), (&second.body["id"], &second.body["lead_id"]));
    assert_ne!(token_of(&first.body), token_of(&second.body));
    let old = page_call(&api, "GET", &format!("/l/{}/session", token_of(&first.body)), None).await;
    old.assert_problem(404, "not_found");
    assert_eq!(page_call(&api, "GET", &format!("/l/{}/session", token_of(&second.body)), None).await.status, 200);
}

/// The store's files on disk hold the token's hash and never the token.
#[tokio::test]
async fn only_the_tokens_hash_is_at_rest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = "sk_links_at_rest_1";
    let stack = LocalStack::start(&dir.path().join("data"), &format!("acme:{key}"));
    let http = reqwest::Client::new();
    let mut body = enhanced_lead();
    body["redirect_url"] = json!("http://127.0.0.1:9/done");
    let reply = http
        .post(format!("{}/v1/kyc-links", stack.base_url))
        .bearer_auth(key)
        .header("idempotency-key", "at-rest-1")
        .json(&body)
        .send()
        .await
        .expect("kyc-local answers");
    assert_eq!(reply.status(), 201);
    let link: Value = reply.json().await.expect("json");
    let token = token_of(&link);
    let opened = http.put(format!("{}/l/{token}/session", stack.base_url)).send().await.expect("answers");
    assert_eq!(opened.status(), 200);
    drop(stack);
    let mut stored = Vec::new();
    for entry in walk(&dir.path().join("data")) {
        stored.extend(std::fs::read(entry).expect("readable"));
    }
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    assert!(contains(hash.as_bytes()), "the link is stored under its token's hash");
    assert!(!contains(token.as_bytes()), "the token itself is nowhere in the data dir");
    assert!(!contains(&token.as_bytes()[4..24]), "not even a part of it");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
