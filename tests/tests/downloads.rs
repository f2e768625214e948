//! Reviewers' download links on both object stores answer as attachments (saved under
//! `{document_id}.{ext}` with the stored type, never rendered in the browser) and are
//! short-lived: S3 presigned GETs on moto, and `kyc-local`'s signed URLs as a process.

use std::sync::Arc;

use serde_json::{Value, json};

use kyc_app::scoring::{Scoring, on_object_created};
use kyc_tests::api::TestApi;
use kyc_tests::local::LocalStack;
use kyc_tests::{backends, fixtures};

const LEAD: &str = r#"{"level": "enhanced", "email": "ada@example.com",
    "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10"},
    "address": {"line1": "1 High St", "city": "York", "country": "GB"}}"#;

fn lead_body() -> Value {
    serde_json::from_str(LEAD).expect("a lead body")
}

/// Sends the upload a device would: the presigned request with its signed headers.
async fn put(client: &reqwest::Client, upload: &Value, file: &[u8]) -> u16 {
    let mut put = client.put(upload["url"].as_str().expect("an upload URL")).body(file.to_vec());
    for (name, value) in upload["headers"].as_object().cloned().expect("upload headers") {
        put = put.header(name, value.as_str().expect("a header value"));
    }
    put.send().await.expect("the store answers").status().as_u16()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn an_s3_download_link_answers_as_an_attachment_of_the_stored_type_for_five_minutes() {
    let store = backends::s3_objects().await;
    let api = TestApi::with_objects(backends::embedded(), Arc::new(store));
    let client = reqwest::Client::new();
    let lead = api.create(lead_body()).await;
    let id = lead["id"].as_str().expect("lead id").to_string();
    let reply = api
        .post(
            &format!("/v1/leads/{id}/documents"),
            json!({"kind": "proof_of_address", "content_type": "application/pdf"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let doc = reply.body["document"]["id"].as_str().expect("document id").to_string();
    let file = fixtures::pdf();
    assert_eq!(put(&client, &reply.body["upload"], &file).await, 200);
    let scoring = Scoring::new(10 * 1024 * 1024, None).expect("scoring");
    on_object_created(&api.deps, &scoring, &format!("documents/acme/{id}/{doc}")).await.expect("scored");

    let document = api.get(&format!("/v1/leads/{id}/documents/{doc}")).await.body;
    let link = document["download"]["url"].as_str().expect("a download link");
    let expires: u32 = link
        .split_once("X-Amz-Expires=")
        .and_then(|(_, rest)| rest.split('&').next())
        .and_then(|seconds| seconds.parse().ok())
        .expect("a presigned expiry");
    assert!((290..=300).contains(&expires), "valid for five minutes from the read: {link}");
    assert!(link.contains("response-content-disposition=") && link.contains("response-content-type="), "{link}");
    let response = client.get(link).send().await.expect("moto answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-disposition"), Some(format!("attachment; filename=\"{doc}.pdf\"").as_str()));
    assert_eq!(header(&response, "content-type"), Some("application/pdf"));
    assert_eq!(response.bytes().await.expect("the file").as_ref(), file.as_slice());
}

#[tokio::test]
async fn a_local_download_link_answers_as_an_attachment_with_nosniff_and_refuses_any_change() {
    const KEY: &str = "downloads-e2e-key";
    let data = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let client = reqwest::Client::new();
    let base = stack.base_url.clone();
    let api = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client.request(method, format!("{base}{path}")).bearer_auth(KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("kyc-local answers");
            (response.status().as_u16(), response.json::<Value>().await.expect("a JSON body"))
        }
    };
    let (status, lead) = api(reqwest::Method::POST, "/v1/leads".into(), Some(lead_body())).await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().expect("lead id").to_string();
    let (status, reply) = api(
        reqwest::Method::POST,
        format!("/v1/leads/{id}/documents"),
        Some(json!({"kind": "passport", "content_type": "image/png"})),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let doc = reply["document"]["id"].as_str().expect("document id").to_string();
    let file = fixtures::png(1200, 800, 31);
    assert_eq!(put(&client, &reply["upload"], &file).await, 200);

    let mut link = None;
    for _ in 0..100 {
        let (_, document) = api(reqwest::Method::GET, format!("/v1/leads/{id}/documents/{doc}"), None).await;
        if document["status"] != "pending_upload" {
            link = document["download"]["url"].as_str().map(String::from);
            let expires = document["download"]["expires_at"].as_str().expect("an expiry");
            let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("a timestamp");
            let left = expires.signed_duration_since(chrono::Utc::now());
            assert!(left <= chrono::TimeDelta::minutes(5), "short-lived: {left}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = link.expect("the document was scored and has a download link within 10 s");

    let response = client.get(&link).send().await.expect("kyc-local answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-disposition"), Some(format!("attachment; filename=\"{doc}.png\"").as_str()));
    assert_eq!(header(&response, "content-type"), Some("image/png"));
    assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    assert_eq!(response.bytes().await.expect("the file").as_ref(), file.as_slice());

    // The type and disposition are part of the signature: asking for another type, an
    // inline answer, or none at all is refused.
    let inline = link.replace("cd=attachment", "cd=inline");
    let html = link.replace("ct=image%2Fpng", "ct=text%2Fhtml");
    let (head, rest) = link.split_once("&cd=").expect("a disposition parameter");
    let (_, signature) = rest.split_once("&sig=").expect("a signature");
    let without = format!("{head}&sig={signature}");
    for changed in [inline, html, without] {
        assert_ne!(changed, link);
        let response = client.get(&changed).send().await.expect("kyc-local answers");
        assert_eq!(response.status().as_u16(), 403, "{changed}");
    }
}
