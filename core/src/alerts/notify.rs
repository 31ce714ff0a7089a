//! Who hears of an alert, and how: its resource's owner, or the administrators for platform
//! alerts; in-app always, by email and webhook when the person chose them (and the rule
//! allows). A firing alert reminds at most once per `RENOTIFY_AFTER`; its resolution is told
//! once.

use super::engine::Transition;
use super::{Alerts, AlertsError, Result, RENOTIFY_AFTER};
use crate::actor::{Actor, Audience};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{alert, alert_rule, notification, notification_channel, user};
use pier_proto::alerts::{AlertState, Channel, ChannelSettings, NotificationView, RuleInput, Severity};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use time::OffsetDateTime;

/// Why people are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    Firing,
    Reminder,
    Resolved,
}

impl Occasion {
    pub fn word(self) -> &'static str {
        match self {
            Occasion::Firing => "FIRING",
            Occasion::Reminder => "STILL FIRING",
            Occasion::Resolved => "RESOLVED",
        }
    }
}

fn secret_aad(user_id: i64) -> String {
    format!("webhook:user:{user_id}")
}

impl Alerts {
    async fn recipients(&self, a: &alert::Model) -> Result<Vec<user::Model>> {
        let active = user::Column::Status.eq("active");
        Ok(match a.owner_id {
            Some(owner) => user::Entity::find_by_id(owner).filter(active).all(&self.db).await?,
            None => user::Entity::find().filter(user::Column::Role.eq("admin")).filter(active).all(&self.db).await?,
        })
    }

    async fn channels_of(&self, a: &alert::Model) -> Result<Vec<Channel>> {
        Ok(match a.rule_id {
            Some(id) => match alert_rule::Entity::find_by_id(id).one(&self.db).await? {
                Some(r) => serde_json::from_str::<RuleInput>(&r.spec).map(|r| r.channels).unwrap_or_else(|_| vec![Channel::InApp]),
                None => vec![Channel::InApp],
            },
            None => vec![Channel::InApp, Channel::Email, Channel::Webhook],
        })
    }

    /// Tells the people of what changed in a round (pending alerts are not told).
    pub async fn notify(&self, now: OffsetDateTime, changes: &[Transition]) -> Result<usize> {
        let mut told = 0;
        for c in changes {
            let occasion = match c.to {
                AlertState::Firing => Occasion::Firing,
                AlertState::Resolved => Occasion::Resolved,
                AlertState::Pending => continue,
            };
            let Some(a) = alert::Entity::find_by_id(c.alert_id).one(&self.db).await? else { continue };
            // A resolution is told only to those who were told it fired.
            if occasion == Occasion::Resolved && a.last_notified_at.is_none() {
                continue;
            }
            told += self.tell(now, &a, occasion).await?;
        }
        Ok(told)
    }

    /// Reminders for alerts still firing and not told for `RENOTIFY_AFTER`.
    pub async fn remind(&self, now: OffsetDateTime) -> Result<usize> {
        let due = alert::Entity::find().filter(alert::Column::State.eq("firing")).filter(alert::Column::AcknowledgedAt.is_null()).filter(alert::Column::LastNotifiedAt.lt(now - RENOTIFY_AFTER)).all(&self.db).await?;
        let mut told = 0;
        for a in due {
            told += self.tell(now, &a, Occasion::Reminder).await?;
        }
        Ok(told)
    }

    async fn tell(&self, now: OffsetDateTime, a: &alert::Model, occasion: Occasion) -> Result<usize> {
        let channels = self.channels_of(a).await?;
        let title = format!("{}: {}", occasion.word(), a.title);
        let body = match occasion {
            Occasion::Resolved => format!("{} — resolved at {}.", a.title, crate::alerts::engine_time(now)),
            _ => format!("{} — since {} ({}).", a.title, crate::alerts::engine_time(a.fired_at.unwrap_or(a.started_at)), a.severity),
        };
        let mut told = 0;
        for person in self.recipients(a).await? {
            let prefs = notification_channel::Entity::find_by_id(person.id).one(&self.db).await?;
            if channels.contains(&Channel::InApp) {
                let row = notification::ActiveModel { user_id: Set(person.id), alert_id: Set(Some(a.id)), title: Set(title.clone()), body: Set(body.clone()), severity: Set(a.severity.clone()), created_at: Set(now), ..Default::default() }.insert(&self.db).await?;
                let topic = pier_proto::live::Topic::new("notifications").expect("topic");
                self.bus.publish(&[topic], Audience::Owner(format!("user:{}", person.id)), serde_json::to_value(notification_view(&row)).expect("json"));
            }
            if channels.contains(&Channel::Email) && prefs.as_ref().is_some_and(|p| p.email) {
                if let Err(e) = self.send_mail(&person.email, &format!("[Pier] {title}"), &body).await {
                    tracing::warn!(user = person.id, error = %e, "alert email not sent");
                }
            }
            if channels.contains(&Channel::Webhook) {
                if let Some((url, secret)) = self.webhook_of(person.id, prefs.as_ref()) {
                    let payload = serde_json::json!({ "event": occasion.word().to_lowercase().replace(' ', "_"), "alert": super::view(a) });
                    self.spawn_webhook(person.id, Some(a.id), url, secret, payload).await?;
                }
            }
            told += 1;
        }
        let mut m: alert::ActiveModel = a.clone().into();
        m.last_notified_at = Set(Some(now));
        m.update(&self.db).await?;
        Ok(told)
    }

