//! Expiry: a schedule warns owners a day ahead (the audit log and the VPS's card here; the
//! alerts engine's `vps_expiring` event tells the owner through their notification channels)
//! and applies the chosen action when the time comes — delete,
//! shut down, or only record it. Administrators and billing staff extend or remove an expiry.

use super::{Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::vps;
use crate::jobs::Jobs;
use pier_proto::vps::{ExpiryChange, PowerAction, VpsState, VpsView};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration;
use time::OffsetDateTime;

pub const WARN_BEFORE: time::Duration = time::Duration::hours(24);
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

impl Compute {
    pub fn spawn_expiry_schedule(&self, jobs: Jobs, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_every("expiry schedule", every, move |this| {
            let jobs = jobs.clone();
            async move { this.apply_expiries(&jobs, OffsetDateTime::now_utc()).await.map(|_| ()) }
        })
    }

    /// One pass at time `now`: warns about VPSs expiring within a day and acts on those whose
    /// time has come. Each VPS is warned once and acted on once per expiry date
    /// (`expiry_warned_at` records it). Returns how many VPSs were acted on.
    pub async fn apply_expiries(&self, jobs: &Jobs, now: OffsetDateTime) -> Result<usize> {
        let due = vps::Entity::find().filter(vps::Column::ExpiresAt.lte(now + WARN_BEFORE)).all(&self.db).await?;
        let mut acted = 0;
        for v in due {
            let Some(expires) = v.expires_at else { continue };
            let handled_after = |t: OffsetDateTime| v.expiry_warned_at.is_some_and(|w| w >= t);
            let target = format!("vps:{}", v.id);
            if expires > now {
                if !handled_after(expires - WARN_BEFORE) {
                    self.mark_expiry(&v, now).await?;
                    let detail = format!("{} expires at {expires} ({} then)", v.name, v.expiry_action);
                    self.audit.record(&Actor::System, "vps.expiry.warning", &target, Outcome::Success, &RequestContext::default(), &detail).await;
                }
                continue;
            }
            if handled_after(expires) || VpsState::parse(&v.state).is_busy() {
                continue;
            }
            self.mark_expiry(&v, now).await?;
            let outcome = match v.expiry_action.as_str() {
                "delete" => self.enqueue_delete(jobs, &Actor::System, &v).await.map(|j| format!("deleting (job #{j})")),
                "shutdown" if PowerAction::Shutdown.allowed_from(VpsState::parse(&v.state)) => {
                    self.enqueue_power(jobs, &Actor::System, &v, PowerAction::Shutdown).await.map(|j| format!("shutting down (job #{j})"))
                }
                "shutdown" => Ok(format!("already {}", v.state)),
                _ => Ok("owner notified only".to_string()),
            };
            let (result, detail) = match outcome {
                Ok(what) => (Outcome::Success, format!("{} expired: {what}", v.name)),
                Err(e) => (Outcome::Failure, format!("{} expired but the action failed: {e}", v.name)),
            };
            self.audit.record(&Actor::System, "vps.expired", &target, result, &RequestContext::default(), &detail).await;
            acted += 1;
        }
        Ok(acted)
    }

    async fn mark_expiry(&self, v: &vps::Model, now: OffsetDateTime) -> Result<()> {
        let mut row: vps::ActiveModel = v.clone().into();
        row.expiry_warned_at = Set(Some(now));
        row.update(&self.db).await?;
        Ok(())
    }

    /// Extends (or removes) a VPS's expiry: administrators and billing staff.
    pub async fn change_expiry(&self, actor: &Actor, id: i64, change: ExpiryChange, ctx: &RequestContext) -> Result<VpsView> {
        let target = format!("vps:{id}");
        if !policy::may_manage_plans(actor) {
            self.audit.record(actor, "vps.expiry", &target, Outcome::Denied, ctx, "not admin or billing").await;
            return Err(ComputeError::Forbidden("only administrators and billing staff change expiry dates".into()));
        }
        let v = vps::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("VPS {id}")))?;
        let mut row: vps::ActiveModel = v.clone().into();
        let detail = match change.extend {
            None => {
                row.expires_at = Set(None);
                format!("{}: expiry removed", v.name)
            }
            Some(e) => {
                if e.amount == 0 || e.seconds() > 10 * 365 * 86_400 {
                    return Err(ComputeError::Invalid(pier_proto::ApiError::invalid("extend", "Extend by 1 minute to 10 years.")));
                }
                let now = OffsetDateTime::now_utc();
                let from = v.expires_at.filter(|t| *t > now).unwrap_or(now);
                let until = from + time::Duration::seconds(e.seconds());
                row.expires_at = Set(Some(until));
                row.expiry_action = Set(e.action.as_str().into());
                format!("{}: expires {until} ({} then)", v.name, e.action.as_str())
            }
        };
        row.expiry_warned_at = Set(None); // a new date gets its own warning
        let saved = row.update(&self.db).await?;
        self.audit.record(actor, "vps.expiry", &target, Outcome::Success, ctx, &detail).await;
        self.vps_view(&saved).await
    }
}
