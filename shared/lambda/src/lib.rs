//! Glue shared by the Lambda functions: JSON logs, the tenant that the API Gateway
//! authorizer attached to a request, and the dependencies each function builds from its
//! environment (store, queue, scoring, verifier).

pub mod s3;

use async_trait::async_trait;
use lambda_http::request::RequestContext;

use kyc_app::TenantId;
use kyc_app::auth::{Principal, Role, is_valid_actor};
use kyc_http::{Api, ApiError, Authenticate};

/// The keys under which the authorizer puts who called in its simple-response context.
pub const TENANT_CONTEXT_KEY: &str = "tenant";
pub const ACTOR_CONTEXT_KEY: &str = "actor";
pub const ROLE_CONTEXT_KEY: &str = "role";
pub const KEY_ID_CONTEXT_KEY: &str = "key_id";

/// The authorizer's context for a principal.
pub fn principal_context(principal: &Principal) -> serde_json::Map<String, serde_json::Value> {
    let mut context = serde_json::Map::new();
    context.insert(TENANT_CONTEXT_KEY.into(), principal.tenant.to_string().into());
    context.insert(ACTOR_CONTEXT_KEY.into(), principal.actor.clone().into());
    context.insert(ROLE_CONTEXT_KEY.into(), principal.role.as_str().into());
    context.insert(KEY_ID_CONTEXT_KEY.into(), principal.key_id.clone().into());
    context
}

/// JSON logs to stdout (CloudWatch), level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time() // CloudWatch stamps each line
        .with_target(false)
        .init();
}

/// Reads the tenant the `authorizer` function resolved for this request's API key.
///
/// The authorizer answers "authorized" for every request that carries an
/// `Authorization` header and attaches a tenant only for a valid key, so that a wrong
/// key still gets this API's problem+json 401 rather than API Gateway's bare 403.
pub struct AuthorizerContext;

#[async_trait]
impl Authenticate for AuthorizerContext {
    async fn principal(&self, parts: &http::request::Parts) -> Result<Principal, ApiError> {
        let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() else {
            return Err(ApiError::Unauthorized);
        };
        let fields = context.authorizer.as_ref().map(|a| &a.fields).ok_or(ApiError::Unauthorized)?;
        let field = |name: &str| fields.get(name).and_then(|v| v.as_str());
        let tenant = field(TENANT_CONTEXT_KEY).and_then(TenantId::parse).ok_or(ApiError::Unauthorized)?;
        // Every field or none: a context of an older authorizer is refused, not guessed.
        let actor = field(ACTOR_CONTEXT_KEY).filter(|a| is_valid_actor(a)).ok_or(ApiError::Unauthorized)?;
        let role = field(ROLE_CONTEXT_KEY).and_then(Role::parse).ok_or(ApiError::Unauthorized)?;
        let key_id = field(KEY_ID_CONTEXT_KEY).filter(|k| !k.is_empty()).ok_or(ApiError::Unauthorized)?;
        Ok(Principal { tenant, actor: actor.to_string(), role, key_id: key_id.to_string() })
    }
}

/// A partial batch response (SQS and stream event sources with
/// `ReportBatchItemFailures`): the items Lambda must keep or retry from.
#[derive(Debug, Default, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    /// An SQS message id, or a stream record's sequence number.
    pub item_identifier: String,
}

/// Turns an API Gateway event (as in `events/*.json`) into the request the router
/// sees under `lambda_http::run`: for handler tests that replay real event shapes.
pub fn request_from_event(event_json: &str) -> Result<http::Request<lambda_http::Body>, serde_json::Error> {
    let event: lambda_http::request::LambdaRequest = serde_json::from_str(event_json)?;
    Ok(event.into())
}

