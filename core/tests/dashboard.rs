//! The overview dashboard on a real SQLite database: staff see the platform (hosts, sites, every
//! VPS, the machine's latest samples, platform alerts); a user sees their own VPSs only and
//! none of the platform's parts.

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_proto::alerts::{Channel, Condition, RuleInput, Scope, Severity};
use pier_proto::dashboard::StateCount;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

fn counts(c: &[StateCount]) -> Vec<(&str, u64)> {
    c.iter().map(|s| (s.state.as_str(), s.count)).collect()
}

#[tokio::test]
async fn staff_see_the_platform_and_users_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = common::ctx();
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let bob = common::person(&core, &admin, "bob", Role::User).await;
    let (alice_id, bob_id) = (alice.user_id().unwrap(), bob.user_id().unwrap());
    common::vps_row(&core.db, alice_id, "a1").await;
    let a2 = common::vps_row(&core.db, alice_id, "a2").await;
    common::vps_row(&core.db, bob_id, "b1").await;
    let mut row: pier_core::entity::vps::ActiveModel = pier_core::entity::vps::Entity::find_by_id(a2).one(&core.db).await.unwrap().unwrap().into();
    row.state = Set("stopped".into());
    row.update(&core.db).await.unwrap();

    // The machine's latest sample, and a platform alert firing on it.
    let now = time::OffsetDateTime::now_utc();
    core.monitoring.record("host", now.unix_timestamp(), vec![("cpu".into(), 12.5), ("mem_used_pct".into(), 48.0), ("disk./.used_pct".into(), 61.0)]).await.unwrap();
    let rule = RuleInput { name: "cpu seen".into(), metric: "cpu".into(), scope: Scope::Host, condition: Condition::Above, threshold: 1.0, for_s: 0, severity: Severity::Warning, channels: vec![Channel::InApp], enabled: true };
    core.alerts.save_rule(&admin, None, rule, &ctx).await.unwrap();
    let sample = vec![("host".to_string(), now.unix_timestamp(), vec![("cpu".to_string(), 12.5)])];
    core.alerts.round(now, &sample, None, now - time::Duration::hours(1)).await.unwrap();

    let d = pier_core::dashboard::dashboard(&core, &admin).await.unwrap();
    assert!(d.staff);
    assert_eq!(counts(&d.vps), vec![("running", 2), ("stopped", 1)]);
    assert_eq!(d.hosts.len(), 3, "each VPS row stands on a host of its own");
    assert!(d.hosts.iter().all(|h| h.vps_count == 1 && h.status == "connected"), "{:?}", d.hosts);
    let m = d.machine.expect("the machine's gauges");
    assert_eq!((m.cpu_pct, m.mem_pct, m.disk_pct), (Some(12.5), Some(48.0), Some(61.0)));
    assert_eq!(d.sites.map(|s| s.total), Some(0));
    assert_eq!(d.alerts.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), vec!["cpu seen on host: cpu is 12.50 (above 1)"]);

    let d = pier_core::dashboard::dashboard(&core, &alice).await.unwrap();
    assert!(!d.staff);
    assert_eq!(counts(&d.vps), vec![("running", 1), ("stopped", 1)], "alice's two, not bob's");
    assert!(d.hosts.is_empty() && d.sites.is_none() && d.machine.is_none() && d.certificates_expiring.is_empty());
    assert!(d.alerts.is_empty(), "the platform's alert is not hers");
    assert!(d.containers.is_none_or(|c| c.is_empty()), "she owns no container");
    let d = pier_core::dashboard::dashboard(&core, &bob).await.unwrap();
    assert_eq!(counts(&d.vps), vec![("running", 1)]);
}
