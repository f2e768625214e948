//! The function's routes: the shared HTTP router, restricted to documents.

use kyc_http::Api;

pub fn router(api: Api) -> axum::Router {
    kyc_http::finish(kyc_http::documents_routes(), api)
}
