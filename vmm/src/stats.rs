//! Raw counters of one domain, as libvirt reports them. Rates (CPU %, bytes/s) need two samples
//! and are computed by the caller, which keeps the previous one.

use crate::error::VmmError;
use crate::host::Hypervisor;
use virt::sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DomainStats {
    /// CPU time used by all vCPUs since the guest started, in nanoseconds.
    pub cpu_time_ns: u64,
    pub vcpus: u32,
    pub memory_max_kib: u64,
    /// What the guest uses: `available - unused` when its balloon driver reports them, else
    /// the QEMU process's resident memory on the host.
    pub memory_used_kib: u64,
    pub disk_read_bytes: u64,
    pub disk_write_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
}

fn non_negative(v: i64) -> u64 {
    v.max(0) as u64 // libvirt reports -1 for "unknown"
}

impl Hypervisor {
    /// Counters of `domain`; `disk` is a target such as `vda`, `nic` the interface's MAC or
    /// host device name. A counter the driver cannot report is 0.
    pub fn domain_stats(&self, domain: &str, disk: &str, nic: &str) -> Result<DomainStats, VmmError> {
        let d = self.lookup(domain)?;
        let info = d.info().map_err(VmmError::libvirt)?;
        let mut s = DomainStats { cpu_time_ns: info.cpu_time, vcpus: info.nr_virt_cpu, memory_max_kib: info.max_mem, memory_used_kib: info.memory, ..Default::default() };
        if let Ok(mem) = d.memory_stats(0) {
            let tag = |t: u32| mem.iter().find(|m| m.tag == t).map(|m| m.val);
            s.memory_used_kib = match (tag(sys::VIR_DOMAIN_MEMORY_STAT_AVAILABLE), tag(sys::VIR_DOMAIN_MEMORY_STAT_UNUSED), tag(sys::VIR_DOMAIN_MEMORY_STAT_RSS)) {
                (Some(avail), Some(unused), _) => avail.saturating_sub(unused),
                (_, _, Some(rss)) => rss,
                _ => s.memory_used_kib,
            };
        }
        if let Ok(b) = d.block_stats(disk) {
            s.disk_read_bytes = non_negative(b.rd_bytes);
            s.disk_write_bytes = non_negative(b.wr_bytes);
        }
        if let Ok(n) = d.interface_stats(nic) {
            s.net_rx_bytes = non_negative(n.rx_bytes);
            s.net_tx_bytes = non_negative(n.tx_bytes);
        }
        Ok(s)
    }

    /// The VNC port QEMU listens on (on 127.0.0.1 of the host), while the domain runs.
    pub fn vnc_port(&self, domain: &str) -> Result<Option<u16>, VmmError> {
        let xml = self.lookup(domain)?.xml_desc(0).map_err(VmmError::libvirt)?;
        Ok(crate::read_xml::attr_of(&xml, "graphics", &[("type", "vnc")], "port").and_then(|p| p.parse().ok()).filter(|p: &u16| *p > 0))
    }
}
