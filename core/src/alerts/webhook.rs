//! Webhooks: the alert as JSON, POSTed with `X-Pier-Signature: sha256=<hex HMAC-SHA256 of the
//! body with the person's secret>`, tried up to `ATTEMPTS` times with growing pauses; every
//! delivery is logged with its attempts, last status and error.

use super::{Alerts, Result};
use crate::actor::Actor;
use crate::entity::webhook_delivery;
use pier_proto::alerts::DeliveryView;
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::Sha256;
use std::time::Duration;

pub const ATTEMPTS: i32 = 5;
/// Pause before attempt n+1: 1 s, 2 s, 4 s, 8 s.
fn backoff(attempt: i32) -> Duration {
    Duration::from_secs(1 << (attempt - 1).clamp(0, 6))
}

/// The signature header's value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Alerts {
    /// Logs a delivery and sends it in the background.
    pub(crate) async fn spawn_webhook(&self, user_id: i64, alert_id: Option<i64>, url: String, secret: Option<String>, payload: serde_json::Value) -> Result<i64> {
        let now = time::OffsetDateTime::now_utc();
        let row = webhook_delivery::ActiveModel { user_id: Set(user_id), alert_id: Set(alert_id), url: Set(url.clone()), state: Set("pending".into()), attempts: Set(0), created_at: Set(now), updated_at: Set(now), ..Default::default() }.insert(&self.db).await?;
        let (me, id) = (self.clone(), row.id);
        tokio::spawn(async move { me.deliver(id, url, secret, payload).await });
        Ok(row.id)
    }

    async fn deliver(&self, id: i64, url: String, secret: Option<String>, payload: serde_json::Value) {
        let body = serde_json::to_vec(&payload).expect("json");
        let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
            Ok(c) => c,
            Err(e) => return self.log_attempt(id, 1, None, Some(e.to_string()), "failed").await,
        };
        for attempt in 1..=ATTEMPTS {
            let mut req = client.post(&url).header("content-type", "application/json").header("user-agent", "Pier").header("x-pier-event", payload["event"].as_str().unwrap_or("alert")).body(body.clone());
            if let Some(s) = &secret {
                req = req.header("x-pier-signature", signature(s, &body));
            }
            let (status, error) = match req.send().await {
                Ok(r) if r.status().is_success() => return self.log_attempt(id, attempt, Some(r.status().as_u16() as i32), None, "delivered").await,
                Ok(r) => (Some(r.status().as_u16() as i32), Some(format!("the receiver answered {}", r.status()))),
                Err(e) => (None, Some(e.to_string())),
            };
            let last = attempt == ATTEMPTS;
            self.log_attempt(id, attempt, status, error, if last { "failed" } else { "pending" }).await;
            if !last {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }

    async fn log_attempt(&self, id: i64, attempt: i32, status: Option<i32>, error: Option<String>, state: &str) {
        if let Ok(Some(row)) = webhook_delivery::Entity::find_by_id(id).one(&self.db).await {
            let mut m: webhook_delivery::ActiveModel = row.into();
            m.attempts = Set(attempt);
            m.last_status = Set(status);
            m.last_error = Set(error);
            m.state = Set(state.into());
            m.updated_at = Set(time::OffsetDateTime::now_utc());
            let _ = m.update(&self.db).await;
        }
    }

    /// The person's deliveries, newest first.
    pub async fn webhook_deliveries(&self, actor: &Actor, limit: u64) -> Result<Vec<DeliveryView>> {
        let user = actor.user_id().ok_or_else(|| super::AlertsError::Forbidden("deliveries are a person's".into()))?;
        let rows = webhook_delivery::Entity::find().filter(webhook_delivery::Column::UserId.eq(user)).order_by_desc(webhook_delivery::Column::Id).limit(limit.clamp(1, 200)).all(&self.db).await?;
        Ok(rows.into_iter().map(|d| DeliveryView { id: d.id, alert_id: d.alert_id, url: d.url, state: d.state, attempts: d.attempts, last_status: d.last_status, last_error: d.last_error, created_at: d.created_at.unix_timestamp() }).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(super::signature("Jefe", b"what do ya want for nothing?"), "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(super::backoff(1), std::time::Duration::from_secs(1));
        assert_eq!(super::backoff(4), std::time::Duration::from_secs(8));
    }
}
