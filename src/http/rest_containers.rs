//! REST for containers: list, create, act, delete (the same service methods as the UI).

use super::auth::Signed;
use super::container_files as files;
use super::rest::{bad_json, bad_query, id_of, RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pier_proto::containers::{ContainerAction, ImageBuild, ImagePull, NewContainer, NewEngine, StartupScript};
use serde_json::json;
use pier_proto::ApiError;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/engines", get(list_engines).post(add_engine))
        .route("/engines/{id}", axum::routing::delete(remove_engine))
        .route("/engines/{id}/images", get(engine_images).delete(remove_image))
        .route("/engines/{id}/images/load", axum::routing::put(load_image))
        .route("/engines/{id}/images/build", axum::routing::put(build_image))
        .route("/engines/{id}/images/pull", post(pull_image))
        .route("/containers/{id}/script", get(get_script).put(save_script))
        .route("/containers/{id}/script/run", post(run_script))
        .route("/containers", get(list_containers).post(create_container))
        .route("/containers/images", get(list_images))
        .route("/containers/{id}", get(get_container).delete(delete_container))
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

fn engine_id(raw: &str) -> RestResult<i64> {
    id_of("Engine", raw)
}

async fn add_engine(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<NewEngine>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(new) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.containers.add_engine(&actor, new, &ctx).await?)))
}

async fn remove_engine(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.containers.remove_engine(&actor, engine_id(&id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn engine_images(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.engine_images(&actor, Some(engine_id(&id)?)).await?))
}

#[derive(serde::Deserialize)]
struct ImageQuery {
    /// An image id (`sha256:…`) or a tag.
    image: String,
}

/// `DELETE /api/v1/engines/{id}/images?image=<id or name:tag>` (a tag has `/` and `:`, so it
/// is a query value rather than a path segment).
async fn remove_image(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<ImageQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(ImageQuery { image }) = query.map_err(bad_query)?;
    s.core.containers.remove_image(&actor, Some(engine_id(&id)?), &image, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

/// `PUT /api/v1/engines/{id}/images/load` with a `docker save` archive as the body: 202 and
/// the job that loads it.
async fn load_image(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, headers: axum::http::HeaderMap, body: axum::body::Body) -> RestResult<impl IntoResponse> {
    let dir = s.core.config.data_dir().join("uploads");
    let job = s.core.containers.upload_image_archive(&s.core.jobs, &actor, Some(engine_id(&id)?), None, &dir, declared_length(&headers), body.into_data_stream(), &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job.id }))))
}

#[derive(serde::Deserialize)]
struct BuildQuery {
    tag: String,
    #[serde(default)]
    dockerfile: Option<String>,
}

/// `PUT /api/v1/engines/{id}/images/build?tag=app:1&dockerfile=Dockerfile` with the build
/// context as a tar body: 202 and the build job.
async fn build_image(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<BuildQuery>, QueryRejection>, headers: axum::http::HeaderMap, body: axum::body::Body) -> RestResult<impl IntoResponse> {
    let Query(q) = query.map_err(bad_query)?;
    let engine = engine_id(&id)?;
    let build = ImageBuild { engine_id: Some(engine), tag: q.tag, dockerfile: q.dockerfile.filter(|d| !d.is_empty()).unwrap_or_else(|| "Dockerfile".into()) };
    let dir = s.core.config.data_dir().join("uploads");
    let job = s.core.containers.upload_image_archive(&s.core.jobs, &actor, Some(engine), Some(build), &dir, declared_length(&headers), body.into_data_stream(), &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job.id }))))
}

#[derive(serde::Deserialize)]
struct Pull {
    reference: String,
}

async fn pull_image(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<Pull>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(Pull { reference }) = body.map_err(bad_json)?;
    let pull = ImagePull { engine_id: Some(engine_id(&id)?), reference };
    let job = s.core.containers.pull_image(&s.core.jobs, &actor, pull, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job.id }))))
}

async fn get_script(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.startup_script(&actor, &id).await?))
}

async fn save_script(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<StartupScript>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(script) = body.map_err(bad_json)?;
    Ok(Json(s.core.containers.save_startup_script(&actor, &id, script, &ctx).await?))
}

async fn run_script(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok((StatusCode::ACCEPTED, Json(s.core.containers.run_startup_script(&actor, &id, &ctx).await?)))
}

async fn get_container(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.get_container(&actor, &id).await?))
}
