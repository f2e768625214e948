//! Drives the HTTP router in process, as API Gateway or `kyc-local` would.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use kyc_app::auth::{KeySpec, Role, StaticKeys};
use kyc_app::ports::table::Table;
use kyc_app::ports::{SystemClock, UuidV7Ids};
use kyc_app::{Deps, TenantId};
use kyc_aws::DnsResolver;
use kyc_embedded::{LocalObjects, LocalQueue};
use kyc_http::{Api, Authenticate, BearerKeys};

/// `acme`'s admin key (actor `acme`).
pub const ACME_KEY: &str = "acme-secret-key-1";
/// `acme`'s reviewers `ana` and `bo`, and its integration `shop`.
pub const ACME_ANA_KEY: &str = "acme-reviewer-ana-1";
pub const ACME_BO_KEY: &str = "acme-reviewer-bo-1";
pub const ACME_SHOP_KEY: &str = "acme-integrator-shop-1";
pub const GLOBEX_KEY: &str = "globex-secret-key-1";

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `field`s a problem document names.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    /// Asserts the reply is a problem document with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].is_string() && self.body["title"].is_string() && self.body["detail"].is_string());
        self
    }
}

/// A caller as a use case sees it (tests that call use cases directly).
pub fn principal(tenant: &str, actor: &str, role: Role) -> kyc_app::auth::Principal {
    kyc_app::auth::Principal {
        tenant: TenantId::parse(tenant).expect("tenant"),
        actor: actor.into(),
        role,
        key_id: format!("test-{actor}"),
    }
}

/// The API over one table, with two tenants: `acme` and `globex`.
#[derive(Clone)]
pub struct TestApi {
    pub deps: Deps,
    /// How requests are authenticated: API keys of `acme` and `globex`.
    pub auth: Arc<dyn Authenticate>,
    /// The object store behind `deps.objects`, to put files as a device would.
    pub objects: LocalObjects,
    /// The deliveries queue behind `deps.queue`.
    pub queue: Arc<LocalQueue>,
    /// What a storage event runs: file checks, the verifier (none unless
    /// [`TestApi::with_verifier`]), risk and the decision.
    pub scoring: Arc<kyc_app::scoring::Scoring>,
    router: Router,
    _files: Arc<tempfile::TempDir>,
}

impl TestApi {
    pub fn new(table: Arc<dyn Table>) -> Self {
        let files = tempfile::tempdir().expect("temp dir for objects");
        let objects = LocalObjects::new(files.path().to_path_buf(), "http://127.0.0.1:9".into(), b"test-signing-key")
            .expect("object store");
        Self::build(table, objects.clone(), Arc::new(objects), files)
    }

    /// The API over `table` and another object store (S3 on moto).
    pub fn with_objects(table: Arc<dyn Table>, store: Arc<dyn kyc_app::ports::objects::ObjectStore>) -> Self {
        let files = tempfile::tempdir().expect("temp dir for objects");
        let objects = LocalObjects::new(files.path().to_path_buf(), "http://127.0.0.1:9".into(), b"test-signing-key")
            .expect("object store");
        Self::build(table, objects, store, files)
    }

    fn build(
        table: Arc<dyn Table>,
        objects: LocalObjects,
        store: Arc<dyn kyc_app::ports::objects::ObjectStore>,
        files: tempfile::TempDir,
    ) -> Self {
        let queue = Arc::new(LocalQueue::in_memory(8).expect("queue"));
        let key = |tenant: &str, key: &str, actor: &str, role: Role| KeySpec {
            key: key.into(),
            tenant: TenantId::parse(tenant).expect("tenant"),
            actor: actor.into(),
            role,
        };
        let keys = [
            key("acme", ACME_KEY, "acme", Role::Admin),
            key("acme", ACME_ANA_KEY, "ana", Role::Reviewer),
            key("acme", ACME_BO_KEY, "bo", Role::Reviewer),
            key("acme", ACME_SHOP_KEY, "shop", Role::Integrator),
            key("globex", GLOBEX_KEY, "globex", Role::Admin),
        ];
        let deps = Deps {
            table,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            objects: store,
            queue: queue.clone(),
            resolver: Arc::new(DnsResolver),
            mode: kyc_domain::ssrf::Mode::Local,
            risk: Arc::new(kyc_app::scoring::RiskRules::shipped_sample()),
            keys: Arc::new(kyc_app::sealing::MasterKey::random()),
            sumsub: Arc::new(kyc_app::ports::NoSumsub),
        };
        let auth: Arc<dyn Authenticate> = Arc::new(BearerKeys(Arc::new(StaticKeys::new(&keys))));
        let router = kyc_http::router(Api { deps: deps.clone(), auth: auth.clone() });
        // The scorer screens with the same list as the lead functions.
        let scoring = Arc::new(
            kyc_app::scoring::Scoring::screened_by(10 * 1024 * 1024, deps.risk.screening.clone()),
        );
        TestApi { router, deps, auth, objects, queue, scoring, _files: Arc::new(files) }
    }

    pub fn embedded() -> Self {
        TestApi::new(crate::backends::embedded())
    }

