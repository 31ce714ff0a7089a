//! The containers service on the real dockerd: ownership (row + label), who sees and operates
//! what, containers made outside Pier, bind mounts held to their root, audit.

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_docker::test_images::BUSYBOX;
use pier_proto::containers::{ContainerAction, ContainerState, Mount, NewContainer, RestartPolicy};
use pier_proto::{ApiError, ErrorCode};

fn request(name: &str) -> NewContainer {
    pier_docker::test_images::request(name, BUSYBOX, &["sleep", "600"])
}

fn api(e: pier_core::containers::ContainersError) -> ApiError {
    e.into()
}

#[tokio::test]
async fn owners_operate_their_own_staff_see_all_and_outsiders_are_unmanaged() {
    if !std::path::Path::new("/var/run/docker.sock").exists() {
        assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "dockerd must be running");
        return;
    }
    pier_docker::test_images::build();
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let alice = actor_of(&core.accounts.create_user(&admin, common::new_user("alice", Role::User), &ctx).await.unwrap());
    let bob = actor_of(&core.accounts.create_user(&admin, common::new_user("bob", Role::User), &ctx).await.unwrap());
    let support = actor_of(&core.accounts.create_user(&admin, common::new_user("sam", Role::Support), &ctx).await.unwrap());
    let c = &core.containers;
    let pid = std::process::id();

    let mine = c.create_container(&alice, request(&format!("alice-web-{pid}")), &ctx).await.unwrap();
    assert_eq!((mine.state, mine.owner.as_deref()), (ContainerState::Running, Some("alice")));
    // Live figures: the first round only records counters, the second gives rates.
    c.collect_stats().await;
    assert!(c.stats().latest(&mine.id).is_none(), "rates need two samples");
    let mut figures = c.stats().subscribe();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    c.collect_stats().await;
    let s = c.stats().latest(&mine.id).expect("figures after the second round");
    assert!(s.pids >= 1 && s.memory > 0 && s.cpu_percent >= 0.0, "{s:?}");
    assert!(std::iter::from_fn(|| figures.try_recv().ok()).any(|f| f.id == mine.id), "offered to subscribers (monitoring)");

    // Made outside Pier: staff see it as unmanaged; users never see it.
    let outside = format!("outside-{pid}");
    assert!(std::process::Command::new("docker").args(["run", "-d", "--name", &outside, BUSYBOX, "sleep", "600"]).status().unwrap().success());

    let names = |list: Vec<pier_proto::containers::ContainerView>| list.into_iter().map(|v| (v.name, v.owner)).collect::<Vec<_>>();
    let for_alice = names(c.list_containers(&alice).await.unwrap());
    assert_eq!(for_alice, vec![(mine.name.clone(), Some("alice".to_string()))]);
    assert!(c.list_containers(&bob).await.unwrap().is_empty());
    let for_support = names(c.list_containers(&support).await.unwrap());
    assert!(for_support.contains(&(outside.clone(), None)) && for_support.contains(&(mine.name.clone(), Some("alice".into()))), "{for_support:?}");

    // Bob cannot find it; support can see but not operate; the owner and admins can.
    assert_eq!(api(c.act(&bob, &mine.id, ContainerAction::Stop, &ctx).await.unwrap_err()).code, ErrorCode::NotFound);
    assert_eq!(api(c.act(&support, &mine.id, ContainerAction::Stop, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(c.act(&alice, &mine.id, ContainerAction::Pause, &ctx).await.unwrap().state, ContainerState::Paused);
    // Not valid in this state: refused before Docker is asked.
    assert_eq!(api(c.act(&alice, &mine.id, ContainerAction::Pause, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);
    assert_eq!(c.act(&admin, &mine.id, ContainerAction::Unpause, &ctx).await.unwrap().state, ContainerState::Running);

    // Bind mounts only from under the bind root; a path that climbs out with .. or a symlink is refused.
    let root = core.config.data_dir().join("container-data");
    std::fs::create_dir_all(root.join("site")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
    for source in ["/etc".to_string(), root.join("escape/ssl").display().to_string()] {
        let mut bad = request(&format!("bind-{pid}"));
        bad.mounts = vec![Mount { source, target: "/data".into(), read_only: true }];
        assert_eq!(api(c.create_container(&alice, bad, &ctx).await.unwrap_err()).field.as_deref(), Some("mounts"));
    }
    let mut good = request(&format!("bind-{pid}"));
    good.mounts = vec![Mount { source: root.join("site").display().to_string(), target: "/data".into(), read_only: false }];
    let bound = c.create_container(&alice, good, &ctx).await.unwrap();

    // Settings: renamed and limited without a restart; support may not change them.
    let change = pier_proto::containers::ContainerChange { name: Some(format!("alice-app-{pid}")), memory_mib: Some(48), cpus: Some(0.25), restart: Some(RestartPolicy::UnlessStopped) };
    assert_eq!(api(c.change_container(&support, &mine.id, change.clone(), &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    let changed = c.change_container(&alice, &mine.id, change, &ctx).await.unwrap();
    assert_eq!((changed.name.as_str(), changed.state), (format!("alice-app-{pid}").as_str(), ContainerState::Running));
    let inspect = std::process::Command::new("docker").args(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}", &mine.id]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&inspect.stdout).trim(), format!("{} 250000000 unless-stopped", 48u64 << 20));
    let mine = changed;

    // Adopting the outsider: admins only; afterwards it has an owner and Alice operates it.
    let outsider_id = c.list_containers(&admin).await.unwrap().into_iter().find(|v| v.name == outside).unwrap().id;
    let alice_id = alice.user_id().unwrap();
    assert_eq!(api(c.adopt_container(&support, &outsider_id, alice_id, &ctx).await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(c.adopt_container(&admin, &outsider_id, alice_id, &ctx).await.unwrap().owner.as_deref(), Some("alice"));
    assert_eq!(api(c.adopt_container(&admin, &outsider_id, alice_id, &ctx).await.unwrap_err()).code, ErrorCode::Conflict);
    assert_eq!(c.act(&alice, &outsider_id, ContainerAction::Pause, &ctx).await.unwrap().state, ContainerState::Paused);

    // Removed outside Pier: the next reconcile drops the record and says so in the audit log.
    let gone = c.create_container(&alice, request(&format!("gone-{pid}")), &ctx).await.unwrap();
    assert!(std::process::Command::new("docker").args(["rm", "-f", &gone.id]).output().unwrap().status.success());
    c.reconcile_all().await.unwrap();
    assert!(!c.list_containers(&admin).await.unwrap().iter().any(|v| v.id == gone.id));

    // Delete needs the name typed; afterwards it is gone from Docker and from Pier.
    assert_eq!(api(c.delete_container(&alice, &mine.id, "nope", false, &ctx).await.unwrap_err()).field.as_deref(), Some("confirm"));
    c.delete_container(&alice, &mine.id, &mine.name, true, &ctx).await.unwrap();
    c.delete_container(&admin, &bound.id, &bound.name, false, &ctx).await.unwrap();
    c.delete_container(&alice, &outsider_id, &outside, false, &ctx).await.unwrap();
    assert!(c.list_containers(&alice).await.unwrap().is_empty());

    // Every change is in the audit log, refusals included.
    let log = core.audit.list(&admin, &Default::default()).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| (e.action.as_str(), e.outcome.as_str())).collect();
    for want in [("container.create", "success"), ("container.pause", "success"), ("container.stop", "denied"), ("container.delete", "success"), ("container.forget", "success")] {
        assert!(actions.contains(&want), "{want:?} in {actions:?}");
    }
}
