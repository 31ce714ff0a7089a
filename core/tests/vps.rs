//! Creating VPSs through the real job pipeline on libvirt's test driver, with real qemu-img
//! overlays and real genisoimage seeds: placement, addresses, ownership, refusals, and a failed
//! creation that cleans up after itself.

use pier_core::accounts::actor_of;
mod common;

use common::settle;
use pier_core::actor::Role;
use pier_proto::accounts::NewUser;
use pier_proto::compute::{HostSettings, NewImage, NewIpPool, PlanSettings};
use pier_proto::jobs::JobState;
use pier_proto::security::NewSshKey;
use pier_proto::vps::{ConsoleKind, CustomSize, NetworkKind, NewVps, VpsState};
use pier_proto::{ApiError, ErrorCode};
use std::process::Command;

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZjDQg5F/nrNYmLJcOLrwnMQOX5Obzp13WchxgoBliM alice@laptop";

fn person(name: &str, role: Role) -> NewUser {
    NewUser { username: name.into(), email: format!("{name}@example.com"), password: "correct horse battery".into(), role }
}

fn request(name: &str, plan: i64, image: i64, network: NetworkKind) -> NewVps {
    NewVps {
        name: name.into(),
        hostname: format!("{name}.example.com"),
        plan_id: Some(plan),
        custom: None,
        host_id: None,
        owner_id: None,
        image_id: image,
        ssh_key_ids: vec![],
        user_data: Some("#cloud-config\npackages: [nginx]\n".into()),
        network,
        start: true,
        expiry: None,
        root_password: None,
    }
}

fn isoinfo(iso: &str, file: &str) -> String {
    let out = Command::new("isoinfo").args(["-J", "-i", iso, "-x", file]).output().expect("isoinfo runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A core with workers, an admin, two users, a test-driver host with a one-address pool, a
/// plan allowing one snapshot, and a ready image.
struct Lab {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    core: pier_core::Core,
    _stop: tokio::sync::watch::Sender<bool>,
    ctx: pier_core::audit::RequestContext,
    admin: pier_core::actor::Actor,
    alice: pier_core::actor::Actor,
    bob: pier_core::actor::Actor,
    host: pier_proto::compute::HostView,
    plan: pier_proto::compute::PlanView,
    img: pier_proto::compute::ImageView,
    base: std::path::PathBuf,
    storage: std::path::PathBuf,
}

async fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let (core, stop) = common::running_core(&root).await;
    let ctx = pier_core::audit::RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let alice = actor_of(&core.accounts.create_user(&admin, person("alice", Role::User), &ctx).await.unwrap());
    let bob = actor_of(&core.accounts.create_user(&admin, person("bob", Role::User), &ctx).await.unwrap());

    let storage = root.join("vms");
    let host = core
        .compute
        .save_host(&admin, None, HostSettings { name: "lab".into(), uri: "test:///default".into(), storage_dir: storage.display().to_string(), cpu_overcommit: 4.0, ram_overcommit: 1.0, maintenance: false }, &ctx)
        .await
        .unwrap();
    core.compute
        .create_ip_pool(&admin, NewIpPool { host_id: host.id, name: "public".into(), cidr: "203.0.113.0/24".into(), gateway: "203.0.113.1".into(), range_start: "203.0.113.10".into(), range_end: "203.0.113.10".into() }, &ctx)
        .await
        .unwrap();
    let plan = core.compute.save_plan(&admin, None, PlanSettings { name: "small".into(), vcpus: 1, memory_mib: 256, disk_gb: 2, traffic_gb: None, snapshot_limit: 1, active: true }, &ctx).await.unwrap();
    let base = root.join("base.qcow2");
    assert!(Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&base).arg("1G").status().unwrap().success());
    let img = NewImage { name: "debian-12".into(), path: base.display().to_string(), os_family: "debian".into(), os_version: "12".into(), default_user: "debian".into(), min_disk_gb: 1, public: true, expected_sha256: None, users: vec![] };
    let (img, job) = core.compute.register_image(&core.jobs, &admin, img, &ctx).await.unwrap();
    assert_eq!(settle(&core, job).await.state, JobState::Succeeded);
    Lab { _dir: dir, root, core, _stop: stop, ctx, admin, alice, bob, host, plan, img, base, storage }
}

