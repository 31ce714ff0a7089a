//! A connection to one libvirt host and what it says about itself.

use crate::error::VmmError;
use virt::connect::Connect;

/// Facts about a host, as libvirt reports them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HostInfo {
    pub hostname: String,
    /// libvirt's driver for this URI: `QEMU`, `Test`, ...
    pub driver: String,
    /// `major.minor.release`.
    pub libvirt_version: String,
    /// The hypervisor's version (QEMU's), or `None` when libvirt found no hypervisor binary.
    pub hypervisor_version: Option<String>,
    pub cpus: u32,
    pub cpu_model: String,
    pub memory_kib: u64,
    pub free_memory_kib: u64,
    /// Defined domains (running or not).
    pub domains: u32,
}

/// One open connection. libvirt connections are thread-safe; every call blocks.
pub struct Hypervisor {
    pub(crate) conn: Connect,
    uri: String,
}

/// libvirt encodes versions as major * 1_000_000 + minor * 1000 + release.
pub fn version_string(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

impl Hypervisor {
    /// Opens `uri` (`qemu:///system`, `qemu+ssh://host/system`, `test:///default`, ...).
    pub fn connect(uri: &str) -> Result<Hypervisor, VmmError> {
        // libvirt prints every error to stderr by default; errors are returned to callers instead.
        virt::error::clear_error_callback();
        // Before opening: only connections opened after the loop exists receive events.
        crate::events::ensure_event_loop();
        let conn = Connect::open(Some(uri))
            .map_err(|e| VmmError::Connect { uri: uri.to_string(), message: e.message().trim().to_string() })?;
        Ok(Hypervisor { conn, uri: uri.to_string() })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// True while the connection still answers (a remote host may have gone away).
    pub fn is_alive(&self) -> bool {
        self.conn.is_alive().unwrap_or(false)
    }

    pub fn info(&self) -> Result<HostInfo, VmmError> {
        let e = VmmError::libvirt;
        let node = self.conn.node_info().map_err(e)?;
        let active = self.conn.num_of_domains().map_err(e)?;
        let inactive = self.conn.num_of_defined_domains().map_err(e)?;
        Ok(HostInfo {
            hostname: self.conn.hostname().map_err(e)?,
            driver: self.conn.driver_type().map_err(e)?,
            libvirt_version: version_string(self.conn.lib_version().map_err(e)?),
            hypervisor_version: self.conn.hyp_version().ok().filter(|v| *v > 0).map(version_string),
            cpus: node.cpus,
            cpu_model: node.model,
            memory_kib: node.memory,
            // The test driver reports no free memory; treat "unknown" as all free.
            free_memory_kib: self.conn.free_memory().map(|b| b / 1024).unwrap_or(node.memory),
            domains: active + inactive,
        })
    }
}
