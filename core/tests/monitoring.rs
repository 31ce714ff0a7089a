//! Monitoring on a real SQLite database and the real host: the host collector against /proc,
//! the history store's tiers, retention and persistence across a restart, series of deleted
//! VPSs, who may read what, and samples pushed live.

mod common;

use pier_core::accounts::actor_of;
use pier_core::actor::{Actor, Role};
use pier_core::monitoring::host::HostCollector;
use pier_core::monitoring::rollup::{tiers, DEFAULT_KEEP};
use pier_core::monitoring::store::Store;
use pier_proto::monitoring::{LiveSamples, SeriesQuery};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::EntityTrait;
use std::collections::HashMap;

fn proc_value(file: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().find_map(|l| l.strip_prefix(key)).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn host_figures_match_proc() {
    let mut c = HostCollector::new().expect("sysinfo reads this Linux machine");
    let first: HashMap<String, f64> = c.collect().into_iter().collect();
    assert!(!first.contains_key("cpu"), "no CPU usage before a second reading");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let m: HashMap<String, f64> = c.collect().into_iter().collect();
    // Memory: MemTotal in kB.
    assert_eq!(m["mem_total_bytes"], proc_value("/proc/meminfo", "MemTotal:") * 1024.0);
    let used_pct = m["mem_used_pct"];
    assert!((0.0..=100.0).contains(&used_pct), "{used_pct}");
    // CPUs: one series per core, as /proc/stat lists them; usage within 0–100.
    let cores = std::fs::read_to_string("/proc/stat").unwrap().lines().filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)).count();
    assert_eq!(m.keys().filter(|k| k.starts_with("cpu.core")).count(), cores);
    assert!((0.0..=100.0).contains(&m["cpu"]), "{}", m["cpu"]);
    // Load and uptime as the kernel says (uptime within a second, load to two decimals).
    let loadavg: Vec<f64> = std::fs::read_to_string("/proc/loadavg").unwrap().split_whitespace().take(3).map(|v| v.parse().unwrap()).collect();
    assert!((m["load1"] - loadavg[0]).abs() < 0.5, "{} vs {}", m["load1"], loadavg[0]);
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!((m["uptime_s"] - uptime).abs() <= 2.0, "{} vs {uptime}", m["uptime_s"]);
    // Processes: about the number of /proc/<pid> folders.
    let pids = std::fs::read_dir("/proc").unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit())).count() as f64;
    assert!((m["processes"] - pids).abs() <= pids * 0.2 + 5.0, "{} vs {pids}", m["processes"]);
    // The root filesystem's use as df computes it (statvfs), within a percent.
    if let Some(root) = m.get("disk./.used_pct") {
        let out = std::process::Command::new("df").args(["--output=size,avail", "-B1", "/"]).output().unwrap();
        let line = String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().to_string();
        let v: Vec<f64> = line.split_whitespace().map(|v| v.parse().unwrap()).collect();
        let df = 100.0 * (v[0] - v[1]) / v[0];
        assert!((root - df).abs() < 1.0, "{root} vs df {df}");
    }
    assert!(m["net_rx_bps"] >= 0.0 && m["disk_read_bps"] >= 0.0);
}

async fn db(dir: &std::path::Path) -> sea_orm::DatabaseConnection {
    let mut config = pier_core::config::Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.to_path_buf();
    let db = pier_core::db::connect(&config).await.unwrap();
    pier_core::db::migrate(&db).await.unwrap();
    db
}

const T0: i64 = 1_800_000_000 - 1_800_000_000 % 3_600;

