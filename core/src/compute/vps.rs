//! VPSs: the create request (checks, placement, address), the create job (disk, seed, domain,
//! start; cleans up after itself when a step fails), listing with ownership, and delete.
//! Another user's VPS is "not found".

use super::{cloud_init, hosts, Compute, ComputeError, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{host, image, ip_pool, plan, ssh_key, user, vps};
use crate::jobs::{failed, JobContext, JobFailure, JobHandler, Jobs, NewJob};
use async_trait::async_trait;
use pier_proto::compute::HostStatus;
use pier_proto::vps::{ExpiryAction, NetworkKind, NewVps, VpsLive, VpsState, VpsStateEvent, VpsView, CUSTOM_SNAPSHOT_LIMIT, KIND_VPS_CREATE};
use pier_proto::ApiError;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use time::format_description::well_known::Rfc3339;

pub(super) fn holder(id: i64) -> String {
    format!("vps:{id}")
}

/// A stable, locally administered MAC for the VPS (52:54:00 is QEMU's prefix).
pub fn mac_of(id: i64) -> String {
    let b = (id as u32).to_be_bytes();
    format!("52:54:00:{:02x}:{:02x}:{:02x}", b[1], b[2], b[3])
}

fn network_of(s: &str) -> NetworkKind {
    if s == "public" {
        NetworkKind::Public
    } else {
        NetworkKind::Private
    }
}

fn expiry_action_of(s: &str) -> ExpiryAction {
    match s {
        "delete" => ExpiryAction::Delete,
        "shutdown" => ExpiryAction::Shutdown,
        _ => ExpiryAction::Notify,
    }
}

impl Compute {
    /// One query per referenced table for all of `rows`.
    async fn names_for(&self, rows: &[vps::Model]) -> Result<Names> {
        let ids = |f: fn(&vps::Model) -> Option<i64>| rows.iter().filter_map(f).collect::<BTreeSet<i64>>();
        let (users, hosts, plans, images) = (ids(|v| Some(v.owner_id)), ids(|v| Some(v.host_id)), ids(|v| v.plan_id), ids(|v| v.image_id));
        let plan_rows = plan::Entity::find().filter(plan::Column::Id.is_in(plans)).all(&self.db).await?;
        Ok(Names {
            users: user::Entity::find().filter(user::Column::Id.is_in(users)).all(&self.db).await?.into_iter().map(|u| (u.id, u.username)).collect(),
            hosts: host::Entity::find().filter(host::Column::Id.is_in(hosts)).all(&self.db).await?.into_iter().map(|h| (h.id, h.name)).collect(),
            plans: plan_rows.iter().map(|p| (p.id, p.name.clone())).collect(),
            snapshot_limits: plan_rows.iter().map(|p| (p.id, p.snapshot_limit.max(0) as u32)).collect(),
            images: image::Entity::find().filter(image::Column::Id.is_in(images)).all(&self.db).await?.into_iter().map(|i| (i.id, i.name)).collect(),
        })
    }

    pub(super) async fn vps_view(&self, m: &vps::Model) -> Result<VpsView> {
        let names = self.names_for(std::slice::from_ref(m)).await?;
        Ok(view_with(m, &names))
    }
}

fn view_with(m: &vps::Model, names: &Names) -> VpsView {
    let name = |map: &HashMap<i64, String>, id: Option<i64>| id.and_then(|i| map.get(&i).cloned());
    let owner = name(&names.users, Some(m.owner_id)).unwrap_or_default();
    let host = name(&names.hosts, Some(m.host_id)).unwrap_or_default();
    let plan = name(&names.plans, m.plan_id);
    let image = name(&names.images, m.image_id);
    {
        VpsView {
            id: m.id,
            uuid: m.uuid.clone(),
            name: m.name.clone(),
            hostname: m.hostname.clone(),
            owner_id: m.owner_id,
            owner,
            host_id: m.host_id,
            host,
            plan,
            image,
            vcpus: m.vcpus as u32,
            memory_mib: m.memory_mib as u64,
            disk_gb: m.disk_gb as u64,
            network: network_of(&m.network),
            ip_address: m.ip_address.clone(),
            state: VpsState::parse(&m.state),
            expires_at: m.expires_at.and_then(|t| t.format(&Rfc3339).ok()),
            expiry_action: expiry_action_of(&m.expiry_action),
            last_error: m.last_error.clone(),
            created_at: m.created_at.format(&Rfc3339).unwrap_or_default(),
            started_at: m.started_at.and_then(|t| t.format(&Rfc3339).ok()),
            snapshot_limit: names.snapshot_limits.get(&m.plan_id.unwrap_or(-1)).copied().unwrap_or(CUSTOM_SNAPSHOT_LIMIT),
        }
    }
}

impl Compute {
    /// Staff see every VPS; others their own.
    pub async fn list_vps(&self, actor: &Actor) -> Result<Vec<VpsView>> {
        let mut q = vps::Entity::find().order_by_asc(vps::Column::Name);
        if !policy::may_read_all_vps(actor) {
            q = q.filter(vps::Column::OwnerId.eq(person_id(actor)?));
        }
        let rows = q.all(&self.db).await?;
        let names = self.names_for(&rows).await?;
        Ok(rows.iter().map(|m| view_with(m, &names)).collect())
    }

    /// The VPS if `actor` may see it; anyone else's is "not found".
    pub(super) async fn visible_vps(&self, actor: &Actor, id: i64) -> Result<vps::Model> {
        let m = vps::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("VPS {id}")))?;
        if policy::may_read_all_vps(actor) || person_id(actor).ok() == Some(m.owner_id) {
            Ok(m)
        } else {
            Err(ComputeError::NotFound(format!("VPS {id}")))
        }
    }

    pub async fn get_vps(&self, actor: &Actor, id: i64) -> Result<VpsView> {
        self.vps_view(&self.visible_vps(actor, id).await?).await
    }

    /// vCPUs, memory and disk that VPSs on `host_id` take (all but those being deleted).
    pub(super) async fn allocated_on(&self, host_id: i64) -> Result<(u32, u64, u64, u64)> {
        let rows = vps::Entity::find().filter(vps::Column::HostId.eq(host_id)).filter(vps::Column::State.ne(VpsState::Deleting.as_str())).all(&self.db).await?;
        Ok((
            rows.iter().map(|v| v.vcpus as u32).sum(),
            rows.iter().map(|v| v.memory_mib as u64).sum(),
            rows.iter().map(|v| v.disk_gb as u64).sum(),
            rows.len() as u64,
        ))
    }

    /// Picks the host: the one asked for (admins), or the connected, non-maintenance host
    /// with the most free memory that fits the size.
    async fn place(&self, wanted: Option<i64>, vcpus: u32, memory_mib: u64) -> Result<host::Model> {
        let candidates = match wanted {
            Some(id) => vec![self.host_row(id).await?],
            None => host::Entity::find().order_by_asc(host::Column::Id).all(&self.db).await?,
        };
        let mut best: Option<(u64, host::Model)> = None;
        let mut reasons = Vec::new();
        for h in candidates {
            let view = self.host_view(&h).await?;
            if view.status != HostStatus::Connected {
                reasons.push(format!("{} is not connected", h.name));
                continue;
            }
            if h.maintenance {
                reasons.push(format!("{} is in maintenance", h.name));
                continue;
            }
            let cap = &view.capacity;
            if cap.vcpus_allocated + vcpus > cap.vcpus_allowed || cap.memory_allocated_mib + memory_mib > cap.memory_allowed_mib {
                reasons.push(format!("{} has no room ({} of {} vCPUs, {} of {} MiB taken)", h.name, cap.vcpus_allocated, cap.vcpus_allowed, cap.memory_allocated_mib, cap.memory_allowed_mib));
                continue;
            }
            let free = cap.memory_allowed_mib - cap.memory_allocated_mib;
            if best.as_ref().is_none_or(|(f, _)| free > *f) {
                best = Some((free, h));
            }
        }
        best.map(|(_, h)| h).ok_or_else(|| {
            ComputeError::Conflict(if reasons.is_empty() { "No host is registered yet.".into() } else { format!("No host can take this VPS: {}.", reasons.join("; ")) })
        })
    }

    /// Checks the request, places it, reserves an address, records the VPS and starts the job
    /// that builds it. Returns the VPS and the job id.
    pub async fn create_vps(&self, jobs: &Jobs, actor: &Actor, new: NewVps, ctx: &RequestContext) -> Result<(VpsView, i64)> {
        let me = person_id(actor)?;
        let admin = policy::may_manage_platform(actor);
        if !admin && (new.owner_id.is_some() || new.custom.is_some() || new.host_id.is_some()) {
            self.audit.record(actor, "vps.create", &new.name, Outcome::Denied, ctx, "owner, custom size or host chosen by a non-admin").await;
            return Err(ComputeError::Forbidden("only administrators choose the owner, host or a custom size".into()));
        }
        new.validate().map_err(ComputeError::Invalid)?;
        let owner = new.owner_id.unwrap_or(me);
        user::Entity::find_by_id(owner).one(&self.db).await?.ok_or_else(|| ComputeError::NotFound(format!("User {owner}")))?;
        let (vcpus, memory_mib, disk_gb, plan_id) = match (new.plan_id, new.custom) {
            (Some(pid), _) => {
                let p = plan::Entity::find_by_id(pid).one(&self.db).await?.filter(|p| p.active || admin);
                let p = p.ok_or_else(|| ComputeError::Invalid(ApiError::invalid("plan_id", "That plan is not offered.")))?;
                (p.vcpus as u32, p.memory_mib as u64, p.disk_gb as u64, Some(p.id))
            }
            (None, Some(c)) => (c.vcpus, c.memory_mib, c.disk_gb, None),
            (None, None) => unreachable!("validate() requires a plan or a size"),
        };
        let img = self.usable_image(actor, new.image_id).await?;
        let image_gb = (img.virtual_size.unwrap_or(0) as u64).div_ceil(1 << 30).max(img.min_disk_gb as u64);
        if disk_gb < image_gb {
            return Err(ComputeError::Invalid(ApiError::invalid("plan_id", format!("{} needs a disk of at least {image_gb} GB; this size has {disk_gb} GB.", img.name))));
        }
        // The owner's own keys only: another user's key id is "not found".
        let keys = ssh_key::Entity::find()
            .filter(ssh_key::Column::UserId.eq(owner))
            .filter(ssh_key::Column::Id.is_in(new.ssh_key_ids.iter().copied()))
            .all(&self.db)
            .await?;
        if keys.len() != new.ssh_key_ids.iter().collect::<std::collections::BTreeSet<_>>().len() {
            return Err(ComputeError::NotFound("SSH key".into()));
        }
        let ssh_keys: Vec<String> = keys.into_iter().map(|k| k.public_key).collect();
        // Fails early on malformed user-data, before anything is reserved.
        cloud_init::user_data(&new.hostname, &ssh_keys, new.user_data.as_deref(), None).map_err(ComputeError::Invalid)?;
        let root_password_hash = new.root_password.as_deref().map(cloud_init::hash_root_password).transpose()?;
        if vps::Entity::find().filter(vps::Column::OwnerId.eq(owner)).filter(vps::Column::Name.eq(new.name.clone())).one(&self.db).await?.is_some() {
            return Err(ComputeError::Invalid(ApiError { code: pier_proto::ErrorCode::Conflict, message: format!("There is already a VPS named {:?}.", new.name), field: Some("name".into()) }));
        }
        let h = self.place(new.host_id, vcpus, memory_mib).await?;
        let now = time::OffsetDateTime::now_utc();
        let row = vps::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            name: Set(new.name.clone()),
            hostname: Set(new.hostname.clone()),
            owner_id: Set(owner),
            host_id: Set(h.id),
            plan_id: Set(plan_id),
            image_id: Set(Some(img.id)),
            vcpus: Set(vcpus as i32),
            memory_mib: Set(memory_mib as i64),
            disk_gb: Set(disk_gb as i64),
            network: Set(if new.network == NetworkKind::Public { "public" } else { "private" }.into()),
            ip_address: Set(None),
            state: Set(VpsState::Provisioning.as_str().into()),
            domain_name: Set(String::new()),
            disk_path: Set(String::new()),
            seed_path: Set(String::new()),
            user_data: Set(new.user_data.clone()),
            expires_at: Set(new.expiry.map(|e| now + time::Duration::seconds(e.seconds()))),
            expiry_action: Set(new.expiry.map(|e| e.action).unwrap_or(ExpiryAction::Notify).as_str().into()),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        // Names on the host come from the id, never from what a person typed.
        let domain = format!("pier-vps-{}", row.id);
        let dir = std::path::Path::new(&h.storage_dir);
        let mut update: vps::ActiveModel = row.clone().into();
        update.domain_name = Set(domain.clone());
        update.disk_path = Set(dir.join(format!("{domain}.qcow2")).display().to_string());
        update.seed_path = Set(dir.join(format!("{domain}-seed.iso")).display().to_string());
        if new.network == NetworkKind::Public {
            match self.reserve_public_address(h.id, row.id).await {
                Ok(ip) => update.ip_address = Set(Some(ip.to_string())),
                Err(e) => {
                    vps::Entity::delete_by_id(row.id).exec(&self.db).await?;
                    return Err(e);
                }
            }
        }
        let row = update.update(&self.db).await?;
        let params = serde_json::to_value(CreateParams { vps_id: row.id, ssh_keys, start: new.start, root_password_hash }).expect("serialisable");
        let job = jobs
            .enqueue(actor, NewJob { kind: KIND_VPS_CREATE, target: format!("vps:{}", row.id), params, idempotency_key: None, max_attempts: 2 })
            .await
            .map_err(|e| ComputeError::Unavailable(e.to_string()))?;
        let detail = format!("{} on {} ({} vCPU, {} MiB, {} GB, {})", row.name, h.name, vcpus, memory_mib, disk_gb, row.ip_address.clone().unwrap_or_else(|| "private".into()));
        self.audit.record(actor, "vps.create", &format!("vps:{}", row.id), Outcome::Success, ctx, &detail).await;
        Ok((self.vps_view(&row).await?, job.id))
    }

    async fn reserve_public_address(&self, host_id: i64, vps_id: i64) -> Result<Ipv4Addr> {
        let pools = ip_pool::Entity::find().filter(ip_pool::Column::HostId.eq(host_id)).order_by_asc(ip_pool::Column::Id).all(&self.db).await?;
        for p in &pools {
            match self.allocate_address(p.id, &holder(vps_id)).await {
                Ok(ip) => return Ok(ip),
                Err(ComputeError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ComputeError::Conflict(if pools.is_empty() {
            "This host has no IP pool for public addresses; choose a private network or ask an administrator.".into()
        } else {
            "Every public address on this host is in use; choose a private network or ask an administrator.".into()
        }))
    }
}

impl Compute {
    /// The VPS and its host when `actor` may act on it: its owner or an administrator (support
    /// reads but does not operate). A refusal is audited under `action`.
    pub(super) async fn operable_vps(&self, actor: &Actor, id: i64, action: &str, ctx: &RequestContext) -> Result<(vps::Model, host::Model)> {
        let v = self.visible_vps(actor, id).await?;
        if !(policy::may_manage_platform(actor) || actor.user_id() == Some(v.owner_id)) {
            self.audit.record(actor, action, &format!("vps:{id}"), Outcome::Denied, ctx, "not the owner").await;
            return Err(ComputeError::Forbidden("only the VPS's owner or an administrator may do this".into()));
        }
        let h = self.host_row(v.host_id).await?;
        Ok((v, h))
    }

    /// Refuses while a job owns the VPS (creating, deleting, reinstalling).
    pub(super) fn refuse_busy(v: &vps::Model) -> Result<()> {
        let state = VpsState::parse(&v.state);
        if state.is_busy() {
            return Err(ComputeError::Conflict(format!("{} is {} right now; wait until that finishes.", v.name, state.as_str())));
        }
        Ok(())
    }

    /// Records a new state (and error text) and pushes it to the owner's and staff's browsers.
    /// `started_at` follows: set when it starts running, cleared when it stops.
    pub(super) async fn set_vps_state(&self, v: &vps::Model, state: VpsState, error: Option<String>) -> Result<vps::Model> {
        let now = time::OffsetDateTime::now_utc();
        let was_running = VpsState::parse(&v.state) == VpsState::Running || VpsState::parse(&v.state) == VpsState::Paused;
        let started_at = match state {
            VpsState::Running | VpsState::Paused if was_running && v.started_at.is_some() => v.started_at,
            VpsState::Running | VpsState::Paused => Some(now),
            _ => None,
        };
        let mut row: vps::ActiveModel = v.clone().into();
        row.state = Set(state.as_str().into());
        row.last_error = Set(error);
        row.started_at = Set(started_at);
        row.updated_at = Set(now);
        let saved = row.update(&self.db).await?;
        self.publish_vps(&saved, false);
        Ok(saved)
    }

    pub(super) fn publish_vps(&self, v: &vps::Model, removed: bool) {
        let event = VpsLive::State(VpsStateEvent {
            id: v.id,
            state: VpsState::parse(&v.state),
            last_error: v.last_error.clone(),
            started_at: v.started_at.and_then(|t| t.format(&Rfc3339).ok()),
            removed,
        });
        self.publish_vps_live(v, event);
    }

    /// State changes go on `vps` (lists) and `vps:<id>`; stats, sent every few seconds for every
    /// running VPS, only on `vps:<id>`, so a list of a thousand VPSs is not flooded with them.
    pub(super) fn publish_vps_live(&self, v: &vps::Model, event: VpsLive) {
        let item = pier_proto::live::Topic::new(format!("vps:{}", v.id)).expect("valid");
        let topics = match event {
            VpsLive::State(_) => vec![pier_proto::live::Topic::new("vps").expect("valid"), item],
            VpsLive::Stats(_) => vec![item],
        };
        let data = serde_json::to_value(event).unwrap_or_default();
        self.bus.publish(&topics, crate::actor::Audience::Owner(format!("user:{}", v.owner_id)), data);
    }
}

/// Pier's state for what libvirt reports.
pub(super) fn state_of(d: pier_vmm::DomainState) -> VpsState {
    d.vps_state()
}

pub(super) fn person_id(actor: &Actor) -> Result<i64> {
    actor.user_id().ok_or_else(|| ComputeError::Forbidden("only a person owns VPSs".into()))
}

/// Names of the rows VPSs refer to, loaded once per list instead of once per VPS.
#[derive(Default)]
struct Names {
    users: HashMap<i64, String>,
    hosts: HashMap<i64, String>,
    plans: HashMap<i64, String>,
    snapshot_limits: HashMap<i64, u32>,
    images: HashMap<i64, String>,
}

/// The `vps.create` job. Every step first removes what an earlier, interrupted attempt left, so
/// running it again is safe; when a step fails, everything made so far is removed and the VPS
/// shows the error.
pub struct CreateVps {
    pub compute: Compute,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct CreateParams {
    pub vps_id: i64,
    #[serde(default)]
    pub ssh_keys: Vec<String>,
    #[serde(default)]
    pub start: bool,
    /// SHA-512 crypt of the root password, when one was chosen (never the password itself).
    #[serde(default)]
    pub root_password_hash: Option<String>,
}


impl CreateVps {
    pub(super) async fn build(&self, ctx: &JobContext, v: &vps::Model, h: &host::Model, img: &image::Model, p: &CreateParams) -> std::result::Result<VpsState, String> {
        let local = hosts::is_local(&h.uri);
        let fmt = img.format.clone().unwrap_or_else(|| "qcow2".into());
        if local {
            ctx.progress(10, "Creating the disk").await.map_err(|e| e.to_string())?;
            let _ = tokio::fs::remove_file(&v.disk_path).await;
            let out = tokio::process::Command::new("qemu-img")
                .args(["create", "-q", "-f", "qcow2", "-F", &fmt, "-b", &img.path, &v.disk_path, &format!("{}G", v.disk_gb)])
                .kill_on_drop(true)
                .output()
                .await
                .map_err(|e| format!("qemu-img could not run: {e}"))?;
            if !out.status.success() {
                return Err(format!("creating the disk failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
            }
        } else {
            ctx.progress(5, format!("Checking the image on {}", h.name)).await.map_err(|e| e.to_string())?;
            let base = self.compute.image_on_host(ctx, h, img, 5, 30).await?;
            ctx.progress(30, "Creating the disk").await.map_err(|e| e.to_string())?;
            self.compute.create_overlay_volume(h, v, base, fmt).await?;
        }
        ctx.progress(35, "Writing the cloud-init seed").await.map_err(|e| e.to_string())?;
        let address = match &v.ip_address {
            Some(ip) => {
                let pool = ip_pool::Entity::find().filter(ip_pool::Column::HostId.eq(h.id)).all(&self.compute.db).await.map_err(|e| e.to_string())?;
                let ip: Ipv4Addr = ip.parse().map_err(|_| "the reserved address is malformed".to_string())?;
                let p = pool.iter().find(|p| {
                    pier_proto::compute::parse_cidr(&p.cidr).is_some_and(|(net, len)| {
                        let m = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                        u32::from(ip) & m == u32::from(net)
                    })
                });
                let p = p.ok_or("the address's pool was removed")?;
                let (_, len) = pier_proto::compute::parse_cidr(&p.cidr).ok_or("the pool's network is malformed")?;
                Some((ip, len, p.gateway.parse().map_err(|_| "the pool's gateway is malformed".to_string())?))
            }
            None => None,
        };
        let user_data = cloud_init::user_data(&v.hostname, &p.ssh_keys, v.user_data.as_deref(), p.root_password_hash.as_deref()).map_err(|e| e.message)?;
        let mac = mac_of(v.id);
        let (meta_data, network_config) = (cloud_init::meta_data(&v.uuid, &v.hostname), cloud_init::network_config(&mac, address));
        if local {
            cloud_init::write_seed(std::path::Path::new(&v.seed_path), &user_data, &meta_data, &network_config).await?;
        } else {
            self.compute.upload_seed(h, v, &user_data, &meta_data, &network_config).await?;
        }
        ctx.progress(60, "Defining the virtual machine").await.map_err(|e| e.to_string())?;
        let spec = pier_vmm::DomainSpec {
            domain_type: String::new(),
            name: v.domain_name.clone(),
            uuid: Some(v.uuid.clone()),
            vcpus: v.vcpus as u32,
            memory_mib: v.memory_mib as u64,
            disks: vec![
                pier_vmm::DiskSpec { path: v.disk_path.clone(), format: "qcow2".into(), device: pier_vmm::xml::DiskDevice::Disk, target: "vda".into() },
                pier_vmm::DiskSpec { path: v.seed_path.clone(), format: "raw".into(), device: pier_vmm::xml::DiskDevice::Cdrom, target: "sda".into() },
            ],
            networks: vec![pier_vmm::NetworkSpec::Network { name: "default".into(), mac: Some(mac) }],
            graphics: Some(pier_vmm::GraphicsSpec { websocket_port: None }),
            serial_console: true,
            guest_agent: true,
        };
        let uri = h.uri.clone();
        let start = p.start;
        let state = self.compute.conns.call(&uri, move |hv| {
            let mut spec = spec;
            // TCG everywhere for now: KVM guests hang on these machines (design.md §5).
            spec.domain_type = if hv.info()?.driver == "TEST" { "test".into() } else { "qemu".into() };
            let _ = hv.remove(&spec.name); // leftovers of an interrupted attempt
            hv.define(&spec)?;
            if start {
                hv.power(&spec.name, pier_vmm::PowerAction::Start)?;
            }
            hv.domain(&spec.name).map(|d| d.state)
        })
        .await
        .map_err(|e| e.to_string())?;
        ctx.progress(95, if start { "Started" } else { "Defined (not started)" }).await.map_err(|e| e.to_string())?;
        Ok(state_of(state))
    }

    /// Removes what a failed attempt made (domain, disk, seed) and frees the address.
    pub(super) async fn clean_up(&self, v: &vps::Model, h: &host::Model) {
        let (uri, name) = (h.uri.clone(), v.domain_name.clone());
        let _ = self.compute.conns.call(&uri, move |hv| hv.remove(&name)).await;
        if hosts::is_local(&h.uri) {
            let _ = tokio::fs::remove_file(&v.disk_path).await;
            let _ = tokio::fs::remove_file(&v.seed_path).await;
        } else {
            let _ = self.compute.delete_vps_volumes(h, v).await;
        }
    }

    async fn set_state(&self, v: &vps::Model, state: VpsState, error: Option<String>) -> std::result::Result<(), JobFailure> {
        self.compute.set_vps_state(v, state, error).await.map(|_| ()).map_err(failed)
    }
}

#[async_trait]
impl JobHandler for CreateVps {
    fn kind(&self) -> &'static str {
        KIND_VPS_CREATE
    }
    fn title(&self) -> &'static str {
        "Create VPS"
    }
    fn resumable(&self) -> bool {
        true // every step starts by removing what an interrupted attempt left
    }
    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: CreateParams = ctx.params()?;
        let v = vps::Entity::find_by_id(p.vps_id).one(&self.compute.db).await.map_err(failed)?.ok_or_else(|| failed("the VPS was deleted meanwhile"))?;
        let h = host::Entity::find_by_id(v.host_id).one(&self.compute.db).await.map_err(failed)?.ok_or_else(|| failed("the host was removed"))?;
        let img = match v.image_id {
            Some(id) => image::Entity::find_by_id(id).one(&self.compute.db).await.map_err(failed)?,
            None => None,
        };
        let img = img.ok_or_else(|| failed("the image was removed"))?;
        match self.build(ctx, &v, &h, &img, &p).await {
            Ok(state) => {
                self.set_state(&v, state, None).await?;
                Ok(format!("{} is {} on {}{}.", v.name, state.as_str(), h.name, v.ip_address.as_deref().map(|ip| format!(" at {ip}")).unwrap_or_default()))
            }
            Err(why) => {
                self.clean_up(&v, &h).await;
                self.set_state(&v, VpsState::Error, Some(why.clone())).await?;
                Err(JobFailure::Failed(format!("Creating {} failed: {why}", v.name)))
            }
        }
    }
}