/// What a function is built with, chosen in its `main.rs`: the table and the
/// process's clock, ids and resolver always; the documents bucket, the deliveries queue,
/// the webhook secrets' key and Sumsub only where the function's paths use them (as its
/// role in `template.yaml` allows). An adapter not asked for is a `No*` port that
/// refuses every call, and its SDK client is neither built at the cold start nor linked
/// into the function's binary.
///
/// Everything is read from the environment once per cold start; a missing variable
/// fails the init, not a request.
pub struct Wiring {
    sdk: aws_config::SdkConfig,
    deps: kyc_app::Deps,
    vars: Vars,
    documents: bool,
}

type InitError = lambda_runtime::Error;

/// The function's environment (a map in tests, so that no test changes the process's).
type Vars = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

fn var(vars: &Vars, name: &str) -> Option<String> {
    vars(name).filter(|v| !v.is_empty())
}

fn required(vars: &Vars, name: &str) -> Result<String, InitError> {
    var(vars, name).ok_or_else(|| format!("{name} is not set").into())
}

impl Wiring {
    /// From the process's environment and the shared SDK configuration: see
    /// [`Wiring::new`].
    pub async fn from_env() -> Result<Wiring, InitError> {
        Wiring::new(kyc_aws::sdk_config().await, |name| std::env::var(name).ok())
    }

