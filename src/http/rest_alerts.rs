//! REST for alerts and notifications (the same service methods as the Alerts and
//! Notifications pages): rules, alerts and acknowledgement, a person's notifications, channels
//! and webhook log, and the administrators' mail server.

use super::auth::Signed;
use super::rest::{bad_json, id_of, RestError, RestResult};
use app::state::ServerState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use pier_proto::alerts::{AlertQuery, ChannelSettings, RuleInput, SmtpSettings};
use pier_proto::ApiError;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/alerts", get(list_alerts))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/alert-rules", get(list_rules).post(create_rule))
        .route("/alert-rules/{id}", put(update_rule).delete(delete_rule))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
        .route("/me/channels", get(channels).put(save_channels))
        .route("/me/webhook-deliveries", get(deliveries))
        .route("/me/webhook-test", post(test_webhook))
        .route("/settings/smtp", get(smtp).put(save_smtp))
        .route("/settings/smtp/test", post(test_mail))
}

/// `GET /api/v1/alerts?state=firing&limit=50`.
async fn list_alerts(State(s): State<ServerState>, Signed(actor, _): Signed, q: Result<Query<AlertQuery>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(q) = q.map_err(|_| RestError(ApiError::invalid("query", "state is pending, firing or resolved; limit a number up to 500.")))?;
    Ok(Json(s.core.alerts.list_alerts(&actor, &q).await?))
}

async fn acknowledge(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.alerts.acknowledge(&actor, id_of("alert", &id)?, &ctx).await?))
}

async fn list_rules(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.alerts.list_rules(&actor).await?))
}

async fn create_rule(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<RuleInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(rule) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(s.core.alerts.save_rule(&actor, None, rule, &ctx).await?)))
}

async fn update_rule(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<RuleInput>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let id = id_of("rule", &id)?;
    let Json(rule) = body.map_err(bad_json)?;
    Ok(Json(s.core.alerts.save_rule(&actor, Some(id), rule, &ctx).await?))
}

async fn delete_rule(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>) -> RestResult<impl IntoResponse> {
    s.core.alerts.delete_rule(&actor, id_of("rule", &id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
struct Limit {
    #[serde(default = "default_limit")]
    limit: u64,
}

fn default_limit() -> u64 {
    50
}

/// `GET /api/v1/notifications?limit=50`: the caller's own, newest first.
async fn notifications(State(s): State<ServerState>, Signed(actor, _): Signed, q: Result<Query<Limit>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Limit { limit }) = q.map_err(|_| RestError(ApiError::invalid("limit", "limit is a number.")))?;
    Ok(Json(s.core.alerts.notifications(&actor, limit).await?))
}

#[derive(serde::Deserialize, Default)]
struct ReadUpTo {
    #[serde(default)]
    up_to: Option<i64>,
}

/// `POST /api/v1/notifications/read` with `{"up_to": id}` (or no body: all): how many were marked.
async fn mark_read(State(s): State<ServerState>, Signed(actor, _): Signed, body: Option<Json<ReadUpTo>>) -> RestResult<impl IntoResponse> {
    let up_to = body.map(|Json(b)| b.up_to).unwrap_or_default();
    Ok(Json(serde_json::json!({ "marked": s.core.alerts.mark_read(&actor, up_to).await? })))
}

async fn channels(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.alerts.channel_settings(&actor).await?))
}

async fn save_channels(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<ChannelSettings>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(settings) = body.map_err(bad_json)?;
    Ok(Json(s.core.alerts.save_channel_settings(&actor, settings, &ctx).await?))
}

async fn deliveries(State(s): State<ServerState>, Signed(actor, _): Signed, q: Result<Query<Limit>, QueryRejection>) -> RestResult<impl IntoResponse> {
    let Query(Limit { limit }) = q.map_err(|_| RestError(ApiError::invalid("limit", "limit is a number.")))?;
    Ok(Json(s.core.alerts.webhook_deliveries(&actor, limit).await?))
}

/// `POST /api/v1/me/webhook-test`: 202 with the delivery's id (it is sent in the background).
async fn test_webhook(State(s): State<ServerState>, Signed(actor, ctx): Signed) -> RestResult<impl IntoResponse> {
    let id = s.core.alerts.send_test_webhook(&actor, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "delivery": id }))))
}

async fn smtp(State(s): State<ServerState>, Signed(actor, _): Signed) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.alerts.smtp_settings(&actor).await?))
}

async fn save_smtp(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<SmtpSettings>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(settings) = body.map_err(bad_json)?;
    Ok(Json(s.core.alerts.save_smtp_settings(&actor, settings, &ctx).await?))
}

#[derive(serde::Deserialize)]
struct MailTo {
    to: String,
}

async fn test_mail(State(s): State<ServerState>, Signed(actor, ctx): Signed, body: Result<Json<MailTo>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(MailTo { to }) = body.map_err(bad_json)?;
    s.core.alerts.send_test_mail(&actor, &to, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
