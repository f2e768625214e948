//! The deployed shape, end to end: `infra/scripts/lambda-stack.sh` runs the template's
//! functions on moto behind its API Gateway and event sources, and these tests speak to
//! it over HTTP as a customer would. One stack serves the whole binary; the tests take
//! turns (the authorizer and crash checks count invocations).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use kyc_tests::lambda_stack::{LambdaStack, shared};
use kyc_tests::receiver::Receiver;

const ACME: &str = "acme-stack-key-1";
const GLOBEX: &str = "globex-stack-key-1";
/// Used by the authorizer check only: its first request is the authorizer's first sight of it.
const CACHED: &str = "cached-stack-key-1";
const UMBRELLA: &str = "umbrella-stack-key-1";
const HOOLI: &str = "hooli-stack-key-1";
const STARK: &str = "stark-stack-key-1";
const WAYNE: &str = "wayne-stack-key-1";

/// The tests take turns on the one stack.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn stack() -> &'static LambdaStack {
    let stack = shared(
        &format!("acme:{ACME},globex:{GLOBEX},initech:{CACHED},umbrella:{UMBRELLA},hooli:{HOOLI},stark:{STARK},wayne:{WAYNE}"),
        &[
            ("KYC_ALLOW_LOOPBACK_WEBHOOKS", "1"),
            ("KYC_WEBHOOK_RETRY_SCHEDULE", "1,1,1"),
            ("KYC_FOLLOW_UP_AFTER", "1"),
            ("KYC_FOLLOW_UP_INTERVAL", "2"),
            ("RUST_LOG", "warn"),
        ],
    );
    stack.ready().await;
    stack
}

async fn send(key: &str, method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    kyc_tests::lambda_stack::call(&reqwest::Client::new(), key, method, url, body).await
}

async fn subscribe(stack: &LambdaStack, key: &str, receiver: &Receiver, events: &[&str]) -> String {
    let body = json!({"url": receiver.url, "events": events});
    let (status, hook) =
        send(key, reqwest::Method::POST, format!("{}/v1/webhook-endpoints", stack.base_url), Some(body)).await;
    assert_eq!(status, 201, "{hook}");
    hook["secret"].as_str().expect("the endpoint's secret").to_string()
}

