//! Deleting a VPS (domain, disk with its snapshots, seed, address, record) and reinstalling it
//! from an image (a new disk; id, name, address and owner stay). Both need the VPS's name typed
//! again and run as jobs that own the VPS while they work.

use super::vps::{holder, CreateParams, CreateVps};
use super::{cloud_init, Compute, ComputeError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{host, image, ssh_key, vps};
use crate::jobs::{failed, JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use pier_proto::vps::{Reinstall, VpsState, KIND_VPS_DELETE, KIND_VPS_REINSTALL};
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

fn check_confirm(v: &vps::Model, typed: &str) -> Result<()> {
    if typed != v.name {
        return Err(ComputeError::Invalid(ApiError::invalid("confirm", format!("Type the VPS's name, {}, to confirm.", v.name))));
    }
    Ok(())
}


#[derive(serde::Serialize, serde::Deserialize)]
struct VpsParams {
    vps_id: i64,
    #[serde(default)]
    root_password_hash: Option<String>,
}

impl Compute {
    /// Queues the deletion of VPS `id` (`confirm` is its name typed again); returns the job id.
    pub async fn delete_vps(&self, jobs: &Jobs, actor: &Actor, id: i64, confirm: &str, ctx: &RequestContext) -> Result<i64> {
        let (v, _) = self.operable_vps(actor, id, "vps.delete", ctx).await?;
        check_confirm(&v, confirm)?;
        if matches!(VpsState::parse(&v.state), VpsState::Deleting | VpsState::Provisioning | VpsState::Reinstalling) {
            return Err(ComputeError::Conflict(format!("{} is {}; wait until that finishes.", v.name, v.state)));
        }
        let job = self.enqueue_delete(jobs, actor, &v).await?;
        self.audit.record(actor, "vps.delete", &format!("vps:{id}"), Outcome::Success, ctx, &format!("{} (job #{job})", v.name)).await;
        Ok(job)
    }

    pub(super) async fn enqueue_delete(&self, jobs: &Jobs, actor: &Actor, v: &vps::Model) -> Result<i64> {
        self.set_vps_state(v, VpsState::Deleting, None).await?;
        let params = serde_json::to_value(VpsParams { vps_id: v.id, root_password_hash: None }).expect("serialisable");
        let job = jobs.enqueue(actor, NewJob { kind: KIND_VPS_DELETE, target: format!("vps:{}", v.id), params, idempotency_key: None, max_attempts: 3 }).await;
        Ok(job.map_err(|e| ComputeError::Unavailable(e.to_string()))?.id)
    }

    /// Queues a reinstall of VPS `id` from `req.image_id`; returns the job id. Everything on
    /// its disk (and its snapshots) is lost.
    pub async fn reinstall_vps(&self, jobs: &Jobs, actor: &Actor, id: i64, req: Reinstall, ctx: &RequestContext) -> Result<i64> {
        let (v, _) = self.operable_vps(actor, id, "vps.reinstall", ctx).await?;
        check_confirm(&v, &req.confirm)?;
        Self::refuse_busy(&v)?;
        let img = self.usable_image(actor, req.image_id).await?;
        let need = (img.virtual_size.unwrap_or(0) as u64).div_ceil(1 << 30).max(img.min_disk_gb as u64);
        if (v.disk_gb as u64) < need {
            return Err(ComputeError::Invalid(ApiError::invalid("image_id", format!("{} needs a disk of at least {need} GB; this VPS has {} GB.", img.name, v.disk_gb))));
        }
        let root_password_hash = req.root_password.as_deref().map(cloud_init::hash_root_password).transpose()?;
        let mut row: vps::ActiveModel = v.clone().into();
        row.image_id = Set(Some(img.id));
        let v = row.update(&self.db).await?;
        let v = self.set_vps_state(&v, VpsState::Reinstalling, None).await?;
        let params = serde_json::to_value(VpsParams { vps_id: v.id, root_password_hash }).expect("serialisable");
        let job = jobs
            .enqueue(actor, NewJob { kind: KIND_VPS_REINSTALL, target: format!("vps:{id}"), params, idempotency_key: None, max_attempts: 1 })
            .await
            .map_err(|e| ComputeError::Unavailable(e.to_string()))?;
        self.audit.record(actor, "vps.reinstall", &format!("vps:{id}"), Outcome::Success, ctx, &format!("{} from {} (job #{})", v.name, img.name, job.id)).await;
        Ok(job.id)
    }

    async fn job_vps(&self, id: i64) -> std::result::Result<(vps::Model, host::Model), JobFailure> {
        let v = vps::Entity::find_by_id(id).one(&self.db).await.map_err(failed)?.ok_or_else(|| failed("the VPS is gone"))?;
        let h = self.host_row(v.host_id).await.map_err(failed)?;
        Ok((v, h))
    }

    /// Removes the domain (with snapshot metadata), its disk (internal snapshots live in it) and
    /// seed. Missing pieces are fine: an earlier attempt may have removed them.
    async fn remove_machine(&self, v: &vps::Model, h: &host::Model) -> std::result::Result<(), String> {
        let name = v.domain_name.clone();
        match self.conns.call(&h.uri, move |hv| hv.remove(&name)).await {
            Ok(()) | Err(pier_vmm::VmmError::NoDomain(_)) => {}
            Err(e) => return Err(format!("removing the virtual machine failed: {e}")),
        }
        if !super::hosts::is_local(&h.uri) {
            return self.delete_vps_volumes(h, v).await;
        }
        for path in [&v.disk_path, &v.seed_path].into_iter().filter(|p| !p.is_empty()) {
            match tokio::fs::remove_file(path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(format!("removing {path} failed: {e}")),
                _ => {}
            }
        }
        Ok(())
    }
}

pub struct DeleteVps {
    pub compute: Compute,
}

#[async_trait]
impl JobHandler for DeleteVps {
    fn kind(&self) -> &'static str {
        KIND_VPS_DELETE
    }
    fn title(&self) -> &'static str {
        "Delete VPS"
    }
    fn resumable(&self) -> bool {
        true // every step tolerates what is already gone
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: VpsParams = ctx.params()?;
        let c = &self.compute;
        let (v, h) = c.job_vps(p.vps_id).await?;
        ctx.progress(20, "Removing the virtual machine, its disk and snapshots").await?;
        if let Err(why) = c.remove_machine(&v, &h).await {
            // Back to a state from which delete can be tried again.
            let _ = c.set_vps_state(&v, VpsState::Error, Some(why.clone())).await;
            return Err(failed(format!("Deleting {} failed: {why}", v.name)));
        }
        ctx.progress(70, "Freeing its address").await?;
        let freed = c.release_addresses(&holder(v.id)).await.map_err(failed)?;
        vps::Entity::delete_by_id(v.id).exec(&c.db).await.map_err(failed)?;
        c.stats.forget(v.id);
        c.publish_vps(&v, true);
        Ok(format!("{} deleted{}.", v.name, if freed > 0 { format!("; {} is free again", v.ip_address.clone().unwrap_or_default()) } else { String::new() }))
    }
}

