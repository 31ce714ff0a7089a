//! Monitoring figures for the issue note (a benchmark, not a test):
//! `cargo bench -p pier-core --bench monitoring`, on a real SQLite database.
//! - sustained ingest: 1,000 series (100 targets × 10 metrics) sampled every 10 s of simulated
//!   time, with a flush every 30 s as the panel does, for two simulated hours;
//! - bytes per stored sample in each tier, from the stored chunks and from the database file;
//! - query time of a 24 h chart (1-minute points) and a 30 d chart (1-hour points) after 30
//!   simulated days of one series.

use pier_core::monitoring::rollup::{tiers, DEFAULT_KEEP, TIERS};
use pier_core::monitoring::store::Store;
use sea_orm::EntityTrait;
use std::time::{Duration, Instant};

async fn db(dir: &std::path::Path) -> sea_orm::DatabaseConnection {
    let mut config = pier_core::config::Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.to_path_buf();
    let db = pier_core::db::connect(&config).await.unwrap();
    pier_core::db::migrate(&db).await.unwrap();
    db
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path()).await;
    let store = Store::new(db.clone(), tiers(10, DEFAULT_KEEP));
    let t0 = 1_800_000_000 - 1_800_000_000 % 86_400;
    let metrics: Vec<String> = (0..10).map(|m| format!("metric{m}")).collect();
    let (mut samples, mut busy) = (0u64, Duration::ZERO);
    for step in 0..(2 * 3_600 / 10) {
        let t = t0 + step * 10;
        let started = Instant::now();
        for target in 0..100 {
            let values: Vec<(String, f64)> = metrics.iter().enumerate().map(|(i, m)| (m.clone(), ((t + i as i64 * 7 + target) % 100) as f64)).collect();
            store.append(&format!("vps:{}", target + 1), t, &values).await.unwrap();
            samples += values.len() as u64;
        }
        if step % 3 == 2 {
            store.flush().await.unwrap();
        }
        busy += started.elapsed();
    }
    store.flush().await.unwrap();
    println!("ingest: {samples} samples of 1,000 series in {:.2} s of work: {:.0} samples/s (flush every 30 s of data included)", busy.as_secs_f64(), samples as f64 / busy.as_secs_f64());

    let chunks = pier_core::entity::metric_chunk::Entity::find().all(&db).await.unwrap();
    for tier in 0..TIERS {
        let (bytes, points) = chunks.iter().filter(|c| c.tier == tier as i16).fold((0usize, 0i64), |(b, p), c| (b + c.data.len(), p + i64::from(c.points)));
        if points > 0 {
            println!("tier {}: {points} points, {:.2} bytes per point in the chunk data", tiers(10, DEFAULT_KEEP)[tier].name, bytes as f64 / points as f64);
        }
    }
    // The whole database file per raw sample (rows, indexes, pages), after a checkpoint.
    let _ = sea_orm::ConnectionTrait::execute_unprepared(&db, "PRAGMA wal_checkpoint(TRUNCATE)").await;
    let file = std::fs::metadata(dir.path().join("pier.db")).map(|m| m.len()).unwrap_or(0);
    println!("database file: {:.1} MiB, {:.2} bytes per raw sample stored (all tiers, rows and indexes)", file as f64 / 1_048_576.0, file as f64 / samples as f64);

    // One series over 30 days, then the two charts.
    let one = Store::new(db.clone(), tiers(10, DEFAULT_KEEP));
    let end = t0 + 30 * 86_400;
    let mut t = t0;
    while t < end {
        one.append("host", t, &[("cpu".into(), (t % 97) as f64)]).await.unwrap();
        t += 10;
        if t % 300 == 0 {
            one.flush().await.unwrap();
        }
    }
    one.flush().await.unwrap();
    // A fresh store reads from the database only (no open chunks in memory).
    let fresh = Store::new(db.clone(), tiers(10, DEFAULT_KEEP));
    for (label, span) in [("24 h", 86_400), ("30 d", 30 * 86_400)] {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..20 {
            let started = Instant::now();
            let s = fresh.query("host", "cpu", end - span, end, end).await.unwrap();
            times.push(started.elapsed());
            n = s.points.len();
        }
        println!("query {label} chart: {n} points, median {:?} over 20 runs", median(times));
    }
}
