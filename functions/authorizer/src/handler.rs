//! Turns an authorizer request into a simple response.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use serde::Serialize;
use serde_json::{Map, Value};

use kyc_app::auth::{ApiKeys, TableKeys, bearer_token};
use kyc_lambda::{TENANT_CONTEXT_KEY, principal_context};

/// HTTP API "simple response" (payload format 2.0).
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    pub is_authorized: bool,
    pub context: Map<String, Value>,
}

/// Lets every request through to the function, attaching the tenant only for a known,
/// unrevoked key: the function then answers a wrong key with the API's own
/// problem+json 401 (API Gateway would answer a bare 403). A store failure is an
/// error, which API Gateway turns into a 500: never a silent "authorized".
pub async fn authorize(
    keys: &TableKeys,
    request: ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<SimpleResponse, lambda_runtime::Error> {
    let header = request.headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let source = request.identity_source.as_ref().and_then(|s| s.first()).map(String::as_str);
    let key = header.or(source).and_then(bearer_token);
    let principal = match key {
        Some(key) => keys.principal_of(key).await?,
        None => None,
    };
    let context = principal.as_ref().map(principal_context).unwrap_or_default();
    tracing::info!(tenant_found = context.contains_key(TENANT_CONTEXT_KEY), "authorized");
    Ok(SimpleResponse { is_authorized: true, context })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kyc_app::TenantId;
    use kyc_app::auth::{KeySpec, Role, provision_key, revoke_key};
    use kyc_app::ports::table::Table;
    use kyc_embedded::SqliteTable;

    use super::*;

    fn fixture() -> ApiGatewayV2CustomAuthorizerV2Request {
        let text = include_str!("../../../events/authorizer-request.json");
        serde_json::from_str(text).expect("fixture parses")
    }

    async fn keys_with(tenant: &str, key: &str) -> TableKeys {
        let table = SqliteTable::in_memory().expect("store");
        let spec = KeySpec {
            key: key.into(),
            tenant: TenantId::parse(tenant).expect("tenant"),
            actor: "ana".into(),
            role: Role::Reviewer,
        };
        table
            .transact(vec![provision_key(&spec, chrono::Utc::now()).expect("a key record")])
            .await
            .expect("provisioned");
        TableKeys::new(Arc::new(table))
    }

    #[tokio::test]
    async fn a_known_key_is_mapped_to_its_tenant() {
        let keys = keys_with("acme", "test-key").await;
        let response = authorize(&keys, fixture()).await.expect("answers");
        assert!(response.is_authorized);
        assert_eq!(response.context.get("tenant"), Some(&Value::String("acme".into())));
        assert_eq!(response.context.get("actor"), Some(&Value::String("ana".into())));
        assert_eq!(response.context.get("role"), Some(&Value::String("reviewer".into())));
        assert!(response.context.get("key_id").and_then(Value::as_str).is_some_and(|id| id.len() == 16));
    }

    #[tokio::test]
    async fn an_unknown_key_carries_no_tenant() {
        let keys = keys_with("acme", "another-key").await;
        let response = authorize(&keys, fixture()).await.expect("answers");
        assert!(response.context.is_empty());
    }

    #[tokio::test]
    async fn a_revoked_key_carries_no_tenant() {
        let table = SqliteTable::in_memory().expect("store");
        let spec = KeySpec {
            key: "test-key".into(),
            tenant: TenantId::parse("acme").expect("tenant"),
            actor: "ana".into(),
            role: Role::Reviewer,
        };
        table.transact(vec![provision_key(&spec, chrono::Utc::now()).expect("record")]).await.expect("provisioned");
        let keys = TableKeys::new(Arc::new(table.clone()));
        assert!(!authorize(&keys, fixture()).await.expect("answers").context.is_empty());
        table.transact(vec![revoke_key(&spec, chrono::Utc::now()).expect("record")]).await.expect("revoked");
        let response = authorize(&keys, fixture()).await.expect("answers");
        assert!(response.context.is_empty(), "a revoked key names nobody: the function answers 401");
    }

    #[tokio::test]
    async fn the_response_has_the_simple_response_shape() {
        let keys = keys_with("acme", "test-key").await;
        let response = authorize(&keys, fixture()).await.expect("answers");
        let json = serde_json::to_value(&response).expect("serializes");
        let key_id = json["context"]["key_id"].clone();
        assert_eq!(
            json,
            serde_json::json!({"isAuthorized": true,
                "context": {"tenant": "acme", "actor": "ana", "role": "reviewer", "key_id": key_id}})
        );
    }
}
