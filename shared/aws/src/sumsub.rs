//! The Sumsub port (`kyc_app::ports::Sumsub`) on reqwest: every call signed the Sumsub
//! way with the tenant's app token and secret key, timeouts, 429 and 5xx retried with
//! jittered backoff within one budget per request.
//!
//! Sumsub's API, as documented:
//! - "Import shared applicants for Reusable KYC" / "Copy applicant profile",
//!   <https://docs.sumsub.com/reference/import-applicants-reusable-kyc>:
//!   `POST /resources/applicants/-/import?shareToken=...`, no body, answers the new
//!   applicant (`{"id": ..., ...}`); an invalid or expired token is 401, a refused
//!   share 400 with an `errorCode`.
//! - "Get applicant data", `GET /resources/applicants/{applicantId}/one`: the applicant
//!   with `review.reviewStatus` and `review.reviewResult.reviewAnswer` /
//!   `reviewRejectType`.
//! - App-token authentication: headers `X-App-Token`, `X-App-Access-Ts` (unix
//!   seconds) and `X-App-Access-Sig`, the hex HMAC-SHA256 with the secret key of
//!   ts + METHOD + path-with-query + body.
//!
//! The share token rides in the query string: it is signed and sent, never logged, and
//! reqwest errors are stripped of their URL before they are described.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;
use serde::Deserialize;

use kyc_app::ports::{Sumsub, SumsubError};
use kyc_domain::sumsub::{ReviewResult, SumsubReview};

/// Sumsub's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.sumsub.com";

/// One Sumsub app's credentials.
#[derive(Clone)]
pub struct SumsubCredentials {
    pub app_token: String,
    pub secret_key: String,
    /// The secret Sumsub signs webhooks with (`X-Payload-Digest`).
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for SumsubCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SumsubCredentials(..)")
    }
}

/// Timing of the calls: each attempt's timeout and the budget of one use-case call
/// (all attempts and backoffs together).
#[derive(Debug, Clone, Copy)]
pub struct SumsubTiming {
    pub attempt_timeout: Duration,
    pub budget: Duration,
    pub first_backoff: Duration,
}

impl Default for SumsubTiming {
    fn default() -> Self {
        SumsubTiming {
            attempt_timeout: Duration::from_secs(5),
            budget: Duration::from_secs(12),
            first_backoff: Duration::from_millis(250),
        }
    }
}

/// The client: one shared credential pair by default, per-tenant pairs where a
/// deployment serves several tenants.
pub struct SumsubClient {
    /// Built at the first call: most functions carry a Sumsub client they never use,
    /// and building one (its TLS configuration) would add to every cold start.
    client: std::sync::OnceLock<reqwest::Client>,
    base_url: String,
    default: Option<SumsubCredentials>,
    tenants: HashMap<String, SumsubCredentials>,
    timing: SumsubTiming,
}

impl SumsubClient {
    pub fn new(
        base_url: &str,
        default: Option<SumsubCredentials>,
        tenants: HashMap<String, SumsubCredentials>,
        timing: SumsubTiming,
    ) -> SumsubClient {
        let base_url = base_url.trim_end_matches('/').to_string();
        SumsubClient { client: std::sync::OnceLock::new(), base_url, default, tenants, timing }
    }