#[tokio::test]
async fn a_user_creates_a_vps_that_runs_with_its_address_keys_and_seed() {
    let Lab { _dir: _keep, _stop: _workers, root, core, ctx, admin, alice, bob, host, plan, img, base, storage } = lab().await;
    let key = core.accounts.add_ssh_key(&alice, NewSshKey { name: String::new(), public_key: KEY.into() }, &ctx).await.unwrap();

    let mut new = request("web", plan.id, img.id, NetworkKind::Public);
    new.ssh_key_ids = vec![key.id];
    let mut someone_elses = new.clone();
    someone_elses.ssh_key_ids = vec![key.id];
    assert_eq!(ApiError::from(core.compute.create_vps(&core.jobs, &bob, someone_elses, &ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    let (v, job) = core.compute.create_vps(&core.jobs, &alice, new.clone(), &ctx).await.unwrap();
    assert_eq!((v.state, v.ip_address.as_deref(), v.owner.as_str()), (VpsState::Provisioning, Some("203.0.113.10"), "alice"));
    let done = settle(&core, job).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    assert_eq!(done.progress, 100);
    let v = core.compute.get_vps(&alice, v.id).await.unwrap();
    assert_eq!(v.state, VpsState::Running);

    // The disk is an overlay on the image; the seed carries the keys, host name and address.
    let disk = storage.join(format!("pier-vps-{}.qcow2", v.id));
    let info = Command::new("qemu-img").args(["info", "--output=json"]).arg(&disk).output().unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["virtual-size"], 2u64 << 30);
    assert_eq!(info["backing-filename"], base.display().to_string());
    let seed = storage.join(format!("pier-vps-{}-seed.iso", v.id)).display().to_string();
    let user_data = isoinfo(&seed, "/user-data");
    assert!(user_data.starts_with("#cloud-config") && user_data.contains("alice@laptop") && user_data.contains("nginx") && user_data.contains("hostname: web"), "{user_data}");
    assert!(isoinfo(&seed, "/network-config").contains("203.0.113.10/24"));
    assert!(isoinfo(&seed, "/meta-data").contains(&v.uuid));
    // The host's capacity counts it.
    let h = core.compute.get_host(&admin, host.id).await.unwrap();
    assert_eq!((h.vps_count, h.capacity.vcpus_allocated, h.capacity.memory_allocated_mib), (1, 1, 256));

    // Ownership: Bob neither sees nor finds it; staff see it.
    assert!(core.compute.list_vps(&bob).await.unwrap().is_empty());
    assert_eq!(ApiError::from(core.compute.get_vps(&bob, v.id).await.unwrap_err()).code, ErrorCode::NotFound);
    assert_eq!(core.compute.list_vps(&admin).await.unwrap().len(), 1);

    // Alice's account cannot be deleted while she owns a VPS; the refusal says what to do.
    let alice_id = core.compute.get_vps(&admin, v.id).await.unwrap().owner_id;
    let refused = ApiError::from(core.accounts.delete_user(&admin, alice_id, "alice", &ctx).await.unwrap_err());
    assert!(refused.code == ErrorCode::Conflict && refused.message.contains("owns 1 VPS"), "{}", refused.message);

    // Refusals, each clear, none leaving a VPS behind.
    let api = |e: pier_core::compute::ComputeError| ApiError::from(e);
    let dup = api(core.compute.create_vps(&core.jobs, &alice, new.clone(), &ctx).await.unwrap_err());
    assert_eq!((dup.code, dup.field.as_deref()), (ErrorCode::Conflict, Some("name")));
    let exhausted = api(core.compute.create_vps(&core.jobs, &alice, request("web2", plan.id, img.id, NetworkKind::Public), &ctx).await.unwrap_err());
    assert!(exhausted.message.contains("Every public address on this host is in use"), "{}", exhausted.message);
    let mut bad_yaml = request("web3", plan.id, img.id, NetworkKind::Private);
    bad_yaml.user_data = Some("#cloud-config\npackages: [nginx".into());
    assert_eq!(api(core.compute.create_vps(&core.jobs, &alice, bad_yaml, &ctx).await.unwrap_err()).field.as_deref(), Some("user_data"));
    let mut custom = request("web4", plan.id, img.id, NetworkKind::Private);
    custom.plan_id = None;
    custom.custom = Some(CustomSize { vcpus: 64, memory_mib: 1_000_000, disk_gb: 10 });
    assert_eq!(api(core.compute.create_vps(&core.jobs, &alice, custom.clone(), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let too_big = api(core.compute.create_vps(&core.jobs, &admin, custom, &ctx).await.unwrap_err());
    assert!(too_big.message.contains("No host can take this VPS") && too_big.message.contains("has no room"), "{}", too_big.message);
    assert_eq!(core.compute.list_vps(&admin).await.unwrap().len(), 1, "nothing half-made");

    // A creation that fails midway (its image vanished) cleans up and says why.
    std::fs::rename(&base, root.join("moved.qcow2")).unwrap();
    let (broken, job) = core.compute.create_vps(&core.jobs, &alice, request("broken", plan.id, img.id, NetworkKind::Private), &ctx).await.unwrap();
    let done = settle(&core, job).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(done.message.contains("creating the disk failed"), "{}", done.message);
    let broken = core.compute.get_vps(&alice, broken.id).await.unwrap();
    assert_eq!(broken.state, VpsState::Error);
    assert!(broken.last_error.unwrap().contains("creating the disk failed"));
    assert!(!storage.join(format!("pier-vps-{}.qcow2", broken.id)).exists());
    assert!(!storage.join(format!("pier-vps-{}-seed.iso", broken.id)).exists());
}

/// Waits until `f` holds for VPS `id` as Alice sees it.
async fn until_state(l: &Lab, id: i64, want: VpsState) -> pier_proto::vps::VpsView {
    for _ in 0..200 {
        let v = l.core.compute.get_vps(&l.admin, id).await.unwrap();
        if v.state == want {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("VPS {id} never became {want:?}");
}

#[tokio::test]
async fn power_snapshots_stats_consoles_expiry_reinstall_and_delete() {
    use pier_proto::vps::{Expiry, ExpiryAction, ExpiryChange, ExpiryUnit, NewSnapshot, PowerAction, Reinstall, SnapshotOp};
    let l = lab().await;
    let (core, ctx, alice) = (&l.core, &l.ctx, &l.alice);
    let api = |e: pier_core::compute::ComputeError| ApiError::from(e);
    let (v, job) = core.compute.create_vps(&core.jobs, alice, request("app", l.plan.id, l.img.id, NetworkKind::Public), ctx).await.unwrap();
    assert_eq!(settle(core, job).await.state, JobState::Succeeded);
    let mut events = core.bus.subscribe();
    let v = core.compute.get_vps(alice, v.id).await.unwrap();
    assert!(v.started_at.is_some() && v.snapshot_limit == 1, "{v:?}");

    // Power: a job per action, refused when the state does not fit or the VPS is not yours.
    let power = |who: &pier_core::actor::Actor, a: PowerAction| {
        let who = who.clone();
        async move { core.compute.power_vps(&core.jobs, &who, v.id, a, ctx).await }
    };
    assert_eq!(api(power(alice, PowerAction::Start).await.unwrap_err()).code, ErrorCode::Conflict);
    assert_eq!(api(power(&l.bob, PowerAction::Suspend).await.unwrap_err()).code, ErrorCode::NotFound);
    let support = actor_of(&core.accounts.create_user(&l.admin, person("sam", Role::Support), ctx).await.unwrap());
    assert_eq!(api(power(&support, PowerAction::Suspend).await.unwrap_err()).code, ErrorCode::Forbidden);
    for (action, after) in [(PowerAction::Suspend, VpsState::Paused), (PowerAction::Resume, VpsState::Running), (PowerAction::Reboot, VpsState::Running), (PowerAction::Shutdown, VpsState::Stopped)] {
        let job = power(alice, action).await.unwrap();
        let done = settle(core, job).await;
        assert_eq!(done.state, JobState::Succeeded, "{action:?}: {}", done.message);
        assert_eq!(core.compute.get_vps(alice, v.id).await.unwrap().state, after, "{action:?}");
    }
    assert!(core.compute.get_vps(alice, v.id).await.unwrap().started_at.is_none(), "stopped: no uptime");
    assert_eq!(api(power(alice, PowerAction::ForceOff).await.unwrap_err()).code, ErrorCode::Conflict);
    // Each change was pushed to the owner's topic.
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        if e.topic.as_str() == format!("vps:{}", v.id) {
            seen.push(e.data["state"].as_str().unwrap_or_default().to_string());
        }
    }
    assert!(seen.contains(&"paused".to_string()) && seen.last().map(String::as_str) == Some("stopped"), "{seen:?}");
    settle(core, power(alice, PowerAction::Start).await.unwrap()).await;

    // Snapshots within the plan's limit of one; revert and delete by name.
    let snap = |op, name: &str| core.compute.snapshot_vps(&core.jobs, alice, v.id, op, NewSnapshot { name: name.into(), description: "before upgrade".into() }, ctx);
    assert_eq!(api(snap(SnapshotOp::Create, "bad name").await.unwrap_err()).field.as_deref(), Some("name"));
    assert_eq!(settle(core, snap(SnapshotOp::Create, "s1").await.unwrap()).await.state, JobState::Succeeded);
    let limit = api(snap(SnapshotOp::Create, "s2").await.unwrap_err());
    assert!(limit.message.contains("1 of 1 snapshots"), "{}", limit.message);
    let list = core.compute.list_snapshots(alice, v.id).await.unwrap();
    assert_eq!((list.len(), list[0].name.as_str(), list[0].description.as_str(), list[0].vm_state.as_str()), (1, "s1", "before upgrade", "running"));
    assert_eq!(api(snap(SnapshotOp::Revert, "nope").await.unwrap_err()).code, ErrorCode::NotFound);
    assert_eq!(settle(core, snap(SnapshotOp::Revert, "s1").await.unwrap()).await.state, JobState::Succeeded);
    assert_eq!(until_state(&l, v.id, VpsState::Running).await.state, VpsState::Running);
    assert_eq!(settle(core, snap(SnapshotOp::Delete, "s1").await.unwrap()).await.state, JobState::Succeeded);
    assert!(core.compute.list_snapshots(alice, v.id).await.unwrap().is_empty());
    assert!(core.compute.list_snapshots(&l.bob, v.id).await.is_err());

    // Live stats: two rounds give rates; the latest is kept for the page.
    assert_eq!(core.compute.collect_stats().await.unwrap(), 1);
    core.compute.collect_stats().await.unwrap();
    let stats = core.compute.stats().latest(v.id).expect("sampled");
    assert_eq!(stats.memory_mib, 256);
    assert!(stats.uptime_s.is_some());
    // Stats go to the VPS's own topic only (lists follow `vps` for state changes).
    let mut stats_topics = std::collections::BTreeSet::new();
    while let Ok(e) = events.try_recv() {
        if e.data["type"] == "stats" {
            stats_topics.insert(e.topic.as_str().to_string());
        }
    }
    assert_eq!(stats_topics.into_iter().collect::<Vec<_>>(), [format!("vps:{}", v.id)]);

    // Console tickets: for the running VPS's owner, once, nobody else.
    let ticket = core.compute.console_ticket(alice, v.id, ConsoleKind::Serial, ctx).await.unwrap();
    assert!(core.compute.redeem_console_ticket(&l.bob, &ticket).is_none());
    let ticket = core.compute.console_ticket(alice, v.id, ConsoleKind::Serial, ctx).await.unwrap();
    assert_eq!(core.compute.redeem_console_ticket(alice, &ticket).map(|t| t.vps_id), Some(v.id));
    assert!(core.compute.redeem_console_ticket(alice, &ticket).is_none(), "single use");
    assert_eq!(api(core.compute.console_ticket(&l.bob, v.id, ConsoleKind::Serial, ctx).await.unwrap_err()).code, ErrorCode::NotFound);

    // Root password through the guest agent: refused in words for a bad password or another's VPS.
    assert_eq!(api(core.compute.set_root_password(alice, v.id, "short", ctx).await.unwrap_err()).field.as_deref(), Some("root_password"));
    assert_eq!(api(core.compute.set_root_password(&l.bob, v.id, "a long password", ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    match core.compute.set_root_password(alice, v.id, "a long password", ctx).await {
        Ok(()) => {}
        Err(e) => assert!(api(e).message.contains("guest agent"), "the test driver either sets it or says the agent is missing"),
    }

    // Expiry: billing extends; the schedule warns once a day ahead, then acts once.
    let billing = actor_of(&core.accounts.create_user(&l.admin, person("bill", Role::Billing), ctx).await.unwrap());
    let day = ExpiryChange { extend: Some(Expiry { amount: 1, unit: ExpiryUnit::Days, action: ExpiryAction::Shutdown }) };
    assert_eq!(api(core.compute.change_expiry(alice, v.id, day.clone(), ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let extended = core.compute.change_expiry(&billing, v.id, day, ctx).await.unwrap();
    assert!(extended.expires_at.is_some() && extended.expiry_action == ExpiryAction::Shutdown);
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(core.compute.apply_expiries(&core.jobs, now + time::Duration::hours(1)).await.unwrap(), 0, "a warning only");
    assert_eq!(core.compute.apply_expiries(&core.jobs, now + time::Duration::days(2)).await.unwrap(), 1);
    assert_eq!(core.compute.apply_expiries(&core.jobs, now + time::Duration::days(2)).await.unwrap(), 0, "acted on once");
    until_state(&l, v.id, VpsState::Stopped).await;
    let q = pier_proto::audit::AuditQuery { action: Some("vps.expir".into()), ..Default::default() };
    let actions: Vec<String> = core.audit.list(&l.admin, &q).await.unwrap().into_iter().map(|a| a.action).collect();
    assert!(actions.contains(&"vps.expiry.warning".into()) && actions.contains(&"vps.expired".into()), "{actions:?}");

    // Reinstall: the name typed again; keeps id and address, sets the new root password.
    let reinstall = |confirm: &str| Reinstall { image_id: l.img.id, confirm: confirm.into(), root_password: Some("correct horse battery".into()) };
    assert_eq!(api(core.compute.reinstall_vps(&core.jobs, alice, v.id, reinstall("ap"), ctx).await.unwrap_err()).field.as_deref(), Some("confirm"));
    let done = settle(core, core.compute.reinstall_vps(&core.jobs, alice, v.id, reinstall("app"), ctx).await.unwrap()).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    let again = core.compute.get_vps(alice, v.id).await.unwrap();
    assert_eq!((again.state, again.ip_address.as_deref()), (VpsState::Running, Some("203.0.113.10")));
    let seed = l.storage.join(format!("pier-vps-{}-seed.iso", v.id)).display().to_string();
    let user_data = isoinfo(&seed, "/user-data");
    assert!(user_data.contains("$6$") && !user_data.contains("correct horse"), "{user_data}");

    // Delete: typed confirmation; domain, disk, seed and address go.
    assert_eq!(api(core.compute.delete_vps(&core.jobs, &l.bob, v.id, "app", ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    assert_eq!(api(core.compute.delete_vps(&core.jobs, alice, v.id, "App", ctx).await.unwrap_err()).field.as_deref(), Some("confirm"));
    let done = settle(core, core.compute.delete_vps(&core.jobs, alice, v.id, "app", ctx).await.unwrap()).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    assert!(done.message.contains("203.0.113.10 is free again"), "{}", done.message);
    assert_eq!(api(core.compute.get_vps(alice, v.id).await.unwrap_err()).code, ErrorCode::NotFound);
    assert!(!l.storage.join(format!("pier-vps-{}.qcow2", v.id)).exists() && !std::path::Path::new(&seed).exists());
    let (next, job) = core.compute.create_vps(&core.jobs, alice, request("next", l.plan.id, l.img.id, NetworkKind::Public), ctx).await.unwrap();
    assert_eq!(next.ip_address.as_deref(), Some("203.0.113.10"), "the address was freed");
    settle(core, job).await;
    let _ = (&l.root, &l.host, &l.base);
}

/// A host Pier treats as remote (`qemu+tcp://`, reaching the real libvirtd through a TCP proxy):
/// Pier writes no file there itself. The image is uploaded into the host's storage pool once,
/// the disk is an overlay libvirt creates on it, the seed is uploaded, the VPS runs on QEMU,
/// and deleting it removes its volumes through libvirt.
// Several threads: the proxy standing in for the network must keep running while a libvirt
// call waits on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_host_gets_disks_and_seeds_through_libvirt_storage() {
    if !std::path::Path::new("/var/run/libvirt/libvirt-sock").exists() {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "libvirtd must be running");
        eprintln!("skipping: libvirtd is not running (PIER_TEST_REQUIRE_ALL unset)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (core, _stop) = common::running_core(root).await;
    let ctx = pier_core::audit::RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("qemu+tcp://127.0.0.1:{}/system", listener.local_addr().unwrap().port());
    let _proxy = tokio::spawn(common::libvirt_proxy(listener));
    let storage = root.join("far-away");
    let _cleanup = QemuLeftovers(storage.clone());
    let Remote { host, plan, img, base } = remote_host(&core, &admin, uri, &storage).await;
    let sha = img.sha256.clone().expect("checksum recorded");

    let create = |name: &'static str| {
        let mut new = request(name, plan.id, img.id, NetworkKind::Private);
        new.host_id = Some(host.id);
        core.compute.create_vps(&core.jobs, &admin, new, &ctx)
    };
    let (first, job) = create("far-one").await.unwrap();
    let done = settle(&core, job).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    // The image's copy on the host is byte for byte the image, named after its checksum.
    let copy = storage.join(format!("pier-image-{}.qcow2", &sha[..16]));
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&base).unwrap());
    let copied_at = std::fs::metadata(&copy).unwrap().modified().unwrap();
    // The disk is an overlay on that copy (not on the panel's file), the seed is the VPS's own.
    let disk = storage.join(format!("pier-vps-{}.qcow2", first.id));
    let info: serde_json::Value = serde_json::from_slice(&Command::new("qemu-img").args(["info", "-U", "--output=json"]).arg(&disk).output().unwrap().stdout).unwrap();
    assert_eq!(info["backing-filename"], copy.display().to_string());
    assert_eq!(info["virtual-size"], 1u64 << 30);
    let seed = storage.join(format!("pier-vps-{}-seed.iso", first.id));
    assert!(isoinfo(&seed.display().to_string(), "/user-data").contains("hostname: far-one"));
    let domstate = |id: i64| String::from_utf8_lossy(&Command::new("virsh").args(["-c", "qemu:///system", "domstate", &format!("pier-vps-{id}")]).output().unwrap().stdout).trim().to_string();
    assert_eq!(domstate(first.id), "running");
    // Its graphical console needs an ssh host (the VNC server listens on the host's loopback).
    let e = ApiError::from(core.compute.console_ticket(&admin, first.id, ConsoleKind::Vnc, &ctx).await.unwrap_err());
    assert!(e.message.contains("needs a qemu+ssh host"), "{e:?}");

    // A second VPS from the same image reuses the copy.
    let (second, job) = create("far-two").await.unwrap();
    assert_eq!(settle(&core, job).await.state, JobState::Succeeded);
    assert_eq!(std::fs::metadata(&copy).unwrap().modified().unwrap(), copied_at, "not uploaded again");

    // Deleting removes the VPS's volumes through libvirt; the image copy stays for the next one.
    for v in [&first, &second] {
        let done = settle(&core, core.compute.delete_vps(&core.jobs, &admin, v.id, &v.name, &ctx).await.unwrap()).await;
        assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
        assert!(!storage.join(format!("pier-vps-{}.qcow2", v.id)).exists() && !storage.join(format!("pier-vps-{}-seed.iso", v.id)).exists());
    }
    assert!(copy.exists());
    core.compute.delete_host(&admin, host.id, "far", &ctx).await.unwrap();
    assert!(!common::has_dir_pool(&storage));
}

/// A remote host registered with Pier, a small plan, and a blank 1 GiB image (`base`) ready.
struct Remote {
    host: pier_proto::compute::HostView,
    plan: pier_proto::compute::PlanView,
    img: pier_proto::compute::ImageView,
    base: std::path::PathBuf,
}

async fn remote_host(core: &pier_core::Core, admin: &pier_core::actor::Actor, uri: String, storage: &std::path::Path) -> Remote {
    let ctx = pier_core::audit::RequestContext::default();
    let settings = HostSettings { name: "far".into(), uri, storage_dir: storage.display().to_string(), cpu_overcommit: 4.0, ram_overcommit: 1.0, maintenance: false };
    let host = core.compute.save_host(admin, None, settings, &ctx).await.unwrap();
    assert_eq!(host.status, pier_proto::compute::HostStatus::Connected, "{:?}", host.last_error);
    assert!(storage.is_dir(), "libvirt built the pool's directory");
    let plan = core.compute.save_plan(admin, None, PlanSettings { name: "tiny".into(), vcpus: 1, memory_mib: 128, disk_gb: 1, traffic_gb: None, snapshot_limit: 1, active: true }, &ctx).await.unwrap();
    let base = storage.parent().unwrap().join("base.qcow2");
    assert!(Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&base).arg("1G").status().unwrap().success());
    let new_img = NewImage { name: "blank".into(), path: base.display().to_string(), os_family: "other".into(), os_version: "1".into(), default_user: "root".into(), min_disk_gb: 1, public: true, expected_sha256: None, users: vec![] };
    let (img, job) = core.compute.register_image(&core.jobs, admin, new_img, &ctx).await.unwrap();
    assert_eq!(settle(core, job).await.state, JobState::Succeeded);
    let img = core.compute.list_images(admin).await.unwrap().into_iter().find(|i| i.id == img.id).unwrap();
    Remote { host, plan, img, base }
}

/// An sshd of the test's own on 127.0.0.1 (its host key, and one authorized key for root):
/// `qemu+ssh://root@127.0.0.1:PORT/system?keyfile=…&no_verify=1` then reaches this machine's
/// libvirtd the way a real remote host is reached. Stopped when dropped.
struct Sshd {
    child: std::process::Child,
    port: u16,
    key: std::path::PathBuf,
}

impl Sshd {
    fn start(dir: &std::path::Path) -> Sshd {
        let keygen = |path: &std::path::Path| assert!(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(path).status().unwrap().success());
        let (host_key, key) = (dir.join("host_key"), dir.join("id"));
        keygen(&host_key);
        keygen(&key);
        std::fs::copy(dir.join("id.pub"), dir.join("authorized_keys")).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap(); // sshd's privilege separation folder
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.join("sshd_config");
        let text = format!(
            "ListenAddress 127.0.0.1:{port}\nHostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nStrictModes no\nUsePAM no\nPidFile {}\nAllowTcpForwarding yes\n",
            host_key.display(),
            dir.join("authorized_keys").display(),
            dir.join("sshd.pid").display()
        );
        std::fs::write(&config, text).unwrap();
        let child = Command::new("/usr/sbin/sshd").args(["-D", "-e", "-f"]).arg(&config).spawn().expect("sshd runs");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Sshd { child, port, key };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("sshd did not listen on {port}");
    }

    fn uri(&self) -> String {
        format!("qemu+ssh://root@127.0.0.1:{}/system?keyfile={}&no_verify=1", self.port, self.key.display())
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `qemu+ssh://` host: Pier creates a VPS there and opens its graphical console through an
/// ssh tunnel to the host's loopback, where QEMU's VNC server answers with its RFB banner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qemu_ssh_host_gives_a_graphical_console_through_an_ssh_tunnel() {
    let ready = std::path::Path::new("/var/run/libvirt/libvirt-sock").exists() && std::path::Path::new("/usr/sbin/sshd").exists();
    if !ready {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "libvirtd and sshd must be installed (scripts/deps.sh runtime test)");
        eprintln!("skipping: libvirtd or sshd missing (PIER_TEST_REQUIRE_ALL unset)");
        return;
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (core, _stop) = common::running_core(root).await;
    let ctx = pier_core::audit::RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let sshd = Sshd::start(root);
    let storage = root.join("over-ssh");
    let _cleanup = QemuLeftovers(storage.clone());
    let remote = remote_host(&core, &admin, sshd.uri(), &storage).await;
    let mut new = request("tunnelled", remote.plan.id, remote.img.id, NetworkKind::Private);
    new.host_id = Some(remote.host.id);
    let (v, job) = core.compute.create_vps(&core.jobs, &admin, new, &ctx).await.unwrap();
    let done = settle(&core, job).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);

    let ticket = core.compute.console_ticket(&admin, v.id, ConsoleKind::Vnc, &ctx).await.unwrap();
    let target = core.compute.redeem_console_ticket(&admin, &ticket).expect("the ticket opens the console");
    let mut display = core.compute.open_display(&target).await.unwrap();
    let mut banner = [0u8; 12];
    tokio::time::timeout(std::time::Duration::from_secs(20), display.reader.read_exact(&mut banner)).await.expect("the banner in time").unwrap();
    assert_eq!(&banner[..4], b"RFB ", "{:?}", String::from_utf8_lossy(&banner));
    // The client's half of the handshake goes through too: the server offers its security types.
    display.writer.write_all(&banner).await.unwrap();
    let mut count = [0u8; 1];
    display.reader.read_exact(&mut count).await.unwrap();
    assert!(count[0] > 0, "security types offered");
    assert_eq!(display.close().await, None, "ssh said nothing");

    // A tunnel that cannot be made says why (the key is gone).
    std::fs::remove_file(&sshd.key).unwrap();
    let ticket = core.compute.console_ticket(&admin, v.id, ConsoleKind::Vnc, &ctx).await.unwrap();
    let target = core.compute.redeem_console_ticket(&admin, &ticket).unwrap();
    let mut display = core.compute.open_display(&target).await.unwrap();
    let mut byte = [0u8; 1];
    assert_eq!(tokio::time::timeout(std::time::Duration::from_secs(20), display.reader.read(&mut byte)).await.unwrap().unwrap(), 0);
    let why = display.close().await.expect("ssh's words");
    assert!(why.contains("denied") || why.contains("No such file") || why.contains("Permission"), "{why}");

    let done = settle(&core, core.compute.delete_vps(&core.jobs, &admin, v.id, &v.name, &ctx).await.unwrap()).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    let _ = &remote.base;
}

/// Whatever a failed run of the remote-host test left in libvirtd (its domains, its pool).
struct QemuLeftovers(std::path::PathBuf);

impl Drop for QemuLeftovers {
    fn drop(&mut self) {
        let virsh = |args: &[&str]| Command::new("virsh").args(["-q", "-c", "qemu:///system"]).args(args).output().ok();
        if let Some(out) = virsh(&["list", "--all", "--name"]) {
            for name in String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|n| n.starts_with("pier-vps-")) {
                let disk = self.0.join(format!("{name}.qcow2"));
                let xml = virsh(&["dumpxml", name]).map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
                if xml.contains(&disk.display().to_string()) {
                    virsh(&["destroy", name]);
                    virsh(&["undefine", name]);
                }
            }
        }
        let pool = pier_vmm::storage::pool_name_for(&self.0.display().to_string());
        virsh(&["pool-destroy", &pool]);
        virsh(&["pool-undefine", &pool]);
    }
}
