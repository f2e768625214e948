//! Sumsub share tokens through the API, against a fake Sumsub that verifies every
//! call's signature: each mapping of a review onto the lead, a refresh on a decided
//! lead, every error with the lead unchanged, the `applicantReviewed` webhook and its
//! digest, `capabilities.crypto_rails`, and the token absent from every answer, audit
//! event and log line.

use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use kyc_tests::api::{ACME_ANA_KEY, GLOBEX_KEY, TestApi};
use kyc_tests::fake_sumsub::{self, Failure, FakeSumsub};
use kyc_tests::on_both_backends;

/// Every log line of this test binary, to check no token reaches one.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    })
    .clone()
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

macro_rules! on_the_embedded_store {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $scenario() {
            super_scenarios::$scenario(TestApi::embedded()).await;
        }
    )*};
}

on_both_backends!(
    a_green_review_approves_a_minimal_lead_and_opens_crypto_rails,
    a_pending_import_waits_for_sumsubs_webhook,
    a_pending_import_whose_webhook_was_lost_is_decided_by_the_follow_up_job,
);

mod embedded {
    use super::scenarios as super_scenarios;
    use super::*;

    on_the_embedded_store!(
        a_red_final_review_rejects_for_good,
        a_red_retry_review_rejects_and_may_be_retried,
        a_fresh_token_refreshes_an_approved_lead,
        a_green_review_of_a_premium_lead_waits_for_a_person,
        a_green_review_of_a_critical_lead_waits_for_a_person,
        a_green_review_of_a_held_lead_leaves_it_with_the_person,
        an_expired_token_is_422_and_changes_nothing,
        a_wrong_signature_is_refused_by_sumsub_and_changes_nothing,
        sumsub_answering_5xx_is_502_and_changes_nothing,
        sumsub_timing_out_is_502_within_the_budget,
        a_429_is_retried_and_the_import_goes_through,
        no_credentials_is_503_and_changes_nothing,
        each_tenant_signs_with_its_own_credentials_and_a_tenant_without_is_503,
        a_forged_webhook_digest_is_401_and_changes_nothing,
        a_retry_with_the_same_idempotency_key_calls_sumsub_once,
        an_invalid_patch_with_a_token_never_reaches_sumsub,
        crypto_rails_close_the_moment_the_lead_leaves_approved,
    );
}

use scenarios::*;

mod scenarios {
    use super::*;

    async fn with_fake(api: TestApi) -> (TestApi, FakeSumsub) {
        let _ = logs();
        let fake = FakeSumsub::start().await;
        let api = api.with_sumsub(Arc::new(fake.client()));
        (api, fake)
    }

    /// A unique share token (tokens are single-use).
    fn token(name: &str) -> String {
        format!("_act-{name}-{}", uuid::Uuid::now_v7())
    }

    fn applicant() -> String {
        uuid::Uuid::now_v7().simple().to_string()[..24].to_string()
    }

    async fn lead(api: &TestApi, body: Value) -> String {
        api.create(body).await["id"].as_str().expect("lead id").to_string()
    }

    async fn import(api: &TestApi, lead: &str, token: &str) -> kyc_tests::api::Reply {
        api.patch(&format!("/v1/leads/{lead}"), json!({ "sumsub_share_token": token }), &[]).await
    }

    /// The token appears in no answer, audit event, event feed or log line.
    async fn assert_token_nowhere(api: &TestApi, lead: &str, token: &str, replies: &[&kyc_tests::api::Reply]) {
        for reply in replies {
            assert!(!reply.body.to_string().contains(token), "an answer carries the token: {}", reply.body);
        }
        let audit = api.audit(lead).await;
        assert!(!Value::Array(audit).to_string().contains(token), "the audit trail carries the token");
        let events = api.get("/v1/events?limit=100").await;
        assert!(!events.body.to_string().contains(token), "the event feed carries the token");
        let logs = String::from_utf8_lossy(&logs().lock().expect("log buffer")).to_string();
        assert!(!logs.contains(token), "a log line carries the token");
        let _ = std::io::stdout().flush();
    }

