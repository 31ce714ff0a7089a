//! IP pools per host and address allocation. An address row exists only while something holds
//! it; the unique index on (pool, address) makes "never twice" the database's promise, and a
//! racing allocation that loses simply tries the next free address.

use super::{is_unique_violation, Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{host, ip_address, ip_pool};
use pier_proto::compute::{IpPoolView, NewIpPool};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashSet;
use std::net::Ipv4Addr;

/// How many times an allocation retries after losing a race for an address.
const ALLOCATION_ATTEMPTS: usize = 16;

fn range_of(p: &ip_pool::Model) -> (u32, u32) {
    let v = |s: &str| s.parse::<Ipv4Addr>().map(u32::from).unwrap_or(0);
    (v(&p.range_start), v(&p.range_end))
}

impl Compute {
    async fn pool_view(&self, p: &ip_pool::Model) -> Result<IpPoolView> {
        let (start, end) = range_of(p);
        let allocated = ip_address::Entity::find().filter(ip_address::Column::PoolId.eq(p.id)).count(&self.db).await?;
        Ok(IpPoolView {
            id: p.id,
            host_id: p.host_id,
            name: p.name.clone(),
            cidr: p.cidr.clone(),
            gateway: p.gateway.clone(),
            range_start: p.range_start.clone(),
            range_end: p.range_end.clone(),
            size: end.saturating_sub(start) + 1,
            allocated: allocated as u32,
        })
    }

    pub async fn list_ip_pools(&self, actor: &Actor) -> Result<Vec<IpPoolView>> {
        Self::require_platform_read(actor)?;
        let pools = ip_pool::Entity::find().order_by_asc(ip_pool::Column::HostId).order_by_asc(ip_pool::Column::Name).all(&self.db).await?;
        let mut out = Vec::with_capacity(pools.len());
        for p in &pools {
            out.push(self.pool_view(p).await?);
        }
        Ok(out)
    }


    pub async fn create_ip_pool(&self, actor: &Actor, new: NewIpPool, ctx: &RequestContext) -> Result<IpPoolView> {
        let target = format!("host:{}", new.host_id);
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "ip_pool.create", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators manage IP pools".into()));
        }
        let (start, end) = new.validate().map_err(ComputeError::Invalid)?;
        host::Entity::find_by_id(new.host_id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Host {}", new.host_id)))?;
        // Two pools of one host must not share addresses (both would hand out the same one).
        let siblings = ip_pool::Entity::find().filter(ip_pool::Column::HostId.eq(new.host_id)).all(&self.db).await?;
        if let Some(clash) = siblings.iter().find(|p| {
            let (s, e) = range_of(p);
            start <= e && s <= end
        }) {
            return Err(ComputeError::Invalid(pier_proto::ApiError::invalid(
                "range_start",
                format!("The range overlaps pool {:?} ({}–{}).", clash.name, clash.range_start, clash.range_end),
            )));
        }
        let row = ip_pool::ActiveModel {
            host_id: Set(new.host_id),
            name: Set(new.name.clone()),
            cidr: Set(new.cidr.trim().to_string()),
            gateway: Set(new.gateway.trim().to_string()),
            range_start: Set(Ipv4Addr::from(start).to_string()),
            range_end: Set(Ipv4Addr::from(end).to_string()),
            created_at: Set(time::OffsetDateTime::now_utc()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let detail = format!("{} {} {}–{}", row.name, row.cidr, row.range_start, row.range_end);
        self.audit.record(actor, "ip_pool.create", &format!("ip_pool:{}", row.id), Outcome::Success, ctx, &detail).await;
        self.pool_view(&row).await
    }

    pub async fn delete_ip_pool(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("ip_pool:{id}");
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "ip_pool.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators manage IP pools".into()));
        }
        let pool = ip_pool::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("IP pool {id}")))?;
        let used = ip_address::Entity::find().filter(ip_address::Column::PoolId.eq(id)).count(&self.db).await?;
        if used > 0 {
            return Err(ComputeError::Conflict(format!("{used} address(es) of {} are in use; release them first.", pool.name)));
        }
        ip_pool::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "ip_pool.delete", &target, Outcome::Success, ctx, &pool.name).await;
        Ok(())
    }

    /// Gives `holder` (e.g. `vps:12`) the lowest free address of the pool.
    pub async fn allocate_address(&self, pool_id: i64, holder: &str) -> Result<Ipv4Addr> {
        let pool = ip_pool::Entity::find_by_id(pool_id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("IP pool {pool_id}")))?;
        let (start, end) = range_of(&pool);
        let gateway = pool.gateway.parse::<Ipv4Addr>().map(u32::from).ok();
        for _ in 0..ALLOCATION_ATTEMPTS {
            let used: HashSet<u32> = ip_address::Entity::find()
                .filter(ip_address::Column::PoolId.eq(pool_id))
                .all(&self.db)
                .await?
                .iter()
                .filter_map(|a| a.address.parse::<Ipv4Addr>().ok().map(u32::from))
                .collect();
            let Some(free) = (start..=end).find(|a| !used.contains(a) && Some(*a) != gateway) else {
                return Err(ComputeError::Conflict(format!("IP pool {} is exhausted: all {} addresses are in use.", pool.name, end - start + 1)));
            };
            let address = Ipv4Addr::from(free);
            let inserted = ip_address::ActiveModel {
                pool_id: Set(pool_id),
                address: Set(address.to_string()),
                holder: Set(holder.to_string()),
                allocated_at: Set(time::OffsetDateTime::now_utc()),
                ..Default::default()
            }
            .insert(&self.db)
            .await;
            match inserted {
                Ok(_) => return Ok(address),
                // Someone else took it between our read and our insert: look again.
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ComputeError::Unavailable("Too many simultaneous allocations on this pool; try again.".into()))
    }

    /// Frees every address `holder` has; returns how many.
    pub async fn release_addresses(&self, holder: &str) -> Result<u64> {
        Ok(ip_address::Entity::delete_many().filter(ip_address::Column::Holder.eq(holder)).exec(&self.db).await?.rows_affected)
    }
}
