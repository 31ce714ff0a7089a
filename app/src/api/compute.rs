//! Server functions for the VPS platform: hosts, plans, IP pools. Thin: authenticate, call one
//! `Compute` method, map the error.

#[cfg(feature = "ssr")]
use super::ssr;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use pier_proto::compute::{HostSettings, HostView, IpPoolView, NewIpPool, PlanSettings, PlanView};
use pier_proto::ApiError;

#[server(prefix = "/api/fn", endpoint = "list_hosts", input = Json)]
pub async fn list_hosts() -> Result<Vec<HostView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_hosts(&actor).await?)
}

/// `id`: `None` registers a new host.
#[server(prefix = "/api/fn", endpoint = "save_host", input = Json)]
pub async fn save_host(id: Option<i64>, settings: HostSettings) -> Result<HostView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.save_host(&actor, id, settings, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_host", input = Json)]
pub async fn delete_host(id: i64, confirm: String) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.delete_host(&actor, id, &confirm, &ctx).await?)
}

/// Probes the host now (staff) instead of waiting for the monitor.
#[server(prefix = "/api/fn", endpoint = "check_host", input = Json)]
pub async fn check_host(id: i64) -> Result<HostView, ApiError> {
    let (actor, _) = ssr::actor()?;
    let core = ssr::core()?;
    core.compute.get_host(&actor, id).await?;
    Ok(core.compute.probe_host(id).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_plans", input = Json)]
pub async fn list_plans() -> Result<Vec<PlanView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_plans(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_plan", input = Json)]
pub async fn save_plan(id: Option<i64>, settings: PlanSettings) -> Result<PlanView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.save_plan(&actor, id, settings, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_plan", input = Json)]
pub async fn delete_plan(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.delete_plan(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_ip_pools", input = Json)]
pub async fn list_ip_pools() -> Result<Vec<IpPoolView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_ip_pools(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "create_ip_pool", input = Json)]
pub async fn create_ip_pool(pool: NewIpPool) -> Result<IpPoolView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.create_ip_pool(&actor, pool, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_ip_pool", input = Json)]
pub async fn delete_ip_pool(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.delete_ip_pool(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_images", input = Json)]
pub async fn list_images() -> Result<Vec<pier_proto::compute::ImageView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_images(&actor).await?)
}

/// Registers an image file already on the panel's machine; answers the image and the id of the
/// job that checks it (its progress bar is on the Jobs page and on the image).
#[server(prefix = "/api/fn", endpoint = "register_image", input = Json)]
pub async fn register_image(image: pier_proto::compute::NewImage) -> Result<(pier_proto::compute::ImageView, i64), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.register_image(&core.jobs, &actor, image, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_image", input = Json)]
pub async fn delete_image(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.delete_image(&actor, id, &ctx).await?)
}

/// Staff: every VPS; others: their own.
#[server(prefix = "/api/fn", endpoint = "list_vps", input = Json)]
pub async fn list_vps() -> Result<Vec<pier_proto::vps::VpsView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_vps(&actor).await?)
}

/// Starts creating a VPS; answers the VPS (provisioning) and the id of the job building it.
#[server(prefix = "/api/fn", endpoint = "create_vps", input = Json)]
pub async fn create_vps(vps: pier_proto::vps::NewVps) -> Result<(pier_proto::vps::VpsView, i64), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.create_vps(&core.jobs, &actor, vps, &ctx).await?)
}

/// One VPS (its owner, staff, billing) with its latest live figures when it runs.
#[server(prefix = "/api/fn", endpoint = "get_vps", input = Json)]
pub async fn get_vps(id: i64) -> Result<(pier_proto::vps::VpsView, Option<pier_proto::vps::VpsStats>), ApiError> {
    let (actor, _) = ssr::actor()?;
    let core = ssr::core()?;
    let v = core.compute.get_vps(&actor, id).await?;
    Ok((v, core.compute.stats().latest(id)))
}

/// Queues a power action; answers the job id.
#[server(prefix = "/api/fn", endpoint = "vps_power", input = Json)]
pub async fn vps_power(id: i64, action: pier_proto::vps::PowerAction) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.power_vps(&core.jobs, &actor, id, action, &ctx).await?)
}

/// `confirm`: the VPS's name typed again. Answers the job id.
#[server(prefix = "/api/fn", endpoint = "delete_vps", input = Json)]
pub async fn delete_vps(id: i64, confirm: String) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.delete_vps(&core.jobs, &actor, id, &confirm, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "reinstall_vps", input = Json)]
pub async fn reinstall_vps(id: i64, request: pier_proto::vps::Reinstall) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.reinstall_vps(&core.jobs, &actor, id, request, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_snapshots", input = Json)]
pub async fn list_snapshots(id: i64) -> Result<Vec<pier_proto::vps::SnapshotView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.compute.list_snapshots(&actor, id).await?)
}

/// Create, revert or delete a snapshot (by name); answers the job id.
#[server(prefix = "/api/fn", endpoint = "snapshot_vps", input = Json)]
pub async fn snapshot_vps(id: i64, op: pier_proto::vps::SnapshotOp, snapshot: pier_proto::vps::NewSnapshot) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.compute.snapshot_vps(&core.jobs, &actor, id, op, snapshot, &ctx).await?)
}

/// Administrators and billing: extend or remove the expiry.
#[server(prefix = "/api/fn", endpoint = "change_expiry", input = Json)]
pub async fn change_expiry(id: i64, change: pier_proto::vps::ExpiryChange) -> Result<pier_proto::vps::VpsView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.change_expiry(&actor, id, change, &ctx).await?)
}

/// A single-use ticket (30 s) for the console WebSocket `/ws/console?ticket=`.
#[server(prefix = "/api/fn", endpoint = "console_ticket", input = Json)]
pub async fn console_ticket(id: i64, kind: pier_proto::vps::ConsoleKind) -> Result<String, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.console_ticket(&actor, id, kind, &ctx).await?)
}

/// Sets root's password in the running VPS through the QEMU guest agent.
#[server(prefix = "/api/fn", endpoint = "set_root_password", input = Json)]
pub async fn set_root_password(id: i64, password: String) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.set_root_password(&actor, id, &password, &ctx).await?)
}

/// Administrators: make an image public, or private to the chosen users.
#[server(prefix = "/api/fn", endpoint = "set_image_access", input = Json)]
pub async fn set_image_access(id: i64, public: bool, users: Vec<i64>) -> Result<pier_proto::compute::ImageView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.compute.set_image_access(&actor, id, public, users, &ctx).await?)
}
