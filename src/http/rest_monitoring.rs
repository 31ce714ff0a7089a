//! REST for monitoring (the same service methods as the charts).

use super::auth::Signed;
use super::rest::{RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use pier_proto::monitoring::SeriesQuery;
use pier_proto::ApiError;

pub fn routes() -> Router<ServerState> {
    Router::new().route("/dashboard", get(dashboard)).route("/metrics/series", get(series)).route("/metrics/names", get(names))
}

/// `GET /api/v1/metrics/series?target=host&metric=cpu&from=…&to=…` (unix seconds).
async fn series(State(s): State<ServerState>, Signed(actor, _): Signed, q: Result<Query<SeriesQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(q) = q.map_err(|_| RestError(ApiError::invalid("query", "Give target, metric, from and to (unix seconds).")))?;
    Ok(Json(s.core.monitoring.query(&actor, &q, &s.core.compute, &s.core.containers).await?))
}

#[derive(serde::Deserialize)]
struct Target {
    target: String,
}

/// `GET /api/v1/metrics/names?target=vps:12`.
async fn names(State(s): State<ServerState>, Signed(actor, _): Signed, q: Result<Query<Target>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Target { target }) = q.map_err(|_| RestError(ApiError::invalid("target", "Give ?target=…")))?;
    Ok(Json(s.core.monitoring.metrics_of(&actor, &target, &s.core.compute, &s.core.containers).await?))
}

/// `GET /api/v1/dashboard`: the overview's snapshot for the caller.
async fn dashboard(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(pier_core::dashboard::dashboard(&s.core, &actor).await?))
}
