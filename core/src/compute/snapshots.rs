//! Snapshots: listed straight from libvirt (they live in the disk), created, reverted and
//! deleted through jobs, with the plan's limit enforced at the request.

use super::{Compute, ComputeError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{plan, vps};
use crate::jobs::{failed, JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use pier_proto::vps::{NewSnapshot, SnapshotOp, SnapshotView, VpsState, CUSTOM_SNAPSHOT_LIMIT, KIND_VPS_SNAPSHOT};
use pier_proto::ApiError;
use sea_orm::EntityTrait;
use time::format_description::well_known::Rfc3339;

#[derive(serde::Serialize, serde::Deserialize)]
struct SnapshotParams {
    vps_id: i64,
    op: SnapshotOp,
    name: String,
    #[serde(default)]
    description: String,
}

fn view(s: pier_vmm::SnapshotInfo) -> SnapshotView {
    SnapshotView {
        created_at: time::OffsetDateTime::from_unix_timestamp(s.created_at).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default(),
        name: s.name,
        description: s.description,
        vm_state: s.state,
        current: s.current,
    }
}

impl Compute {
    async fn snapshot_limit(&self, v: &vps::Model) -> Result<u32> {
        Ok(match v.plan_id {
            Some(id) => plan::Entity::find_by_id(id).one(&self.db).await?.map(|p| p.snapshot_limit.max(0) as u32).unwrap_or(CUSTOM_SNAPSHOT_LIMIT),
            None => CUSTOM_SNAPSHOT_LIMIT,
        })
    }

    /// Oldest first. A VPS without a machine (failed create) has none.
    pub async fn list_snapshots(&self, actor: &Actor, id: i64) -> Result<Vec<SnapshotView>> {
        let v = self.visible_vps(actor, id).await?;
        if v.domain_name.is_empty() || VpsState::parse(&v.state).is_busy() {
            return Ok(Vec::new());
        }
        let h = self.host_row(v.host_id).await?;
        // While a snapshot job holds the domain, QEMU can refuse for a moment ("cannot acquire
        // state change lock"): ask again a few times before calling it unavailable.
        let mut tries = 0;
        loop {
            let name = v.domain_name.clone();
            match self.conns.call(&h.uri, move |hv| hv.list_snapshots(&name)).await {
                Ok(list) => return Ok(list.into_iter().map(view).collect()),
                Err(pier_vmm::VmmError::NoDomain(_)) => return Ok(Vec::new()),
                Err(pier_vmm::VmmError::Libvirt(_)) if tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Queues a snapshot operation; returns the job id. `new.description` is used by `Create`.
    pub async fn snapshot_vps(&self, jobs: &Jobs, actor: &Actor, id: i64, op: SnapshotOp, new: NewSnapshot, ctx: &RequestContext) -> Result<i64> {
        let action = match op {
            SnapshotOp::Create => "vps.snapshot.create",
            SnapshotOp::Revert => "vps.snapshot.revert",
            SnapshotOp::Delete => "vps.snapshot.delete",
        };
        let (v, _) = self.operable_vps(actor, id, action, ctx).await?;
        Self::refuse_busy(&v)?;
        if VpsState::parse(&v.state) == VpsState::Error {
            return Err(ComputeError::Conflict(format!("{} has no working machine; reinstall or delete it.", v.name)));
        }
        new.validate().map_err(ComputeError::Invalid)?;
        let existing = self.list_snapshots(actor, id).await?;
        let exists = existing.iter().any(|s| s.name == new.name);
        match op {
            SnapshotOp::Create => {
                let limit = self.snapshot_limit(&v).await?;
                if existing.len() as u32 >= limit {
                    return Err(ComputeError::Conflict(format!("{} has {} of {limit} snapshots allowed by its plan; delete one first.", v.name, existing.len())));
                }
                if exists {
                    return Err(ComputeError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("There is already a snapshot named {:?}.", new.name), field: Some("name".into()) }));
                }
            }
            SnapshotOp::Revert | SnapshotOp::Delete if !exists => return Err(ComputeError::NotFound(format!("Snapshot {:?}", new.name))),
            _ => {}
        }
        let params = serde_json::to_value(SnapshotParams { vps_id: v.id, op, name: new.name.clone(), description: new.description }).expect("serialisable");
        let job = jobs
            .enqueue(actor, NewJob { kind: KIND_VPS_SNAPSHOT, target: format!("vps:{id}"), params, idempotency_key: None, max_attempts: 1 })
            .await
            .map_err(|e| ComputeError::Unavailable(e.to_string()))?;
        self.audit.record(actor, action, &format!("vps:{id}"), Outcome::Success, ctx, &format!("{} snapshot {:?} (job #{})", v.name, new.name, job.id)).await;
        Ok(job.id)
    }
}

pub struct SnapshotJob {
    pub compute: Compute,
}


#[async_trait]
impl JobHandler for SnapshotJob {
    fn kind(&self) -> &'static str {
        KIND_VPS_SNAPSHOT
    }
    fn title(&self) -> &'static str {
        "VPS snapshot"
    }
    fn resumable(&self) -> bool {
        false
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: SnapshotParams = ctx.params()?;
        let c = &self.compute;
        let v = vps::Entity::find_by_id(p.vps_id).one(&c.db).await.map_err(failed)?.ok_or_else(|| failed("the VPS is gone"))?;
        let h = c.host_row(v.host_id).await.map_err(failed)?;
        let (domain, name, description) = (v.domain_name.clone(), p.name.clone(), p.description.clone());
        let (doing, done) = match p.op {
            SnapshotOp::Create => ("Taking snapshot (a running VPS's memory is saved too)", format!("Snapshot {:?} of {} taken.", p.name, v.name)),
            SnapshotOp::Revert => ("Reverting to snapshot", format!("{} reverted to snapshot {:?}.", v.name, p.name)),
            SnapshotOp::Delete => ("Deleting snapshot", format!("Snapshot {:?} of {} deleted.", p.name, v.name)),
        };
        ctx.progress(20, format!("{doing} {name:?}")).await?;
        let op = p.op;
        let result = c
            .conns
            .call(&h.uri, move |hv| match op {
                SnapshotOp::Create => hv.create_snapshot(&domain, &name, &description).map(|_| ()),
                SnapshotOp::Revert => hv.revert_snapshot(&domain, &name),
                SnapshotOp::Delete => hv.delete_snapshot(&domain, &name),
            })
            .await;
        // A revert changes the state (a running snapshot runs again); record what libvirt says.
        let _ = c.refresh_state(&v, &h).await;
        result.map_err(|e| failed(format!("Snapshot {:?} of {}: {e}", p.name, v.name)))?;
        Ok(done)
    }
}
