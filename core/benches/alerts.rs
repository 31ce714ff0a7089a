//! Alert figures for the issue note (a benchmark, not a test):
//! `cargo bench -p pier-core --bench alerts`, on a real SQLite database.
//! - one alert round (rules over the latest samples, event checks, notifications) on a
//!   platform of 1,000 VPSs, 1,000 containers and 2 engines, with the three default rules plus
//!   one rule over every VPS: the first round (raising alerts) and steady rounds (nothing new);
//! - the request middleware's cost for Pier's own history (`RequestStats::observe`), from two
//!   threads at once as the server's workers call it.

use pier_core::accounts::actor_of;
use pier_core::actor::Role;
use pier_core::audit::RequestContext;
use pier_core::config::Config;
use pier_core::entity::{container, engine, host, vps};
use pier_core::monitoring::requests::RequestStats;
use pier_proto::accounts::NewUser;
use pier_proto::alerts::{Channel, Condition, RuleInput, Scope, Severity};
use sea_orm::{ActiveModelTrait, Set};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.path().join("data");
    let core = pier_core::Core::open(config).await.unwrap();
    let person = |n: &str, role| NewUser { username: n.into(), email: format!("{n}@example.com"), password: "correct horse battery".into(), role };
    let admin = actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let owner = admin.user_id().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let h = host::ActiveModel { name: Set("lab".into()), uri: Set("test:///default".into()), storage_dir: Set("/tmp".into()), cpu_overcommit: Set(1.0), ram_overcommit: Set(1.0), maintenance: Set(false), status: Set("connected".into()), created_at: Set(now), ..Default::default() }.insert(&core.db).await.unwrap();
    let mut engines = Vec::new();
    for (name, status) in [("edge-up", "connected"), ("edge-down", "unreachable")] {
        engines.push(engine::ActiveModel { name: Set(name.into()), endpoint: Set(format!("tcp://{name}:2375")), status: Set(status.into()), created_at: Set(now), ..Default::default() }.insert(&core.db).await.unwrap().id);
    }
    let mut latest = Vec::new();
    for i in 0..1000 {
        let v = vps::ActiveModel {
            uuid: Set(uuid::Uuid::new_v4().to_string()),
            name: Set(format!("vps-{i:04}")),
            hostname: Set(format!("vps-{i}")),
            owner_id: Set(owner),
            host_id: Set(h.id),
            vcpus: Set(1),
            memory_mib: Set(128),
            disk_gb: Set(1),
            network: Set("private".into()),
            // One in a hundred crashed.
            state: Set(if i % 100 == 0 { "crashed" } else { "running" }.into()),
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
        // CPU above the VPS rule's threshold on one in ten.
        latest.push((format!("vps:{}", v.id), now.unix_timestamp(), vec![("cpu".to_string(), if i % 10 == 0 { 95.0 } else { 20.0 }), ("mem_used_pct".to_string(), 40.0)]));
        let docker_id = format!("{i:012x}{}", "0".repeat(52));
        container::ActiveModel {
            engine_id: Set(engines[0]),
            docker_id: Set(docker_id),
            name: Set(format!("c-{i:04}")),
            owner_id: Set(Some(owner)),
            created_at: Set(now),
            // One in a hundred died on its own.
            crashed_at: Set((i % 100 == 1).then_some(now)),
            crash_exit_code: Set((i % 100 == 1).then_some(1)),
            ..Default::default()
        }
        .insert(&core.db)
        .await
        .unwrap();
    }
    latest.push(("host".into(), now.unix_timestamp(), vec![("cpu".into(), 12.0), ("mem_used_pct".into(), 50.0), ("disk./.used_pct".into(), 30.0)]));
    core.alerts.ensure_default_rules().await.unwrap();
    let rule = RuleInput { name: "VPS CPU".into(), metric: "cpu".into(), scope: Scope::AllVps, condition: Condition::Above, threshold: 90.0, for_s: 0, severity: Severity::Warning, channels: vec![Channel::InApp], enabled: true };
    core.alerts.save_rule(&admin, None, rule, &RequestContext::default()).await.unwrap();

    let started = Instant::now();
    let first = core.alerts.round(now, &latest, Some(true), now - time::Duration::seconds(10)).await.unwrap();
    let first_took = started.elapsed();
    let mut steady = Vec::new();
    for k in 1..=20 {
        let t = now + time::Duration::seconds(10 * k);
        let latest: Vec<_> = latest.iter().map(|(target, _, v)| (target.clone(), t.unix_timestamp(), v.clone())).collect();
        let started = Instant::now();
        let changes = core.alerts.round(t, &latest, Some(true), t - time::Duration::seconds(10)).await.unwrap();
        steady.push(started.elapsed());
        assert!(changes.is_empty(), "nothing new in a steady round: {changes:?}");
    }
    println!("alert round, 1,000 VPSs + 1,000 containers + 2 engines, 4 rules over 1,001 targets (SQLite):");
    println!("  first round ({} alerts raised and told): {:.1} ms", first.len(), first_took.as_secs_f64() * 1000.0);
    println!("  steady round: median {:.1} ms, min {:.1} ms, max {:.1} ms (20 rounds)", median(steady.clone()).as_secs_f64() * 1000.0, steady.iter().min().unwrap().as_secs_f64() * 1000.0, steady.iter().max().unwrap().as_secs_f64() * 1000.0);

    let stats = Arc::new(RequestStats::default());
    let per_thread = 10_000_000u64;
    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let stats = stats.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    stats.observe(if i % 1000 == 0 { 500 } else { 200 }, ((i + t) % 5000) as f64 * 1e-5);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = started.elapsed();
    let w = stats.take(Instant::now());
    println!("request history: {} observations from 2 threads in {:.0} ms: {:.1} ns each (wall), p50 {:.2} ms, p95 {:.2} ms", 2 * per_thread, took.as_secs_f64() * 1000.0, took.as_nanos() as f64 / (2 * per_thread) as f64, w.latency_p50_ms.unwrap(), w.latency_p95_ms.unwrap());
}
