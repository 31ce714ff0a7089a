//! libvirt hosts: registered by admins, probed on registration and by a monitor every
//! `PROBE_EVERY`; a host that stops answering is marked unreachable (with libvirt's words) and
//! comes back by itself when it answers again. Status changes go out on the `hosts` topic.

use super::{is_unique_violation, Compute, ComputeError, Result};
use crate::actor::{policy, Actor, Audience};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{host, ip_pool};
use pier_proto::compute::{HostCapacity, HostFacts, HostSettings, HostStatus, HostView};
use pier_proto::live::Topic;
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;

pub const PROBE_EVERY: Duration = Duration::from_secs(30);
/// A probe that takes longer counts as a failure (an SSH host that black-holes packets).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// URIs whose storage directory is on this machine (so Pier can check it and measure it).
pub fn is_local(uri: &str) -> bool {
    uri.starts_with("qemu:///") || uri.starts_with("test:///")
}

/// Total and free space of the filesystem holding `dir`, in GB.
fn disk_space(dir: &str) -> Option<(u64, u64)> {
    let path = std::ffi::CString::new(dir).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid C string and `st` a properly sized out-parameter.
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let gb = |blocks: u64| blocks.saturating_mul(st.f_frsize as u64) / 1_000_000_000;
    Some((gb(st.f_blocks as u64), gb(st.f_bavail as u64)))
}

fn facts_of(info: &pier_vmm::HostInfo) -> HostFacts {
    HostFacts {
        hostname: info.hostname.clone(),
        driver: info.driver.clone(),
        libvirt_version: info.libvirt_version.clone(),
        hypervisor_version: info.hypervisor_version.clone(),
        cpus: info.cpus,
        cpu_model: info.cpu_model.clone(),
        memory_kib: info.memory_kib,
        free_memory_kib: info.free_memory_kib,
        domains: info.domains,
        storage_gb: None,
    }
}

/// Connects and asks libvirt about the host, off the async threads and within `PROBE_TIMEOUT`.
/// For a remote host it also measures the storage directory through its libvirt pool (defining
/// the pool if needed, so a directory libvirt cannot use shows up here, not at the first VPS).
pub async fn probe_uri(uri: &str, storage_dir: &str) -> std::result::Result<HostFacts, String> {
    let (uri, dir) = (uri.to_string(), storage_dir.to_string());
    let task = tokio::task::spawn_blocking(move || {
        let hv = pier_vmm::Hypervisor::connect(&uri)?;
        let mut facts = facts_of(&hv.info()?);
        if !is_local(&uri) {
            let space = hv.pool_space(&dir)?;
            facts.storage_gb = Some((space.capacity / 1_000_000_000, space.available / 1_000_000_000));
        }
        Ok::<_, pier_vmm::VmmError>(facts)
    });
    match tokio::time::timeout(PROBE_TIMEOUT, task).await {
        Ok(Ok(Ok(facts))) => Ok(facts),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(join)) => Err(format!("probe crashed: {join}")),
        Err(_) => Err(format!("no answer within {} seconds", PROBE_TIMEOUT.as_secs())),
    }
}

impl Compute {
    pub(super) fn require_platform_read(actor: &Actor) -> Result<()> {
        if policy::may_read_platform(actor) {
            Ok(())
        } else {
            Err(ComputeError::Forbidden("hosts and IP pools are for administrators and support".into()))
        }
    }

    pub(super) async fn host_view(&self, m: &host::Model) -> Result<HostView> {
        let facts: Option<HostFacts> = m.info.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let disk = if is_local(&m.uri) { disk_space(&m.storage_dir) } else { facts.as_ref().and_then(|f| f.storage_gb) };
        let (vcpus_allocated, memory_allocated_mib, disk_allocated_gb, vps_count) = self.allocated_on(m.id).await?;
        let capacity = HostCapacity {
            vcpus_allowed: facts.as_ref().map(|f| (f.cpus as f64 * m.cpu_overcommit).floor() as u32).unwrap_or(0),
            memory_allowed_mib: facts.as_ref().map(|f| ((f.memory_kib / 1024) as f64 * m.ram_overcommit).floor() as u64).unwrap_or(0),
            memory_free_mib: facts.as_ref().map(|f| f.free_memory_kib / 1024).unwrap_or(0),
            disk_total_gb: disk.map(|d| d.0),
            disk_free_gb: disk.map(|d| d.1),
            vcpus_allocated,
            memory_allocated_mib,
            disk_allocated_gb,
        };
        Ok(HostView {
            id: m.id,
            name: m.name.clone(),
            uri: m.uri.clone(),
            storage_dir: m.storage_dir.clone(),
            cpu_overcommit: m.cpu_overcommit,
            ram_overcommit: m.ram_overcommit,
            maintenance: m.maintenance,
            status: HostStatus::parse(&m.status),
            last_error: m.last_error.clone(),
            checked_at: m.checked_at.and_then(|t| t.format(&Rfc3339).ok()),
            facts,
            capacity,
            vps_count,
        })
    }

