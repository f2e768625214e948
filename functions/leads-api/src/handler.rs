//! The function's routes: the shared HTTP router, restricted to what this function
//! serves (API Gateway sends it only these routes): leads, their metrics and bulk
//! imports of leads, and Sumsub's webhook (no API key: authenticated by its
//! `X-Payload-Digest`).

use axum::Router;
use kyc_http::{Api, ApiRoutes};

pub fn router(api: Api) -> Router {
    kyc_http::finish_with_open(Router::new().leads().metrics().imports(), ApiRoutes::sumsub, api)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::StatusCode;
    use http_body_util::BodyExt;
    use kyc_http::Api;
    use kyc_lambda::{AuthorizerContext, request_from_event};
    use kyc_tests::api::TestApi;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::router;

    /// The id the `apigw-get-lead.json` fixture asks for.
    const FIXTURE_ID: &str = "0193a1b2c3d47e8f9a0b1c2d3e4f5a6b";

    fn deps(api: &TestApi) -> Api {
        api.function_api(FIXTURE_ID, Arc::new(AuthorizerContext))
    }

    async fn call(deps: &Api, event: &str) -> (StatusCode, Value) {
        let request = request_from_event(event).expect("fixture is an API Gateway event");
        let response = router(deps.clone()).oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn the_create_event_creates_a_lead_for_the_authorizers_tenant() {
        let api = TestApi::embedded();
        let deps = deps(&api);
        let (status, lead) = call(&deps, include_str!("../../../events/apigw-create-lead.json")).await;
        assert_eq!(status, StatusCode::CREATED, "{lead}");
        assert_eq!(lead["object"], "lead");
        let (status, read) = call(&deps, include_str!("../../../events/apigw-get-lead.json")).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["id"], lead["id"]);
    }

    #[tokio::test]
    async fn a_request_without_an_authorizer_tenant_is_unauthorized() {
        let api = TestApi::embedded();
        let deps = deps(&api);
        let event =
            include_str!("../../../events/apigw-create-lead.json").replace("\"tenant\": \"acme\"", "\"other\": \"x\"");
        let (status, problem) = call(&deps, &event).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["code"], "unauthorized");
    }

    /// Sumsub calls its webhook route with no API key (the gateway has no authorizer on
    /// it): the function answers it, here an applicant that is no lead's (`ignored`).
    #[tokio::test]
    async fn sumsubs_webhook_is_answered_without_an_authorizer_tenant() {
        let mut event: Value =
            serde_json::from_str(include_str!("../../../events/apigw-health.json")).expect("fixture");
        let path = "/v1/integrations/sumsub/webhook";
        event["routeKey"] = format!("POST {path}").into();
        event["requestContext"]["routeKey"] = event["routeKey"].clone();
        event["rawPath"] = path.into();
        event["requestContext"]["http"]["path"] = path.into();
        event["requestContext"]["http"]["method"] = "POST".into();
        event["headers"]["content-type"] = "application/json".into();
        event["headers"]["x-payload-digest"] = "00".into();
        event["body"] = r#"{"type":"applicantReviewed","applicantId":"no-lead-of-ours"}"#.into();
        let (status, body) = call(&deps(&TestApi::embedded()), &event.to_string()).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ignored")), "{body}");
    }

    #[tokio::test]
    async fn health_answers_without_a_tenant() {
        let (status, body) = call(&deps(&TestApi::embedded()), include_str!("../../../events/apigw-health.json")).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    }

    #[tokio::test]
    async fn the_openapi_document_names_the_deployed_api_as_its_server() {
        let (status, document) =
            call(&deps(&TestApi::embedded()), include_str!("../../../events/apigw-openapi.json")).await;
        assert_eq!(status, StatusCode::OK);
        // From the gateway's Host and X-Forwarded-Proto, not the document's local default.
        assert_eq!(document["servers"][0]["url"], "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com");
        assert_eq!(document["servers"].as_array().map(Vec::len), Some(1));
        assert_eq!(document["paths"], serde_json::from_str::<Value>(kyc_http::OPENAPI).expect("json")["paths"]);
    }
}
