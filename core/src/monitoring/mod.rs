//! Monitoring: collectors feed samples into the tiered history store (`store.rs`) and out to
//! browsers on each target's metrics topic; charts query the store. Each collector runs on its
//! own task with its own deadline, so one that is slow or failing never holds up the others:
//! - the host (sysinfo) and the sites' access logs every `interval_s`;
//! - VPSs and containers from their stats collectors' streams (kept at `interval_s` at most);
//! - the panel itself (requests, 5xx errors and latency p50/p95 of the window, job queue
//!   depth, its memory) every `interval_s`.

pub mod codec;
pub mod host;
pub mod requests;
pub mod rollup;
pub mod store;

use crate::actor::{policy, Actor, Audience};
use crate::events::EventBus;
use pier_proto::live::Topic;
use pier_proto::monitoring::{metrics_topic, LiveSamples, Series, SeriesQuery};
use sea_orm::{DatabaseConnection, EntityTrait};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;

pub use crate::service_error::ServiceError as MonitoringError;
pub type Result<T> = std::result::Result<T, MonitoringError>;

/// How often open chunks are written to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(30);
/// How often expired chunks and the series of deleted VPSs and containers are removed.
pub const MAINTAIN_EVERY: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct Monitoring {
    db: DatabaseConnection,
    bus: EventBus,
    store: Store,
    interval: Duration,
    /// When each target was last recorded (VPS and container streams come more often than
    /// the interval) and who owns it (the audience of its live samples).
    seen: Arc<Mutex<HashMap<String, i64>>>,
    owners: Arc<Mutex<HashMap<String, Option<i64>>>>,
    /// Each target's latest samples (for Prometheus).
    latest: Arc<Mutex<HashMap<String, (i64, Vec<(String, f64)>)>>>,
    /// Pier's own HTTP traffic, observed by the binary's middleware.
    requests: Arc<requests::RequestStats>,
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Monitoring {
    pub fn new(db: DatabaseConnection, bus: EventBus, config: &crate::config::MonitoringConfig) -> Self {
        let keep = [i64::from(config.keep_raw_hours) * 3600, i64::from(config.keep_1m_days) * 86_400, i64::from(config.keep_10m_days) * 86_400, i64::from(config.keep_1h_days) * 86_400];
        let store = Store::new(db.clone(), rollup::tiers(config.interval_s as i64, keep));
        Self { db, bus, store, interval: Duration::from_secs(config.interval_s.max(1)), seen: Default::default(), owners: Default::default(), latest: Default::default(), requests: Default::default() }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Where the HTTP layer counts Pier's requests.
    pub fn requests(&self) -> Arc<requests::RequestStats> {
        self.requests.clone()
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Records samples of `target` taken at `t` and pushes them live to whoever may see them.
    pub async fn record(&self, target: &str, t: i64, values: Vec<(String, f64)>) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        self.seen.lock().expect("not poisoned").insert(target.to_string(), t);
        self.store.append(target, t, &values).await?;
        self.latest.lock().expect("not poisoned").insert(target.to_string(), (t, values.clone()));
        let audience = self.audience_of(target).await;
        if let Ok(topic) = Topic::new(metrics_topic(target)) {
            let live = LiveSamples { target: target.to_string(), t, values };
            self.bus.publish(&[topic], audience, serde_json::to_value(live).expect("json"));
        }
        Ok(())
    }

    /// Every target's latest samples, by target name.
    pub fn latest(&self) -> Vec<(String, i64, Vec<(String, f64)>)> {
        let mut out: Vec<_> = self.latest.lock().expect("not poisoned").iter().map(|(k, (t, v))| (k.clone(), *t, v.clone())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Whether `target` is due for a sample at `t` (streams faster than the interval are thinned).
    fn due(&self, target: &str, t: i64) -> bool {
        self.seen.lock().expect("not poisoned").get(target).is_none_or(|last| t - last >= self.interval.as_secs() as i64)
    }

    /// VPSs and containers: their owner and staff; everything else: staff.
    async fn audience_of(&self, target: &str) -> Audience {
        let owner = |o: Option<i64>| o.map(|id| Audience::Owner(format!("user:{id}"))).unwrap_or(Audience::Staff);
        if let Some(o) = self.owners.lock().expect("not poisoned").get(target) {
            return owner(*o);
        }
        let found = match target.split_once(':') {
            Some(("vps", id)) => match id.parse::<i64>() {
                Ok(id) => crate::entity::vps::Entity::find_by_id(id).one(&self.db).await.ok().flatten().map(|v| v.owner_id),
                Err(_) => None,
            },
            Some(("container", id)) => crate::entity::container::Entity::find().all(&self.db).await.ok().and_then(|all| all.into_iter().find(|c| c.docker_id.starts_with(id)).and_then(|c| c.owner_id)),
            _ => None,
        };
        self.owners.lock().expect("not poisoned").insert(target.to_string(), found);
        owner(found)
    }

    /// A chart's points. Staff read every target; others their own VPSs and containers
    /// (another's is "not found", as everywhere).
    pub async fn query(&self, actor: &Actor, q: &SeriesQuery, compute: &crate::compute::Compute, containers: &crate::containers::Containers) -> Result<Series> {
        q.validate().map_err(MonitoringError::Invalid)?;
        self.authorize(actor, &q.target, compute, containers).await?;
        Ok(self.store.query(&q.target, &q.metric, q.from, q.to, now_s()).await?)
    }

    /// The metric names stored for `target` (what its charts can show).
    pub async fn metrics_of(&self, actor: &Actor, target: &str, compute: &crate::compute::Compute, containers: &crate::containers::Containers) -> Result<Vec<String>> {
        pier_proto::monitoring::validate_target(target).map_err(MonitoringError::Invalid)?;
        self.authorize(actor, target, compute, containers).await?;
        Ok(self.store.metrics_of(target).await?)
    }

    async fn authorize(&self, actor: &Actor, target: &str, compute: &crate::compute::Compute, containers: &crate::containers::Containers) -> Result<()> {
        match target.split_once(':') {
            Some(("vps", id)) => {
                compute.get_vps(actor, id.parse().unwrap_or(0)).await?;
            }
            Some(("container", id)) => {
                containers.get_container(actor, id).await?;
            }
            _ if policy::may_see(actor, &Audience::Staff) => {}
            _ => return Err(MonitoringError::Forbidden("the platform's figures are for staff".into())),
        }
        Ok(())
    }

    /// Removes expired chunks and the series of VPSs, containers and sites that are gone.
    pub async fn maintain(&self, now: i64) -> Result<(u64, usize)> {
        let expired = self.store.expire(now).await?;
        let vps: Vec<i64> = crate::entity::vps::Entity::find().all(&self.db).await?.into_iter().map(|v| v.id).collect();
        let docker: Vec<String> = crate::entity::container::Entity::find().all(&self.db).await?.into_iter().map(|c| c.docker_id).collect();
        let sites: Vec<String> = crate::entity::site::Entity::find().all(&self.db).await?.into_iter().map(|s| s.name).collect();
        let mut forgotten = 0;
        for target in self.store.targets().await? {
            let gone = match target.split_once(':') {
                Some(("vps", id)) => !id.parse().is_ok_and(|id: i64| vps.contains(&id)),
                Some(("container", id)) => !docker.iter().any(|d| d.starts_with(id)),
                Some(("site", name)) => !sites.iter().any(|s| s == name),
                _ => false,
            };
            if gone {
                self.store.forget(&target).await?;
                self.seen.lock().expect("not poisoned").remove(&target);
                self.owners.lock().expect("not poisoned").remove(&target);
                self.latest.lock().expect("not poisoned").remove(&target);
                forgotten += 1;
            }
        }
        Ok((expired, forgotten))
    }
}

/// The collectors, for the process's life (see the module comment).
pub mod collectors {
    use super::*;

    fn vps_values(s: &pier_proto::vps::VpsStats) -> Vec<(String, f64)> {
        let mut v = vec![
            ("cpu".to_string(), s.cpu_percent),
            ("mem_used_bytes".into(), s.memory_used_mib as f64 * 1_048_576.0),
            ("disk_read_bps".into(), s.disk_read_bps as f64),
            ("disk_write_bps".into(), s.disk_write_bps as f64),
            ("net_rx_bps".into(), s.net_rx_bps as f64),
            ("net_tx_bps".into(), s.net_tx_bps as f64),
        ];
        if s.memory_mib > 0 {
            v.push(("mem_used_pct".into(), 100.0 * s.memory_used_mib as f64 / s.memory_mib as f64));
        }
        if let Some(u) = s.uptime_s {
            v.push(("uptime_s".into(), u as f64));
        }
        v
    }

    fn container_values(s: &pier_proto::containers::ContainerStats) -> Vec<(String, f64)> {
        let mut v = vec![
            ("cpu".to_string(), s.cpu_percent),
            ("mem_used_bytes".into(), s.memory as f64),
            ("net_rx_bps".into(), s.net_rx_bps as f64),
            ("net_tx_bps".into(), s.net_tx_bps as f64),
            ("disk_read_bps".into(), s.block_read_bps as f64),
            ("disk_write_bps".into(), s.block_write_bps as f64),
            ("pids".into(), s.pids as f64),
        ];
        if s.memory_limit > 0 {
            v.push(("mem_used_pct".into(), 100.0 * s.memory as f64 / s.memory_limit as f64));
        }
        v
    }

    fn site_values(m: &pier_proto::sites::SiteMetrics) -> Vec<(String, f64)> {
        let window = f64::from(m.window_s.max(1));
        let mut v = vec![
            ("requests_per_s".to_string(), m.requests_per_s),
            ("bytes_per_s".into(), m.bytes_sent as f64 / window),
            ("status_4xx_per_s".into(), m.status[3] as f64 / window),
            ("status_5xx_per_s".into(), m.status[4] as f64 / window),
        ];
        v.extend(m.upstream_p50_ms.map(|p| ("upstream_p50_ms".to_string(), p)));
        v.extend(m.upstream_p95_ms.map(|p| ("upstream_p95_ms".to_string(), p)));
        v
    }

    /// Runs `round` every `every`, each round bounded by `every` (a round that overruns is
    /// abandoned and logged; the next starts on time).
    fn every<F, Fut>(what: &'static str, every: Duration, mut round: F) -> tokio::task::JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<()>> + Send,
    {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match tokio::time::timeout(every, round()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "{what}: collection failed"),
                    Err(_) => tracing::warn!("{what}: collection took longer than the interval; skipped"),
                }
            }
        })
    }

    /// Starts every collector, the flush and the maintenance schedule.
    pub fn spawn(m: &Monitoring, core: &crate::Core) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        match host::HostCollector::new() {
            Ok(collector) => {
                let (mh, h) = (m.clone(), Arc::new(Mutex::new(collector)));
                tasks.push(every("host metrics", m.interval, move || {
                    let (m, h) = (mh.clone(), h.clone());
                    async move {
                        let values = tokio::task::spawn_blocking(move || h.lock().expect("not poisoned").collect()).await.map_err(|e| MonitoringError::Unavailable(e.to_string()))?;
                        m.record("host", now_s(), values).await
                    }
                }));
            }
            Err(e) => tracing::warn!(error = %e, "the host's figures cannot be read here; host metrics are off"),
        }
        let (mp, jobs) = (m.clone(), core.jobs.clone());
        tasks.push(every("panel metrics", m.interval, move || {
            let (m, jobs) = (mp.clone(), jobs.clone());
            async move {
                let queued = jobs.queued_count().await.map_err(|e| MonitoringError::Unavailable(e.to_string()))?;
                let mut values = vec![("jobs_queued".to_string(), queued as f64)];
                if let Some(rss) = self_rss_bytes() {
                    values.push(("rss_bytes".into(), rss));
                }
                values.extend(m.requests.take(std::time::Instant::now()).values());
                m.record("pier", now_s(), values).await
            }
        }));
        let (ms, sites) = (m.clone(), core.sites.clone());
        let window = m.interval.as_secs().clamp(1, 86_400) as u32;
        tasks.push(every("site metrics", m.interval, move || {
            let (m, sites) = (ms.clone(), sites.clone());
            async move {
                for row in crate::entity::site::Entity::find().all(&m.db).await? {
                    if let Ok(metrics) = sites.metrics_of(&row.name, window).await {
                        m.record(&format!("site:{}", row.name), now_s(), site_values(&metrics)).await?;
                    }
                }
                Ok(())
            }
        }));
        let (mv, mut vps) = (m.clone(), core.compute.stats().subscribe());
        tasks.push(tokio::spawn(async move {
            loop {
                match vps.recv().await {
                    Ok(s) => {
                        let (target, t) = (format!("vps:{}", s.id), now_s());
                        if mv.due(&target, t) {
                            if let Err(e) = mv.record(&target, t, vps_values(&s)).await {
                                tracing::warn!(error = %e, "VPS metrics not recorded");
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
        let (mc, mut containers) = (m.clone(), core.containers.stats().subscribe());
        tasks.push(tokio::spawn(async move {
            loop {
                match containers.recv().await {
                    Ok(s) => {
                        let (target, t) = (format!("container:{}", &s.id[..s.id.len().min(12)]), now_s());
                        if mc.due(&target, t) {
                            if let Err(e) = mc.record(&target, t, container_values(&s)).await {
                                tracing::warn!(error = %e, "container metrics not recorded");
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
        let mf = m.clone();
        tasks.push(every("metrics flush", FLUSH_EVERY, move || {
            let m = mf.clone();
            async move { m.store.flush().await.map(|_| ()).map_err(Into::into) }
        }));
        let mm = m.clone();
        tasks.push(every("metrics retention", MAINTAIN_EVERY, move || {
            let m = mm.clone();
            async move { m.maintain(now_s()).await.map(|_| ()) }
        }));
        tasks
    }

    /// The panel's resident memory (Linux), bytes.
    fn self_rss_bytes() -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024.0)
    }
}