/// The events (type, lead id) received so far, each with its signature checked.
fn signed_events(receiver: &Receiver, secret: &str) -> BTreeSet<(String, String)> {
    receiver
        .received()
        .iter()
        .map(|request| {
            let header = |name: &str| request.headers[name].to_str().unwrap_or_default().to_string();
            let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or(0);
            assert!(
                kyc_domain::webhook::verify(
                    secret,
                    &header("webhook-id"),
                    timestamp,
                    &request.body,
                    &header("webhook-signature")
                ),
                "every delivery is signed with the endpoint's secret"
            );
            let event: Value = serde_json::from_str(&request.body).expect("a JSON event");
            (
                event["type"].as_str().unwrap_or_default().to_string(),
                event["data"]["lead_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within two minutes");
}

/// Declares a passport (PNG) on `lead` through the API, uploads it and waits until it
/// is scored (see [`upload_and_wait_until_scored`]); answers the scored document.
async fn passport_uploaded_and_scored(stack: &LambdaStack, key: &str, lead: &str, salt: u8) -> Value {
    let (status, reply) = send(
        key,
        reqwest::Method::POST,
        format!("{}/v1/leads/{lead}/documents", stack.base_url),
        Some(json!({"kind": "passport", "content_type": "image/png"})),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    upload_and_wait_until_scored(stack, key, lead, &reply, salt).await
}

/// PUTs a PNG (made from `salt`) to the upload URL of a declared document (`reply`, the
/// answer of a document declaration) as a browser would, with no API key, then waits
/// until the S3 event has reached the scorer and the document is scored; answers it.
async fn upload_and_wait_until_scored(stack: &LambdaStack, key: &str, lead: &str, reply: &Value, salt: u8) -> Value {
    let url = reply["upload"]["url"].as_str().expect("an upload URL");
    assert!(url.starts_with(&stack.moto_url), "uploads go to moto's S3: {url}");
    let mut put = reqwest::Client::new().put(url).body(kyc_tests::fixtures::png(640, 480, salt));
    for (name, value) in reply["upload"]["headers"].as_object().cloned().unwrap_or_default() {
        put = put.header(name, value.as_str().unwrap_or_default());
    }
    assert_eq!(put.send().await.expect("moto answers").status().as_u16(), 200);
    let doc = reply["document"]["id"].as_str().expect("a document id");
    let url = format!("{}/v1/leads/{lead}/documents/{doc}", stack.base_url);
    let mut document = Value::Null;
    for _ in 0..1200 {
        (_, document) = send(key, reqwest::Method::GET, url.clone(), None).await;
        if document["status"] != "pending_upload" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(["verified", "rejected"].contains(&document["status"].as_str().unwrap_or_default()), "scored: {document}");
    document
}

#[tokio::test]
async fn a_lead_goes_from_creation_through_an_uploaded_document_to_signed_webhooks_and_a_follow_up() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let base = &stack.base_url;
    let receiver = Receiver::start().await;
    let secret = subscribe(
        stack,
        ACME,
        &receiver,
        &["kyc.lead_created", "kyc.document_received", "kyc.status_updated", "kyc.follow_up_due"],
    )
    .await;

    let (status, lead) = send(ACME, reqwest::Method::POST, format!("{base}/v1/leads"), Some(json!({
        "level": "enhanced", "email": "grace@example.com",
        "individual": {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1986-12-09", "nationality": "US"},
        "address": {"line1": "1 Navy Way", "city": "Arlington", "country": "US"}
    })))
    .await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().expect("an id").to_string();

    // The upload URL is moto's S3: the object event reaches the scorer through the
    // bucket's notification, as S3 invokes it on AWS.
    let document = passport_uploaded_and_scored(stack, ACME, &id, 7).await;
    assert!(document["checks"].as_array().is_some_and(|c| !c.is_empty()), "{document}");

    // A person moves it on (the status function behind its own route).
    let (status, moved) = send(
        ACME,
        reqwest::Method::POST,
        format!("{base}/v1/leads/{id}/status"),
        Some(json!({"status": "under_review"})),
    )
    .await;
    assert_eq!((status, moved["status"].as_str()), (200, Some("under_review")), "{moved}");

    // Table stream → relay → deliveries queue → sender → the receiver, signed.
    let expected = [("kyc.lead_created", &id), ("kyc.document_received", &id), ("kyc.status_updated", &id)];
    wait_for("every event of the lead delivered", || {
        let events = signed_events(&receiver, &secret);
        expected.iter().all(|(kind, lead)| events.contains(&(kind.to_string(), lead.to_string())))
    })
    .await;

    // The events feed shows them too.
    let (status, feed) = send(ACME, reqwest::Method::GET, format!("{base}/v1/events?limit=100"), None).await;
    assert_eq!(status, 200, "{feed}");
    let feed_has = |kind: &str| {
        feed["data"].as_array().into_iter().flatten().any(|e| e["type"] == kind && e["data"]["lead_id"] == id.as_str())
    };
    assert!(feed_has("kyc.lead_created") && feed_has("kyc.document_received"), "{feed}");

    // The schedule runs the follow-up job: an incomplete lead waiting over
    // KYC_FOLLOW_UP_AFTER gets its kyc.follow_up_due.
    let (status, waiting) =
        send(ACME, reqwest::Method::POST, format!("{base}/v1/leads"), Some(json!({"email": "wait@example.com"}))).await;
    assert_eq!(status, 201, "{waiting}");
    let waiting = waiting["id"].as_str().expect("an id").to_string();
    wait_for("the follow-up of the waiting lead delivered", || {
        signed_events(&receiver, &secret).contains(&("kyc.follow_up_due".to_string(), waiting.clone()))
    })
    .await;
}

#[tokio::test]
async fn the_gateway_refuses_a_missing_key_itself_and_caches_the_authorizers_answer() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let leads = format!("{}/v1/leads", stack.base_url);
    let client = reqwest::Client::new();

    let before = stack.function("authorizer").await["invocations"].as_u64().unwrap_or(0);
    let missing = client.get(&leads).send().await.expect("answers");
    assert_eq!(missing.status().as_u16(), 401);
    assert_eq!(
        missing.json::<Value>().await.expect("json"),
        json!({"message": "Unauthorized"}),
        "API Gateway's own answer"
    );
    assert_eq!(
        stack.function("authorizer").await["invocations"].as_u64(),
        Some(before),
        "no authorizer call without a key"
    );

    // A wrong key passes the authorizer without a tenant: the function answers 401 as the API does.
    let (status, problem) = send("not-a-key-at-all", reqwest::Method::GET, leads.clone(), None).await;
    assert_eq!((status, problem["code"].as_str()), (401, Some("unauthorized")), "{problem}");

    // A known key: the authorizer is asked once, then its answer is cached (60 s).
    let before = stack.function("authorizer").await["invocations"].as_u64().unwrap_or(0);
    for _ in 0..3 {
        let (status, list) = send(CACHED, reqwest::Method::GET, leads.clone(), None).await;
        assert_eq!(status, 200, "{list}");
    }
    assert_eq!(stack.function("authorizer").await["invocations"].as_u64(), Some(before + 1));

    // Routes without the authorizer need no key.
    let health = client.get(format!("{}/health", stack.base_url)).send().await.expect("answers");
    assert_eq!(health.status().as_u16(), 200);
    let unknown = client.get(format!("{}/v2/nothing", stack.base_url)).send().await.expect("answers");
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn a_relay_killed_in_the_middle_of_a_batch_loses_no_webhook() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let receiver = Receiver::start().await;
    let secret = subscribe(stack, GLOBEX, &receiver, &["kyc.lead_created"]).await;
    let crashes = stack.function("event-relay").await["crashes"].as_u64().unwrap_or(0);

    stack.crash_next_invocation_of("event-relay").await;
    let mut leads = BTreeSet::new();
    for i in 0..8 {
        let body = json!({"email": format!("crash{i}@example.com")});
        let (status, lead) =
            send(GLOBEX, reqwest::Method::POST, format!("{}/v1/leads", stack.base_url), Some(body)).await;
        assert_eq!(status, 201, "{lead}");
        leads.insert(("kyc.lead_created".to_string(), lead["id"].as_str().expect("an id").to_string()));
    }
    wait_for("every lead's webhook delivered after the relay's crash", || {
        signed_events(&receiver, &secret).is_superset(&leads)
    })
    .await;
    let relay = stack.function("event-relay").await;
    assert!(relay["crashes"].as_u64().unwrap_or(0) > crashes, "the relay was killed mid-batch: {relay}");
    assert!(relay["ready"] == true, "and started again: {relay}");
}

#[tokio::test]
async fn a_file_uploaded_for_an_import_reaches_the_importer_through_its_own_prefix() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let base = &stack.base_url;
    let scored_before = stack.function("risk-scorer").await["invocations"].as_u64();
    let (status, import) =
        send(UMBRELLA, reqwest::Method::POST, format!("{base}/v1/imports"), Some(json!({"format": "csv"}))).await;
    assert_eq!(status, 201, "{import}");
    let url = import["upload"]["url"].as_str().expect("an upload URL");
    assert!(url.starts_with(&stack.moto_url), "uploads go to moto's S3: {url}");
    let mut put = reqwest::Client::new().put(url).body(kyc_tests::fixtures::import_csv(20));
    for (name, value) in import["upload"]["headers"].as_object().cloned().unwrap_or_default() {
        put = put.header(name, value.as_str().unwrap_or_default());
    }
    assert_eq!(put.send().await.expect("moto answers").status().as_u16(), 200);
    let id = import["id"].as_str().expect("an id");
    let mut report = Value::Null;
    for _ in 0..1200 {
        (_, report) = send(UMBRELLA, reqwest::Method::GET, format!("{base}/v1/imports/{id}"), None).await;
        if report["status"] == "completed" || report["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((report["status"].as_str(), report["created"].as_u64()), (Some("completed"), Some(20)), "{report}");
    // The scorer listens under documents/ only: the import file never reached it.
    assert_eq!(stack.function("risk-scorer").await["invocations"].as_u64(), scored_before);
}

#[tokio::test]
async fn a_refused_delivery_stays_on_the_queue_and_comes_back_after_its_retry_delay_with_the_same_id() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500]);
    let secret = subscribe(stack, HOOLI, &receiver, &["kyc.lead_created"]).await;
    let body = json!({"email": "retry@example.com"});
    let (status, lead) = send(HOOLI, reqwest::Method::POST, format!("{}/v1/leads", stack.base_url), Some(body)).await;
    assert_eq!(status, 201, "{lead}");
    // The sender answers the batch with this message as failed and sets its visibility
    // to the schedule's next delay (1 s here): the stack leaves it, SQS shows it again.
    wait_for("the retry of the refused delivery", || receiver.received().len() >= 2).await;
    let requests = receiver.received();
    let id = |i: usize| requests[i].headers["webhook-id"].to_str().unwrap_or_default().to_string();
    assert_eq!(id(0), id(1), "the same delivery, retried");
    let lead_id = lead["id"].as_str().unwrap_or_default().to_string();
    assert!(signed_events(&receiver, &secret).contains(&("kyc.lead_created".to_string(), lead_id)));
}

/// The messages the deliveries queue holds, visible or not (as moto counts them).
async fn deliveries_held(stack: &LambdaStack) -> u64 {
    let sdk = kyc_aws::sdk_loader()
        .endpoint_url(&stack.moto_url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs.get_queue_url().queue_name("kyc-DeliveriesQueue").send().await.expect("the queue exists");
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url.queue_url().unwrap_or_default())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .expect("its attributes");
    let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
        attributes.attributes().and_then(|a| a.get(&name)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
}

#[tokio::test]
async fn a_sender_killed_in_the_middle_of_a_batch_leaves_its_messages_on_the_queue() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let receiver = Receiver::start().await;
    subscribe(stack, STARK, &receiver, &["kyc.lead_created"]).await;
    let crashes = stack.function("webhook-sender").await["crashes"].as_u64().unwrap_or(0);
    stack.crash_next_invocation_of("webhook-sender").await;
    let body = json!({"email": "held@example.com"});
    let (status, lead) = send(STARK, reqwest::Method::POST, format!("{}/v1/leads", stack.base_url), Some(body)).await;
    assert_eq!(status, 201, "{lead}");
    let mut sender = Value::Null;
    for _ in 0..1200 {
        sender = stack.function("webhook-sender").await;
        if sender["crashes"].as_u64().unwrap_or(0) > crashes {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sender["crashes"].as_u64().unwrap_or(0) > crashes, "the sender was killed mid-batch: {sender}");
    // A failed invocation deletes nothing: the batch stays on the queue, hidden for the
    // queue's visibility timeout (360 s, too long to wait here), then comes back.
    assert!(deliveries_held(stack).await >= 1, "the killed batch is still on the deliveries queue");
}

/// The hosted page's routes have no authorizer: the link's token is the only
/// permission. Created with an API key through the gateway, the page and its JSON calls
/// answer without one, the first call starts the lead, and a document declared on the
/// page uploads to moto's S3 and is scored like any other.
#[tokio::test]
async fn a_kyc_link_opens_its_page_without_an_api_key_and_its_upload_is_scored() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let base = &stack.base_url;
    let body = json!({"lead": kyc_tests::api::complete_individual(), "level": "enhanced",
                      "redirect_url": "https://shop.example.com/done"});
    let (status, link) = send(ACME, reqwest::Method::POST, format!("{base}/v1/kyc-links"), Some(body)).await;
    assert_eq!(status, 201, "{link}");
    let token = link["url"].as_str().and_then(|u| u.rsplit('/').next()).expect("a token").to_string();
    let lead = link["lead_id"].as_str().expect("the link's lead").to_string();

    let anonymous = reqwest::Client::new();
    let page = anonymous.get(format!("{base}/l/{token}")).header("accept", "text/html").send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers()["content-type"].to_str().is_ok_and(|c| c.starts_with("text/html")));
    let opened = anonymous.put(format!("{base}/l/{token}/session")).send().await.expect("session");
    assert_eq!(opened.status().as_u16(), 200);
    let session: Value = opened.json().await.expect("a session");
    assert_eq!(session["status"], "in_progress", "{session}");

    let declared = anonymous
        .post(format!("{base}/l/{token}/documents"))
        .json(&json!({"kind": "passport", "content_type": "image/png"}))
        .send()
        .await
        .expect("declare");
    assert_eq!(declared.status().as_u16(), 201);
    let reply: Value = declared.json().await.expect("an upload");
    upload_and_wait_until_scored(stack, ACME, &lead, &reply, 9).await;
    let (_, lead) = send(ACME, reqwest::Method::GET, format!("{base}/v1/leads/{lead}"), None).await;
    assert_eq!((lead["source"].as_str(), lead["level"].as_str()), (Some("kyc_link"), Some("enhanced")), "{lead}");
}

/// A POST with an `Idempotency-Key`, as an integrator retrying a request would send it.
async fn post_once(key: &str, url: String, idempotency_key: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .header("idempotency-key", idempotency_key)
        .json(&body)
        .send()
        .await
        .expect("the stack answers");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// The paths of the API functions the other tests do not take, through the front door:
/// an endpoint read, changed, its secret rotated and the rotation retried, a delivery
/// sent again, the endpoint deleted; a document listed and downloaded by its reviewer's
/// link; a KYC link's creation retried. Each is a call `check-iam.py` finds in the
/// recording and holds against the function's role.
#[tokio::test]
async fn an_integrator_manages_its_endpoints_documents_and_links_through_every_route() {
    let _turn = TURN.lock().await;
    let stack = stack().await;
    let base = &stack.base_url;
    let receiver = Receiver::start().await;
    let body = json!({"url": receiver.url, "events": ["kyc.lead_created"]});
    let (status, hook) = send(WAYNE, reqwest::Method::POST, format!("{base}/v1/webhook-endpoints"), Some(body)).await;
    assert_eq!(status, 201, "{hook}");
    let endpoint = format!("{base}/v1/webhook-endpoints/{}", hook["id"].as_str().expect("an endpoint id"));

    let (status, read) = send(WAYNE, reqwest::Method::GET, endpoint.clone(), None).await;
    assert_eq!((status, read["secret"].is_null()), (200, true), "read back without its secret: {read}");
    let (status, changed) =
        send(WAYNE, reqwest::Method::PATCH, endpoint.clone(), Some(json!({"description": "onboarding"}))).await;
    assert_eq!((status, changed["description"].as_str()), (200, Some("onboarding")), "{changed}");

    // A rotation retried with its key answers the first rotation's secret again: the
    // sealed answer is opened (KMS Decrypt by webhooks-api), no second secret is made.
    let rotate = format!("{endpoint}/rotate-secret");
    let (status, rotated) = post_once(WAYNE, rotate.clone(), "rotate-1", json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let secret = rotated["secret"].as_str().expect("the new secret").to_string();
    assert_ne!(hook["secret"].as_str(), Some(secret.as_str()));
    let (status, again) = post_once(WAYNE, rotate, "rotate-1", json!({})).await;
    assert_eq!((status, again["secret"].as_str()), (200, Some(secret.as_str())), "{again}");

    // Deliveries are signed with the rotated secret; one is sent again on request.
    let mut body = kyc_tests::api::complete_individual();
    body["level"] = json!("enhanced");
    let (status, lead) = send(WAYNE, reqwest::Method::POST, format!("{base}/v1/leads"), Some(body)).await;
    assert_eq!(status, 201, "{lead}");
    let id = lead["id"].as_str().expect("an id").to_string();
    let created = ("kyc.lead_created".to_string(), id.clone());
    wait_for("the lead's creation delivered", || signed_events(&receiver, &secret).contains(&created)).await;
    let (status, deliveries) = send(WAYNE, reqwest::Method::GET, format!("{endpoint}/deliveries"), None).await;
    assert_eq!(status, 200, "{deliveries}");
    let delivery = deliveries["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["status"] == "succeeded")
        .and_then(|d| d["id"].as_str())
        .expect("a succeeded delivery")
        .to_string();
    let (status, retried) =
        post_once(WAYNE, format!("{base}/v1/webhook-deliveries/{delivery}/retry"), "retry-1", json!({})).await;
    assert_eq!(status, 202, "{retried}");
    wait_for("the delivery sent again", || receiver.received().len() >= 2).await;
    assert_eq!(signed_events(&receiver, &secret), BTreeSet::from([created]), "the same event, signed");

    // A reviewer lists the lead's documents and downloads one by its short-lived link.
    let document = passport_uploaded_and_scored(stack, WAYNE, &id, 11).await;
    let (status, listed) = send(WAYNE, reqwest::Method::GET, format!("{base}/v1/leads/{id}/documents"), None).await;
    assert_eq!(status, 200, "{listed}");
    assert!(listed["data"].as_array().is_some_and(|d| d.iter().any(|d| d["id"] == document["id"])), "{listed}");
    let download = document["download"]["url"].as_str().expect("a download link for the reviewer");
    let file = reqwest::get(download).await.expect("moto answers");
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.bytes().await.expect("the file").as_ref(), kyc_tests::fixtures::png(640, 480, 11).as_slice());

    // A KYC link created again with the same key is the same link under a new token
    // (only the token's hash is kept, so the old token is moved to the new one's).
    let body = json!({"lead": kyc_tests::api::complete_individual()});
    let (status, link) = post_once(WAYNE, format!("{base}/v1/kyc-links"), "link-1", body.clone()).await;
    assert_eq!(status, 201, "{link}");
    let (status, again) = post_once(WAYNE, format!("{base}/v1/kyc-links"), "link-1", body).await;
    assert_eq!((status, &again["lead_id"]), (201, &link["lead_id"]), "{again}");
    assert_ne!(again["url"], link["url"], "a new token for the same link");

    let (status, _) = send(WAYNE, reqwest::Method::DELETE, endpoint.clone(), None).await;
    assert_eq!(status, 204);
    let (status, gone) = send(WAYNE, reqwest::Method::GET, endpoint, None).await;
    assert_eq!(status, 404, "{gone}");
}
