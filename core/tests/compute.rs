//! The VPS platform against a real SQLite database and real libvirt: hosts probed through
//! `test:///default` and (when libvirtd runs) `qemu+tcp` through a proxy that the test takes
//! down and brings back; plans; IP pools with concurrent allocation.

mod common;

use common::{ctx, env, new_user};
use pier_core::accounts::actor_of;
use pier_core::actor::{Actor, Role};
use pier_core::compute::Compute;
use pier_core::events::EventBus;
use pier_proto::compute::{HostSettings, HostStatus, NewIpPool, PlanSettings};
use pier_proto::ErrorCode;
use std::time::Duration;

fn host(name: &str, uri: &str, dir: &std::path::Path) -> HostSettings {
    HostSettings { name: name.into(), uri: uri.into(), storage_dir: dir.join(name).display().to_string(), cpu_overcommit: 4.0, ram_overcommit: 1.0, maintenance: false }
}

#[tokio::test]
async fn hosts_are_probed_validated_and_admin_only() {
    let env = env().await;
    let bus = EventBus::new();
    let compute = Compute::new(env.db.clone(), env.audit.clone(), bus.clone());
    let root = env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = actor_of(&root);
    let sam = actor_of(&env.accounts.create_user(&admin, new_user("sam", Role::Support), &ctx()).await.unwrap());
    let dir = tempfile::tempdir().unwrap();

    let h = compute.save_host(&admin, None, host("lab", "test:///default", dir.path()), &ctx()).await.unwrap();
    assert_eq!(h.status, HostStatus::Connected, "{h:?}");
    let facts = h.facts.clone().unwrap();
    assert_eq!(facts.driver, "TEST");
    assert_eq!(h.capacity.vcpus_allowed, facts.cpus * 4);
    assert!(h.capacity.disk_total_gb.is_some(), "a local storage dir is measured");
    assert!(dir.path().join("lab").is_dir(), "the storage dir is created");

    // Support reads, cannot change; users cannot even read.
    assert_eq!(compute.list_hosts(&sam).await.unwrap().len(), 1);
    let denied = api_c(compute.save_host(&sam, None, host("x", "test:///default", dir.path()), &ctx()).await.unwrap_err());
    assert_eq!(denied.code, ErrorCode::Forbidden);
    let user = actor_of(&env.accounts.create_user(&admin, new_user("uma", Role::User), &ctx()).await.unwrap());
    assert_eq!(api_c(compute.list_hosts(&user).await.unwrap_err()).code, ErrorCode::Forbidden);

    // Bad input names the field; nothing is written.
    let bad = api_c(compute.save_host(&admin, None, host("evil", "qemu+ssh://h/system?netcat=/tmp/x", dir.path()), &ctx()).await.unwrap_err());
    assert_eq!(bad.field.as_deref(), Some("uri"));
    let dup = api_c(compute.save_host(&admin, None, host("lab", "test:///default", dir.path()), &ctx()).await.unwrap_err());
    assert_eq!((dup.code, dup.field.as_deref()), (ErrorCode::Conflict, Some("name")));
    let mut file_dir = host("filedir", "test:///default", dir.path());
    std::fs::write(dir.path().join("a-file"), b"x").unwrap();
    file_dir.storage_dir = dir.path().join("a-file").display().to_string();
    assert_eq!(api_c(compute.save_host(&admin, None, file_dir, &ctx()).await.unwrap_err()).field.as_deref(), Some("storage_dir"));
    assert_eq!(compute.list_hosts(&admin).await.unwrap().len(), 1);

    // An address where nothing listens: unreachable, with libvirt's words; the change is announced.
    let mut events = bus.subscribe();
    let gone = compute.save_host(&admin, None, host("gone", "qemu+tcp://127.0.0.1:1/system", dir.path()), &ctx()).await.unwrap();
    assert_eq!(gone.status, HostStatus::Unreachable);
    assert!(gone.last_error.as_deref().unwrap().contains("127.0.0.1"), "{:?}", gone.last_error);
    let event = tokio::time::timeout(Duration::from_secs(2), events.recv()).await.unwrap().unwrap();
    assert_eq!(event.topic.as_str(), "hosts");
    assert_eq!(event.data["status"], "unreachable");

    // Deleting needs the typed name and is refused while pools are on the host.
    compute
        .create_ip_pool(&admin, NewIpPool { host_id: h.id, name: "public".into(), cidr: "203.0.113.0/24".into(), gateway: "203.0.113.1".into(), range_start: "203.0.113.10".into(), range_end: "203.0.113.20".into() }, &ctx())
        .await
        .unwrap();
    assert_eq!(api_c(compute.delete_host(&admin, h.id, "lab", &ctx()).await.unwrap_err()).code, ErrorCode::Conflict);
    assert_eq!(api_c(compute.delete_host(&admin, gone.id, "nope", &ctx()).await.unwrap_err()).field.as_deref(), Some("confirm"));
    compute.delete_host(&admin, gone.id, "gone", &ctx()).await.unwrap();
}