#[tokio::test]
async fn the_store_answers_each_range_from_its_tier_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path()).await;
    let store = Store::new(db.clone(), tiers(10, DEFAULT_KEEP));
    // Two days of a sample every 10 s: a saw tooth 0…59 over each minute.
    let end = T0 + 2 * 86_400;
    let mut t = T0;
    while t < end {
        store.append("host", t, &[("cpu".into(), (t % 60) as f64)]).await.unwrap();
        t += 10;
    }
    store.flush().await.unwrap();
    let now = end;
    // The last hour: raw samples, 10 s apart.
    let hour = store.query("host", "cpu", now - 3_600, now, now).await.unwrap();
    assert_eq!((hour.tier.as_str(), hour.step_s), ("raw", 10));
    assert_eq!(hour.points.len(), 360);
    assert!(hour.points.windows(2).all(|w| w[1].t - w[0].t == 10));
    // A day: 1-minute points, each the average, minimum and maximum of its six samples.
    let day = store.query("host", "cpu", now - 86_400, now, now).await.unwrap();
    assert_eq!(day.tier, "1m");
    assert!(day.points.len() >= 1_438 && day.points.len() <= 1_441, "{}", day.points.len());
    for p in &day.points {
        assert_eq!((p.avg, p.min, p.max), (25.0, 0.0, 50.0), "{p:?}");
    }
    // Two days: 10-minute points; a month: 1-hour points; both the same averages.
    let two = store.query("host", "cpu", now - 2 * 86_400, now, now).await.unwrap();
    assert_eq!(two.tier, "10m");
    assert!(two.points.iter().all(|p| p.avg == 25.0 && p.max == 50.0));
    let month = store.query("host", "cpu", now - 30 * 86_400, now, now).await.unwrap();
    assert_eq!(month.tier, "1h");
    assert_eq!(month.points.len(), 47, "two days of closed hours");
    // Unknown series: no points, no error.
    assert!(store.query("host", "nope", now - 3_600, now, now).await.unwrap().points.is_empty());

    // A new process on the same database reads what was written, and continues the series.
    let again = Store::new(db.clone(), tiers(10, DEFAULT_KEEP));
    assert_eq!(again.query("host", "cpu", now - 3_600, now, now).await.unwrap().points.len(), 360);
    again.append("host", now, &[("cpu".into(), 7.0)]).await.unwrap();
    let hour = again.query("host", "cpu", now - 3_600, now, now).await.unwrap();
    assert_eq!(hour.points.last().map(|p| (p.t, p.avg)), Some((now, 7.0)));
    assert_eq!(hour.points.len(), 361);

    // Retention: a day later the raw samples of the first day are gone, the 1-minute points stay.
    let later = now + 86_400;
    let removed = again.expire(later).await.unwrap();
    assert!(removed > 0);
    assert!(again.query("host", "cpu", T0, T0 + 3_600, later).await.unwrap().tier != "raw");
    let raw_left = pier_core::entity::metric_chunk::Entity::find().all(&db).await.unwrap().into_iter().filter(|c| c.tier == 0).count();
    assert!(raw_left <= 2, "{raw_left} raw chunks left");
    // Bytes per stored sample: raw chunks are 5 bytes a sample.
    let chunks = pier_core::entity::metric_chunk::Entity::find().all(&db).await.unwrap();
    let (bytes, points): (usize, i64) = chunks.iter().filter(|c| c.tier == 1).fold((0, 0), |(b, p), c| (b + c.data.len(), p + i64::from(c.points)));
    assert_eq!(bytes as i64, points * 14, "1-minute points are 14 bytes each");
}


#[tokio::test]
async fn owners_read_their_own_staff_read_all_samples_go_live_and_series_go_with_their_vps() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let admin = actor_of(&core.accounts.create_admin_from_cli(common::new_user("root", Role::Admin)).await.unwrap());
    let support = common::person(&core, &admin, "sam", Role::Support).await;
    let alice = common::person(&core, &admin, "alice", Role::User).await;
    let bob = common::person(&core, &admin, "bob", Role::User).await;
    let vps = common::vps_row(&core.db, alice.user_id().unwrap(), "web").await;
    let m = &core.monitoring;
    let mut live = core.bus.subscribe();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let target = format!("vps:{vps}");
    m.record(&target, now, vec![("cpu".into(), 42.0)]).await.unwrap();
    m.record("host", now, vec![("cpu".into(), 7.0)]).await.unwrap();
    // Pushed on each target's topic, to its owner (and staff) only.
    let ev = live.recv().await.unwrap();
    assert_eq!(ev.topic.as_str(), format!("metrics_vps:{vps}"));
    let sample: LiveSamples = serde_json::from_value((*ev.data).clone()).unwrap();
    assert_eq!(sample.values, vec![("cpu".to_string(), 42.0)]);
    assert!(pier_core::actor::policy::may_see(&alice, &ev.audience) && !pier_core::actor::policy::may_see(&bob, &ev.audience));
    let ev = live.recv().await.unwrap();
    assert_eq!(ev.topic.as_str(), "metrics_host");
    assert!(!pier_core::actor::policy::may_see(&alice, &ev.audience) && pier_core::actor::policy::may_see(&support, &ev.audience));

    let q = |target: &str| SeriesQuery { target: target.into(), metric: "cpu".into(), from: now - 3_600, to: now + 1 };
    let read = |who: &Actor, target: &str| {
        let q = q(target);
        let (m, core, who) = (m.clone(), core.clone(), who.clone());
        async move { m.query(&who, &q, &core.compute, &core.containers).await }
    };
    assert_eq!(read(&alice, &target).await.unwrap().points.len(), 1);
    assert_eq!(read(&support, &target).await.unwrap().points[0].avg, 42.0);
    assert_eq!(ApiError::from(read(&bob, &target).await.unwrap_err()).code, ErrorCode::NotFound);
    assert_eq!(ApiError::from(read(&alice, "host").await.unwrap_err()).code, ErrorCode::Forbidden);
    assert_eq!(read(&support, "host").await.unwrap().points[0].avg, 7.0);
    let bad = SeriesQuery { target: "vps:1; drop".into(), metric: "cpu".into(), from: 0, to: 1 };
    assert_eq!(ApiError::from(m.query(&admin, &bad, &core.compute, &core.containers).await.unwrap_err()).field.as_deref(), Some("target"));
    assert_eq!(m.metrics_of(&alice, &target, &core.compute, &core.containers).await.unwrap(), vec!["cpu"]);

    // The VPS goes: its series go with it at the next maintenance; the host's stay.
    m.store().flush().await.unwrap();
    pier_core::entity::vps::Entity::delete_by_id(vps).exec(&core.db).await.unwrap();
    let (_, forgotten) = m.maintain(now).await.unwrap();
    assert_eq!(forgotten, 1);
    assert_eq!(m.store().targets().await.unwrap(), vec!["host"]);
}
