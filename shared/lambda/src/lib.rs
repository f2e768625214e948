//! Glue shared by the Lambda functions: JSON logs, and the tenant that the API
//! Gateway authorizer attached to a request.

use async_trait::async_trait;
use lambda_http::request::RequestContext;

use kyc_app::AppError;
use kyc_app::auth::{Authenticate, TenantId};

/// The key under which the authorizer puts the tenant in its simple-response context.
pub const TENANT_CONTEXT_KEY: &str = "tenant";

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
    async fn tenant(&self, parts: &http::request::Parts) -> Result<TenantId, AppError> {
        let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() else {
            return Err(AppError::Unauthorized);
        };
        context
            .authorizer
            .as_ref()
            .and_then(|a| a.fields.get(TENANT_CONTEXT_KEY))
            .and_then(|v| v.as_str())
            .and_then(TenantId::parse)
            .ok_or(AppError::Unauthorized)
    }
}

/// Turns an API Gateway event (as in `events/*.json`) into the request the router
/// sees under `lambda_http::run`: for handler tests that replay real event shapes.
pub fn request_from_event(event_json: &str) -> Result<http::Request<lambda_http::Body>, serde_json::Error> {
    let event: lambda_http::request::LambdaRequest = serde_json::from_str(event_json)?;
    Ok(event.into())
}
