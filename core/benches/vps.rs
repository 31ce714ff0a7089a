//! VPS figures for the issue note (a benchmark, not a test): `cargo bench -p pier-core --bench vps`.
//! - listing 1,000 VPSs (what the VPS page and `GET /api/v1/vps` do), as an administrator;
//! - a power action's round trip through Pier (request → job → libvirt → state recorded) against
//!   the same libvirt call made directly, on the test driver, to show the panel's own overhead;
//! - with libvirtd running: list, start and stop of a real QEMU guest through Pier against the
//!   same done with `virsh` (a process per command, as a person at a shell does it).

use pier_core::accounts::actor_of;
use pier_core::actor::{Actor, Role};
use pier_core::audit::RequestContext;
use pier_core::config::Config;
use pier_core::entity::vps;
use pier_proto::accounts::NewUser;
use pier_proto::compute::{HostSettings, NewImage, PlanSettings};
use pier_proto::jobs::JobState;
use pier_proto::vps::{NetworkKind, NewVps, PowerAction};
use sea_orm::{ActiveModelTrait, Set};
use std::time::{Duration, Instant};

async fn settle(core: &pier_core::Core, job: i64) -> JobState {
    loop {
        let j = core.jobs.get(&Actor::System, job).await.unwrap();
        if j.state.is_final() {
            return j.state;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(None, Vec::new()).unwrap();
    // PIER_BENCH_DATA keeps the seeded data dir, so `pier serve` can be measured on it (the VPS
    // page with 1,000 VPSs; see README "Performance").
    config.data_dir = std::env::var_os("PIER_BENCH_DATA").map(std::path::PathBuf::from).unwrap_or_else(|| dir.path().join("data"));
    let core = pier_core::Core::open(config).await.unwrap();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    core.jobs.spawn_workers(2, stop_rx);
    let ctx = RequestContext::default();
    let person = |n: &str, role| NewUser { username: n.into(), email: format!("{n}@example.com"), password: "correct horse battery".into(), role };
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let storage = dir.path().join("vms");
    let host = core
        .compute
        .save_host(&admin, None, HostSettings { name: "lab".into(), uri: "test:///default".into(), storage_dir: storage.display().to_string(), cpu_overcommit: 4.0, ram_overcommit: 1.0, maintenance: false }, &ctx)
        .await
        .unwrap();
    let plan = core.compute.save_plan(&admin, None, PlanSettings { name: "small".into(), vcpus: 1, memory_mib: 128, disk_gb: 1, traffic_gb: None, snapshot_limit: 1, active: true }, &ctx).await.unwrap();
    let base = dir.path().join("base.qcow2");
    assert!(std::process::Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&base).arg("64M").status().unwrap().success());
    let img = NewImage { name: "base".into(), path: base.display().to_string(), os_family: "other".into(), os_version: "1".into(), default_user: "root".into(), min_disk_gb: 1, public: true, expected_sha256: None, users: vec![] };
    let (img, job) = core.compute.register_image(&core.jobs, &admin, img, &ctx).await.unwrap();
    settle(&core, job).await;

    // One real VPS to power, 999 more rows to list.
    let new = NewVps { name: "bench".into(), hostname: "bench".into(), plan_id: Some(plan.id), custom: None, host_id: None, owner_id: None, image_id: img.id, ssh_key_ids: vec![], user_data: None, network: NetworkKind::Private, start: true, expiry: None, root_password: None };
    let (v, job) = core.compute.create_vps(&core.jobs, &admin, new, &ctx).await.unwrap();
    assert_eq!(settle(&core, job).await, JobState::Succeeded);
    let now = time::OffsetDateTime::now_utc();
    for i in 1..1000 {
        vps::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            name: Set(format!("vps-{i:04}")),
            hostname: Set(format!("vps-{i}")),
            owner_id: Set(admin.user_id().unwrap()),
            host_id: Set(host.id),
            plan_id: Set(Some(plan.id)),
            image_id: Set(Some(img.id)),
            vcpus: Set(1),
            memory_mib: Set(128),
            disk_gb: Set(1),
            network: Set("private".into()),
            state: Set("stopped".into()),
            domain_name: Set(format!("pier-bench-{i}")),
            disk_path: Set(String::new()),
            seed_path: Set(String::new()),
            expiry_action: Set("notify".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&core.db)
        .await
        .unwrap();
    }
    let mut list = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let l = core.compute.list_vps(&admin).await.unwrap();
        list.push(t.elapsed());
        assert_eq!(l.len(), 1000);
    }
    println!("list_vps, 1,000 VPSs (admin, SQLite): median {:?} over 30 runs", median(list));

    let mut through_pier = Vec::new();
    for i in 0..40 {
        let action = if i % 2 == 0 { PowerAction::Suspend } else { PowerAction::Resume };
        let t = Instant::now();
        let job = core.compute.power_vps(&core.jobs, &admin, v.id, action, &ctx).await.unwrap();
        assert_eq!(settle(&core, job).await, JobState::Succeeded);
        through_pier.push(t.elapsed());
    }
    let hv = pier_vmm::Hypervisor::connect("test:///default").unwrap();
    let spec = pier_vmm::DomainSpec { domain_type: "test".into(), name: "direct".into(), uuid: None, vcpus: 1, memory_mib: 128, disks: vec![], networks: vec![], graphics: None, serial_console: false, guest_agent: false };
    hv.define(&spec).unwrap();
    hv.power("direct", pier_vmm::PowerAction::Start).unwrap();
    let mut direct = Vec::new();
    for i in 0..40 {
        let action = if i % 2 == 0 { pier_vmm::PowerAction::Suspend } else { pier_vmm::PowerAction::Resume };
        let t = Instant::now();
        hv.power("direct", action).unwrap();
        direct.push(t.elapsed());
    }
    println!("suspend/resume through Pier (request, audit, job, libvirt, state, event): median {:?}", median(through_pier));
    println!("suspend/resume called directly on libvirt (test driver): median {:?}", median(direct));
    if std::path::Path::new("/var/run/libvirt/libvirt-sock").exists() {
        against_virsh(&dir.path().join("qemu")).await;
    } else {
        println!("(libvirtd is not running: Pier against virsh on QEMU skipped)");
    }
}

