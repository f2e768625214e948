//! The function's routes: the shared HTTP router, restricted to webhooks and events.

use kyc_app::Deps;

pub fn router(deps: Deps) -> axum::Router {
    kyc_app::http::finish(kyc_app::http::webhooks_routes(), deps)
}
