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