    /// The HTTP client, built now if this is the first call.
    fn http(&self) -> Result<&reqwest::Client, SumsubError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timing.attempt_timeout)
            .connect_timeout(self.timing.attempt_timeout.min(Duration::from_secs(3)))
            .user_agent("kyc-sumsub/1")
            .build()
            .map_err(|e| SumsubError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// `KYC_SUMSUB_BASE_URL`, `KYC_SUMSUB_APP_TOKEN`, `KYC_SUMSUB_SECRET_KEY`,
    /// `KYC_SUMSUB_WEBHOOK_SECRET` (the shared pair), and per tenant
    /// `KYC_SUMSUB_TENANT_CREDENTIALS` = `tenant:app_token:secret_key[:webhook_secret],...`.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let base = var("KYC_SUMSUB_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let default = match (var("KYC_SUMSUB_APP_TOKEN"), var("KYC_SUMSUB_SECRET_KEY")) {
            (Some(app_token), Some(secret_key)) => {
                Some(SumsubCredentials { app_token, secret_key, webhook_secret: var("KYC_SUMSUB_WEBHOOK_SECRET") })
            }
            (None, None) => None,
            _ => return Err("KYC_SUMSUB_APP_TOKEN and KYC_SUMSUB_SECRET_KEY are set together or not at all".into()),
        };
        let tenants = match var("KYC_SUMSUB_TENANT_CREDENTIALS") {
            Some(spec) => parse_tenants(&spec)?,
            None => HashMap::new(),
        };
        Ok(SumsubClient::new(&base, default, tenants, SumsubTiming::default()))
    }

    /// The deployed configuration: with `KYC_SUMSUB_SECRET_ARN`, the credentials are the
    /// Secrets Manager secret it names, read at the first Sumsub call of the process
    /// ([`SecretSumsub`]: a cold start of a function that never calls Sumsub makes no
    /// Secrets Manager call); without it, [`SumsubClient::from_env`], checked now.
    pub fn deployed(sdk: &aws_config::SdkConfig) -> Result<std::sync::Arc<dyn Sumsub>, String> {
        match std::env::var("KYC_SUMSUB_SECRET_ARN").ok().filter(|v| !v.is_empty()) {
            Some(arn) => {
                let base = std::env::var("KYC_SUMSUB_BASE_URL").ok().filter(|v| !v.is_empty());
                Ok(std::sync::Arc::new(SecretSumsub::new(sdk, arn, base.as_deref().unwrap_or(DEFAULT_BASE_URL))))
            }
            None => Ok(std::sync::Arc::new(SumsubClient::from_env()?)),
        }
    }

    /// The client of Sumsub at `base_url` with the credentials in the Secrets Manager
    /// secret `arn` (see [`parse_secret`]).
    pub async fn from_secret(sdk: &aws_config::SdkConfig, arn: &str, base_url: &str) -> Result<Self, String> {
        let secret =
            aws_sdk_secretsmanager::Client::new(sdk).get_secret_value().secret_id(arn).send().await.map_err(|e| {
                format!(
                    "reading the Sumsub credentials secret: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                )
            })?;
        let text = secret.secret_string().ok_or("the Sumsub credentials secret holds no string")?;
        let (default, tenants) = parse_secret(text)?;
        Ok(SumsubClient::new(base_url, default, tenants, SumsubTiming::default()))
    }

    fn credentials(&self, tenant: &str) -> Result<&SumsubCredentials, SumsubError> {
        self.tenants.get(tenant).or(self.default.as_ref()).ok_or(SumsubError::NotConfigured)
    }

    /// One signed call, retried within the budget; answers the final status and body.
    async fn call(
        &self,
        creds: &SumsubCredentials,
        method: reqwest::Method,
        path_and_query: &str,
    ) -> Result<(u16, Vec<u8>), SumsubError> {
        let http = self.http()?;
        let started = Instant::now();
        let mut backoff = self.timing.first_backoff;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let ts = chrono::Utc::now().timestamp().to_string();
            let signature = sign(&creds.secret_key, &ts, method.as_str(), path_and_query, b"");
            let request = http
                .request(method.clone(), format!("{}{}", self.base_url, path_and_query))
                .header("X-App-Token", &creds.app_token)
                .header("X-App-Access-Ts", &ts)
                .header("X-App-Access-Sig", signature)
                .header("Accept", "application/json");
            let (detail, retry_after) = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match response.bytes().await {
                        Ok(_) if status == 429 || status >= 500 => (format!("Sumsub answered {status}"), retry_after),
                        Ok(body) => return Ok((status, body.to_vec())),
                        Err(e) => (describe(e), None),
                    }
                }
                Err(e) => (describe(e), None),
            };
            let wait = retry_after.unwrap_or(backoff).min(Duration::from_secs(5));
            let jitter = wait.mul_f64(rand::rng().random_range(0.8..1.2));
            // Another attempt only if it can still finish within the budget.
            if started.elapsed() + jitter + self.timing.attempt_timeout > self.timing.budget {
                tracing::warn!(attempt, error = %detail, "sumsub call failed; budget spent");
                return Err(SumsubError::Unavailable(detail));
            }
            tracing::info!(attempt, error = %detail, "sumsub call failed; retrying");
            tokio::time::sleep(jitter).await;
            backoff *= 2;
        }
    }
}

