//! `kyc-local` as a person runs it: a separate process on a port, spoken to over HTTP.

use serde_json::{Value, json};

use kyc_tests::fake_verifier::FakeVerifier;
use kyc_tests::identity::{ADA, script_bill, script_passport, script_selfie};
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
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(5), "created, scored, three moves");

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

async fn wait_for_verdict(client: &reqwest::Client, base: &str, lead: &str, doc: &str) -> Value {
    for _ in 0..100 {
        let (_, document) =
            send(client, reqwest::Method::GET, format!("{base}/v1/leads/{lead}/documents/{doc}"), None).await;
        if document["status"] != "pending_upload" {
            return document;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the document was not scored within 10 s");
}

#[tokio::test]
async fn documents_uploaded_to_signed_urls_are_scored_and_the_lead_is_approved_with_no_manual_event() {
    // kyc-local reads documents with the AWS verifier, pointed at a fake Textract and
    // Rekognition through the standard endpoint variables.
    let fake = FakeVerifier::start().await;
    let mut env: Vec<(&str, String)> = fake.env();
    env.push(("KYC_VERIFIER", "aws".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let data = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start_with(data.path(), &format!("acme:{KEY}"), &env);
    let client = reqwest::Client::new();
    let base = stack.base_url.clone();
    let (status, lead) = send(
        &client,
        reqwest::Method::POST,
        format!("{base}/v1/leads"),
        Some(json!({
            "level": "enhanced", "email": "ada@example.com",
            "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10"},
            "address": {"line1": "1 High St", "city": "York", "postal_code": "YO1 7HH", "country": "GB"}
        })),
    )
    .await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().expect("id").to_string();

    let passport = script_passport(&fake, &ADA, 1);
    let files = [
        ("passport", "image/png", passport.clone()),
        ("proof_of_address", "application/pdf", script_bill(&fake, &ADA, 3, 2)),
        ("selfie", "image/png", script_selfie(&fake, &passport, 98.5, 3)),
    ];
    let mut uploads = Vec::new();
    for (kind, content_type, file) in files {
        let (status, reply) = send(
            &client,
            reqwest::Method::POST,
            format!("{base}/v1/leads/{id}/documents"),
            Some(json!({"kind": kind, "content_type": content_type})),
        )
        .await;
        assert_eq!(status, 201, "{reply}");
        uploads.push((reply, file));
    }

    // A URL is bound to its key and content type: a tampered one is refused.
    let (first, file) = &uploads[0];
    let url = first["upload"]["url"].as_str().unwrap_or_default();
    let other_doc = uploads[1].0["document"]["id"].as_str().unwrap_or_default();
    let first_doc = first["document"]["id"].as_str().unwrap_or_default();
    let tampered = client
        .put(url.replace(first_doc, other_doc))
        .header("content-type", "image/png")
        .body(file.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(tampered.status().as_u16(), 403);
    let wrong_type =
        client.put(url).header("content-type", "application/pdf").body(file.clone()).send().await.expect("answers");
    assert_eq!(wrong_type.status().as_u16(), 403);
    let unsigned =
        client.put(url.split('?').next().unwrap_or_default()).body(file.clone()).send().await.expect("answers");
    assert_eq!(unsigned.status().as_u16(), 403, "a URL without its signature is refused");
    assert_eq!(unsigned.headers()["content-type"], "application/problem+json");

    for (reply, file) in &uploads {
        let upload = &reply["upload"];
        let mut put = client.put(upload["url"].as_str().unwrap_or_default()).body(file.clone());
        for (name, value) in upload["headers"].as_object().cloned().unwrap_or_default() {
            put = put.header(name, value.as_str().unwrap_or_default());
        }
        assert_eq!(put.send().await.expect("answers").status().as_u16(), 200);
        let doc = reply["document"]["id"].as_str().unwrap_or_default();
        let document = wait_for_verdict(&client, &base, &id, doc).await;
        assert_eq!(document["status"], "verified", "{document}");
        // A reviewer's download link returns the very bytes uploaded.
        let link = document["download"]["url"].as_str().expect("download link");
        assert_eq!(
            client.get(link).send().await.expect("answers").bytes().await.expect("bytes").as_ref(),
            file.as_slice()
        );
    }
    let (_, lead) = send(&client, reqwest::Method::GET, format!("{base}/v1/leads/{id}"), None).await;
    assert_eq!(lead["status"], "approved", "{lead}");
    // One read per document and one face comparison, sent as bytes.
    assert_eq!(fake.total_calls(), 4);
}

/// Registers `url` for `kyc.lead_created`; the endpoint as created (with its secret).
async fn subscribe_to_lead_created(client: &reqwest::Client, base: &str, url: &str) -> Value {
    let body = json!({"url": url, "events": ["kyc.lead_created"]});
    let (status, hook) = send(client, reqwest::Method::POST, format!("{base}/v1/webhook-endpoints"), Some(body)).await;
    assert_eq!(status, 201, "{hook}");
    hook
}

#[tokio::test]
async fn webhooks_reach_a_loopback_receiver_signed_and_are_retried_with_the_same_id() {
    let data = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start_with(data.path(), &format!("acme:{KEY}"), &[("KYC_WEBHOOK_RETRY_SCHEDULE", "1,1")]);
    let client = reqwest::Client::new();
    let base = stack.base_url.clone();
    let receiver = kyc_tests::receiver::Receiver::start().await;
    receiver.respond_with(&[500]);
    let hook = subscribe_to_lead_created(&client, &base, &receiver.url).await;
    let secret = hook["secret"].as_str().unwrap_or_default().to_string();
    let (status, lead) =
        send(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(json!({"email": "a@example.com"}))).await;
    assert_eq!(status, 201);
    for _ in 0..150 {
        if receiver.received().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let requests = receiver.received();
    assert_eq!(requests.len(), 2, "the first attempt failed, the retry a second later succeeded");
    let id = requests[0].headers["webhook-id"].to_str().unwrap_or_default().to_string();
    assert_eq!(requests[1].headers["webhook-id"].to_str().unwrap_or_default(), id);
    let ts: i64 = requests[1].headers["webhook-timestamp"].to_str().unwrap_or_default().parse().unwrap_or(0);
    let signature = requests[1].headers["webhook-signature"].to_str().unwrap_or_default();
    assert!(kyc_domain::webhook::verify(&secret, &id, ts, &requests[1].body, signature));
    let event: Value = serde_json::from_str(&requests[1].body).expect("json");
    assert_eq!(event["data"]["lead_id"], lead["id"]);
    // The receiver has the retry before kyc-local has recorded its answer: read the
    // deliveries until the attempt's outcome is written (or the deadline passes).
    let deliveries_url = format!("{base}/v1/webhook-endpoints/{}/deliveries", hook["id"].as_str().unwrap_or_default());
    let mut deliveries = Value::Null;
    for _ in 0..100 {
        (_, deliveries) = send(&client, reqwest::Method::GET, deliveries_url.clone(), None).await;
        if deliveries["data"][0]["status"] != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(deliveries["data"][0]["status"], "succeeded");
    assert_eq!(deliveries["data"][1]["status"], "pending");
}

#[tokio::test]
async fn the_local_scheduler_follows_up_a_waiting_lead() {
    let data = tempfile::tempdir().expect("temp dir");
    let stack = LocalStack::start_with(
        data.path(),
        &format!("acme:{KEY}"),
        &[("KYC_FOLLOW_UP_AFTER", "1"), ("KYC_FOLLOW_UP_INTERVAL", "1")],
    );
    let client = reqwest::Client::new();
    let base = stack.base_url.clone();
    let (_, lead) = send(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(json!({}))).await;
    let id = lead["id"].as_str().expect("id").to_string();
    let mut follow_ups = 0;
    for _ in 0..100 {
        let (_, audit) = send(&client, reqwest::Method::GET, format!("{base}/v1/leads/{id}/audit"), None).await;
        follow_ups =
            audit["data"].as_array().map_or(0, |a| a.iter().filter(|e| e["action"] == "follow_up.sent").count());
        if follow_ups >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(follow_ups >= 1, "a follow-up within seconds of KYC_FOLLOW_UP_AFTER=1");
}

#[tokio::test]
async fn the_served_openapi_document_names_the_public_url() {
    let data = tempfile::tempdir().expect("temp dir");
    let stack =
        LocalStack::start_with(data.path(), &format!("acme:{KEY}"), &[("KYC_PUBLIC_URL", "https://kyc.example.com/")]);
    let document: Value =
        reqwest::get(format!("{}/v1/openapi.json", stack.base_url)).await.expect("answers").json().await.expect("json");
    assert_eq!(document["servers"][0]["url"], "https://kyc.example.com");
}

#[test]
fn a_bad_threshold_verifier_or_screening_list_stops_kyc_local_at_start_up() {
    let lists = tempfile::tempdir().expect("temp dir");
    let bad_list = lists.path().join("list.csv");
    std::fs::write(&bad_list, "not,a\nscreening list\n").expect("written");
    let bad_list = bad_list.to_string_lossy().to_string();
    for (name, value, says) in [
        ("KYC_FACE_MATCH_THRESHOLD", "70", "outside 80..=100"),
        ("KYC_VERIFIER", "textract", "invalid value 'textract'"),
        ("KYC_SCREENING_LIST", bad_list.as_str(), "KYC_SCREENING_LIST"),
    ] {
        let data = tempfile::tempdir().expect("temp dir");
        let out = std::process::Command::new(kyc_tests::local::binary())
            .args(["--port", "0", "--data-dir"])
            .arg(data.path())
            .env("KYC_API_KEYS", format!("acme:{KEY}"))
            .env(name, value)
            .output()
            .expect("kyc-local runs");
        assert!(!out.status.success(), "{name}={value} must be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{name}={value}: {stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "it never serves");
    }
}

#[tokio::test]
async fn kyc_local_screens_against_the_paged_index_its_own_command_builds_and_refuses_a_cut_one() {
    // given the sample list compiled by `kyc-local screening-index`
    let lists = tempfile::tempdir().expect("temp dir");
    let (csv, index) = (lists.path().join("targets.simple.csv"), lists.path().join("targets.idx"));
    std::fs::write(&csv, kyc_domain::risk::screening::SYNTHETIC_SAMPLE_CSV).expect("written");
    let built = std::process::Command::new(kyc_tests::local::binary())
        .arg("screening-index")
        .args([&csv, &index])
        .output()
        .expect("kyc-local runs");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    assert!(String::from_utf8_lossy(&built.stdout).contains("20 entries indexed"));
    let bytes = std::fs::read(&index).expect("the index is written");
    assert!(bytes.starts_with(kyc_domain::risk::screening::PAGED_INDEX_MAGIC));

    // when kyc-local screens with it, a listed name is flagged
    let data = tempfile::tempdir().expect("temp dir");
    let path = index.to_string_lossy().to_string();
    let stack = LocalStack::start_with(data.path(), &format!("acme:{KEY}"), &[("KYC_SCREENING_LIST", path.as_str())]);
    let body = json!({"individual": {"first_name": "Ivor", "last_name": "Examplov"}});
    let (status, lead) =
        send(&reqwest::Client::new(), reqwest::Method::POST, format!("{}/v1/leads", stack.base_url), Some(body)).await;
    assert_eq!(status, 201, "{lead}");
    assert!(lead["compliance_flags"].as_array().is_some_and(|f| f.contains(&json!("sanctions_match"))), "{lead}");

    // and an index cut short stops it at start-up
    std::fs::write(&index, &bytes[..bytes.len() - 1]).expect("written");
    let data = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(kyc_tests::local::binary())
        .args(["--port", "0", "--data-dir"])
        .arg(data.path())
        .env("KYC_API_KEYS", format!("acme:{KEY}"))
        .env("KYC_SCREENING_LIST", &index)
        .output()
        .expect("kyc-local runs");
    assert!(!out.status.success(), "a cut index must be refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("KYC_SCREENING_LIST") && stderr.contains("checksum"), "{stderr}");
}

#[tokio::test]
async fn a_crash_loses_no_webhook_and_the_restart_delivers_what_the_dead_process_held() {
    let data = tempfile::tempdir().expect("temp dir");
    let receiver = kyc_tests::receiver::Receiver::start().await;
    // The receiver takes its time: when the process dies, the deliveries it started have
    // reached the receiver but were never answered, so none of them counts as done.
    receiver.delay(std::time::Duration::from_secs(5));
    let client = reqwest::Client::new();
    let mut first = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    let base = first.base_url.clone();
    subscribe_to_lead_created(&client, &base, &receiver.url).await;
    let mut leads = std::collections::BTreeSet::new();
    for i in 0..40 {
        let body = json!({"email": format!("crash{i}@example.com")});
        let (status, lead) = send(&client, reqwest::Method::POST, format!("{base}/v1/leads"), Some(body)).await;
        assert_eq!(status, 201, "{lead}");
        leads.insert(lead["id"].as_str().expect("an id").to_string());
    }
    for _ in 0..150 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!receiver.received().is_empty(), "deliveries were in flight before the crash");
    first.stop(); // SIGKILL, with deliveries queued and in flight
    let before_restart = receiver.received().len();

    receiver.delay(std::time::Duration::ZERO);
    let _second = LocalStack::start(data.path(), &format!("acme:{KEY}"));
    // Bounded so that a lost delivery fails the test instead of hanging it: the held
    // messages would otherwise stay hidden for their 90 s visibility.
    for _ in 0..600 {
        if receiver.lead_ids(before_restart).is_superset(&leads) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let missing: Vec<_> = leads.difference(&receiver.lead_ids(before_restart)).cloned().collect();
    assert!(missing.is_empty(), "every lead's kyc.lead_created is delivered after the restart; missing {missing:?}");
}
