//! Server functions for alerts and notifications: thin adapters over `Core::alerts`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use pier_proto::alerts as wire;
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/fn", endpoint = "list_alert_rules", input = Json)]
pub async fn list_alert_rules() -> Result<Vec<wire::RuleView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.list_rules(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_alert_rule", input = Json)]
pub async fn save_alert_rule(id: Option<i64>, rule: wire::RuleInput) -> Result<wire::RuleView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.save_rule(&actor, id, rule, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_alert_rule", input = Json)]
pub async fn delete_alert_rule(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.delete_rule(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_alerts", input = Json)]
pub async fn list_alerts(query: wire::AlertQuery) -> Result<Vec<wire::AlertView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.list_alerts(&actor, &query).await?)
}

#[server(prefix = "/api/fn", endpoint = "acknowledge_alert", input = Json)]
pub async fn acknowledge_alert(id: i64) -> Result<wire::AlertView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.acknowledge(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "notifications", input = Json)]
pub async fn notifications(limit: u64) -> Result<Vec<wire::NotificationView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.notifications(&actor, limit).await?)
}

#[server(prefix = "/api/fn", endpoint = "unread_notifications", input = Json)]
pub async fn unread_notifications() -> Result<u64, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.unread_count(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "mark_notifications_read", input = Json)]
pub async fn mark_notifications_read(up_to: Option<i64>) -> Result<u64, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.mark_read(&actor, up_to).await?)
}

#[server(prefix = "/api/fn", endpoint = "channel_settings", input = Json)]
pub async fn channel_settings() -> Result<wire::ChannelSettings, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.channel_settings(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_channel_settings", input = Json)]
pub async fn save_channel_settings(settings: wire::ChannelSettings) -> Result<wire::ChannelSettings, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.save_channel_settings(&actor, settings, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "smtp_settings", input = Json)]
pub async fn smtp_settings() -> Result<Option<wire::SmtpSettings>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.smtp_settings(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_smtp_settings", input = Json)]
pub async fn save_smtp_settings(settings: wire::SmtpSettings) -> Result<wire::SmtpSettings, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.save_smtp_settings(&actor, settings, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "send_test_mail", input = Json)]
pub async fn send_test_mail(to: String) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.send_test_mail(&actor, &to, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "webhook_deliveries", input = Json)]
pub async fn webhook_deliveries(limit: u64) -> Result<Vec<wire::DeliveryView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.alerts.webhook_deliveries(&actor, limit).await?)
}

#[server(prefix = "/api/fn", endpoint = "send_test_webhook", input = Json)]
pub async fn send_test_webhook() -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.alerts.send_test_webhook(&actor, &ctx).await?)
}