    /// The DynamoDB table named by `KYC_TABLE` (its client built now: every invocation
    /// reads or writes it), the system clock, time-ordered ids, the system resolver,
    /// and the risk rules with the shipped screening sample (parsed at first use).
    pub fn new(
        sdk: aws_config::SdkConfig,
        vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Wiring, InitError> {
        let vars: Vars = std::sync::Arc::new(vars);
        let table_name = required(&vars, "KYC_TABLE")?;
        let table = kyc_aws::DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), table_name);
        let deps = kyc_app::Deps {
            table: std::sync::Arc::new(table),
            clock: std::sync::Arc::new(kyc_app::ports::SystemClock),
            ids: std::sync::Arc::new(kyc_app::ports::UuidV7Ids),
            objects: std::sync::Arc::new(kyc_app::ports::NoObjects),
            queue: std::sync::Arc::new(kyc_app::ports::NoQueue),
            resolver: std::sync::Arc::new(kyc_aws::DnsResolver),
            mode: loopback_mode(vars("KYC_ALLOW_LOOPBACK_WEBHOOKS").as_deref()),
            risk: std::sync::Arc::new(kyc_app::scoring::RiskRules::shipped_sample()),
            keys: std::sync::Arc::new(kyc_app::ports::NoKeys),
            sumsub: std::sync::Arc::new(kyc_app::ports::NoSumsub),
        };
        Ok(Wiring { sdk, deps, vars, documents: false })
    }

    /// The documents bucket `KYC_DOCUMENTS_BUCKET` (its S3 client built at the first
    /// presign or read), and the screening list in it that lead writes use: the one
    /// named by `KYC_SCREENING_LIST_KEY` (a paged index, or for small lists a `KYCSIDX1`
    /// index or a CSV), else the sample shipped in the binary; either is loaded on its
    /// first use, not here. The object is streamed to a file in `KYC_SCREENING_DIR`
    /// (default: the temp dir, `/tmp` on Lambda, its ephemeral storage).
    pub fn documents(mut self) -> Result<Wiring, InitError> {
        use kyc_app::ports::screening::ScreeningSource;
        let bucket = required(&self.vars, "KYC_DOCUMENTS_BUCKET")?;
        let objects: std::sync::Arc<dyn kyc_app::ports::ObjectStore> =
            std::sync::Arc::new(kyc_aws::S3Objects::deferred(&self.sdk, bucket));
        if let Some(key) = var(&self.vars, "KYC_SCREENING_LIST_KEY") {
            let dir = var(&self.vars, "KYC_SCREENING_DIR").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
            let source = ScreeningSource::Object { objects: objects.clone(), key, dir };
            self.deps.risk = std::sync::Arc::new(kyc_app::scoring::RiskRules::lazy(source));
        }
        self.deps.objects = objects;
        self.documents = true;
        Ok(self)
    }

    /// The deliveries queue `KYC_DELIVERIES_QUEUE_URL` (its SQS client built at the
    /// first send).
    pub fn deliveries(mut self) -> Result<Wiring, InitError> {
        self.deps.queue = std::sync::Arc::new(self.deliveries_queue()?);
        Ok(self)
    }

    /// The deliveries queue as the sender settles it: `KYC_DELIVERIES_QUEUE_URL`, dead
    /// letters to `KYC_DELIVERIES_DLQ_URL`, its SQS client built at its first call.
    pub fn deliveries_queue(&self) -> Result<kyc_aws::SqsQueue, InitError> {
        let mut queue = kyc_aws::SqsQueue::deferred(&self.sdk, required(&self.vars, "KYC_DELIVERIES_QUEUE_URL")?);
        if let Some(dlq) = var(&self.vars, "KYC_DELIVERIES_DLQ_URL") {
            queue = queue.with_dead_letter(dlq);
        }
        Ok(queue)
    }

    /// The master key of webhook secrets: the KMS key `KYC_SECRETS_KEY_ID` names, its
    /// client built at the first seal or open, data keys cached. Only the functions that
    /// seal (webhooks API) or open (sender) secrets ask for it, and only their roles may
    /// use the key; unset, secrets can be neither sealed nor opened.
    pub fn secrets_key(mut self) -> Wiring {
        if let Some(key_id) = var(&self.vars, "KYC_SECRETS_KEY_ID") {
            self.deps.keys = std::sync::Arc::new(kyc_app::sealing::CachedKeys::new(
                kyc_aws::KmsKeys::deferred(&self.sdk, key_id),
                DATA_KEY_TTL,
                DATA_KEYS_CACHED,
            ));
        }
        self
    }

    /// Sumsub's API with each tenant's credentials (`KYC_SUMSUB_SECRET_ARN`, read at the
    /// first Sumsub call; or the `KYC_SUMSUB_*` variables).
    pub fn sumsub(mut self) -> Result<Wiring, InitError> {
        self.deps.sumsub = kyc_aws::SumsubClient::deployed(&self.sdk)?;
        Ok(self)
    }

    /// The dependencies as wired. A screening list configured for a function that does
    /// not read the documents bucket would be silently replaced by the shipped sample:
    /// that fails the init instead.
    pub fn deps(self) -> Result<kyc_app::Deps, InitError> {
        if var(&self.vars, "KYC_SCREENING_LIST_KEY").is_some() && !self.documents {
            return Err("KYC_SCREENING_LIST_KEY is set, but this function does not read the documents bucket".into());
        }
        Ok(self.deps)
    }

    /// An API function's routes' state: the dependencies and the authorizer's tenant.
    pub fn api(self) -> Result<Api, InitError> {
        Ok(Api { deps: self.deps()?, auth: std::sync::Arc::new(AuthorizerContext) })
    }
}

/// Where webhooks may go: public `https://` endpoints only, unless
/// `KYC_ALLOW_LOOPBACK_WEBHOOKS=1` (the Lambda stack on moto under test, whose webhook
/// receivers listen on loopback `http://`; the template never sets it).
fn loopback_mode(value: Option<&str>) -> kyc_domain::ssrf::Mode {
    match value.map(str::trim) {
        Some("1") => kyc_domain::ssrf::Mode::Local,
        _ => kyc_domain::ssrf::Mode::Production,
    }
}

/// How long an opened data key is kept in memory, and how many: a sender asks KMS once
/// per endpoint secret and warm instance in this time, not once per delivery.
const DATA_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(300);
const DATA_KEYS_CACHED: usize = 1024;

