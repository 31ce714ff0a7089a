//! The overview dashboard: one snapshot of what the signed-in person may see. The page keeps it
//! live by re-reading it when one of its topics says something changed, and by folding the
//! host's samples into its gauges as they arrive.

use crate::alerts::AlertView;
use serde::{Deserialize, Serialize};

/// Certificates that expire within this many days are listed.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// The topics after whose events the page reads the snapshot again.
pub const REFRESH_TOPICS: [&str; 4] = ["vps", "containers", "alerts", "hosts"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Staff see the platform (hosts, sites, certificates, every VPS); others their own things.
    pub staff: bool,
    /// VPSs by state (`running`, `shutoff`, …), the most common first.
    pub vps: Vec<StateCount>,
    /// Containers by state; `None` when no engine answered in time.
    pub containers: Option<Vec<StateCount>>,
    /// The panel machine's latest samples (staff): what the gauges start from.
    pub machine: Option<MachineGauges>,
    pub hosts: Vec<HostBrief>,
    pub sites: Option<SiteCounts>,
    pub certificates_expiring: Vec<CertificateExpiry>,
    /// Open alerts (firing first, then pending), newest first within each.
    pub alerts: Vec<AlertView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub state: String,
    pub count: u64,
}

/// Folds states into counts, the largest first (ties by name, so the order is stable).
pub fn count_states<'a>(states: impl IntoIterator<Item = &'a str>) -> Vec<StateCount> {
    let mut counts: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for s in states {
        *counts.entry(s).or_default() += 1;
    }
    let mut out: Vec<StateCount> = counts.into_iter().map(|(state, count)| StateCount { state: state.to_string(), count }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.state.cmp(&b.state)));
    out
}

/// The panel machine's gauges, from the host collector's metric names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineGauges {
    pub t: i64,
    pub cpu_pct: Option<f64>,
    pub mem_pct: Option<f64>,
    /// The root filesystem's use.
    pub disk_pct: Option<f64>,
    pub load1: Option<f64>,
}

impl MachineGauges {
    /// Takes the gauges' values out of a host sample (other metrics are ignored); a value
    /// missing from the sample keeps the previous one (CPU has none on the first sample).
    pub fn apply(&mut self, t: i64, values: &[(String, f64)]) {
        self.t = t;
        for (name, v) in values {
            match name.as_str() {
                "cpu" => self.cpu_pct = Some(*v),
                "mem_used_pct" => self.mem_pct = Some(*v),
                "disk./.used_pct" => self.disk_pct = Some(*v),
                "load1" => self.load1 = Some(*v),
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostBrief {
    pub id: i64,
    pub name: String,
    /// `connected`, `unreachable`, `unknown`.
    pub status: String,
    pub maintenance: bool,
    pub vps_count: u64,
    pub vcpus_allocated: u32,
    pub vcpus_allowed: u32,
    pub memory_allocated_mib: u64,
    pub memory_allowed_mib: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCounts {
    pub total: u64,
    pub enabled: u64,
    /// Sites whose last apply was refused or failed.
    pub failing: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateExpiry {
    pub id: i64,
    pub name: String,
    pub days_left: i64,
    pub auto_renew: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_counted_largest_first() {
        let c = count_states(["running", "shutoff", "running", "paused", "shutoff", "running"]);
        let pairs: Vec<(&str, u64)> = c.iter().map(|s| (s.state.as_str(), s.count)).collect();
        assert_eq!(pairs, [("running", 3), ("shutoff", 2), ("paused", 1)]);
        assert!(count_states([]).is_empty());
    }

    #[test]
    fn gauges_keep_values_a_sample_lacks() {
        let mut g = MachineGauges::default();
        g.apply(10, &[("cpu".into(), 12.5), ("mem_used_pct".into(), 40.0), ("disk./.used_pct".into(), 70.0), ("load1".into(), 0.5), ("net_rx_bps".into(), 9.0)]);
        g.apply(20, &[("mem_used_pct".into(), 41.0)]);
        assert_eq!(g, MachineGauges { t: 20, cpu_pct: Some(12.5), mem_pct: Some(41.0), disk_pct: Some(70.0), load1: Some(0.5) });
    }
}
