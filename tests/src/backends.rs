//! The two `Table` backends under test: embedded SQLite, and DynamoDB on a moto server
//! reached with the real AWS SDK.

use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use kyc_app::ports::table::Table;
use kyc_aws::DynamoTable;
use kyc_embedded::SqliteTable;

/// Set by `infra/scripts/test.sh`, which starts moto on a free loopback port.
pub const ENDPOINT_VAR: &str = "KYC_TEST_AWS_ENDPOINT";

pub fn embedded() -> Arc<dyn Table> {
    Arc::new(SqliteTable::in_memory().expect("in-memory SQLite opens"))
}

/// The SDK configuration for the moto endpoint.
pub async fn moto_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VAR} is not set: run the tests with infra/scripts/test.sh, which starts moto")
    });
    kyc_aws::sdk_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await
}

/// A fresh bucket of its own on moto, behind the S3 object store adapter.
pub async fn s3_objects() -> kyc_aws::S3Objects {
    let client = kyc_aws::s3_client(&moto_config().await);
    let bucket = format!("kyc-test-{}", uuid_like());
    client.create_bucket().bucket(&bucket).send().await.expect("bucket created on moto");
    kyc_aws::S3Objects::new(client, bucket)
}

/// A DynamoDB client for the moto endpoint. Fails loudly when the endpoint is not
/// configured: a backend that is not tested is a failure, never a skip.
pub async fn dynamo_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_config().await)
}

/// A fresh table of its own (unique name), laid out exactly as in `template.yaml`.
pub async fn dynamo_table() -> DynamoTable {
    let client = dynamo_client().await;
    let name = format!("kyc-test-{}", uuid_like());
    kyc_aws::create_table(&client, &name).await.expect("table created on moto");
    DynamoTable::new(client, name)
}

/// A fresh KMS key of its own on moto, as the master key of webhook secrets.
pub async fn kms_keys() -> kyc_aws::KmsKeys {
    let client = aws_sdk_kms::Client::new(&moto_config().await);
    let created = client.create_key().description("kyc tests: webhook secrets").send().await.expect("a key on moto");
    let key_id = created.key_metadata().map(|m| m.key_id().to_string()).expect("the key's id");
    kyc_aws::KmsKeys::new(client, key_id)
}

pub async fn dynamo() -> Arc<dyn Table> {
    Arc::new(dynamo_table().await)
}

/// A short unique token for names and partitions.
pub fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}{:04x}", nanos, rand_u16())
}

fn rand_u16() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(40503) ^ (std::process::id() as u16)
}

/// Runs each named scenario (`async fn(TestApi)` in scope) on the embedded store and on
/// DynamoDB (moto), as a module of two tests named after it.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test]
            async fn on_the_embedded_store() {
                super::$scenario($crate::api::TestApi::embedded()).await;
            }

            #[tokio::test]
            async fn on_dynamodb() {
                super::$scenario($crate::api::TestApi::new($crate::backends::dynamo().await)).await;
            }
        }
    )*};
}
