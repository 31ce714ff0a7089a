//! Alerts: rules over the monitoring figures and alerts about events, with their lifecycle —
//! pending (the condition holds, not yet for its "for" time) → firing → resolved by itself
//! when the condition clears, acknowledged by a person — and the notifications they send.
//!
//! - `engine.rs` evaluates the rules against each target's latest samples and checks the
//!   events (host unreachable, nginx down, VPS crashed, certificate expiring, job failed);
//! - `notify.rs` tells the right people on their channels: in-app always, email and webhook
//!   when they chose them, at most once an hour per alert while it keeps firing;
//! - `mail.rs` sends through the administrator's SMTP settings (lettre), `webhook.rs` posts
//!   signed JSON with retries and keeps a delivery log.
//!
//! A person gets alerts only about their own resources; platform alerts go to administrators.

pub mod engine;
pub mod mail;
pub mod notify;
pub mod webhook;

use crate::actor::{policy, Actor, Audience};
use crate::audit::{Audit, Outcome, RequestContext};
use crate::entity::{alert, alert_rule};
use crate::events::EventBus;
use crate::secrets::SecretBox;
use pier_proto::alerts::{AlertQuery, AlertState, AlertView, Channel, Condition, RuleInput, RuleView, Scope, Severity};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::time::Duration;

pub use crate::service_error::ServiceError as AlertsError;
pub type Result<T> = std::result::Result<T, AlertsError>;

/// How often rules are evaluated and events checked.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(10);
/// A firing alert reminds its people at most this often.
pub const RENOTIFY_AFTER: time::Duration = time::Duration::hours(1);

#[derive(Clone)]
pub struct Alerts {
    pub(crate) db: DatabaseConnection,
    pub(crate) audit: Audit,
    pub(crate) bus: EventBus,
    pub(crate) secrets: SecretBox,
    pub(crate) settings: crate::settings::Settings,
    /// Samples older than this count as no data (the rule's state is left as it is).
    pub(crate) stale_after_s: i64,
}

