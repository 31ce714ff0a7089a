//! Server functions for monitoring: thin adapters over `Core::monitoring`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use pier_proto::monitoring as wire;
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A chart's points: one metric of one target over a range (the tier that suits it).
#[server(prefix = "/api/fn", endpoint = "metric_series", input = Json)]
pub async fn metric_series(query: wire::SeriesQuery) -> Result<wire::Series, ApiError> {
    let (actor, _) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.monitoring.query(&actor, &query, &core.compute, &core.containers).await?)
}

/// The overview's snapshot of what the signed-in person may see.
#[server(prefix = "/api/fn", endpoint = "dashboard", input = Json)]
pub async fn dashboard() -> Result<pier_proto::dashboard::Dashboard, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(pier_core::dashboard::dashboard(&ssr::core()?, &actor).await?)
}

/// The metrics recorded for a target.
#[server(prefix = "/api/fn", endpoint = "metric_names", input = Json)]
pub async fn metric_names(target: String) -> Result<Vec<String>, ApiError> {
    let (actor, _) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.monitoring.metrics_of(&actor, &target, &core.compute, &core.containers).await?)
}