/// The scorer's configuration: `KYC_MAX_DOCUMENT_BYTES` (default 10 MiB), the
/// face-match threshold, and the screening of the lead rules in `deps` (the list named
/// by `KYC_SCREENING_LIST_KEY`, loaded on its first use like in the lead functions, so a
/// cold start reads no list and a wrong key fails a scoring attempt, which S3 retries,
/// not every init).
pub async fn scoring(deps: &kyc_app::Deps) -> Result<kyc_app::scoring::Scoring, lambda_runtime::Error> {
    let max_bytes = match std::env::var("KYC_MAX_DOCUMENT_BYTES") {
        Ok(v) if !v.is_empty() => v.parse::<u64>().map_err(|_| "KYC_MAX_DOCUMENT_BYTES must be a number of bytes")?,
        _ => kyc_app::scoring::DEFAULT_MAX_DOCUMENT_BYTES,
    };
    let threshold = match std::env::var("KYC_FACE_MATCH_THRESHOLD") {
        Ok(v) if !v.is_empty() => kyc_domain::verification::FaceMatchThreshold::parse(&v)
            .map_err(|e| format!("KYC_FACE_MATCH_THRESHOLD: {e}"))?,
        _ => kyc_domain::verification::FaceMatchThreshold::default(),
    };
    Ok(kyc_app::scoring::Scoring::screened_by(max_bytes, deps.risk.screening.clone())
        .with_verifier(verifier().await?, threshold))
}

/// `KYC_VERIFIER`: what machine-reads documents and faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifierChoice {
    /// Amazon Textract and Rekognition, reading the documents bucket (the default on
    /// Lambda).
    Aws,
    /// Nothing is machine-read: automation never approves an identity.
    None,
}

impl VerifierChoice {
    /// The variable's value; unset or empty is `aws`.
    pub fn parse(value: Option<&str>) -> Result<VerifierChoice, String> {
        match value.map(str::trim) {
            None | Some("") | Some("aws") => Ok(VerifierChoice::Aws),
            Some("none") => Ok(VerifierChoice::None),
            Some(other) => Err(format!("KYC_VERIFIER must be `aws` or `none`, not `{other}`")),
        }
    }
}