    /// The API as a Lambda function has it in its handler tests: this API's stores, one
    /// fixed id (the one an `events/` fixture names), and `auth`.
    pub fn function_api(&self, fixed_id: &str, auth: Arc<dyn Authenticate>) -> Api {
        let uuid = uuid::Uuid::parse_str(fixed_id).expect("a fixture uuid");
        Api { deps: Deps { ids: Arc::new(FixedIds(uuid)), ..self.deps.clone() }, auth }
    }

    fn rebuild(&mut self) {
        self.router = kyc_http::router(Api { deps: self.deps.clone(), auth: self.auth.clone() });
    }

    /// The same API on another clock.
    pub fn with_clock(mut self, clock: Arc<dyn kyc_app::ports::Clock>) -> Self {
        self.deps.clock = clock;
        self.rebuild();
        self
    }

    /// The same API resolving webhook host names with `resolver`.
    pub fn with_resolver(mut self, resolver: Arc<dyn kyc_app::ports::Resolver>) -> Self {
        self.deps.resolver = resolver;
        self.rebuild();
        self
    }

    /// The same API whose scorer reads documents with `verifier`.
    pub fn with_verifier(
        mut self,
        verifier: Arc<dyn kyc_app::ports::Verifier>,
        threshold: kyc_domain::verification::FaceMatchThreshold,
    ) -> Self {
        let scoring = (*self.scoring).clone().with_verifier(verifier, threshold);
        self.scoring = Arc::new(scoring);
        self
    }

    /// The same API sealing webhook secrets under `keys`.
    pub fn with_keys(mut self, keys: Arc<dyn kyc_app::ports::KeyWrapper>) -> Self {
        self.deps.keys = keys;
        self.rebuild();
        self
    }

    /// The same API talking to Sumsub through `sumsub`.
    pub fn with_sumsub(mut self, sumsub: Arc<dyn kyc_app::ports::Sumsub>) -> Self {
        self.deps.sumsub = sumsub;
        self.rebuild();
        self
    }

    /// The same API with production rules (public `https://` webhook endpoints only).
    pub fn in_production_mode(mut self) -> Self {
        self.deps.mode = kyc_domain::ssrf::Mode::Production;
        self.rebuild();
        self
    }

    /// Sends a request as tenant `acme` unless `key` says otherwise.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(Method::from_bytes(method.as_bytes()).expect("method")).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.map_or_else(Body::empty, Body::from)).expect("request");
        let response = self.router.clone().oneshot(request).await.expect("router is infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, Some(ACME_KEY), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(ACME_KEY), Some(body.to_string().into_bytes()), &[]).await
    }

    pub async fn post_with(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
        self.send("POST", path, Some(ACME_KEY), Some(body.to_string().into_bytes()), headers).await
    }

    pub async fn patch(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
        self.send("PATCH", path, Some(ACME_KEY), Some(body.to_string().into_bytes()), headers).await
    }

    /// Creates a lead and returns it, asserting success.
    pub async fn create(&self, body: Value) -> Value {
        let reply = self.post("/v1/leads", body).await;
        assert_eq!(reply.status, 201, "create failed: {}", reply.body);
        reply.body
    }

    /// A basic individual with all data fields, ready to approve.
    pub async fn complete_lead(&self) -> Value {
        self.create(complete_individual()).await
    }

    /// Moves a lead to `under_review`.
    pub async fn lead_under_review(&self) -> Value {
        let lead = self.complete_lead().await;
        let reply = self
            .post(&format!("/v1/leads/{}/status", lead["id"].as_str().unwrap_or("")), json!({"status": "under_review"}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// Requests a document of `acme`'s lead, stores `file` under its key as the device
    /// would, and raises the storage event. Returns the document id and the outcome.
    pub async fn upload(&self, lead: &str, request: Value, file: &[u8]) -> (String, kyc_app::scoring::ScoreOutcome) {
        let (doc, outcome) = self.try_upload(lead, request, file).await;
        (doc, outcome.expect("scored"))
    }

    /// As [`TestApi::upload`], with the scoring's error (a verifier outage) kept.
    pub async fn try_upload(
        &self,
        lead: &str,
        request: Value,
        file: &[u8],
    ) -> (String, Result<kyc_app::scoring::ScoreOutcome, kyc_app::error::AppError>) {
        let reply = self.post(&format!("/v1/leads/{lead}/documents"), request).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let doc = reply.body["document"]["id"].as_str().expect("document id").to_string();
        let key = format!("documents/acme/{lead}/{doc}");
        self.objects.write(&key, file).await.expect("stored");
        (doc, self.storage_event(&key).await)
    }

    /// Raises the storage event for `key` (again), as S3 does and retries.
    pub async fn storage_event(&self, key: &str) -> Result<kyc_app::scoring::ScoreOutcome, kyc_app::error::AppError> {
        kyc_app::scoring::on_object_created(&self.deps, &self.scoring, key).await
    }

    /// The lead's audit trail (its first 100 events).
    pub async fn audit(&self, id: &str) -> Vec<Value> {
        let reply = self.get(&format!("/v1/leads/{id}/audit?limit=100")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["data"].as_array().cloned().unwrap_or_default()
    }
}

/// Issues one fixed id.
pub struct FixedIds(pub uuid::Uuid);

impl kyc_app::ports::Ids for FixedIds {
    fn uuid(&self) -> uuid::Uuid {
        self.0
    }
}

pub fn complete_individual() -> Value {
    json!({
        "email": "ada@example.com",
        "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB"},
        "address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
    })
}
