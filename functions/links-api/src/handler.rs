//! The function's routes: link creation (authenticated) and the hosted page (open).

use kyc_http::{Api, UploadOrigin};

pub fn router(api: Api, upload_origin: Option<String>) -> axum::Router {
    let router = kyc_http::finish_with_open(kyc_http::links_routes(), kyc_http::link_page_routes(), api);
    match upload_origin {
        Some(origin) => router.layer(axum::Extension(UploadOrigin(origin))),
        None => router,
    }
}