    pub(super) async fn host_row(&self, id: i64) -> Result<host::Model> {
        host::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("Host {id}")))
    }

    pub async fn list_hosts(&self, actor: &Actor) -> Result<Vec<HostView>> {
        Self::require_platform_read(actor)?;
        let rows = host::Entity::find().order_by_asc(host::Column::Name).all(&self.db).await?;
        let mut out = Vec::with_capacity(rows.len());
        for m in &rows {
            out.push(self.host_view(m).await?);
        }
        Ok(out)
    }

    pub async fn get_host(&self, actor: &Actor, id: i64) -> Result<HostView> {
        Self::require_platform_read(actor)?;
        self.host_view(&self.host_row(id).await?).await
    }

    /// Registers a host (`id = None`) or changes one, then probes it so the answer shows
    /// whether libvirt answered.
    pub async fn save_host(&self, actor: &Actor, id: Option<i64>, settings: HostSettings, ctx: &RequestContext) -> Result<HostView> {
        let action = if id.is_some() { "host.update" } else { "host.create" };
        let target = id.map(|i| format!("host:{i}")).unwrap_or_else(|| settings.name.clone());
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, action, &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators manage hosts".into()));
        }
        settings.validate().map_err(ComputeError::Invalid)?;
        if is_local(&settings.uri) {
            // Pier writes disks and seed images there; find out now, not at the first VPS.
            crate::health::ensure_writable_dir(std::path::Path::new(&settings.storage_dir))
                .map_err(|m| ComputeError::Invalid(ApiError::invalid("storage_dir", format!("The storage directory is not usable: {m}"))))?;
        }
        let mut row: host::ActiveModel = match id {
            Some(id) => self.host_row(id).await?.into(),
            None => host::ActiveModel {
                status: Set(HostStatus::Unknown.as_str().into()),
                created_at: Set(time::OffsetDateTime::now_utc()),
                ..Default::default()
            },
        };
        row.name = Set(settings.name.clone());
        row.uri = Set(settings.uri.clone());
        row.storage_dir = Set(settings.storage_dir.clone());
        row.cpu_overcommit = Set(settings.cpu_overcommit);
        row.ram_overcommit = Set(settings.ram_overcommit);
        row.maintenance = Set(settings.maintenance);
        let saved = match id {
            Some(_) => row.update(&self.db).await,
            None => row.insert(&self.db).await,
        }
        .map_err(|e| {
            if is_unique_violation(&e) {
                ComputeError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("A host named {:?} exists.", settings.name), field: Some("name".into()) })
            } else {
                ComputeError::Db(e)
            }
        })?;
        let detail = format!("{} {} storage={} maintenance={}", saved.name, saved.uri, saved.storage_dir, saved.maintenance);
        self.audit.record(actor, action, &format!("host:{}", saved.id), Outcome::Success, ctx, &detail).await;
        self.probe_host(saved.id).await
    }

    /// Removes a host record (never touches the machine). Refused while IP pools are on it.
    pub async fn delete_host(&self, actor: &Actor, id: i64, confirm: &str, ctx: &RequestContext) -> Result<()> {
        let target = format!("host:{id}");
        if !policy::may_manage_platform(actor) {
            self.audit.record(actor, "host.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(ComputeError::Forbidden("only administrators manage hosts".into()));
        }
        let h = self.host_row(id).await?;
        if confirm != h.name {
            return Err(ComputeError::Invalid(ApiError::invalid("confirm", "Type the host's name exactly to confirm.")));
        }
        let pools = ip_pool::Entity::find().filter(ip_pool::Column::HostId.eq(id)).count(&self.db).await?;
        if pools > 0 {
            return Err(ComputeError::Conflict(format!("{} still has {pools} IP pool(s); delete them first.", h.name)));
        }
        host::Entity::delete_by_id(id).exec(&self.db).await?;
        if !is_local(&h.uri) {
            // The storage pool Pier defined there goes too (best effort: the host may be gone);
            // the files in it stay.
            let dir = h.storage_dir.clone();
            let _ = tokio::time::timeout(PROBE_TIMEOUT, self.conns.call(&h.uri, move |hv| hv.release_dir_pool(&dir))).await;
            self.conns.forget(&h.uri);
        }
        self.audit.record(actor, "host.delete", &target, Outcome::Success, ctx, &format!("{} {}", h.name, h.uri)).await;
        Ok(())
    }

    /// Asks libvirt now; records the answer; announces a change of status.
    pub async fn probe_host(&self, id: i64) -> Result<HostView> {
        let h = self.host_row(id).await?;
        let before = HostStatus::parse(&h.status);
        let result = probe_uri(&h.uri, &h.storage_dir).await;
        let mut row: host::ActiveModel = h.clone().into();
        row.checked_at = Set(Some(time::OffsetDateTime::now_utc()));
        let now = match &result {
            Ok(facts) => {
                row.status = Set(HostStatus::Connected.as_str().into());
                row.last_error = Set(None);
                row.info = Set(serde_json::to_string(facts).ok());
                HostStatus::Connected
            }
            Err(message) => {
                row.status = Set(HostStatus::Unreachable.as_str().into());
                row.last_error = Set(Some(message.clone()));
                HostStatus::Unreachable
            }
        };
        let saved = row.update(&self.db).await?;
        let view = self.host_view(&saved).await?;
        if before != now {
            match &result {
                Ok(_) => tracing::info!(host = %h.name, "host connected"),
                Err(e) => tracing::warn!(host = %h.name, error = %e, "host unreachable"),
            }
            let topics = [Topic::new("hosts").expect("valid topic"), Topic::new(format!("host:{id}")).expect("valid topic")];
            self.bus.publish(&topics, Audience::Staff, serde_json::to_value(&view).unwrap_or_default());
        }
        Ok(view)
    }

    /// The monitor: probes every host each `every`, for as long as the process runs.
    pub fn spawn_host_monitor(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_every("host monitor", every, |this| async move {
            let ids: Vec<i64> = host::Entity::find().all(&this.db).await?.into_iter().map(|h| h.id).collect();
            // One slow host must not delay the others.
            let probes = ids.into_iter().map(|id| {
                let this = this.clone();
                async move {
                    if let Err(e) = this.probe_host(id).await {
                        tracing::warn!(host = id, error = %e, "host monitor: probe not recorded");
                    }
                }
            });
            futures::future::join_all(probes).await;
            Ok(())
        })
    }
}
