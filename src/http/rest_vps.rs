//! REST for the VPS platform: hosts, plans and images (read), and VPSs — list, create, read,
//! power, snapshots, reinstall, delete. Actions that take time answer 202 with the job's id
//! (follow it at `/api/v1/jobs/{id}`), as in the UI.

use super::auth::Signed;
use super::rest::{bad_json, id_of, RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pier_proto::vps::{NewSnapshot, NewVps, PowerAction, Reinstall, SnapshotOp};
use pier_proto::ApiError;
use serde_json::json;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/hosts", get(list_hosts))
        .route("/plans", get(list_plans))
        .route("/images", get(list_images))
        .route("/images/upload", axum::routing::put(upload_image))
        .route("/vps", get(list_vps).post(create_vps))
        .route("/vps/{id}", get(get_vps).delete(delete_vps))
        .route("/vps/{id}/power", post(power))
        .route("/vps/{id}/reinstall", post(reinstall))
        .route("/vps/{id}/snapshots", get(list_snapshots).post(take_snapshot))
        .route("/vps/{id}/snapshots/{name}", axum::routing::delete(delete_snapshot))
        .route("/vps/{id}/snapshots/{name}/revert", post(revert_snapshot))
}

fn vps_id(raw: &str) -> RestResult<i64> {
    id_of("VPS", raw)
}

fn accepted(job: i64) -> impl IntoResponse {
    (StatusCode::ACCEPTED, Json(json!({ "job": job })))
}

async fn list_hosts(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.compute.list_hosts(&actor).await?))
}

async fn list_plans(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.compute.list_plans(&actor).await?))
}

async fn list_images(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.compute.list_images(&actor).await?))
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    name: String,
    os_family: String,
    #[serde(default)]
    os_version: String,
    #[serde(default)]
    default_user: String,
    min_disk_gb: u32,
    #[serde(default = "yes")]
    public: bool,
    #[serde(default)]
    sha256: Option<String>,
    /// Private images: the user ids that may use it, comma-separated.
    #[serde(default)]
    users: String,
}

fn yes() -> bool {
    true
}

/// `PUT /api/v1/images/upload?name=…&os_family=…&min_disk_gb=…` with the file as the body
/// (streamed to disk). Answers 202 with the image and the job that checks it.
async fn upload_image(
    State(s): State<ServerState>,
    Signed(actor, ctx): Signed,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> RestResult<impl IntoResponse> {
    let Query(q) = query.map_err(super::rest::bad_query)?;
    let meta = pier_proto::compute::NewImage {
        name: q.name,
        path: String::new(),
        os_family: q.os_family,
        os_version: q.os_version,
        default_user: q.default_user,
        min_disk_gb: q.min_disk_gb,
        public: q.public,
        expected_sha256: q.sha256.map(|h| h.trim().to_lowercase()).filter(|h| !h.is_empty()),
        users: q.users.split(',').filter(|u| !u.trim().is_empty()).map(|u| u.trim().parse()).collect::<Result<_, _>>().map_err(|_| RestError(ApiError::invalid("users", "users: comma-separated user ids.")))?,
    };
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let dir = s.core.config.data_dir().join("images");
    let max = pier_core::compute::image_upload::UPLOAD_MAX_BYTES;
    let (image, job) = s.core.compute.upload_image(&s.core.jobs, &actor, meta, &dir, declared, max, body.into_data_stream(), &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "image": image, "job": job }))))
}

async fn list_vps(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.compute.list_vps(&actor).await?))
}

async fn create_vps(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<NewVps>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(new) = body.map_err(bad_json)?;
    let (vps, job) = s.core.compute.create_vps(&s.core.jobs, &actor, new, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "vps": vps, "job": job }))))
}

async fn get_vps(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    let id = vps_id(&id)?;
    let vps = s.core.compute.get_vps(&actor, id).await?;
    Ok(Json(json!({ "vps": vps, "stats": s.core.compute.stats().latest(id) })))
}

#[derive(serde::Deserialize)]
struct Confirm {
    /// The VPS's name, typed again.
    confirm: String,
}

async fn delete_vps(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<Confirm>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Confirm { confirm }) = query.map_err(|_| RestError(ApiError::invalid("confirm", "Add ?confirm=<VPS name> to confirm the deletion.")))?;
    Ok(accepted(s.core.compute.delete_vps(&s.core.jobs, &actor, vps_id(&id)?, &confirm, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct Power {
    action: PowerAction,
}

async fn power(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<Power>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(Power { action }) = body.map_err(bad_json)?;
    Ok(accepted(s.core.compute.power_vps(&s.core.jobs, &actor, vps_id(&id)?, action, &ctx).await?))
}

async fn reinstall(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<Reinstall>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(req) = body.map_err(bad_json)?;
    Ok(accepted(s.core.compute.reinstall_vps(&s.core.jobs, &actor, vps_id(&id)?, req, &ctx).await?))
}

async fn list_snapshots(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.compute.list_snapshots(&actor, vps_id(&id)?).await?))
}

async fn take_snapshot(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<NewSnapshot>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(snap) = body.map_err(bad_json)?;
    Ok(accepted(s.core.compute.snapshot_vps(&s.core.jobs, &actor, vps_id(&id)?, SnapshotOp::Create, snap, &ctx).await?))
}

async fn snapshot_op(s: ServerState, actor: pier_core::actor::Actor, ctx: pier_core::audit::RequestContext, id: &str, name: String, op: SnapshotOp) -> RestResult<impl IntoResponse> {
    let snap = NewSnapshot { name, description: String::new() };
    Ok(accepted(s.core.compute.snapshot_vps(&s.core.jobs, &actor, vps_id(id)?, op, snap, &ctx).await?))
}

async fn delete_snapshot(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path((id, name)): Path<(String, String)>) -> RestResult<impl IntoResponse> {
    snapshot_op(s, actor, ctx, &id, name, SnapshotOp::Delete).await
}

async fn revert_snapshot(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path((id, name)): Path<(String, String)>) -> RestResult<impl IntoResponse> {
    snapshot_op(s, actor, ctx, &id, name, SnapshotOp::Revert).await
}
