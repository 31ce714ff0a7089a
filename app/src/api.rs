//! Server functions: thin adapters. Each authenticates, calls ONE service method with the actor,
//! and maps the error to `ApiError`. The REST API in the server binary calls the same methods.
//! Arguments travel as JSON (not the default URL form): job parameters are nested JSON values.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
// Types are named by path: `#[server]` generates a struct named after each function
// (`start_job` -> `StartJob`), which would collide with imported wire types.
use pier_proto::jobs::{JobQuery, JobView};
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::state::ServerState;
    use leptos::prelude::use_context;
    use pier_core::actor::Actor;
    use pier_core::Core;
    use pier_proto::{ApiError, ErrorCode};

    pub fn core() -> Result<Core, ApiError> {
        use_context::<ServerState>()
            .map(|s| s.core)
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "server state missing"))
    }

    /// The acting user. Accounts replace this with the session's user (see `Core::request_actor`).
    pub fn actor(core: &Core) -> Result<Actor, ApiError> {
        Ok(core.request_actor())
    }
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn list_jobs(query: JobQuery) -> Result<Vec<JobView>, ApiError> {
    let core = ssr::core()?;
    let actor = ssr::actor(&core)?;
    Ok(core.jobs.list(&actor, &query).await?)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn start_job(request: pier_proto::jobs::StartJob) -> Result<JobView, ApiError> {
    let core = ssr::core()?;
    let actor = ssr::actor(&core)?;
    Ok(core.jobs.start_by_request(&actor, request).await?)
}

#[server(prefix = "/api/fn", input = Json)]
pub async fn cancel_job(id: i64) -> Result<JobView, ApiError> {
    let core = ssr::core()?;
    let actor = ssr::actor(&core)?;
    Ok(core.jobs.cancel(&actor, id).await?)
}

#[server(prefix = "/api/fn", input = Json)]
/// `fresh`: run every check now instead of reusing a report a few seconds old.
pub async fn health_report(fresh: bool) -> Result<pier_proto::health::HealthReport, ApiError> {
    let core = ssr::core()?;
    let actor = ssr::actor(&core)?;
    if !pier_core::actor::policy::may_run_diagnostics(&actor) {
        return Err(ApiError::new(pier_proto::ErrorCode::Forbidden, "System health is for admins and support."));
    }
    Ok(if fresh { core.health.report_fresh().await } else { core.health.report().await })
}
