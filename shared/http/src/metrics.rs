//! Metrics routes: the funnel report and the live pipeline.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use kyc_app::metrics;

use crate::Api;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::query::Params;
use crate::respond::json;

pub async fn get_metrics(
    State(api): State<Api>,
    Caller(by): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw, &["from", "to"])?;
    let to = params.date("to")?.unwrap_or_else(|| api.deps.clock.now().date_naive());
    // The last 30 days unless told otherwise.
    let from = params.date("from")?.unwrap_or(to - chrono::TimeDelta::days(29));
    let report = metrics::metrics(&api.deps, &by.tenant, from, to).await?;
    Ok(json(StatusCode::OK, &report, None))
}

pub async fn get_pipeline(
    State(api): State<Api>,
    Caller(by): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw, &[])?;
    let report = metrics::pipeline(&api.deps, &by.tenant).await?;
    Ok(json(StatusCode::OK, &report, None))
}