    /// A person's notifications, newest first.
    pub async fn notifications(&self, actor: &Actor, limit: u64) -> Result<Vec<NotificationView>> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("notifications are a person's".into()))?;
        let rows = notification::Entity::find().filter(notification::Column::UserId.eq(user)).order_by_desc(notification::Column::Id).limit(limit.clamp(1, 500)).all(&self.db).await?;
        Ok(rows.iter().map(notification_view).collect())
    }

    pub async fn unread_count(&self, actor: &Actor) -> Result<u64> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("notifications are a person's".into()))?;
        Ok(notification::Entity::find().filter(notification::Column::UserId.eq(user)).filter(notification::Column::ReadAt.is_null()).count(&self.db).await?)
    }

    /// Marks the person's notifications read (all of them, or those up to `up_to`).
    pub async fn mark_read(&self, actor: &Actor, up_to: Option<i64>) -> Result<u64> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("notifications are a person's".into()))?;
        let mut q = notification::Entity::update_many().col_expr(notification::Column::ReadAt, sea_orm::sea_query::Expr::value(OffsetDateTime::now_utc())).filter(notification::Column::UserId.eq(user)).filter(notification::Column::ReadAt.is_null());
        if let Some(id) = up_to {
            q = q.filter(notification::Column::Id.lte(id));
        }
        let n = q.exec(&self.db).await?.rows_affected;
        // The person's other tabs (and their bells) re-read.
        let topic = pier_proto::live::Topic::new("notifications").expect("topic");
        self.bus.publish(&[topic], Audience::Owner(format!("user:{user}")), serde_json::json!({ "read": n }));
        Ok(n)
    }

    /// A person's webhook URL and opened signing secret, if they set one.
    fn webhook_of(&self, user_id: i64, prefs: Option<&notification_channel::Model>) -> Option<(String, Option<String>)> {
        let p = prefs?;
        let secret = p.webhook_secret.as_ref().and_then(|s| self.secrets.open(s, &secret_aad(user_id)).ok()).map(|b| String::from_utf8_lossy(&b).into_owned());
        Some((p.webhook_url.clone()?, secret))
    }

    /// Sends a signed `test` event to the person's webhook; it shows in their delivery log
    /// like any other (the delivery id is returned).
    pub async fn send_test_webhook(&self, actor: &Actor, ctx: &RequestContext) -> Result<i64> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("channels are a person's".into()))?;
        let prefs = notification_channel::Entity::find_by_id(user).one(&self.db).await?;
        let Some((url, secret)) = self.webhook_of(user, prefs.as_ref()) else {
            return Err(AlertsError::Invalid(pier_proto::ApiError::invalid("webhook_url", "Save a webhook URL first.")));
        };
        let payload = serde_json::json!({ "event": "test", "message": "A test from Pier: your webhook receives alerts." });
        let id = self.spawn_webhook(user, None, url.clone(), secret, payload).await?;
        self.audit.record(actor, "notifications.test_webhook", &format!("user:{user}"), Outcome::Success, ctx, &url).await;
        Ok(id)
    }

    /// A person's own channels (the webhook secret is never returned).
    pub async fn channel_settings(&self, actor: &Actor) -> Result<ChannelSettings> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("channels are a person's".into()))?;
        Ok(match notification_channel::Entity::find_by_id(user).one(&self.db).await? {
            Some(p) => ChannelSettings { email: p.email, webhook_url: p.webhook_url, webhook_secret: None, webhook_secret_set: p.webhook_secret.is_some() },
            None => ChannelSettings::default(),
        })
    }

    pub async fn save_channel_settings(&self, actor: &Actor, input: ChannelSettings, ctx: &RequestContext) -> Result<ChannelSettings> {
        let user = actor.user_id().ok_or_else(|| AlertsError::Forbidden("channels are a person's".into()))?;
        input.validate().map_err(AlertsError::Invalid)?;
        let old = notification_channel::Entity::find_by_id(user).one(&self.db).await?;
        let secret = match (&input.webhook_secret, &input.webhook_url) {
            (_, None) => None,
            (Some(s), Some(_)) => Some(self.secrets.seal(s.as_bytes(), &secret_aad(user))),
            (None, Some(_)) => old.and_then(|o| o.webhook_secret),
        };
        if input.webhook_url.is_some() && secret.is_none() {
            return Err(AlertsError::Invalid(pier_proto::ApiError::invalid("webhook_secret", "A webhook needs a signing secret (16 characters or more).")));
        }
        let row = notification_channel::ActiveModel { user_id: Set(user), email: Set(input.email), webhook_url: Set(input.webhook_url.clone()), webhook_secret: Set(secret), updated_at: Set(OffsetDateTime::now_utc()) };
        notification_channel::Entity::insert(row)
            .on_conflict(OnConflict::column(notification_channel::Column::UserId).update_columns([notification_channel::Column::Email, notification_channel::Column::WebhookUrl, notification_channel::Column::WebhookSecret, notification_channel::Column::UpdatedAt]).to_owned())
            .exec(&self.db)
            .await?;
        self.audit.record(actor, "notifications.channels", &format!("user:{user}"), Outcome::Success, ctx, &format!("email {}, webhook {}", if input.email { "on" } else { "off" }, input.webhook_url.as_deref().unwrap_or("none"))).await;
        self.channel_settings(actor).await
    }
}

pub(crate) fn notification_view(n: &notification::Model) -> NotificationView {
    NotificationView { id: n.id, alert_id: n.alert_id, title: n.title.clone(), body: n.body.clone(), severity: Severity::parse(&n.severity), created_at: n.created_at.unix_timestamp(), read: n.read_at.is_some() }
}