fn api_c(e: pier_core::compute::ComputeError) -> pier_proto::ApiError {
    e.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_goes_away_is_marked_unreachable_and_recovers_by_itself() {
    if !std::path::Path::new("/var/run/libvirt/libvirt-sock").exists() {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "libvirtd must be running");
        eprintln!("skipping: libvirtd is not running (PIER_TEST_REQUIRE_ALL unset)");
        return;
    }
    let env = env().await;
    let compute = Compute::new(env.db.clone(), env.audit.clone(), EventBus::new());
    let admin = actor_of(&env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let proxy = tokio::spawn(common::libvirt_proxy(listener));
    let uri = format!("qemu+tcp://127.0.0.1:{port}/system");
    let h = compute.save_host(&admin, None, host("remote", &uri, dir.path()), &ctx()).await.unwrap();
    assert_eq!(h.status, HostStatus::Connected, "{:?}", h.last_error);
    assert_eq!(h.facts.unwrap().driver, "QEMU");
    // The storage directory became a libvirt pool on the "remote" host and is measured through it.
    assert!(h.capacity.disk_total_gb.is_some_and(|t| t > 0) && h.capacity.disk_free_gb.is_some(), "{:?}", h.capacity);

    let monitor = compute.spawn_host_monitor(Duration::from_millis(200));
    proxy.abort();
    let _ = proxy.await;
    let status = |compute: Compute| async move { compute.get_host(&Actor::System, h.id).await.unwrap() };
    let mut seen = status(compute.clone()).await;
    for _ in 0..100 {
        if seen.status == HostStatus::Unreachable {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = status(compute.clone()).await;
    }
    assert_eq!(seen.status, HostStatus::Unreachable, "the monitor noticed");
    assert!(seen.last_error.is_some());

    // The host comes back on the same address; nobody touches Pier.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let _proxy = tokio::spawn(common::libvirt_proxy(listener));
    for _ in 0..100 {
        seen = status(compute.clone()).await;
        if seen.status == HostStatus::Connected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen.status, HostStatus::Connected, "recovered by itself: {:?}", seen.last_error);
    assert_eq!(seen.last_error, None);
    monitor.abort();
    compute.delete_host(&admin, h.id, "remote", &ctx()).await.unwrap();
    assert!(!common::has_dir_pool(dir.path()), "deleting the host released the pool Pier defined");
}

#[tokio::test]
async fn plans_are_managed_by_admins_and_billing_and_users_see_active_ones() {
    let env = env().await;
    let compute = Compute::new(env.db.clone(), env.audit.clone(), EventBus::new());
    let root = env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap();
    let admin = actor_of(&root);
    let billing = actor_of(&env.accounts.create_user(&admin, new_user("bill", Role::Billing), &ctx()).await.unwrap());
    let user = actor_of(&env.accounts.create_user(&admin, new_user("uma", Role::User), &ctx()).await.unwrap());
    let plan = |name: &str, active| PlanSettings { name: name.into(), vcpus: 1, memory_mib: 1024, disk_gb: 20, traffic_gb: Some(1000), snapshot_limit: 2, active };

    let small = compute.save_plan(&billing, None, plan("small", true), &ctx()).await.unwrap();
    compute.save_plan(&admin, None, plan("legacy", false), &ctx()).await.unwrap();
    assert_eq!(api_c(compute.save_plan(&user, None, plan("mine", true), &ctx()).await.unwrap_err()).code, ErrorCode::Forbidden);
    let dup = api_c(compute.save_plan(&admin, None, plan("small", true), &ctx()).await.unwrap_err());
    assert_eq!((dup.code, dup.field.as_deref()), (ErrorCode::Conflict, Some("name")));
    let bad = api_c(compute.save_plan(&admin, None, PlanSettings { vcpus: 500, ..plan("huge", true) }, &ctx()).await.unwrap_err());
    assert_eq!(bad.field.as_deref(), Some("vcpus"));

    assert_eq!(compute.list_plans(&user).await.unwrap().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["small"]);
    assert_eq!(compute.list_plans(&billing).await.unwrap().len(), 2);
    let bigger = compute.save_plan(&admin, Some(small.id), PlanSettings { vcpus: 2, ..plan("small", true) }, &ctx()).await.unwrap();
    assert_eq!((bigger.id, bigger.vcpus), (small.id, 2));
    compute.delete_plan(&billing, small.id, &ctx()).await.unwrap();
    assert_eq!(api_c(compute.delete_plan(&admin, small.id, &ctx()).await.unwrap_err()).code, ErrorCode::NotFound);
}

#[tokio::test]
async fn concurrent_allocations_never_hand_out_an_address_twice() {
    let env = env().await;
    let compute = Compute::new(env.db.clone(), env.audit.clone(), EventBus::new());
    let admin = actor_of(&env.accounts.create_admin_from_cli(new_user("root", Role::Admin)).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let h = compute.save_host(&admin, None, host("lab", "test:///default", dir.path()), &ctx()).await.unwrap();
    let new_pool = |name: &str, a: &str, b: &str| NewIpPool {
        host_id: h.id,
        name: name.into(),
        cidr: "198.51.100.0/24".into(),
        gateway: "198.51.100.1".into(),
        range_start: a.into(),
        range_end: b.into(),
    };
    let pool = compute.create_ip_pool(&admin, new_pool("public", "198.51.100.10", "198.51.100.19"), &ctx()).await.unwrap();
    assert_eq!(pool.size, 10);
    let overlap = api_c(compute.create_ip_pool(&admin, new_pool("second", "198.51.100.15", "198.51.100.30"), &ctx()).await.unwrap_err());
    assert!(overlap.message.contains("overlaps pool \"public\""), "{}", overlap.message);

    // 20 VPSs ask at once for 10 addresses.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let compute = compute.clone();
            tokio::spawn(async move { compute.allocate_address(pool.id, &format!("vps:{i}")).await })
        })
        .collect();
    let mut got = Vec::new();
    let mut exhausted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(a) => got.push(a),
            Err(e) => {
                let e = api_c(e);
                assert!(e.message.contains("exhausted"), "{}", e.message);
                exhausted += 1;
            }
        }
    }
    got.sort();
    let distinct: std::collections::BTreeSet<_> = got.iter().collect();
    assert_eq!((got.len(), distinct.len(), exhausted), (10, 10, 10));
    assert_eq!(got.first().unwrap().to_string(), "198.51.100.10");
    assert_eq!(compute.list_ip_pools(&admin).await.unwrap()[0].allocated, 10);

    // A pool in use cannot be deleted; released addresses come back, lowest first.
    assert_eq!(api_c(compute.delete_ip_pool(&admin, pool.id, &ctx()).await.unwrap_err()).code, ErrorCode::Conflict);
    let mut released = 0;
    for i in 0..20 {
        released += compute.release_addresses(&format!("vps:{i}")).await.unwrap();
    }
    assert_eq!(released, 10);
    assert_eq!(compute.allocate_address(pool.id, "vps:new").await.unwrap().to_string(), "198.51.100.10");
    compute.release_addresses("vps:new").await.unwrap();
    compute.delete_ip_pool(&admin, pool.id, &ctx()).await.unwrap();
}
