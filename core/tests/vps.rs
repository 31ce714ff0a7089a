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
use pier_proto::vps::{CustomSize, NetworkKind, NewVps, VpsState};
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
    }
}

fn isoinfo(iso: &str, file: &str) -> String {
    let out = Command::new("isoinfo").args(["-J", "-i", iso, "-x", file]).output().expect("isoinfo runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn a_user_creates_a_vps_that_runs_with_its_address_keys_and_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = pier_core::audit::RequestContext::default();
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let alice = actor_of(&core.accounts.create_user(&admin, person("alice", Role::User), &ctx).await.unwrap());
    let bob = actor_of(&core.accounts.create_user(&admin, person("bob", Role::User), &ctx).await.unwrap());

    let storage = dir.path().join("vms");
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
    let base = dir.path().join("base.qcow2");
    assert!(Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&base).arg("1G").status().unwrap().success());
    let img = NewImage { name: "debian-12".into(), path: base.display().to_string(), os_family: "debian".into(), os_version: "12".into(), default_user: "debian".into(), min_disk_gb: 1, public: true, expected_sha256: None };
    let (img, job) = core.compute.register_image(&core.jobs, &admin, img, &ctx).await.unwrap();
    assert_eq!(settle(&core, job).await.state, JobState::Succeeded);
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
    std::fs::rename(&base, dir.path().join("moved.qcow2")).unwrap();
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
