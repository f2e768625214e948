//! `kyc-local` as a person runs it: a separate process on a port, spoken to over HTTP.

use serde_json::{Value, json};

use kyc_tests::local::LocalStack;

const KEY: &str = "e2e-secret-key-1";

async fn send(client: &reqwest::Client, method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut request = client.request(method, url).bearer_auth(KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("kyc-local answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_lead_walks_from_creation_to_approval_over_http_and_survives_a_restart() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut stack = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let client = reqwest::Client::new();
    let base = stack.base_url.clone();

    let health = client.get(format!("{base}/health")).send().await.expect("health answers");
    assert_eq!(health.status().as_u16(), 200);

    let (status, lead) = send(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(json!({
        "email": "grace@example.com",
        "individual": {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1986-12-09", "nationality": "US"},
        "address": {"line1": "1 Navy Way", "city": "Arlington", "country": "US"}
    })))
    .await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().expect("id").to_string();
    for step in ["in_progress", "under_review", "approved"] {
        let (status, lead) = send(
            &client,
            reqwest::Method::POST,
            format!("{base}/v1/leads/{id}/status"),
            Some(json!({"status": step, "reviewer": "carol"})),
        )
        .await;
        assert_eq!((status, lead["status"].as_str()), (200, Some(step)), "{lead}");
    }
    let (status, audit) = send(&client, reqwest::Method::GET, format!("{base}/v1/leads/{id}/audit"), None).await;
    assert_eq!(status, 200);
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(4));

    let unauthorized = client.get(format!("{base}/v1/leads")).send().await.expect("answers");
    assert_eq!(unauthorized.status().as_u16(), 401);
    assert_eq!(unauthorized.headers()["content-type"], "application/problem+json");

    // Data survives a restart on the same data dir.
    stack.stop();
    let restarted = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let (status, lead) =
        send(&client, reqwest::Method::GET, format!("{}/v1/leads/{id}", restarted.base_url), None).await;
    assert_eq!((status, lead["status"].as_str(), lead["version"].as_u64()), (200, Some("approved"), Some(4)));
}
