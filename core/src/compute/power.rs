//! Power actions (start, shut down, force off, reboot, reset, suspend, resume), each a job. The
//! request is refused when the action does not fit the VPS's state; the job checks again against
//! libvirt, records the resulting state and pushes it to the browsers.

use super::vps::state_of;
use super::{Compute, ComputeError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{host, vps};
use crate::jobs::{failed, JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use pier_proto::vps::{PowerAction, VpsState, KIND_VPS_POWER};
use sea_orm::EntityTrait;
use std::time::Duration;

/// How long a shut-down job waits for the guest to power itself off.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(90);

#[derive(serde::Serialize, serde::Deserialize)]
struct PowerParams {
    vps_id: i64,
    action: PowerAction,
}

impl Compute {
    /// Queues `action` on VPS `id`; returns the job id.
    pub async fn power_vps(&self, jobs: &Jobs, actor: &Actor, id: i64, action: PowerAction, ctx: &RequestContext) -> Result<i64> {
        let (v, _) = self.operable_vps(actor, id, "vps.power", ctx).await?;
        Self::refuse_busy(&v)?;
        let state = VpsState::parse(&v.state);
        if !action.allowed_from(state) {
            return Err(ComputeError::Conflict(format!("{} cannot be done: {} is {}.", action.label(), v.name, state.as_str())));
        }
        let job = self.enqueue_power(jobs, actor, &v, action).await?;
        self.audit.record(actor, "vps.power", &format!("vps:{}", v.id), Outcome::Success, ctx, &format!("{} {} (job #{job})", action.as_str(), v.name)).await;
        Ok(job)
    }

    pub(super) async fn enqueue_power(&self, jobs: &Jobs, actor: &Actor, v: &vps::Model, action: PowerAction) -> Result<i64> {
        let params = serde_json::to_value(PowerParams { vps_id: v.id, action }).expect("serialisable");
        let job = jobs
            .enqueue(actor, NewJob { kind: KIND_VPS_POWER, target: format!("vps:{}", v.id), params, idempotency_key: None, max_attempts: 1 })
            .await
            .map_err(|e| ComputeError::Unavailable(e.to_string()))?;
        Ok(job.id)
    }

    /// Sets root's password inside the running guest through the QEMU guest agent (immediate;
    /// the password itself is neither stored nor logged).
    pub async fn set_root_password(&self, actor: &Actor, id: i64, password: &str, ctx: &RequestContext) -> Result<()> {
        let (v, h) = self.operable_vps(actor, id, "vps.root_password", ctx).await?;
        pier_proto::vps::validate_root_password(password).map_err(ComputeError::Invalid)?;
        if VpsState::parse(&v.state) != VpsState::Running {
            return Err(ComputeError::Conflict(format!("{} is {}; the password is set by the guest agent of a running VPS.", v.name, v.state)));
        }
        let (domain, pw) = (v.domain_name.clone(), password.to_string());
        let result = self.conns.call(&h.uri, move |hv| hv.set_user_password(&domain, "root", &pw)).await;
        let outcome = if result.is_ok() { Outcome::Success } else { Outcome::Failure };
        self.audit.record(actor, "vps.root_password", &format!("vps:{id}"), outcome, ctx, &v.name).await;
        result.map_err(ComputeError::from)
    }

    /// Reads the domain's state from libvirt and records it (after an action, or to resync).
    pub(super) async fn refresh_state(&self, v: &vps::Model, h: &host::Model) -> Result<vps::Model> {
        let name = v.domain_name.clone();
        let d = self.conns.call(&h.uri, move |hv| hv.domain(&name)).await?;
        self.set_vps_state(v, state_of(d.state), None).await
    }
}

pub struct PowerVps {
    pub compute: Compute,
}


#[async_trait]
impl JobHandler for PowerVps {
    fn kind(&self) -> &'static str {
        KIND_VPS_POWER
    }
    fn title(&self) -> &'static str {
        "VPS power"
    }
    fn resumable(&self) -> bool {
        false // a reboot must not be repeated because the panel restarted
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: PowerParams = ctx.params()?;
        let c = &self.compute;
        let v = vps::Entity::find_by_id(p.vps_id).one(&c.db).await.map_err(failed)?.ok_or_else(|| failed("the VPS was deleted meanwhile"))?;
        let h = c.host_row(v.host_id).await.map_err(failed)?;
        ctx.progress(20, format!("{}: {}", v.name, p.action.label())).await?;
        let name = v.domain_name.clone();
        let action = p.action;
        let done = c.conns.call(&h.uri, move |hv| hv.power(&name, action)).await;
        let d = match done {
            Ok(d) => d,
            Err(e) => {
                // Whatever happened, show the state libvirt has now.
                let _ = c.refresh_state(&v, &h).await;
                return Err(failed(format!("{} {} failed: {e}", p.action.label(), v.name)));
            }
        };
        let mut v = c.set_vps_state(&v, state_of(d.state), None).await.map_err(failed)?;
        if p.action == PowerAction::Shutdown && VpsState::parse(&v.state) == VpsState::Running {
            // ACPI asks the guest; wait (with progress) for it to power off.
            let started = tokio::time::Instant::now();
            while started.elapsed() < SHUTDOWN_WAIT {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let pct = 20 + (75 * started.elapsed().as_secs() / SHUTDOWN_WAIT.as_secs()) as u8;
                ctx.progress(pct, "Waiting for the guest to power off").await?;
                v = c.refresh_state(&v, &h).await.map_err(failed)?;
                if VpsState::parse(&v.state) != VpsState::Running {
                    break;
                }
            }
            if VpsState::parse(&v.state) == VpsState::Running {
                return Err(failed(format!(
                    "{} did not power off within {} s (the guest may ignore ACPI); use Force off.",
                    v.name,
                    SHUTDOWN_WAIT.as_secs()
                )));
            }
        }
        Ok(format!("{}: {} done; it is {}.", v.name, p.action.label().to_lowercase(), v.state))
    }
}