/// `tenant:app_token:secret_key[:webhook_secret],...`
fn parse_tenants(spec: &str) -> Result<HashMap<String, SumsubCredentials>, String> {
    let mut tenants = HashMap::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(':').collect();
        let (tenant, app_token, secret_key, webhook_secret) = match parts.as_slice() {
            [t, a, s] => (*t, *a, *s, None),
            [t, a, s, w] => (*t, *a, *s, Some((*w).to_string())),
            _ => {
                return Err(
                    "KYC_SUMSUB_TENANT_CREDENTIALS: each entry is tenant:app_token:secret_key[:webhook_secret]".into(),
                );
            }
        };
        tenants.insert(
            tenant.to_string(),
            SumsubCredentials { app_token: app_token.into(), secret_key: secret_key.into(), webhook_secret },
        );
    }
    Ok(tenants)
}

/// One credential pair as the secret holds it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretPair {
    app_token: String,
    secret_key: String,
    #[serde(default)]
    webhook_secret: Option<String>,
}

impl From<SecretPair> for SumsubCredentials {
    fn from(pair: SecretPair) -> Self {
        SumsubCredentials {
            app_token: pair.app_token,
            secret_key: pair.secret_key,
            webhook_secret: pair.webhook_secret,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SecretDocument {
    PerTenant {
        tenants: HashMap<String, SecretPair>,
        #[serde(default)]
        default: Option<SecretPair>,
    },
    Shared(SecretPair),
}

/// The Sumsub credentials secret: one shared pair
/// `{"app_token", "secret_key", "webhook_secret"?}`, or per tenant
/// `{"tenants": {"acme": {pair}, ...}, "default"?: {pair}}`. Errors never quote it.
pub fn parse_secret(text: &str) -> Result<(Option<SumsubCredentials>, HashMap<String, SumsubCredentials>), String> {
    let shape = "the Sumsub credentials secret is not {app_token, secret_key, webhook_secret?} \
                 nor {tenants: {tenant: {...}}, default?: {...}}";
    match serde_json::from_str::<SecretDocument>(text).map_err(|_| shape.to_string())? {
        SecretDocument::Shared(pair) => Ok((Some(pair.into()), HashMap::new())),
        SecretDocument::PerTenant { tenants, default } => {
            Ok((default.map(Into::into), tenants.into_iter().map(|(t, p)| (t, p.into())).collect()))
        }
    }
}

/// `X-App-Access-Sig`: hex HMAC-SHA256 with the secret key over ts + METHOD +
/// path-with-query + body.
pub fn sign(secret_key: &str, ts: &str, method: &str, path_and_query: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret_key.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(ts.as_bytes());
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(path_and_query.as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A reqwest error in words, without its URL (which may carry a share token).
/// Sumsub with its credentials in Secrets Manager, read at the first call. A failed read
/// is an outage of that call (`Unavailable`, logged with its cause) and is tried again at
/// the next one; a read secret is kept for the life of the process, as it was when it
/// was read at every cold start.
pub struct SecretSumsub {
    sdk: aws_config::SdkConfig,
    arn: String,
    base_url: String,
    client: tokio::sync::OnceCell<SumsubClient>,
}

impl SecretSumsub {
    /// Reads nothing yet: the secret `arn` is read at the first call.
    pub fn new(sdk: &aws_config::SdkConfig, arn: String, base_url: &str) -> SecretSumsub {
        SecretSumsub { sdk: sdk.clone(), arn, base_url: base_url.to_string(), client: tokio::sync::OnceCell::new() }
    }

    async fn client(&self) -> Result<&SumsubClient, SumsubError> {
        self.client
            .get_or_try_init(|| async {
                SumsubClient::from_secret(&self.sdk, &self.arn, &self.base_url).await.map_err(|e| {
                    tracing::error!(error = %e, "the Sumsub credentials could not be read");
                    SumsubError::Unavailable(e)
                })
            })
            .await
    }
}

#[async_trait]
impl Sumsub for SecretSumsub {
    async fn import_shared(&self, tenant: &str, share_token: &str) -> Result<String, SumsubError> {
        self.client().await?.import_shared(tenant, share_token).await
    }

    async fn review(&self, tenant: &str, applicant_id: &str) -> Result<SumsubReview, SumsubError> {
        self.client().await?.review(tenant, applicant_id).await
    }

    async fn webhook_secret(&self, tenant: &str) -> Result<Option<String>, SumsubError> {
        self.client().await?.webhook_secret(tenant).await
    }
}

fn describe(e: reqwest::Error) -> String {
    let kind = crate::webhook_transport::failure_kind(&e);
    format!("{kind}: {}", e.without_url())
}

#[derive(Deserialize)]
struct Imported {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Applicant {
    id: String,
    #[serde(default)]
    review: Option<Review>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    #[serde(default)]
    review_status: Option<String>,
    #[serde(default)]
    review_result: Option<ReviewResult>,
}

#[async_trait]
impl Sumsub for SumsubClient {
    async fn import_shared(&self, tenant: &str, share_token: &str) -> Result<String, SumsubError> {
        let creds = self.credentials(tenant)?;
        let path =
            format!("/resources/applicants/-/import?shareToken={}", utf8_percent_encode(share_token, NON_ALPHANUMERIC));
        let (status, body) = self.call(creds, reqwest::Method::POST, &path).await?;
        match status {
            200..=299 => serde_json::from_slice::<Imported>(&body)
                .map(|imported| imported.id)
                .map_err(|_| SumsubError::Unavailable("Sumsub's import answer has no applicant id".into())),
            400 | 401 => Err(SumsubError::TokenRejected),
            other => Err(SumsubError::Unavailable(format!("Sumsub answered {other} to the import"))),
        }
    }

    async fn review(&self, tenant: &str, applicant_id: &str) -> Result<SumsubReview, SumsubError> {
        let creds = self.credentials(tenant)?;
        let path = format!("/resources/applicants/{}/one", utf8_percent_encode(applicant_id, NON_ALPHANUMERIC));
        let (status, body) = self.call(creds, reqwest::Method::GET, &path).await?;
        if !(200..=299).contains(&status) {
            return Err(SumsubError::Unavailable(format!("Sumsub answered {status} to the applicant read")));
        }
        let applicant: Applicant = serde_json::from_slice(&body)
            .map_err(|_| SumsubError::Unavailable("Sumsub's applicant is not in the documented shape".into()))?;
        let review = applicant.review.unwrap_or(Review { review_status: None, review_result: None });
        let result = review.review_result.unwrap_or_default();
        Ok(SumsubReview {
            applicant_id: applicant.id,
            review_status: review.review_status.unwrap_or_else(|| "init".into()),
            answer: result.review_answer,
            reject_type: result.review_reject_type,
        })
    }

    async fn webhook_secret(&self, tenant: &str) -> Result<Option<String>, SumsubError> {
        Ok(self.credentials(tenant).ok().and_then(|c| c.webhook_secret.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hex_hmac_sha256_of_ts_method_path_and_body() {
        // Computed independently: printf '1700000000POST/resources/applicants/-/import?shareToken=abc' |
        // openssl dgst -sha256 -hmac secret
        let sig = sign("secret", "1700000000", "post", "/resources/applicants/-/import?shareToken=abc", b"");
        assert_eq!(sig, "4600dd4cc4efc6f269246179759ee8d8fe42fa1135f1b8d45f80bca8d0de362e");
        assert_eq!(sig, sign("secret", "1700000000", "POST", "/resources/applicants/-/import?shareToken=abc", b""));
        assert_ne!(sig, sign("secret", "1700000001", "POST", "/resources/applicants/-/import?shareToken=abc", b""));
    }

    #[test]
    fn the_secret_holds_one_shared_pair_or_one_per_tenant_and_a_bad_one_is_not_quoted() {
        let (shared, tenants) = parse_secret(r#"{"app_token":"a","secret_key":"s"}"#).expect("shared pair");
        assert_eq!(shared.map(|c| c.app_token), Some("a".to_string()));
        assert!(tenants.is_empty());
        let (default, tenants) =
            parse_secret(r#"{"tenants":{"acme":{"app_token":"a1","secret_key":"s1","webhook_secret":"w1"}}}"#)
                .expect("per tenant");
        assert!(default.is_none());
        assert_eq!(tenants["acme"].webhook_secret.as_deref(), Some("w1"));
        let error = parse_secret(r#"{"app_token":"leaked-value"}"#).expect_err("refused");
        assert!(!error.contains("leaked-value"), "{error}");
    }

    #[test]
    fn tenant_credentials_parse_and_a_bad_entry_is_refused() {
        let tenants = parse_tenants("acme:app1:sec1, globex:app2:sec2:hook2").expect("parses");
        assert_eq!(tenants["acme"].app_token, "app1");
        assert_eq!(tenants["globex"].webhook_secret.as_deref(), Some("hook2"));
        assert!(parse_tenants("acme:only-two").is_err());
    }
}
