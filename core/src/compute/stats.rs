//! Live figures of running VPSs: every `EVERY` the collector reads libvirt's counters for each
//! running VPS (one blocking call per host, hosts in parallel), turns two samples into rates,
//! pushes them on the live socket and keeps the latest. The monitoring service subscribes to
//! `StatsStore::subscribe` to store history.

use super::vps::mac_of;
use super::Compute;
use crate::entity::{host, vps};
use pier_proto::vps::{VpsLive, VpsState, VpsStats};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

pub const EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct StatsStore {
    inner: Arc<Mutex<HashMap<i64, (Instant, pier_vmm::DomainStats, VpsStats)>>>,
    tx: broadcast::Sender<VpsStats>,
}

impl Default for StatsStore {
    fn default() -> Self {
        Self { inner: Default::default(), tx: broadcast::channel(1024).0 }
    }
}

impl StatsStore {
    /// The latest figures of VPS `id`, if it ran during the last two samples.
    pub fn latest(&self, id: i64) -> Option<VpsStats> {
        self.inner.lock().expect("not poisoned").get(&id).map(|(_, _, s)| *s)
    }

    /// Every sample as it is taken (for the history store).
    pub fn subscribe(&self) -> broadcast::Receiver<VpsStats> {
        self.tx.subscribe()
    }

    pub fn forget(&self, id: i64) {
        self.inner.lock().expect("not poisoned").remove(&id);
    }

    /// Records counters read at `at`; returns the rates against the previous sample.
    pub fn record(&self, id: i64, at: Instant, now: pier_vmm::DomainStats, uptime_s: Option<u64>) -> VpsStats {
        let mut map = self.inner.lock().expect("not poisoned");
        let rates = rates(id, map.get(&id).map(|(t, c, _)| (*t, *c)), at, &now, uptime_s);
        map.insert(id, (at, now, rates));
        drop(map);
        let _ = self.tx.send(rates);
        rates
    }
}

/// Rates from two samples. A counter that went backwards (the guest restarted) gives 0.
pub fn rates(id: i64, before: Option<(Instant, pier_vmm::DomainStats)>, at: Instant, now: &pier_vmm::DomainStats, uptime_s: Option<u64>) -> VpsStats {
    let mut s = VpsStats { id, memory_used_mib: now.memory_used_kib / 1024, memory_mib: now.memory_max_kib / 1024, uptime_s, ..Default::default() };
    if let Some((t0, b)) = before {
        let secs = at.duration_since(t0).as_secs_f64();
        if secs > 0.0 {
            let per_s = |a: u64, b: u64| (a.saturating_sub(b) as f64 / secs) as u64;
            let cpu_ns = now.cpu_time_ns.saturating_sub(b.cpu_time_ns) as f64;
            s.cpu_percent = (cpu_ns / (secs * 1e9 * now.vcpus.max(1) as f64) * 100.0).clamp(0.0, 100.0);
            s.disk_read_bps = per_s(now.disk_read_bytes, b.disk_read_bytes);
            s.disk_write_bps = per_s(now.disk_write_bytes, b.disk_write_bytes);
            s.net_rx_bps = per_s(now.net_rx_bytes, b.net_rx_bytes);
            s.net_tx_bps = per_s(now.net_tx_bytes, b.net_tx_bytes);
        }
    }
    s
}

impl Compute {
    pub fn stats(&self) -> &StatsStore {
        &self.stats
    }

    pub fn spawn_stats_collector(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_every("stats collector", every, |this| async move { this.collect_stats().await.map(|_| ()) })
    }

    /// One round: every running VPS, grouped by host; a slow host does not delay the others.
    pub async fn collect_stats(&self) -> super::Result<usize> {
        let running = vps::Entity::find().filter(vps::Column::State.eq(VpsState::Running.as_str())).all(&self.db).await?;
        let hosts: HashMap<i64, host::Model> = host::Entity::find().all(&self.db).await?.into_iter().map(|h| (h.id, h)).collect();
        let mut by_host: HashMap<i64, Vec<vps::Model>> = HashMap::new();
        for v in running {
            by_host.entry(v.host_id).or_default().push(v);
        }
        let rounds = by_host.into_iter().filter_map(|(hid, list)| hosts.get(&hid).map(|h| (h.uri.clone(), list))).map(|(uri, list)| {
            let this = self.clone();
            async move {
                let asks: Vec<(String, String)> = list.iter().map(|v| (v.domain_name.clone(), mac_of(v.id))).collect();
                let read = this.conns.call(&uri, move |hv| Ok(asks.iter().map(|(d, mac)| hv.domain_stats(d, "vda", mac).ok()).collect::<Vec<_>>())).await;
                let Ok(samples) = read else { return 0 };
                let at = Instant::now();
                let now = time::OffsetDateTime::now_utc();
                let mut n = 0;
                for (v, sample) in list.iter().zip(samples) {
                    let Some(sample) = sample else { continue };
                    let uptime = v.started_at.map(|t| (now - t).whole_seconds().max(0) as u64);
                    let s = this.stats.record(v.id, at, sample, uptime);
                    this.publish_vps_live(v, VpsLive::Stats(s));
                    n += 1;
                }
                n
            }
        });
        Ok(futures::future::join_all(rounds).await.into_iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_two_samples() {
        let t0 = Instant::now();
        let a = pier_vmm::DomainStats { cpu_time_ns: 1_000_000_000, vcpus: 2, memory_max_kib: 1 << 20, memory_used_kib: 512 << 10, disk_read_bytes: 0, disk_write_bytes: 4096, net_rx_bytes: 100, net_tx_bytes: 0 };
        let first = rates(1, None, t0, &a, Some(5));
        assert_eq!((first.cpu_percent, first.memory_used_mib, first.memory_mib, first.uptime_s), (0.0, 512, 1024, Some(5)));
        // 2 s later: 1 s of CPU over 2 vCPUs × 2 s = 25 %.
        let b = pier_vmm::DomainStats { cpu_time_ns: 2_000_000_000, disk_write_bytes: 4096 + 8192, net_rx_bytes: 50, ..a };
        let r = rates(1, Some((t0, a)), t0 + Duration::from_secs(2), &b, None);
        assert!((r.cpu_percent - 25.0).abs() < 1e-9, "{r:?}");
        assert_eq!((r.disk_write_bps, r.net_rx_bps), (4096, 0), "a counter that went back counts as 0");
    }
}