pub(crate) fn ts(t: time::OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn view(m: &alert::Model) -> AlertView {
    AlertView {
        id: m.id,
        rule_id: m.rule_id,
        kind: m.kind.clone(),
        target: m.target.clone(),
        title: m.title.clone(),
        severity: Severity::parse(&m.severity),
        state: AlertState::parse(&m.state),
        value: m.value,
        started_at: ts(m.started_at),
        fired_at: m.fired_at.map(ts),
        resolved_at: m.resolved_at.map(ts),
        acknowledged_by: m.acknowledged_by.clone(),
        acknowledged_at: m.acknowledged_at.map(ts),
    }
}

fn rule_view(m: &alert_rule::Model) -> Result<RuleView> {
    let rule: RuleInput = serde_json::from_str(&m.spec).map_err(|e| AlertsError::Unavailable(format!("rule {} is unreadable: {e}", m.id)))?;
    Ok(RuleView { id: m.id, rule: RuleInput { enabled: m.enabled, ..rule }, is_default: m.is_default })
}

/// The rules Pier makes on its first start.
pub fn default_rules() -> Vec<RuleInput> {
    let rule = |name: &str, metric: &str| RuleInput {
        name: name.into(),
        metric: metric.into(),
        scope: Scope::Host,
        condition: Condition::Above,
        threshold: 90.0,
        for_s: 300,
        severity: Severity::Warning,
        channels: vec![Channel::InApp, Channel::Email, Channel::Webhook],
        enabled: true,
    };
    vec![rule("CPU above 90 %", "cpu"), rule("Memory above 90 %", "mem_used_pct"), rule("Disk above 90 %", "disk./.used_pct")]
}

const DEFAULTS_MADE: &str = "alerts.defaults";

impl Alerts {
    pub fn new(db: DatabaseConnection, audit: Audit, bus: EventBus, secrets: SecretBox, settings: crate::settings::Settings, interval_s: u64) -> Self {
        Self { db, audit, bus, secrets, settings, stale_after_s: (interval_s as i64 * 3).max(60) }
    }

    /// Makes the default rules once (a person may change or delete them; they do not return).
    pub async fn ensure_default_rules(&self) -> Result<()> {
        if self.settings.get_json::<bool>(DEFAULTS_MADE).await?.unwrap_or(false) {
            return Ok(());
        }
        let now = time::OffsetDateTime::now_utc();
        for r in default_rules() {
            alert_rule::ActiveModel { name: Set(r.name.clone()), spec: Set(serde_json::to_string(&r).expect("json")), enabled: Set(true), is_default: Set(true), created_at: Set(now), updated_at: Set(now), ..Default::default() }.insert(&self.db).await?;
        }
        self.settings.put_json(DEFAULTS_MADE, &true).await?;
        Ok(())
    }

    fn require_admin(actor: &Actor) -> Result<()> {
        if policy::may_manage_platform(actor) {
            Ok(())
        } else {
            Err(AlertsError::Forbidden("only administrators change alert rules and mail settings".into()))
        }
    }

    async fn admin_or_audit(&self, actor: &Actor, action: &str, target: &str, ctx: &RequestContext) -> Result<()> {
        let r = Self::require_admin(actor);
        if let Err(e) = &r {
            self.audit.record(actor, action, target, Outcome::Denied, ctx, &e.to_string()).await;
        }
        r
    }

    /// Rules: staff read them; admins change them.
    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<RuleView>> {
        if !policy::may_see(actor, &Audience::Staff) {
            return Err(AlertsError::Forbidden("alert rules are for staff".into()));
        }
        alert_rule::Entity::find().order_by_asc(alert_rule::Column::Id).all(&self.db).await?.iter().map(rule_view).collect()
    }

    pub async fn save_rule(&self, actor: &Actor, id: Option<i64>, input: RuleInput, ctx: &RequestContext) -> Result<RuleView> {
        let action = if id.is_some() { "alert_rule.update" } else { "alert_rule.create" };
        let target = id.map(|i| format!("alert_rule:{i}")).unwrap_or_else(|| "alert_rule:new".into());
        self.admin_or_audit(actor, action, &target, ctx).await?;
        if let Err(e) = input.validate() {
            self.audit.record(actor, action, &target, Outcome::Failure, ctx, &e.message).await;
            return Err(AlertsError::Invalid(e));
        }
        let now = time::OffsetDateTime::now_utc();
        let spec = serde_json::to_string(&input).expect("json");
        let row = match id {
            Some(id) => {
                let row = alert_rule::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| AlertsError::NotFound(format!("Rule {id}")))?;
                let mut a: alert_rule::ActiveModel = row.into();
                a.name = Set(input.name.trim().to_string());
                a.spec = Set(spec);
                a.enabled = Set(input.enabled);
                a.updated_at = Set(now);
                a.update(&self.db).await?
            }
            None => alert_rule::ActiveModel { name: Set(input.name.trim().to_string()), spec: Set(spec), enabled: Set(input.enabled), is_default: Set(false), created_at: Set(now), updated_at: Set(now), ..Default::default() }.insert(&self.db).await?,
        };
        // A changed rule starts over: what it had pending or firing is resolved.
        if id.is_some() {
            self.close_rule_alerts(row.id, now).await?;
        }
        self.audit.record(actor, action, &format!("alert_rule:{}", row.id), Outcome::Success, ctx, &format!("{}: {} {:?} {} for {} s on {}", row.name, input.metric, input.condition, input.threshold, input.for_s, input.scope.describe())).await;
        rule_view(&row)
    }

    pub async fn delete_rule(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("alert_rule:{id}");
        self.admin_or_audit(actor, "alert_rule.delete", &target, ctx).await?;
        let row = alert_rule::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| AlertsError::NotFound(format!("Rule {id}")))?;
        self.close_rule_alerts(id, time::OffsetDateTime::now_utc()).await?;
        alert_rule::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "alert_rule.delete", &target, Outcome::Success, ctx, &row.name).await;
        Ok(())
    }

    /// Resolves what a changed or deleted rule had open, says so live, and tells those who
    /// were told it fired.
    async fn close_rule_alerts(&self, rule_id: i64, now: time::OffsetDateTime) -> Result<()> {
        let mut changes = Vec::new();
        for a in alert::Entity::find().filter(alert::Column::RuleId.eq(rule_id)).filter(alert::Column::State.is_in(["pending", "firing"])).all(&self.db).await? {
            let mut m: alert::ActiveModel = a.into();
            m.state = Set("resolved".into());
            m.resolved_at = Set(Some(now));
            let row = m.update(&self.db).await?;
            self.publish(&row);
            changes.push(engine::Transition { alert_id: row.id, target: row.target.clone(), to: AlertState::Resolved });
        }
        self.notify(now, &changes).await?;
        Ok(())
    }

    /// Alerts newest first: staff see all; others those about their own resources.
    pub async fn list_alerts(&self, actor: &Actor, q: &AlertQuery) -> Result<Vec<AlertView>> {
        let mut find = alert::Entity::find().order_by_desc(alert::Column::Id).limit(u64::from(q.limit.unwrap_or(100).clamp(1, 500)));
        if let Some(state) = q.state {
            find = find.filter(alert::Column::State.eq(state.as_str()));
        }
        if !policy::may_see(actor, &Audience::Staff) {
            find = find.filter(alert::Column::OwnerId.eq(actor.user_id().unwrap_or(-1)));
        }
        Ok(find.all(&self.db).await?.iter().map(view).collect())
    }

    /// A person says they have seen it. A one-off event alert (a failed job) is resolved by it.
    pub async fn acknowledge(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<AlertView> {
        let target = format!("alert:{id}");
        let row = alert::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| AlertsError::NotFound(format!("Alert {id}")))?;
        let mine = row.owner_id.is_some() && row.owner_id == actor.user_id();
        if !mine && !policy::may_see(actor, &Audience::Staff) {
            return Err(AlertsError::NotFound(format!("Alert {id}")));
        }
        if row.acknowledged_at.is_some() {
            return Ok(view(&row));
        }
        let now = time::OffsetDateTime::now_utc();
        let one_off = row.kind == engine::JOB_FAILED;
        let mut m: alert::ActiveModel = row.into();
        m.acknowledged_by = Set(Some(actor.display()));
        m.acknowledged_at = Set(Some(now));
        if one_off {
            m.state = Set("resolved".into());
            m.resolved_at = Set(Some(now));
        }
        let row = m.update(&self.db).await?;
        self.audit.record(actor, "alert.acknowledge", &target, Outcome::Success, ctx, &row.title).await;
        self.publish(&row);
        Ok(view(&row))
    }

    /// Pushes an alert's change on `alerts` to whoever may see it.
    pub(crate) fn publish(&self, row: &alert::Model) {
        let audience = row.owner_id.map(|o| Audience::Owner(format!("user:{o}"))).unwrap_or(Audience::Staff);
        self.bus.publish(&[pier_proto::live::Topic::new("alerts").expect("topic")], audience, serde_json::to_value(view(row)).expect("json"));
    }
}

