//! REST for sites, pools, nginx and certificates (the same service methods as the UI).

use super::auth::Signed;
use super::rest::{bad_json, id_of, RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pier_proto::certificates::{AcmeAccountInput, CertificateRequest, CertificateUpload};
use pier_proto::sites::{AccessListInput, NginxAction, PoolInput, SiteInput};
use pier_proto::ApiError;
use serde_json::json;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/sites", get(list_sites).post(create_site))
        .route("/sites/{id}", get(get_site).put(update_site).delete(delete_site))
        .route("/sites/{id}/versions", get(versions))
        .route("/sites/{id}/versions/{number}/restore", post(restore))
        .route("/pools", get(list_pools).post(create_pool))
        .route("/pools/{id}", axum::routing::put(update_pool).delete(delete_pool))
        .route("/access-lists", get(list_access_lists).post(create_access_list))
        .route("/access-lists/{id}", axum::routing::put(update_access_list).delete(delete_access_list))
        .route("/nginx", get(nginx_status))
        .route("/nginx/action", post(nginx_action))
        .route("/certificates", get(list_certificates).post(upload_certificate))
        .route("/certificates/request", post(request_certificate))
        .route("/certificates/{id}", get(certificate_detail).delete(delete_certificate))
        .route("/certificates/{id}/renew", post(renew_certificate))
        .route("/acme/account", get(acme_account).put(set_acme_account))
}

fn site_id(raw: &str) -> RestResult<i64> {
    id_of("Site", raw)
}

async fn list_sites(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.list_sites(&actor).await?))
}

async fn get_site(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.get_site(&actor, site_id(&id)?).await?))
}

async fn create_site(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<SiteInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(input) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.sites.save_site(&s.core.jobs, &actor, None, input, &ctx).await?)))
}

async fn update_site(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<SiteInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let id = site_id(&id)?;
    let Json(input) = body.map_err(bad_json)?;
    Ok(Json(s.core.sites.save_site(&s.core.jobs, &actor, Some(id), input, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct Confirm {
    confirm: String,
}

async fn delete_site(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, query: Result<Query<Confirm>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let id = site_id(&id)?;
    let Query(Confirm { confirm }) = query.map_err(|_| RestError(ApiError::invalid("confirm", "Add ?confirm=<site name> to confirm the deletion.")))?;
    s.core.sites.delete_site(&actor, id, &confirm, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn versions(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.site_versions(&actor, site_id(&id)?).await?))
}

async fn restore(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path((id, number)): Path<(String, String)>) -> RestResult<impl IntoResponse> {
    let number = id_of("Version", &number)?;
    Ok(Json(s.core.sites.restore_version(&actor, site_id(&id)?, number, &ctx).await?))
}

async fn list_access_lists(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.list_access_lists(&actor).await?))
}

async fn create_access_list(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<AccessListInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(input) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.sites.save_access_list(&actor, None, input, &ctx).await?)))
}

async fn update_access_list(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<AccessListInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let id = id_of("Access list", &id)?;
    let Json(input) = body.map_err(bad_json)?;
    Ok(Json(s.core.sites.save_access_list(&actor, Some(id), input, &ctx).await?))
}

async fn delete_access_list(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.sites.delete_access_list(&actor, id_of("Access list", &id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_pools(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.list_pools(&actor).await?))
}

async fn create_pool(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<PoolInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(input) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.sites.save_pool(&actor, None, input, &ctx).await?)))
}

async fn update_pool(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<PoolInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let id = id_of("Pool", &id)?;
    let Json(input) = body.map_err(bad_json)?;
    Ok(Json(s.core.sites.save_pool(&actor, Some(id), input, &ctx).await?))
}

async fn delete_pool(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.sites.delete_pool(&actor, id_of("Pool", &id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn nginx_status(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.nginx_status(&actor).await?))
}

#[derive(serde::Deserialize)]
struct Act {
    action: NginxAction,
}

async fn nginx_action(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<Act>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(Act { action }) = body.map_err(bad_json)?;
    Ok(Json(json!({ "message": s.core.sites.nginx_action(&actor, action, &ctx).await? })))
}

fn cert_id(raw: &str) -> RestResult<i64> {
    id_of("Certificate", raw)
}

async fn list_certificates(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.list_certificates(&actor).await?))
}

async fn certificate_detail(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.certificate_detail(&actor, cert_id(&id)?).await?))
}

async fn upload_certificate(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<CertificateUpload>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(up) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.sites.upload_certificate(&actor, up, &ctx).await?)))
}

async fn request_certificate(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<CertificateRequest>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(req) = body.map_err(bad_json)?;
    let (cert, job) = s.core.sites.request_certificate(&s.core.jobs, &actor, req, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "certificate": cert, "job_id": job }))))
}

async fn renew_certificate(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    let job = s.core.sites.renew_certificate(&s.core.jobs, &actor, cert_id(&id)?, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job_id": job }))))
}

async fn delete_certificate(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.sites.delete_certificate(&actor, cert_id(&id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn acme_account(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.sites.acme_account(&actor).await?))
}

async fn set_acme_account(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<AcmeAccountInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(input) = body.map_err(bad_json)?;
    Ok(Json(s.core.sites.set_acme_account(&actor, input, &ctx).await?))
}
