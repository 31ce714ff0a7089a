//! Server functions for containers: thin adapters over `Core::containers`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
// Named by path: `#[server]` makes a struct per function (`container_action` → `ContainerAction`).
use pier_proto::containers as wire;
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/fn", endpoint = "list_engines", input = Json)]
pub async fn list_engines() -> Result<Vec<wire::EngineView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.list_engines(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_containers", input = Json)]
pub async fn list_containers() -> Result<Vec<wire::ContainerView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.list_containers(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "container_images", input = Json)]
pub async fn container_images(engine_id: Option<i64>) -> Result<Vec<wire::ContainerImage>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.list_images(&actor, engine_id).await?)
}

#[server(prefix = "/api/fn", endpoint = "create_container", input = Json)]
pub async fn create_container(container: wire::NewContainer) -> Result<wire::ContainerView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.create_container(&actor, container, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "container_action", input = Json)]
pub async fn container_action(id: String, action: wire::ContainerAction) -> Result<wire::ContainerView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.act(&actor, &id, action, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_container", input = Json)]
pub async fn delete_container(id: String, confirm: String, volumes: bool) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.delete_container(&actor, &id, &confirm, volumes, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "change_container", input = Json)]
pub async fn change_container(id: String, change: wire::ContainerChange) -> Result<wire::ContainerView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.change_container(&actor, &id, change, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "adopt_container", input = Json)]
pub async fn adopt_container(id: String, owner_id: i64) -> Result<wire::ContainerView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.adopt_container(&actor, &id, owner_id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "add_engine", input = Json)]
pub async fn add_engine(engine: wire::NewEngine) -> Result<wire::EngineView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.add_engine(&actor, engine, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "remove_engine", input = Json)]
pub async fn remove_engine(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.remove_engine(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "engine_images", input = Json)]
pub async fn engine_images(engine_id: Option<i64>) -> Result<Vec<wire::EngineImage>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.engine_images(&actor, engine_id).await?)
}

#[server(prefix = "/api/fn", endpoint = "remove_engine_image", input = Json)]
pub async fn remove_engine_image(engine_id: Option<i64>, image: String) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.remove_image(&actor, engine_id, &image, &ctx).await?)
}

/// Queues a pull; returns the job id (its progress arrives on the jobs feed).
#[server(prefix = "/api/fn", endpoint = "pull_engine_image", input = Json)]
pub async fn pull_engine_image(pull: wire::ImagePull) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.containers.pull_image(&core.jobs, &actor, pull, &ctx).await?.id)
}

#[server(prefix = "/api/fn", endpoint = "startup_script", input = Json)]
pub async fn startup_script(id: String) -> Result<wire::StartupScriptView, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.startup_script(&actor, &id).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_startup_script", input = Json)]
pub async fn save_startup_script(id: String, script: wire::StartupScript) -> Result<wire::StartupScriptView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.save_startup_script(&actor, &id, script, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "run_startup_script", input = Json)]
pub async fn run_startup_script(id: String) -> Result<wire::StartupScriptView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.containers.run_startup_script(&actor, &id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "get_container", input = Json)]
pub async fn get_container(id: String) -> Result<wire::ContainerView, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.containers.get_container(&actor, &id).await?)
}
