//! A container's counters at one instant (the collector turns two of them into rates).

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::query_parameters::{InspectContainerOptions, StatsOptions};
use futures::StreamExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSample {
    /// Container CPU time and the host's, in nanoseconds (their ratio is the CPU share).
    pub cpu_ns: u64,
    pub system_ns: u64,
    pub online_cpus: u32,
    /// Memory in use (without the page cache, as `docker stats` shows it) and the limit.
    pub memory: u64,
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// What `inspect` adds: restarts and the healthcheck's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Health {
    pub restart_count: i64,
    /// starting | healthy | unhealthy; `None` without a healthcheck.
    pub health: Option<String>,
}

impl Engine {
    /// One sample, without waiting for Docker's second one (`one-shot`).
    pub async fn stats_sample(&self, id: &str) -> Result<StatsSample, DockerError> {
        let mut stream = Box::pin(self.docker.stats(id, Some(StatsOptions { stream: false, one_shot: true })));
        let s = stream.next().await.ok_or_else(|| DockerError::NoContainer(id.to_string()))?.map_err(|e| DockerError::from_bollard(e, id))?;
        let cpu = s.cpu_stats.unwrap_or_default();
        let mem = s.memory_stats.unwrap_or_default();
        // cgroup v2 names it inactive_file, v1 total_inactive_file: the cache the kernel can drop.
        let cache = mem.stats.as_ref().and_then(|m| m.get("inactive_file").or_else(|| m.get("total_inactive_file")).copied()).unwrap_or(0);
        let (mut rx, mut tx) = (0, 0);
        for n in s.networks.unwrap_or_default().values() {
            rx += n.rx_bytes.unwrap_or(0);
            tx += n.tx_bytes.unwrap_or(0);
        }
        let (mut read, mut write) = (0, 0);
        for e in s.blkio_stats.and_then(|b| b.io_service_bytes_recursive).unwrap_or_default() {
            match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => read += e.value.unwrap_or(0),
                Some("write") => write += e.value.unwrap_or(0),
                _ => {}
            }
        }
        Ok(StatsSample {
            cpu_ns: cpu.cpu_usage.and_then(|u| u.total_usage).unwrap_or(0),
            system_ns: cpu.system_cpu_usage.unwrap_or(0),
            online_cpus: cpu.online_cpus.unwrap_or(1).max(1),
            memory: mem.usage.unwrap_or(0).saturating_sub(cache),
            memory_limit: mem.limit.unwrap_or(0),
            net_rx: rx,
            net_tx: tx,
            block_read: read,
            block_write: write,
            pids: s.pids_stats.and_then(|p| p.current).unwrap_or(0),
        })
    }

    pub async fn health(&self, id: &str) -> Result<Health, DockerError> {
        let i = self.docker.inspect_container(id, None::<InspectContainerOptions>).await.map_err(|e| DockerError::from_bollard(e, id))?;
        Ok(Health {
            restart_count: i.restart_count.unwrap_or(0),
            health: i.state.and_then(|s| s.health).and_then(|h| h.status).map(|s| s.to_string()).filter(|s| !s.is_empty() && s != "none"),
        })
    }
}
