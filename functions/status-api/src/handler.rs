//! The function's routes: the shared HTTP router, restricted to what this function
//! serves (API Gateway sends it only these routes).

use axum::Router;
use kyc_http::{Api, ApiRoutes};

pub fn router(api: Api) -> Router {
    kyc_http::finish(Router::new().status(), api)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::StatusCode;
    use http_body_util::BodyExt;
    use kyc_app::TenantId;
    use kyc_lambda::{AuthorizerContext, request_from_event};
    use kyc_tests::api::TestApi;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::router;

    #[tokio::test]
    async fn the_approve_event_approves_a_complete_basic_lead() {
        // The id the `apigw-status-approve.json` fixture names.
        let api = TestApi::embedded();
        let function = api.function_api("0193a1b2c3d47e8f9a0b1c2d3e4f5a6b", Arc::new(AuthorizerContext));
        let input = serde_json::from_value(serde_json::json!({
            "email": "ada@example.com",
            "individual": {"first_name": "Ada", "last_name": "Lovelace"},
            "address": {"line1": "1 Main St", "city": "London", "country": "GB"}
        }))
        .expect("input");
        let tenant = TenantId::parse("acme").expect("tenant");
        kyc_app::leads::create_lead(
            &function.deps,
            &kyc_tests::api::principal(tenant.as_str(), "acme", kyc_app::auth::Role::Admin),
            input,
            None,
        )
        .await
        .expect("created");

        let request = request_from_event(include_str!("../../../events/apigw-status-approve.json")).expect("event");
        let response = router(function.clone()).oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let lead: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(status, StatusCode::OK, "{lead}");
        assert_eq!(lead["status"], "approved");
    }
}