/// The verifier, from the environment: `KYC_VERIFIER` (`aws` by default, or `none`).
/// With `aws`, Textract and Rekognition read the objects of `KYC_DOCUMENTS_BUCKET`
/// themselves (same region, the function's credentials), and the init fails with a
/// clear error where either service is not offered in the function's region (unless
/// `AWS_ENDPOINT_URL_TEXTRACT` / `AWS_ENDPOINT_URL_REKOGNITION` name an endpoint).
/// Called once per cold start.
pub async fn verifier() -> Result<std::sync::Arc<dyn kyc_app::ports::Verifier>, lambda_runtime::Error> {
    match VerifierChoice::parse(std::env::var("KYC_VERIFIER").ok().as_deref())? {
        VerifierChoice::None => Ok(std::sync::Arc::new(kyc_app::ports::NoVerifier)),
        VerifierChoice::Aws => {
            let bucket = std::env::var("KYC_DOCUMENTS_BUCKET").map_err(|_| "KYC_DOCUMENTS_BUCKET is not set")?;
            let sdk = kyc_aws::sdk_config().await;
            kyc_aws::ensure_offered(sdk.region().map(|r| r.as_ref()), kyc_aws::EndpointOverrides::from_env())?;
            Ok(std::sync::Arc::new(kyc_aws::AwsVerifier::new(&sdk, kyc_aws::FileAccess::S3 { bucket })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_go_to_public_https_endpoints_unless_loopback_is_allowed_explicitly() {
        use kyc_domain::ssrf::Mode;
        assert_eq!(loopback_mode(None), Mode::Production);
        assert_eq!(loopback_mode(Some("")), Mode::Production);
        assert_eq!(loopback_mode(Some("true")), Mode::Production);
        assert_eq!(loopback_mode(Some("1")), Mode::Local);
    }

    /// A configuration that resolves nothing from the machine (no region or
    /// credential chain): what `Wiring` builds its clients from.
    async fn sdk() -> aws_config::SdkConfig {
        kyc_aws::sdk_loader()
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .load()
            .await
    }

    fn env(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let pairs: Vec<(&'static str, &'static str)> = pairs.to_vec();
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    const TABLE: (&str, &str) = ("KYC_TABLE", "kyc-test");

    fn init_error(result: Result<impl Sized, InitError>) -> String {
        match result {
            Ok(_) => panic!("the init should have failed"),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn a_function_without_its_table_fails_the_init_naming_the_variable() {
        let message = init_error(Wiring::new(sdk().await, env(&[("KYC_TABLE", "")])));
        assert_eq!(message, "KYC_TABLE is not set");
    }

    #[tokio::test]
    async fn what_a_function_is_not_wired_with_refuses_every_call() {
        use kyc_app::ports::keys::KeyError;
        let deps = Wiring::new(sdk().await, env(&[TABLE])).expect("wired").deps().expect("deps");
        let read = deps.objects.read_prefix("documents/any", 16).await;
        assert!(matches!(read, Err(kyc_app::ports::objects::ObjectError::Unavailable(_))), "{read:?}");
        let sent = deps.queue.send(Vec::new()).await;
        assert!(matches!(sent, Err(kyc_app::ports::queue::QueueError::Unavailable(_))), "{sent:?}");
        let sealed = deps.keys.new_data_key(&[("purpose", "test".to_string())]).await;
        assert!(matches!(sealed, Err(KeyError::NotConfigured(_))), "{:?}", sealed.err());
        let imported = deps.sumsub.import_shared("acme", "token").await;
        assert!(matches!(imported, Err(kyc_app::ports::SumsubError::NotConfigured)), "{imported:?}");
    }

    #[tokio::test]
    async fn a_wired_adapter_needs_its_variable() {
        let wired = || async { Wiring::new(sdk().await, env(&[TABLE])).expect("wired") };
        assert_eq!(init_error(wired().await.documents()), "KYC_DOCUMENTS_BUCKET is not set");
        assert_eq!(init_error(wired().await.deliveries()), "KYC_DELIVERIES_QUEUE_URL is not set");
        let queue = Wiring::new(sdk().await, env(&[TABLE, ("KYC_DELIVERIES_QUEUE_URL", "https://sqs.example/q")]))
            .expect("wired")
            .deliveries_queue()
            .expect("a queue");
        assert_eq!(queue.dead_letter_url(), None, "no dead-letter queue unless one is named");
    }

    #[tokio::test]
    async fn a_screening_list_is_never_silently_replaced_by_the_shipped_sample() {
        let list = ("KYC_SCREENING_LIST_KEY", "screening/consolidated.kycsidx");
        let without_bucket = Wiring::new(sdk().await, env(&[TABLE, list])).expect("wired").deps();
        assert!(init_error(without_bucket).contains("KYC_SCREENING_LIST_KEY"));
        let with_bucket = Wiring::new(sdk().await, env(&[TABLE, list, ("KYC_DOCUMENTS_BUCKET", "kyc-documents")]))
            .expect("wired")
            .documents()
            .expect("the bucket")
            .deps();
        assert!(with_bucket.is_ok());
    }

    #[test]
    fn when_kyc_verifier_is_unset_should_use_aws() {
        assert_eq!(VerifierChoice::parse(None), Ok(VerifierChoice::Aws));
        assert_eq!(VerifierChoice::parse(Some("")), Ok(VerifierChoice::Aws));
    }

    #[test]
    fn when_kyc_verifier_names_an_adapter_should_use_it() {
        assert_eq!(VerifierChoice::parse(Some("aws")), Ok(VerifierChoice::Aws));
        assert_eq!(VerifierChoice::parse(Some("none")), Ok(VerifierChoice::None));
    }

    #[test]
    fn when_kyc_verifier_is_unknown_should_fail_the_init_naming_the_choices() {
        let err = VerifierChoice::parse(Some("textract")).expect_err("refused");
        assert!(err.contains("`aws` or `none`"), "{err}");
    }
}