    /// Shares a GREEN applicant under a fresh token and imports it into `lead`.
    async fn import_green(api: &TestApi, fake: &FakeSumsub, lead: &str, name: &str) -> kyc_tests::api::Reply {
        let (tok, app) = (token(name), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        import(api, lead, &tok).await
    }

    /// A GREEN review the contract leaves to a person: under review for `reason`, no
    /// crypto rails.
    fn assert_waits_for_a_person(reply: &kyc_tests::api::Reply, reason: &str) {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "under_review");
        assert!(reply.body["review_reasons"].as_array().expect("reasons").contains(&json!(reason)), "{}", reply.body);
        assert_eq!(reply.body["capabilities"]["crypto_rails"], false);
    }

    fn every_call_signed(fake: &FakeSumsub) {
        let calls = fake.calls();
        assert!(!calls.is_empty());
        assert!(calls.iter().all(|c| c.signature_ok), "a call was not signed right: {calls:?}");
    }

    async fn assert_unchanged(api: &TestApi, lead: &str, before: &Value) {
        let now = api.get(&format!("/v1/leads/{lead}")).await.body;
        assert_eq!(&now, before, "the lead changed");
    }

    async fn status_updates(api: &TestApi, lead: &str) -> Vec<Value> {
        let events = api.get("/v1/events?type=kyc.status_updated&limit=100").await;
        assert_eq!(events.status, 200, "{}", events.body);
        events.body["data"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["data"]["lead_id"] == lead)
            .cloned()
            .collect()
    }

    pub async fn a_green_review_approves_a_minimal_lead_and_opens_crypto_rails(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("green"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        let reply = import(&api, &id, &tok).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "approved");
        assert_eq!(reply.body["sumsub"]["applicant_id"], app.as_str());
        assert_eq!(reply.body["sumsub"]["review_answer"], "GREEN");
        assert_eq!(reply.body["sumsub"]["review_status"], "completed");
        assert!(reply.body["sumsub"]["imported_at"].is_string());
        assert_eq!(reply.body["capabilities"], json!({"crypto_rails": true}));
        // two signed calls: the import, then the applicant
        let calls = fake.calls();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!((calls[0].method.as_str(), calls[1].method.as_str()), ("POST", "GET"));
        every_call_signed(&fake);
        let actions: Vec<Value> = api.audit(&id).await.iter().map(|e| e["action"].clone()).collect();
        assert!(actions.ends_with(&[json!("sumsub.imported"), json!("status.changed")]), "{actions:?}");
        let updates = status_updates(&api, &id).await;
        assert_eq!(updates.last().expect("a status update")["data"]["capabilities"], json!({"crypto_rails": true}));
        assert_token_nowhere(&api, &id, &tok, &[&reply]).await;
    }

