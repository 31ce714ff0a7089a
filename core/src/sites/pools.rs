//! Load-balancer pools: members, method and the optional health check. A pool change is put
//! live through the same pipeline as a site change.

use super::pipeline::Edit;
use super::{now, Result, Sites, SitesError};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{health_event, pool, site};
use pier_proto::sites::{HealthChange, HealthCheck, LocationAction, MemberHealth, PoolInput, PoolSpec, PoolView, SiteSpec};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

impl Sites {
    pub(crate) async fn pool_row(&self, id: i64) -> Result<pool::Model> {
        pool::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| SitesError::NotFound(format!("Pool {id}")))
    }

    pub(crate) fn parse_pool(row: &pool::Model) -> Result<(PoolSpec, Option<HealthCheck>)> {
        let spec = serde_json::from_str(&row.spec).map_err(|e| SitesError::Unavailable(format!("pool {} is unreadable: {e}", row.name)))?;
        let health = row.health.as_deref().map(serde_json::from_str).transpose().map_err(|e| SitesError::Unavailable(format!("pool {}'s health check is unreadable: {e}", row.name)))?;
        Ok((spec, health))
    }

    /// Sites whose locations proxy to pool `name`.
    async fn sites_using(&self, name: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for s in site::Entity::find().filter(site::Column::Kind.eq(super::pipeline::KIND_TYPED)).all(&self.db).await? {
            if let Ok(spec) = serde_json::from_str::<SiteSpec>(&s.body) {
                if spec.locations.iter().any(|l| matches!(&l.action, LocationAction::Proxy { pool } if pool == name)) {
                    out.push(s.name);
                }
            }
        }
        Ok(out)
    }

    async fn pool_view(&self, row: pool::Model) -> Result<PoolView> {
        let (spec, health) = Self::parse_pool(&row)?;
        let states = self.health.lock().expect("not poisoned").get(&row.id).cloned().unwrap_or_default();
        let members = spec
            .members
            .iter()
            .map(|m| {
                let key = format!("{}:{}", m.host, m.port);
                let st = states.get(&key).cloned().unwrap_or_default();
                MemberHealth { member: key, up: if health.is_some() { st.up } else { None }, since: st.since, message: st.message }
            })
            .collect();
        Ok(PoolView { id: row.id, used_by: self.sites_using(&spec.name).await?, spec, health, members })
    }

    pub async fn list_pools(&self, actor: &Actor) -> Result<Vec<PoolView>> {
        Self::require_staff(actor)?;
        let mut out = Vec::new();
        for row in pool::Entity::find().order_by_asc(pool::Column::Name).all(&self.db).await? {
            out.push(self.pool_view(row).await?);
        }
        Ok(out)
    }

    pub async fn get_pool(&self, actor: &Actor, id: i64) -> Result<PoolView> {
        Self::require_staff(actor)?;
        let row = self.pool_row(id).await?;
        self.pool_view(row).await
    }

    /// Creates (`id` = None) or changes a pool; live when this returns.
    pub async fn save_pool(&self, actor: &Actor, id: Option<i64>, input: PoolInput, ctx: &RequestContext) -> Result<PoolView> {
        let action = if id.is_some() { "pool.update" } else { "pool.create" };
        let target = id.map(|i| format!("pool:{i}")).unwrap_or_else(|| format!("pool:{}", input.spec.name));
        self.admin_or_audit(actor, action, &target, ctx).await?;
        input.validate().map_err(SitesError::Invalid)?;
        let existing = match id {
            Some(id) => Some(self.pool_row(id).await?),
            None => None,
        };
        if let Some(other) = pool::Entity::find().filter(pool::Column::Name.eq(&input.spec.name)).one(&self.db).await? {
            if Some(other.id) != id {
                return Err(SitesError::Invalid(ApiError { code: ErrorCode::Conflict, message: format!("A pool named {:?} exists.", input.spec.name), field: Some("name".into()) }));
            }
        }
        if let Some(e) = &existing {
            if e.name != input.spec.name && !self.sites_using(&e.name).await?.is_empty() {
                return Err(SitesError::Conflict(format!("Sites proxy to {}; a pool in use keeps its name.", e.name)));
            }
        }
        let mut spec = input.spec.clone();
        for m in &mut spec.members {
            m.down = false; // health checks decide this, not the client
        }
        let _guard = self.apply_lock.lock().await;
        if let Err(e) = self.apply_with(&Edit::PutPool { id, spec: spec.clone() }).await {
            self.audit.record(actor, action, &target, Outcome::Failure, ctx, &e.to_string()).await;
            return Err(e);
        }
        let t = now();
        let health = input.health.as_ref().map(|h| serde_json::to_string(h).expect("json"));
        let row = match existing {
            Some(e) => {
                let mut a: pool::ActiveModel = e.into();
                a.name = Set(spec.name.clone());
                a.spec = Set(serde_json::to_string(&spec).expect("json"));
                a.health = Set(health);
                a.updated_at = Set(t);
                a.update(&self.db).await?
            }
            None => pool::ActiveModel { name: Set(spec.name.clone()), spec: Set(serde_json::to_string(&spec).expect("json")), health: Set(health), created_at: Set(t), updated_at: Set(t), ..Default::default() }.insert(&self.db).await?,
        };
        drop(_guard);
        self.audit.record(actor, action, &format!("pool:{}", row.id), Outcome::Success, ctx, &format!("{} ({} members)", row.name, spec.members.len())).await;
        self.restart_checker(row.id);
        self.pool_view(row).await
    }

    /// Deletes a pool; refused while a site proxies to it.
    pub async fn delete_pool(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        self.admin_or_audit(actor, "pool.delete", &format!("pool:{id}"), ctx).await?;
        let row = self.pool_row(id).await?;
        let users = self.sites_using(&row.name).await?;
        if !users.is_empty() {
            return Err(SitesError::Conflict(format!("{} is used by {}; change those sites first.", row.name, users.join(", "))));
        }
        let _guard = self.apply_lock.lock().await;
        self.apply_with(&Edit::DropPool(id)).await?;
        pool::Entity::delete_by_id(id).exec(&self.db).await?;
        drop(_guard);
        self.stop_checker(id);
        self.health.lock().expect("not poisoned").remove(&id);
        self.audit.record(actor, "pool.delete", &format!("pool:{id}"), Outcome::Success, ctx, &row.name).await;
        Ok(())
    }

    /// The pool's member up/down changes, newest first.
    pub async fn pool_health_history(&self, actor: &Actor, id: i64, limit: u64) -> Result<Vec<HealthChange>> {
        Self::require_staff(actor)?;
        let row = self.pool_row(id).await?;
        let rows = health_event::Entity::find().filter(health_event::Column::PoolId.eq(id)).order_by_desc(health_event::Column::Id).limit(limit.clamp(1, 1000)).all(&self.db).await?;
        Ok(rows.into_iter().map(|e| HealthChange { pool: row.name.clone(), member: e.member, up: e.up, at: e.at.unix_timestamp(), message: e.message }).collect())
    }
}