pub struct ReinstallVps {
    pub create: CreateVps,
}

#[async_trait]
impl JobHandler for ReinstallVps {
    fn kind(&self) -> &'static str {
        KIND_VPS_REINSTALL
    }
    fn title(&self) -> &'static str {
        "Reinstall VPS"
    }
    fn resumable(&self) -> bool {
        false // the disk is rebuilt; a half-done attempt is reported, not repeated blindly
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: VpsParams = ctx.params()?;
        let c = &self.create.compute;
        let (v, h) = c.job_vps(p.vps_id).await?;
        let img = match v.image_id {
            Some(id) => image::Entity::find_by_id(id).one(&c.db).await.map_err(failed)?,
            None => None,
        };
        let img = img.ok_or_else(|| failed("the image was removed"))?;
        ctx.progress(5, "Removing the old machine and disk").await?;
        let result = match c.remove_machine(&v, &h).await {
            Err(why) => Err(why),
            Ok(()) => {
                // All of the owner's current keys: the person may have added some since.
                let keys = ssh_key::Entity::find().filter(ssh_key::Column::UserId.eq(v.owner_id)).all(&c.db).await.map_err(failed)?;
                let params = CreateParams { vps_id: v.id, ssh_keys: keys.into_iter().map(|k| k.public_key).collect(), start: true, root_password_hash: p.root_password_hash };
                self.create.build(ctx, &v, &h, &img, &params).await
            }
        };
        match result {
            Ok(state) => {
                c.set_vps_state(&v, state, None).await.map_err(failed)?;
                Ok(format!("{} was reinstalled from {} and is {}.", v.name, img.name, state.as_str()))
            }
            Err(why) => {
                self.create.clean_up(&v, &h).await;
                c.set_vps_state(&v, VpsState::Error, Some(format!("Reinstall failed: {why}"))).await.map_err(failed)?;
                Err(failed(format!("Reinstalling {} failed: {why}", v.name)))
            }
        }
    }
}