/// Pier against `virsh` on the same QEMU guest (a blank disk: SeaBIOS runs, nothing boots).
async fn against_virsh(dir: &std::path::Path) {
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.join("data");
    let core = pier_core::Core::open(config).await.unwrap();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    core.jobs.spawn_workers(2, stop_rx);
    let ctx = RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(NewUser { username: "root".into(), email: "root@example.com".into(), password: "correct horse battery".into(), role: Role::Admin }).await.unwrap());
    let storage = dir.join("vms");
    let settings = HostSettings { name: "qemu".into(), uri: "qemu:///system".into(), storage_dir: storage.display().to_string(), cpu_overcommit: 4.0, ram_overcommit: 1.0, maintenance: false };
    core.compute.save_host(&admin, None, settings, &ctx).await.unwrap();
    let plan = core.compute.save_plan(&admin, None, PlanSettings { name: "small".into(), vcpus: 1, memory_mib: 128, disk_gb: 1, traffic_gb: None, snapshot_limit: 1, active: true }, &ctx).await.unwrap();
    let base = dir.join("base.qcow2");
    assert!(std::process::Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&base).arg("64M").status().unwrap().success());
    let img = NewImage { name: "base".into(), path: base.display().to_string(), os_family: "other".into(), os_version: "1".into(), default_user: "root".into(), min_disk_gb: 1, public: true, expected_sha256: None, users: vec![] };
    let (img, job) = core.compute.register_image(&core.jobs, &admin, img, &ctx).await.unwrap();
    settle(&core, job).await;
    let new = NewVps { name: "cmp".into(), hostname: "cmp".into(), plan_id: Some(plan.id), custom: None, host_id: None, owner_id: None, image_id: img.id, ssh_key_ids: vec![], user_data: None, network: NetworkKind::Private, start: false, expiry: None, root_password: None };
    let (v, job) = core.compute.create_vps(&core.jobs, &admin, new, &ctx).await.unwrap();
    assert_eq!(settle(&core, job).await, JobState::Succeeded);
    let domain = format!("pier-vps-{}", v.id);
    let virsh = |args: &[&str]| {
        let t = Instant::now();
        let out = std::process::Command::new("virsh").args(["-q", "-c", "qemu:///system"]).args(args).output().unwrap();
        assert!(out.status.success(), "virsh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    };
    let (core, admin, ctx, id) = (&core, &admin, &ctx, v.id);
    let power = move |action| async move {
        let t = Instant::now();
        let job = core.compute.power_vps(&core.jobs, admin, id, action, ctx).await.unwrap();
        assert_eq!(settle(core, job).await, JobState::Succeeded);
        t.elapsed()
    };
    const RUNS: usize = 10;
    let (mut p_list, mut p_start, mut p_stop, mut v_list, mut v_start, mut v_stop) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let t = Instant::now();
        assert_eq!(core.compute.list_vps(admin).await.unwrap().len(), 1);
        p_list.push(t.elapsed());
        p_start.push(power(PowerAction::Start).await);
        p_stop.push(power(PowerAction::ForceOff).await);
        v_list.push(virsh(&["list", "--all"]));
        v_start.push(virsh(&["start", &domain]));
        v_stop.push(virsh(&["destroy", &domain]));
        // Pier learns of virsh's changes from libvirt's events; let it settle before its turn.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    println!("QEMU/TCG guest, medians of {RUNS} (Pier: request → job → libvirt → state recorded; virsh: one process per command):");
    println!("  list:  Pier {:?}  virsh {:?}", median(p_list), median(v_list));
    println!("  start: Pier {:?}  virsh {:?}", median(p_start), median(v_start));
    println!("  stop (force off): Pier {:?}  virsh {:?}", median(p_stop), median(v_stop));
    let job = core.compute.delete_vps(&core.jobs, admin, id, "cmp", ctx).await.unwrap();
    settle(core, job).await;
}
