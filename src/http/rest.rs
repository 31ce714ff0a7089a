//! REST API `/api/v1` and `/healthz`. Same shape as the server functions: authenticate, call
//! one service method, map the error — so the UI and scripts can never disagree.

use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use pier_core::actor::Actor;
use pier_proto::accounts::{NewUser, UserQuery, UserUpdate};
use pier_proto::audit::AuditQuery;
use pier_proto::jobs::{JobQuery, StartJob};
use pier_proto::security::NewSshKey;
use pier_proto::ApiError;
use super::auth::Signed;

/// `ApiError` as an HTTP response: the code's status and the JSON body.
pub struct RestError(pub ApiError);

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl<E: Into<ApiError>> From<E> for RestError {
    fn from(e: E) -> Self {
        RestError(e.into())
    }
}

pub(super) type RestResult<T> = Result<T, RestError>;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/jobs", get(list_jobs).post(start_job))
        .route("/jobs/{id}", get(get_job))
        .route("/jobs/{id}/cancel", post(cancel_job))
        .route("/me", get(me))
        .route("/me/ssh-keys", get(list_ssh_keys).post(add_ssh_key))
        .route("/me/ssh-keys/{id}", delete(delete_ssh_key))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user).patch(update_user).delete(delete_user))
        .route("/audit", get(list_audit))
        .merge(super::rest_vps::routes())
        .merge(super::rest_containers::routes())
        .merge(super::rest_sites::routes())
        .merge(super::rest_monitoring::routes())
        .merge(super::rest_alerts::routes())
        .fallback(|| async { RestError(ApiError::not_found("API route")) })
}

pub(super) fn bad_query(e: QueryRejection) -> RestError {
    RestError(ApiError::invalid("query", format!("Invalid query string: {}", e.body_text())))
}

pub(super) fn bad_json(e: JsonRejection) -> RestError {
    RestError(ApiError::invalid("body", format!("Invalid JSON body: {}", e.body_text())))
}

pub(super) fn id_of(what: &str, raw: &str) -> RestResult<i64> {
    raw.parse().map_err(|_| RestError(ApiError::invalid("id", format!("{raw:?} is not a {what} id"))))
}

fn job_id(raw: &str) -> RestResult<i64> {
    id_of("job", raw)
}

async fn list_jobs(State(s): State<ServerState>, Signed(actor, _): Signed, query: Result<Query<JobQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(query) = query.map_err(bad_query)?;
    Ok(Json(s.core.jobs.list(&actor, &query).await?))
}

async fn start_job(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<StartJob>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(req) = body.map_err(bad_json)?;
    let job = s.core.jobs.start_by_request(&actor, &ctx, req).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

async fn get_job(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.jobs.get(&actor, job_id(&id)?).await?))
}

async fn cancel_job(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.jobs.cancel(&actor, &ctx, job_id(&id)?).await?))
}

async fn me(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    let Actor::Person { user_id, .. } = actor else { return Err(RestError(ApiError::not_found("Account"))) };
    Ok(Json(s.core.accounts.get_user(&actor, user_id).await?))
}

async fn list_ssh_keys(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.accounts.list_ssh_keys(&actor).await?))
}

async fn add_ssh_key(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<NewSshKey>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(key) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.accounts.add_ssh_key(&actor, key, &ctx).await?)))
}

async fn delete_ssh_key(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.accounts.delete_ssh_key(&actor, id_of("key", &id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(State(s): State<ServerState>, Signed(actor, _): Signed, query: Result<Query<UserQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(query) = query.map_err(bad_query)?;
    Ok(Json(s.core.accounts.list_users(&actor, &query).await?))
}

async fn create_user(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<NewUser>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(account) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.accounts.create_user(&actor, account, &ctx).await?)))
}

async fn get_user(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.accounts.get_user(&actor, id_of("user", &id)?).await?))
}

async fn update_user(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<UserUpdate>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(change) = body.map_err(bad_json)?;
    Ok(Json(s.core.accounts.update_user(&actor, id_of("user", &id)?, change, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct Confirm {
    /// The username, typed again (the same typed confirmation the UI asks for).
    confirm: String,
}

async fn delete_user(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<Confirm>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Confirm { confirm }) = query.map_err(|_| RestError(ApiError::invalid("confirm", "Add ?confirm=<username> to confirm the deletion.")))?;
    s.core.accounts.delete_user(&actor, id_of("user", &id)?, &confirm, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_audit(State(s): State<ServerState>, Signed(actor, _): Signed, query: Result<Query<AuditQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(query) = query.map_err(bad_query)?;
    Ok(Json(s.core.audit.list(&actor, &query).await?))
}

/// Liveness and component health for load balancers and monitors: 200 unless the panel
/// cannot work (database or data dir failing), then 503. The body lists every check.
pub async fn healthz(State(s): State<ServerState>) -> Response {
    let report = s.core.health.report().await;
    let status = if report.status == "failing" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (status, Json(report)).into_response()
}
