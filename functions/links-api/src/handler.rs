//! The function's routes: link creation (authenticated) and the hosted page (open).

use axum::Router;
use kyc_http::{Api, ApiRoutes, UploadOrigin};

pub fn router(api: Api, upload_origin: Option<String>) -> Router {
    let router = kyc_http::finish_with_open(Router::new().links(), ApiRoutes::link_page, api);
    match upload_origin {
        Some(origin) => router.layer(axum::Extension(UploadOrigin(origin))),
        None => router,
    }
}
