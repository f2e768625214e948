//! The function's routes: the shared HTTP router, restricted to webhooks and events.

use axum::Router;
use kyc_http::{Api, ApiRoutes};

pub fn router(api: Api) -> Router {
    kyc_http::finish(Router::new().webhooks(), api)
}