    pub async fn a_pending_import_waits_for_sumsubs_webhook(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("pending"), applicant());
        fake.share(&tok, &app, None, None);
        let reply = import(&api, &id, &tok).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "under_review");
        assert!(reply.body.get("hold").is_none(), "a pending import holds nothing: {}", reply.body);
        assert_eq!(reply.body["sumsub"]["review_answer"], Value::Null);
        assert_eq!(reply.body["capabilities"]["crypto_rails"], false);

        let body = json!({"type": "applicantReviewed", "applicantId": app, "reviewStatus": "completed",
                          "reviewResult": {"reviewAnswer": "GREEN"}, "createdAtMs": "2026-11-30 10:00:00.000"})
        .to_string();
        let digest = fake_sumsub::payload_digest(fake_sumsub::WEBHOOK_SECRET, body.as_bytes());
        let hook = api
            .send(
                "POST",
                "/v1/integrations/sumsub/webhook",
                None,
                Some(body.clone().into_bytes()),
                &[
                    ("content-type", "application/json"),
                    ("x-payload-digest", &digest),
                    ("x-payload-digest-alg", "HMAC_SHA256_HEX"),
                ],
            )
            .await;
        assert_eq!(hook.status, 200, "{}", hook.body);
        assert_eq!(hook.body["status"], "applied");
        let after = api.get(&format!("/v1/leads/{id}")).await.body;
        assert_eq!(after["status"], "approved");
        assert_eq!(after["sumsub"]["review_answer"], "GREEN");
        assert_eq!(after["capabilities"]["crypto_rails"], true);
        let trail = api.audit(&id).await;
        assert_eq!(trail.last().expect("events")["actor"], "system:sumsub");
        // Sumsub delivers at least once: the same webhook again changes nothing.
        let again = api
            .send(
                "POST",
                "/v1/integrations/sumsub/webhook",
                None,
                Some(body.into_bytes()),
                &[("x-payload-digest", &digest)],
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(api.get(&format!("/v1/leads/{id}")).await.body["version"], after["version"]);
    }

    pub async fn a_red_final_review_rejects_for_good(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("red-final"), applicant());
        fake.share(&tok, &app, Some("RED"), Some("FINAL"));
        let reply = import(&api, &id, &tok).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "rejected");
        assert_eq!(reply.body["rejection"]["final"], true);
        assert_eq!(reply.body["sumsub"]["review_answer"], "RED");
        assert_eq!(reply.body["capabilities"]["crypto_rails"], false);
        every_call_signed(&fake);
    }

    pub async fn a_red_retry_review_rejects_and_may_be_retried(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("red-retry"), applicant());
        fake.share(&tok, &app, Some("RED"), Some("RETRY"));
        let reply = import(&api, &id, &tok).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "rejected");
        assert_eq!(reply.body["rejection"]["final"], false);
        // and a fresh token with a GREEN answer approves it (through in_progress)
        let (tok2, app2) = (token("green-after-retry"), applicant());
        fake.share(&tok2, &app2, Some("GREEN"), None);
        let reply = import(&api, &id, &tok2).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "approved");
        assert_eq!(reply.body["sumsub"]["applicant_id"], app2.as_str());
    }

    pub async fn a_fresh_token_refreshes_an_approved_lead(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("first"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        assert_eq!(import(&api, &id, &tok).await.body["status"], "approved");
        // The same token again is spent: 422, nothing changes.
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        import(&api, &id, &tok).await.assert_problem(422, "share_token_rejected");
        assert_unchanged(&api, &id, &before).await;
        // A fresh one refreshes the import, also on an approved lead.
        let (tok2, app2) = (token("refresh"), applicant());
        fake.share(&tok2, &app2, Some("GREEN"), None);
        let calls_before = fake.calls().len();
        let reply = import(&api, &id, &tok2).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(fake.calls().len() - calls_before, 2, "a refresh is two calls");
        assert_eq!(reply.body["status"], "approved");
        assert_eq!(reply.body["sumsub"]["applicant_id"], app2.as_str());
        assert_eq!(reply.body["version"].as_u64(), before["version"].as_u64().map(|v| v + 1));
        // A refresh whose answer is RED rejects the approved lead (through under_review).
        let (tok3, app3) = (token("refresh-red"), applicant());
        fake.share(&tok3, &app3, Some("RED"), Some("RETRY"));
        let reply = import(&api, &id, &tok3).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "rejected");
        assert_eq!(reply.body["capabilities"]["crypto_rails"], false);
        let updates = status_updates(&api, &id).await;
        let last = &updates.last().expect("updates")["data"];
        assert_eq!(last["status"], "rejected");
        assert_eq!(last["capabilities"], json!({"crypto_rails": false}));
        every_call_signed(&fake);
    }

    pub async fn a_green_review_of_a_premium_lead_waits_for_a_person(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({"level": "premium"})).await;
        let reply = import_green(&api, &fake, &id, "premium").await;
        assert_waits_for_a_person(&reply, "premium_level");
    }

    pub async fn a_green_review_of_a_critical_lead_waits_for_a_person(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(
            &api,
            json!({"email": "kim@example.com", "individual": {"first_name": "Kim", "last_name": "Ri"},
                   "address": {"line1": "1 Main St", "city": "Pyongyang", "country": "KP"}}),
        )
        .await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        assert_eq!(before["risk"]["level"], "critical", "{before}");
        let reply = import_green(&api, &fake, &id, "critical").await;
        assert_waits_for_a_person(&reply, "risk_critical");
    }

    pub async fn a_green_review_of_a_held_lead_leaves_it_with_the_person(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let held = api.lead_under_review().await;
        let id = held["id"].as_str().expect("id").to_string();
        assert!(held["hold"].is_object(), "{held}");
        let reply = import_green(&api, &fake, &id, "held").await;
        assert_waits_for_a_person(&reply, "held_by_reviewer");
        assert!(reply.body["hold"].is_object());
        assert_eq!(reply.body["sumsub"]["review_answer"], "GREEN");
    }

    pub async fn an_expired_token_is_422_and_changes_nothing(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        let tok = token("expired"); // never shared: Sumsub answers 401 "Token is invalid"
        let reply = import(&api, &id, &tok).await;
        reply.assert_problem(422, "share_token_rejected");
        assert_eq!(reply.fields(), ["sumsub_share_token"]);
        assert_unchanged(&api, &id, &before).await;
        every_call_signed(&fake);
        assert_token_nowhere(&api, &id, &tok, &[&reply]).await;
    }

    pub async fn a_wrong_signature_is_refused_by_sumsub_and_changes_nothing(api: TestApi) {
        let fake = FakeSumsub::start().await;
        let api = api.with_sumsub(Arc::new(fake.client_with(fake_sumsub::APP_TOKEN, "not-the-secret")));
        let id = lead(&api, json!({})).await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        let (tok, app) = (token("wrong-sig"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        import(&api, &id, &tok).await.assert_problem(422, "share_token_rejected");
        assert_unchanged(&api, &id, &before).await;
        let calls = fake.calls();
        assert_eq!(calls.len(), 1);
        assert!(!calls[0].signature_ok);
    }

    pub async fn sumsub_answering_5xx_is_502_and_changes_nothing(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        fake.fail_next(&[Failure::Status(503); 20]);
        let (tok, app) = (token("5xx"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        let reply = import(&api, &id, &tok).await;
        reply.assert_problem(502, "sumsub_unavailable");
        assert!(fake.calls().len() > 1, "5xx is retried");
        assert_unchanged(&api, &id, &before).await;
        assert_token_nowhere(&api, &id, &tok, &[&reply]).await;
    }

    pub async fn sumsub_timing_out_is_502_within_the_budget(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        fake.fail_next(&[Failure::Delay(Duration::from_secs(2)); 10]);
        let (tok, app) = (token("timeout"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        let reply = import(&api, &id, &tok).await;
        reply.assert_problem(502, "sumsub_unavailable");
        // The client's budget (1.5 s) holds at most three attempts of 0.4 s: a timeout is
        // retried, but never past the budget.
        let calls = fake.calls().len();
        assert!((2..=3).contains(&calls), "a timeout is retried within the budget: {calls} calls");
        assert_unchanged(&api, &id, &before).await;
        assert_token_nowhere(&api, &id, &tok, &[&reply]).await;
    }

    pub async fn a_429_is_retried_and_the_import_goes_through(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        fake.fail_next(&[Failure::Status(429)]);
        let (tok, app) = (token("429"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        let reply = import(&api, &id, &tok).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "approved");
        assert_eq!(fake.calls().len(), 3);
        every_call_signed(&fake);
    }

    pub async fn no_credentials_is_503_and_changes_nothing(api: TestApi) {
        let id = lead(&api, json!({})).await;
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        let tok = token("unconfigured");
        let reply = import(&api, &id, &tok).await;
        reply.assert_problem(503, "sumsub_not_configured");
        assert_unchanged(&api, &id, &before).await;
        assert!(!reply.body.to_string().contains(&tok));
    }

    pub async fn a_forged_webhook_digest_is_401_and_changes_nothing(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("forged"), applicant());
        fake.share(&tok, &app, None, None);
        assert_eq!(import(&api, &id, &tok).await.body["status"], "under_review");
        let before = api.get(&format!("/v1/leads/{id}")).await.body;
        let body = json!({"type": "applicantReviewed", "applicantId": app, "reviewStatus": "completed",
                          "reviewResult": {"reviewAnswer": "GREEN"}})
        .to_string();
        let forged = fake_sumsub::payload_digest("not-the-webhook-secret", body.as_bytes());
        for headers in [vec![("x-payload-digest", forged.as_str())], vec![]] {
            let reply = api
                .send("POST", "/v1/integrations/sumsub/webhook", None, Some(body.clone().into_bytes()), &headers)
                .await;
            reply.assert_problem(401, "unauthorized");
        }
        assert_unchanged(&api, &id, &before).await;
    }

    pub async fn a_retry_with_the_same_idempotency_key_calls_sumsub_once(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("idem"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        let path = format!("/v1/leads/{id}");
        let body = json!({ "sumsub_share_token": tok });
        let first = api.patch(&path, body.clone(), &[("idempotency-key", "import-1")]).await;
        let second = api.patch(&path, body, &[("idempotency-key", "import-1")]).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!((second.status, &second.body), (200, &first.body));
        assert_eq!(fake.calls().len(), 2, "the retry is answered from the first response");
    }

    pub async fn an_invalid_patch_with_a_token_never_reaches_sumsub(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let tok = token("invalid-patch");
        let reply = api
            .patch(
                &format!("/v1/leads/{id}"),
                json!({"sumsub_share_token": tok, "address": {"country": "Germany"}}),
                &[],
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert!(fake.calls().is_empty());
        let reply = api.patch(&format!("/v1/leads/{id}"), json!({"sumsub_share_token": 42}), &[]).await;
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(reply.fields(), ["sumsub_share_token"]);
        assert!(fake.calls().is_empty());
    }

    pub async fn crypto_rails_close_the_moment_the_lead_leaves_approved(api: TestApi) {
        let (api, fake) = with_fake(api).await;
        let id = lead(&api, json!({})).await;
        let (tok, app) = (token("close"), applicant());
        fake.share(&tok, &app, Some("GREEN"), None);
        assert_eq!(import(&api, &id, &tok).await.body["capabilities"]["crypto_rails"], true);
        let reply = api
            .send(
                "POST",
                &format!("/v1/leads/{id}/status"),
                Some(ACME_ANA_KEY),
                Some(json!({"status": "under_review"}).to_string().into_bytes()),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["capabilities"]["crypto_rails"], false);
        let updates = status_updates(&api, &id).await;
        let last = &updates.last().expect("updates")["data"];
        assert_eq!(
            (last["status"].clone(), last["capabilities"].clone()),
            (json!("under_review"), json!({"crypto_rails": false}))
        );
    }

    pub async fn a_pending_import_whose_webhook_was_lost_is_decided_by_the_follow_up_job(api: TestApi) {
        let clock = Arc::new(kyc_tests::clock::ManualClock::starting_now());
        let (api, fake) = with_fake(api.with_clock(clock.clone())).await;
        let (decided, waiting) = (lead(&api, json!({})).await, lead(&api, json!({})).await);
        let (tok1, app1, tok2, app2) = (token("lost-hook"), applicant(), token("still-pending"), applicant());
        fake.share(&tok1, &app1, None, None);
        fake.share(&tok2, &app2, None, None);
        assert_eq!(import(&api, &decided, &tok1).await.body["status"], "under_review");
        assert_eq!(import(&api, &waiting, &tok2).await.body["status"], "under_review");
        // Sumsub decides the first, but its webhook never arrives.
        fake.decide(&app1, "GREEN", None);
        let day = chrono::TimeDelta::hours(24);
        let reads = || fake.calls().iter().filter(|c| c.method == "GET").count();
        let reads_at_import = reads();

        clock.advance(chrono::TimeDelta::minutes(59));
        let early = kyc_app::followups::run(&api.deps, day).await.expect("ran");
        assert_eq!(early.sumsub_decided, 0, "an import waits an hour for Sumsub's webhook");
        assert_eq!(reads(), reads_at_import);

        clock.advance(chrono::TimeDelta::minutes(2));
        let due = kyc_app::followups::run(&api.deps, day).await.expect("ran");
        assert_eq!(due.sumsub_decided, 1);
        assert_eq!(reads(), reads_at_import + 2, "each pending import is re-read once");
        every_call_signed(&fake);
        let lead = api.get(&format!("/v1/leads/{decided}")).await.body;
        assert_eq!(
            (lead["status"].clone(), lead["sumsub"]["review_answer"].clone()),
            (json!("approved"), json!("GREEN"))
        );
        assert_eq!(lead["capabilities"]["crypto_rails"], true);
        let trail = api.audit(&decided).await;
        assert_eq!(trail.last().expect("events")["actor"], "system:follow-up");
        assert_eq!(api.get(&format!("/v1/leads/{waiting}")).await.body["status"], "under_review");

        // A decided import is read no more; one still pending is read again an hour later.
        let again = kyc_app::followups::run(&api.deps, day).await.expect("ran");
        assert_eq!((again.sumsub_decided, reads()), (0, reads_at_import + 2));
        clock.advance(chrono::TimeDelta::minutes(61));
        fake.decide(&app2, "RED", Some("FINAL"));
        let later = kyc_app::followups::run(&api.deps, day).await.expect("ran");
        assert_eq!((later.sumsub_decided, reads()), (1, reads_at_import + 3));
        let lead = api.get(&format!("/v1/leads/{waiting}")).await.body;
        assert_eq!((lead["status"].clone(), lead["rejection"]["final"].clone()), (json!("rejected"), json!(true)));
    }

    pub async fn each_tenant_signs_with_its_own_credentials_and_a_tenant_without_is_503(api: TestApi) {
        let fake = FakeSumsub::start().await;
        let api = api.with_sumsub(Arc::new(fake.client_per_tenant(&["acme"])));
        let id = lead(&api, json!({})).await;
        assert_eq!(import_green(&api, &fake, &id, "acme-own-pair").await.body["status"], "approved");
        every_call_signed(&fake);
        let calls_of_acme = fake.calls().len();

        let created = api.send("POST", "/v1/leads", Some(GLOBEX_KEY), Some(b"{}".to_vec()), &[]).await;
        let other = created.body["id"].as_str().expect("a globex lead").to_string();
        let body = json!({ "sumsub_share_token": token("globex") }).to_string().into_bytes();
        let reply = api.send("PATCH", &format!("/v1/leads/{other}"), Some(GLOBEX_KEY), Some(body), &[]).await;
        reply.assert_problem(503, "sumsub_not_configured");
        assert_eq!(fake.calls().len(), calls_of_acme, "a tenant without credentials never reaches Sumsub");
    }
}

/// On Lambda with `SumsubCredentialsSecretArn`, the credentials live in Secrets Manager
/// (moto here, through the real SDK): nothing is read until the first Sumsub call, a
/// failed read is that call's outage and is tried again at the next call, and the pair
/// read signs the calls.
#[tokio::test]
async fn credentials_in_secrets_manager_are_read_at_the_first_call_and_a_failed_read_is_tried_again() {
    use kyc_app::ports::{Sumsub as _, SumsubError};
    let fake = FakeSumsub::start().await;
    let sdk = kyc_tests::backends::moto_config().await;
    let name = format!("kyc-test-sumsub-{}", uuid::Uuid::now_v7());
    let sumsub = kyc_aws::SecretSumsub::new(&sdk, name.clone(), &fake.url);

    let token = format!("_act-secret-{}", uuid::Uuid::now_v7());
    let missing = sumsub.import_shared("acme", &token).await;
    assert!(matches!(missing, Err(SumsubError::Unavailable(_))), "{missing:?}");
    assert!(fake.calls().is_empty(), "Sumsub was called without credentials");

    let secret = json!({
        "app_token": fake_sumsub::APP_TOKEN,
        "secret_key": fake_sumsub::SECRET_KEY,
        "webhook_secret": fake_sumsub::WEBHOOK_SECRET,
    });
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&name)
        .secret_string(secret.to_string())
        .send()
        .await
        .expect("the secret created on moto");
    fake.share(&token, "applicant-from-secret", Some("GREEN"), None);
    assert_eq!(sumsub.import_shared("acme", &token).await, Ok("applicant-from-secret".to_string()));
    assert_eq!(sumsub.webhook_secret("acme").await, Ok(Some(fake_sumsub::WEBHOOK_SECRET.to_string())));
    let calls = fake.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].signature_ok, "the import was not signed with the secret's pair: {calls:?}");
}
