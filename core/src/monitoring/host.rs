//! The panel's own machine, read with sysinfo: CPU (total and per core), load, memory, swap,
//! each filesystem's use and each disk's IO, each interface's traffic, uptime and processes.
//! Rates are over the time since the previous reading, so the first reading has none.

use std::time::Instant;
use sysinfo::{Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System};

pub struct HostCollector {
    system: System,
    disks: Disks,
    networks: Networks,
    last: Option<Instant>,
}

/// A metric name part from a mount point or interface name: what a metric name may hold.
fn part(s: &str) -> Option<String> {
    let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/@".contains(c));
    ok.then(|| s.to_string())
}

/// Filesystems worth a chart: real devices, not the kernel's or the container runtime's.
fn interesting(fs: &str, mount: &str) -> bool {
    !matches!(fs, "tmpfs" | "devtmpfs" | "overlay" | "squashfs" | "proc" | "sysfs" | "cgroup" | "cgroup2" | "nsfs" | "autofs") && !mount.starts_with("/snap/") && !mount.starts_with("/var/lib/docker/") && !mount.starts_with("/run")
}

impl HostCollector {
    /// `Err` where sysinfo cannot read this system (not Linux, no /proc).
    pub fn new() -> Result<Self, sysinfo::Error> {
        let mut system = System::new()?;
        system.refresh_cpu_usage();
        Ok(Self { system, disks: Disks::new_with_refreshed_list()?, networks: Networks::new_with_refreshed_list()?, last: None })
    }

    /// One reading: `(metric, value)` pairs.
    pub fn collect(&mut self) -> Vec<(String, f64)> {
        let now = Instant::now();
        let elapsed = self.last.map(|l| now.duration_since(l).as_secs_f64()).filter(|s| *s > 0.0);
        self.last = Some(now);
        let s = &mut self.system;
        s.refresh_cpu_usage();
        s.refresh_memory();
        // Processes only (not their threads, and nothing about each: just the count).
        s.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
        self.disks.refresh(true);
        self.networks.refresh(true);
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut put = |name: String, v: f64| out.push((name, v));
        if elapsed.is_some() {
            // CPU usage is a difference between two readings: none on the first.
            put("cpu".into(), f64::from(s.global_cpu_usage()));
            for (i, c) in s.cpus().iter().enumerate() {
                put(format!("cpu.core{i}"), f64::from(c.usage()));
            }
        }
        if let Ok(load) = System::load_average() {
            put("load1".into(), load.one);
            put("load5".into(), load.five);
            put("load15".into(), load.fifteen);
        }
        let (total, used) = (s.total_memory() as f64, s.used_memory() as f64);
        put("mem_total_bytes".into(), total);
        put("mem_used_bytes".into(), used);
        if total > 0.0 {
            put("mem_used_pct".into(), 100.0 * used / total);
        }
        let (swap_total, swap_used) = (s.total_swap() as f64, s.used_swap() as f64);
        put("swap_used_bytes".into(), swap_used);
        if swap_total > 0.0 {
            put("swap_used_pct".into(), 100.0 * swap_used / swap_total);
        }
        if let Ok(up) = System::uptime() {
            put("uptime_s".into(), up as f64);
        }
        // What /proc lists: processes and kernel threads, not the threads of user processes.
        put("processes".into(), s.processes().values().filter(|p| p.thread_kind() != Some(sysinfo::ThreadKind::Userland)).count() as f64);
        let (mut read, mut written) = (0u64, 0u64);
        for d in self.disks.iter() {
            let mount = d.mount_point().to_string_lossy();
            let fs = d.file_system().to_string_lossy();
            if !interesting(&fs, &mount) {
                continue;
            }
            let Some(m) = part(&mount) else { continue };
            let (total, avail) = (d.total_space() as f64, d.available_space() as f64);
            if total > 0.0 {
                put(format!("disk.{m}.used_pct"), 100.0 * (total - avail) / total);
                put(format!("disk.{m}.used_bytes"), total - avail);
            }
            let u = d.usage();
            read += u.read_bytes;
            written += u.written_bytes;
        }
        let (mut rx_all, mut tx_all) = (0u64, 0u64);
        let mut nets = Vec::new();
        for (name, data) in self.networks.iter() {
            let name = name.to_string_lossy();
            if name == "lo" {
                continue;
            }
            rx_all += data.received();
            tx_all += data.transmitted();
            if let Some(n) = part(&name) {
                nets.push((n, data.received(), data.transmitted()));
            }
        }
        if let Some(secs) = elapsed {
            put("disk_read_bps".into(), read as f64 / secs);
            put("disk_write_bps".into(), written as f64 / secs);
            put("net_rx_bps".into(), rx_all as f64 / secs);
            put("net_tx_bps".into(), tx_all as f64 / secs);
            for (n, rx, tx) in nets {
                put(format!("net.{n}.rx_bps"), rx as f64 / secs);
                put(format!("net.{n}.tx_bps"), tx as f64 / secs);
            }
        }
        out
    }
}

