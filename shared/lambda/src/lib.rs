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

/// The dependencies of an API function, from its environment: the DynamoDB table named
/// by `KYC_TABLE`, the documents bucket `KYC_DOCUMENTS_BUCKET`, the deliveries queue
/// `KYC_DELIVERIES_QUEUE_URL`, the system clock,
/// time-ordered ids, and the system resolver.
/// Called once per cold start; a missing variable fails the init, not a request.
pub async fn api_deps() -> Result<kyc_app::Deps, lambda_http::Error> {
    let table_name = std::env::var("KYC_TABLE").map_err(|_| "KYC_TABLE is not set")?;
    let bucket = std::env::var("KYC_DOCUMENTS_BUCKET").map_err(|_| "KYC_DOCUMENTS_BUCKET is not set")?;
    let queue_url = std::env::var("KYC_DELIVERIES_QUEUE_URL").map_err(|_| "KYC_DELIVERIES_QUEUE_URL is not set")?;
    let sdk = kyc_aws::sdk_config().await;
    let table = kyc_aws::DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), table_name);
    let objects: std::sync::Arc<dyn kyc_app::ports::ObjectStore> =
        std::sync::Arc::new(kyc_aws::S3Objects::new(kyc_aws::s3_client(&sdk), bucket));
    Ok(kyc_app::Deps {
        table: std::sync::Arc::new(table),
        clock: std::sync::Arc::new(kyc_app::ports::SystemClock),
        ids: std::sync::Arc::new(kyc_app::ports::UuidV7Ids),
        risk: std::sync::Arc::new(risk_rules(objects.clone())),
        objects,
        queue: std::sync::Arc::new(kyc_aws::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url)),
        resolver: std::sync::Arc::new(kyc_aws::DnsResolver),
        mode: webhook_mode(),
        keys: secrets_keys(&sdk),
        sumsub: kyc_aws::SumsubClient::deployed(&sdk)?,
    })
}

/// Where webhooks may go: public `https://` endpoints only, unless
/// `KYC_ALLOW_LOOPBACK_WEBHOOKS=1` (the Lambda stack on moto under test, whose webhook
/// receivers listen on loopback `http://`; the template never sets it).
pub fn webhook_mode() -> kyc_domain::ssrf::Mode {
    loopback_mode(std::env::var("KYC_ALLOW_LOOPBACK_WEBHOOKS").ok().as_deref())
}

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

/// The master key of webhook secrets: the KMS key `KYC_SECRETS_KEY_ID` names. Only the
/// functions that seal (webhooks API) or open (sender) secrets are given it; the others
/// cannot, by configuration here and by their roles in the template.
fn secrets_keys(sdk: &aws_config::SdkConfig) -> std::sync::Arc<dyn kyc_app::ports::KeyWrapper> {
    match std::env::var("KYC_SECRETS_KEY_ID") {
        Ok(key_id) if !key_id.is_empty() => std::sync::Arc::new(kyc_app::sealing::CachedKeys::new(
            kyc_aws::KmsKeys::new(aws_sdk_kms::Client::new(sdk), key_id),
            DATA_KEY_TTL,
            DATA_KEYS_CACHED,
        )),
        _ => std::sync::Arc::new(kyc_app::ports::NoKeys),
    }
}

/// What lead writes score risk with: the screening list named by
/// `KYC_SCREENING_LIST_KEY` in the documents bucket (a paged index, or for small lists
/// a `KYCSIDX1` index or a CSV), else the sample shipped in the binary; either is loaded
/// on its first use, not here. The object is streamed to a file in
/// `KYC_SCREENING_DIR` (default: the temp dir, `/tmp` on Lambda, its ephemeral storage).
pub fn risk_rules(objects: std::sync::Arc<dyn kyc_app::ports::ObjectStore>) -> kyc_app::scoring::RiskRules {
    use kyc_app::ports::screening::ScreeningSource;
    match std::env::var("KYC_SCREENING_LIST_KEY") {
        Ok(key) if !key.is_empty() => {
            let dir = match std::env::var_os("KYC_SCREENING_DIR") {
                Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
                _ => std::env::temp_dir(),
            };
            kyc_app::scoring::RiskRules::lazy(ScreeningSource::Object { objects, key, dir })
        }
        _ => kyc_app::scoring::RiskRules::shipped_sample(),
    }
}

/// An API function's routes' state: its dependencies and the authorizer's tenant.
pub async fn api() -> Result<Api, lambda_http::Error> {
    Ok(Api { deps: api_deps().await?, auth: std::sync::Arc::new(AuthorizerContext) })
}

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
    Ok(kyc_app::scoring::Scoring::new(max_bytes, None)?
        .with_screening(deps.risk.screening.clone())
        .with_verifier(verifier().await?, threshold))
}

/// The deliveries queue (`KYC_DELIVERIES_QUEUE_URL`, dead letters to
/// `KYC_DELIVERIES_DLQ_URL`).
pub async fn deliveries_queue() -> Result<kyc_aws::SqsQueue, lambda_runtime::Error> {
    let url = std::env::var("KYC_DELIVERIES_QUEUE_URL").map_err(|_| "KYC_DELIVERIES_QUEUE_URL is not set")?;
    let sdk = kyc_aws::sdk_config().await;
    let mut queue = kyc_aws::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), url);
    if let Ok(dlq) = std::env::var("KYC_DELIVERIES_DLQ_URL") {
        queue = queue.with_dead_letter(dlq);
    }
    Ok(queue)
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
