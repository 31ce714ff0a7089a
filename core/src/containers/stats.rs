//! Live container figures: every few seconds each running container on each engine is sampled
//! (Docker's one-shot stats, so no sample waits for Docker's own second one), turned into rates
//! against the previous sample, kept as the latest, pushed on `container:<short id>` to its
//! owner and staff, and offered to `subscribe()` (the monitoring issue stores history from it).

use super::Containers;
use crate::actor::Audience;
use crate::entity::{container, engine};
use pier_docker::stats::StatsSample;
use pier_proto::containers::{stats_topic, ContainerState, ContainerStats};
use pier_proto::live::Topic;
use sea_orm::EntityTrait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct ContainerStatsStore {
    latest: Arc<Mutex<HashMap<String, ContainerStats>>>,
    previous: Arc<Mutex<HashMap<String, (Instant, StatsSample)>>>,
    tx: tokio::sync::broadcast::Sender<ContainerStats>,
}

impl Default for ContainerStatsStore {
    fn default() -> Self {
        Self { latest: Default::default(), previous: Default::default(), tx: tokio::sync::broadcast::channel(256).0 }
    }
}

impl ContainerStatsStore {
    pub fn latest(&self, id: &str) -> Option<ContainerStats> {
        self.latest.lock().expect("not poisoned").get(id).cloned()
    }

    /// Every new sample of every container (for storing history).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ContainerStats> {
        self.tx.subscribe()
    }

    /// The figures for `now`'s sample, or `None` for a container's first one (rates need two).
    fn rates(&self, id: &str, now: Instant, s: StatsSample) -> Option<ContainerStats> {
        let before = self.previous.lock().expect("not poisoned").insert(id.to_string(), (now, s));
        let (then, p) = before?;
        let secs = now.duration_since(then).as_secs_f64().max(0.001);
        let per_sec = |a: u64, b: u64| (a.saturating_sub(b) as f64 / secs) as u64;
        let cpu_delta = s.cpu_ns.saturating_sub(p.cpu_ns) as f64;
        let sys_delta = s.system_ns.saturating_sub(p.system_ns) as f64;
        let cpu_percent = if sys_delta > 0.0 { cpu_delta / sys_delta * s.online_cpus as f64 * 100.0 } else { 0.0 };
        Some(ContainerStats {
            id: id.to_string(),
            cpu_percent: (cpu_percent * 10.0).round() / 10.0,
            memory: s.memory,
            memory_limit: s.memory_limit,
            net_rx_bps: per_sec(s.net_rx, p.net_rx),
            net_tx_bps: per_sec(s.net_tx, p.net_tx),
            block_read_bps: per_sec(s.block_read, p.block_read),
            block_write_bps: per_sec(s.block_write, p.block_write),
            pids: s.pids,
            restart_count: 0,
            health: None,
        })
    }

    /// Drops what is known of containers no longer running.
    fn keep_only(&self, running: &[String]) {
        self.latest.lock().expect("not poisoned").retain(|id, _| running.contains(id));
        self.previous.lock().expect("not poisoned").retain(|id, _| running.contains(id));
    }
}

impl Containers {
    pub fn stats(&self) -> &ContainerStatsStore {
        &self.stats
    }

    /// Samples every `every` for the life of the process; a slow engine only delays itself.
    pub fn spawn_stats_collector(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                this.collect_stats().await;
            }
        })
    }

    /// One round over all engines (tests call it directly).
    pub async fn collect_stats(&self) {
        let owners: HashMap<String, Option<i64>> = container::Entity::find().all(&self.db).await.unwrap_or_default().into_iter().map(|r| (r.docker_id, r.owner_id)).collect();
        let mut running_ids = Vec::new();
        for e in engine::Entity::find().all(&self.db).await.unwrap_or_default() {
            let Ok(client) = self.engine(&e) else { continue };
            let Ok(Ok(list)) = tokio::time::timeout(EVERY, client.list_containers()).await else { continue };
            let running: Vec<_> = list.into_iter().filter(|c| c.state == ContainerState::Running).collect();
            // Concurrently per engine: dockerd answers each in a few ms.
            let samples = futures::future::join_all(running.iter().map(|c| {
                let client = client.clone();
                let id = c.id.clone();
                async move { (id.clone(), client.stats_sample(&id).await, client.health(&id).await) }
            }))
            .await;
            for (id, sample, health) in samples {
                running_ids.push(id.clone());
                let Ok(sample) = sample else { continue };
                let Some(mut figures) = self.stats.rates(&id, Instant::now(), sample) else { continue };
                if let Ok(h) = health {
                    figures.restart_count = h.restart_count;
                    figures.health = h.health;
                }
                self.stats.latest.lock().expect("not poisoned").insert(id.clone(), figures.clone());
                let audience = match owners.get(&id).copied().flatten() {
                    Some(owner) => Audience::Owner(format!("user:{owner}")),
                    None => Audience::Staff,
                };
                if let Ok(topic) = Topic::new(stats_topic(&id)) {
                    self.bus.publish(&[topic], audience, serde_json::to_value(&figures).unwrap_or_default());
                }
                let _ = self.stats.tx.send(figures);
            }
        }
        self.stats.keep_only(&running_ids);
    }
}
