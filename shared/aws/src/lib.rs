//! AWS adapters of the `kyc-app` ports (DynamoDB, S3, SQS, Textract and Rekognition, KMS),
//! the webhook transport and DNS resolver, and the shared SDK configuration.

mod deferred;
pub mod keys;
pub mod objects;
pub mod queue;
mod sdk;
pub mod sumsub;
pub mod table;
pub mod verifier;
pub mod webhook_transport;

pub use deferred::Deferred;
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
    SDK.get_or_init(|| on_lambda(sdk_loader(), |name| std::env::var(name).ok()).load()).await.clone()
}

/// On Lambda the region and the role's credentials are the runtime's environment
/// variables: naming them skips the default chains, which also look for profile files
/// and prepare the container and instance metadata providers (about 0.25 ms of a
/// function's cold init, 0.05 ms this way). Anywhere else (tests, kyc-local, a
/// developer's shell) the default chains stay.
fn on_lambda(loader: aws_config::ConfigLoader, var: impl Fn(&str) -> Option<String>) -> aws_config::ConfigLoader {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    match (set("AWS_LAMBDA_FUNCTION_NAME"), set("AWS_REGION"), set("AWS_ACCESS_KEY_ID")) {
        (Some(_), Some(region), Some(_)) => loader
            .region(aws_config::Region::new(region))
            .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new()),
        _ => loader,
    }
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
/// TLS connector when an SDK client is constructed, and with it reads the platform's
/// trusted roots (on Debian every file of `/etc/ssl/certs`, 2-13 ms). A function's
/// clients are built at its cold start, so that work sat in Lambda's init phase, once
/// per SDK client; now it is done once per process, at the first AWS call, and a
/// function whose invocation never calls AWS never pays it. (Mozilla's roots compiled
/// in would load 3.2x faster through the PEM the SDK takes, but add about 98 KB to each
/// zip: leads-api's would pass 4 MB. BENCHMARKS.md, "Lambda cold init".)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_env(name: &str) -> Option<String> {
        let vars = [
            ("AWS_LAMBDA_FUNCTION_NAME", "leads-api"),
            ("AWS_REGION", "eu-central-1"),
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ];
        vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[tokio::test]
    async fn on_lambda_the_region_and_credentials_are_the_runtimes_variables() {
        let sdk = on_lambda(sdk_loader(), lambda_env).load().await;
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-central-1"));
        assert!(sdk.credentials_provider().is_some());
    }

    #[tokio::test]
    async fn off_lambda_the_default_chains_stay() {
        let outside = |name: &str| lambda_env(name).filter(|_| name != "AWS_LAMBDA_FUNCTION_NAME");
        let sdk = on_lambda(sdk_loader().region(aws_config::Region::new("us-west-2")), outside).load().await;
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-west-2"), "the loader's own settings are kept");
    }
}
