//! REST for containers: list, create, act, delete (the same service methods as the UI).

use super::auth::Signed;
use super::container_files as files;
use super::rest::{bad_json, RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pier_proto::containers::{ContainerAction, NewContainer};
use pier_proto::ApiError;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/engines", get(list_engines))
        .route("/containers", get(list_containers).post(create_container))
        .route("/containers/images", get(list_images))
        .route("/containers/{id}", axum::routing::delete(delete_container))
        .route("/containers/{id}/action", post(act))
        .route("/containers/{id}/logs", get(super::container_logs::stream))
        .route("/containers/{id}/logs.txt", get(super::container_logs::download))
        .route("/containers/{id}/exec", get(super::container_exec::upgrade))
        .route("/containers/{id}/files", get(files::list).delete(files::delete))
        .route("/containers/{id}/files/text", get(files::read_text).put(files::save_text))
        .route("/containers/{id}/files/upload", axum::routing::put(files::upload))
        .route("/containers/{id}/files/folder", post(files::folder))
        .route("/containers/{id}/files/rename", post(files::rename))
        .route("/containers/{id}/files/download", get(files::download))
}

async fn list_engines(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.list_engines(&actor).await?))
}

async fn list_containers(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.list_containers(&actor).await?))
}

#[derive(serde::Deserialize)]
struct EngineQuery {
    engine_id: Option<i64>,
}

async fn list_images(State(s): State<ServerState>, Signed(actor, _): Signed, query: Result<Query<EngineQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(EngineQuery { engine_id }) = query.map_err(|_| RestError(ApiError::invalid("engine_id", "engine_id is a number.")))?;
    Ok(Json(s.core.containers.list_images(&actor, engine_id).await?))
}

async fn create_container(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<NewContainer>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(new) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.containers.create_container(&actor, new, &ctx).await?)))
}

#[derive(serde::Deserialize)]
struct Act {
    action: ContainerAction,
}

async fn act(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<Act>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(Act { action }) = body.map_err(bad_json)?;
    Ok(Json(s.core.containers.act(&actor, &id, action, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct Confirm {
    /// The container's name, typed again.
    confirm: String,
    #[serde(default)]
    volumes: bool,
}

async fn delete_container(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<Confirm>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Confirm { confirm, volumes }) = query.map_err(|_| RestError(ApiError::invalid("confirm", "Add ?confirm=<container name> to confirm the deletion.")))?;
    s.core.containers.delete_container(&actor, &id, &confirm, volumes, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
