//! Plans: the VPS sizes users choose from. Admins and billing manage them; everyone sees the
//! active ones (inactive plans stay on existing VPSs but are not offered).

use super::{is_unique_violation, Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::plan;
use pier_proto::compute::{PlanSettings, PlanView};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

fn view(m: &plan::Model) -> PlanView {
    PlanView {
        id: m.id,
        name: m.name.clone(),
        vcpus: m.vcpus as u32,
        memory_mib: m.memory_mib as u64,
        disk_gb: m.disk_gb as u64,
        traffic_gb: m.traffic_gb.map(|t| t as u64),
        snapshot_limit: m.snapshot_limit as u32,
        active: m.active,
    }
}

fn taken(e: sea_orm::DbErr, name: &str) -> ComputeError {
    if is_unique_violation(&e) {
        ComputeError::Invalid(pier_proto::ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("A plan named {name:?} exists."), field: Some("name".into()) })
    } else {
        ComputeError::Db(e)
    }
}

impl Compute {
    pub async fn list_plans(&self, actor: &Actor) -> Result<Vec<PlanView>> {
        let mut q = plan::Entity::find().order_by_asc(plan::Column::Vcpus).order_by_asc(plan::Column::MemoryMib);
        if !policy::may_manage_plans(actor) {
            q = q.filter(plan::Column::Active.eq(true));
        }
        Ok(q.all(&self.db).await?.iter().map(view).collect())
    }

    /// `id`: `None` creates, `Some` replaces the settings of an existing plan.
    pub async fn save_plan(&self, actor: &Actor, id: Option<i64>, settings: PlanSettings, ctx: &RequestContext) -> Result<PlanView> {
        let action = if id.is_some() { "plan.update" } else { "plan.create" };
        let target = id.map(|i| format!("plan:{i}")).unwrap_or_else(|| settings.name.clone());
        if !policy::may_manage_plans(actor) {
            self.audit.record(actor, action, &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators and billing manage plans".into()));
        }
        settings.validate().map_err(ComputeError::Invalid)?;
        let name = settings.name.trim().to_string();
        let mut row = match id {
            Some(id) => plan::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Plan {id}")))?.into(),
            None => plan::ActiveModel { created_at: Set(time::OffsetDateTime::now_utc()), ..Default::default() },
        };
        row.name = Set(name.clone());
        row.vcpus = Set(settings.vcpus as i32);
        row.memory_mib = Set(settings.memory_mib as i64);
        row.disk_gb = Set(settings.disk_gb as i64);
        row.traffic_gb = Set(settings.traffic_gb.map(|t| t as i64));
        row.snapshot_limit = Set(settings.snapshot_limit as i32);
        row.active = Set(settings.active);
        let saved = match id {
            Some(_) => row.update(&self.db).await,
            None => row.insert(&self.db).await,
        }
        .map_err(|e| taken(e, &name))?;
        let detail = format!("{} vcpu={} mem={}MiB disk={}GB active={}", saved.name, saved.vcpus, saved.memory_mib, saved.disk_gb, saved.active);
        self.audit.record(actor, action, &format!("plan:{}", saved.id), Outcome::Success, ctx, &detail).await;
        Ok(view(&saved))
    }

    pub async fn delete_plan(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("plan:{id}");
        if !policy::may_manage_plans(actor) {
            self.audit.record(actor, "plan.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators and billing manage plans".into()));
        }
        let found = plan::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Plan {id}")))?;
        // VPSs will reference plans; until they exist nothing can be in use.
        plan::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "plan.delete", &target, Outcome::Success, ctx, &found.name).await;
        Ok(())
    }
}