/// `2026-12-02 18:33 UTC`.
pub(crate) fn engine_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC).format(&f).unwrap_or_default()
}

impl Alerts {
    /// One round at `now`: rules over the latest figures, events since `since`, then the
    /// notifications of what changed and the reminders that are due.
    pub async fn round(&self, now: time::OffsetDateTime, latest: &engine::Latest, nginx_running: Option<bool>, since: time::OffsetDateTime) -> Result<Vec<engine::Transition>> {
        let mut changes = self.evaluate(now, latest).await?;
        changes.extend(self.check_events(now, nginx_running, since).await?);
        self.notify(now, &changes).await?;
        self.remind(now).await?;
        Ok(changes)
    }

    /// The alert schedule for the process's life (every `EVALUATE_EVERY`).
    pub fn spawn(&self, monitoring: crate::monitoring::Monitoring, sites: crate::sites::Sites) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.ensure_default_rules().await {
                tracing::warn!(error = %e, "default alert rules not made");
            }
            let mut since = time::OffsetDateTime::now_utc();
            let mut tick = tokio::time::interval(EVALUATE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = time::OffsetDateTime::now_utc();
                match me.round(now, &monitoring.latest(), sites.nginx_running(), since).await {
                    Ok(_) => since = now,
                    Err(e) => tracing::warn!(error = %e, "alert round failed"),
                }
            }
        })
    }
}
