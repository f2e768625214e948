//! AWS adapters of the `kyc-app` ports (DynamoDB, S3, SQS, Textract and Rekognition, KMS),
//! the webhook transport and DNS resolver, and the shared SDK configuration.

pub mod keys;
pub mod objects;
pub mod queue;
mod sdk;
pub mod sumsub;
pub mod table;
pub mod verifier;
pub mod webhook_transport;

pub use keys::KmsKeys;
pub use objects::{S3Objects, s3_client};
pub use queue::SqsQueue;
pub use sumsub::{SecretSumsub, SumsubClient, SumsubCredentials, SumsubTiming};
pub use table::{CallCounts, DynamoTable, create_table};
pub use verifier::{AwsVerifier, CallPolicy, EndpointOverrides, FileAccess, NotOffered, ensure_offered};
pub use webhook_transport::{DnsResolver, HttpTransport};

/// The SDK configuration from the environment: region, credentials, and
/// `AWS_ENDPOINT_URL` (moto in tests and local runs). Resolved once per process: a
/// function that builds several clients (the scorer: DynamoDB, S3, SQS, Textract,
/// Rekognition) resolves region and credential chain at its cold start only once.
pub async fn sdk_config() -> aws_config::SdkConfig {
    static SDK: tokio::sync::OnceCell<aws_config::SdkConfig> = tokio::sync::OnceCell::const_new();
    SDK.get_or_init(|| sdk_loader().load()).await.clone()
}

/// The SDK's configuration loader with this project's HTTPS client: rustls on ring (the
/// crypto reqwest uses too), not the SDK's default aws-lc, so a binary carries one TLS
/// stack (see the workspace Cargo.toml). Every `SdkConfig` must come from here: the SDK
/// is built without a default HTTP client.
pub fn sdk_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client())
}

/// One HTTPS client for all SDK clients of a process (connections are pooled in it).
///
/// Built at the first request, not when an SDK client is: the SDK's client builds its
/// TLS connector when an SDK client is constructed, and with it loads the platform's
/// trusted roots (every file of `/etc/ssl/certs` on Debian). A function's clients are
/// built at its cold start, so that work sat in Lambda's init phase, most of the
/// difference between a function's init and a hello-world binary's (BENCHMARKS.md,
/// "Lambda cold init"); a function whose invocation never calls AWS never pays it.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    static CLIENT: std::sync::OnceLock<aws_sdk_dynamodb::config::SharedHttpClient> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| aws_sdk_dynamodb::config::SharedHttpClient::new(DeferredHttps::default())).clone()
}

/// The SDK's hyper client on rustls + ring, constructed on its first use.
#[derive(Debug, Default)]
struct DeferredHttps {
    client: std::sync::OnceLock<aws_sdk_dynamodb::config::SharedHttpClient>,
}

impl DeferredHttps {
    fn client(&self) -> &aws_sdk_dynamodb::config::SharedHttpClient {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        self.client.get_or_init(|| {
            aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
        })
    }
}

impl aws_smithy_runtime_api::client::http::HttpClient for DeferredHttps {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        // The inner client caches one connector per settings: every SDK client of the
        // process shares its connection pool, as with the client itself.
        self.client().http_connector(settings, components)
    }

    // `validate_base_client_config` is left as the trait's no-op on purpose: the inner
    // client's would build a connector (and load the roots) at SDK client construction.

    /// What the inner client says of itself (for the user agent), without building it.
    fn connector_metadata(&self) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        Some(aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata::new(
            "hyper",
            Some(std::borrow::Cow::Borrowed("1.x")),
        ))
    }
}
