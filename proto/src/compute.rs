//! The VPS platform on the wire: hosts, plans and IP pools, with the validators the forms and
//! the server share.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// Not probed yet.
    Unknown,
    Connected,
    Unreachable,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Unknown => "unknown",
            HostStatus::Connected => "connected",
            HostStatus::Unreachable => "unreachable",
        }
    }

    pub fn parse(s: &str) -> HostStatus {
        match s {
            "connected" => HostStatus::Connected,
            "unreachable" => HostStatus::Unreachable,
            _ => HostStatus::Unknown,
        }
    }
}

/// What libvirt said about the host at the last successful probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    pub hostname: String,
    pub driver: String,
    pub libvirt_version: String,
    #[serde(default)]
    pub hypervisor_version: Option<String>,
    pub cpus: u32,
    pub cpu_model: String,
    pub memory_kib: u64,
    pub free_memory_kib: u64,
    pub domains: u32,
    /// Total and free GB of the storage directory on a remote host, measured through libvirt's
    /// storage pool at each probe (local hosts are measured directly).
    #[serde(default)]
    pub storage_gb: Option<(u64, u64)>,
}

/// Capacity: what the host has, what the overcommit ratios allow, what VPSs take.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostCapacity {
    pub vcpus_allowed: u32,
    pub vcpus_allocated: u32,
    pub memory_allowed_mib: u64,
    pub memory_allocated_mib: u64,
    pub memory_free_mib: u64,
    /// The storage directory's filesystem (local hosts only).
    #[serde(default)]
    pub disk_total_gb: Option<u64>,
    #[serde(default)]
    pub disk_free_gb: Option<u64>,
    pub disk_allocated_gb: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostView {
    pub id: i64,
    pub name: String,
    pub uri: String,
    pub storage_dir: String,
    pub cpu_overcommit: f64,
    pub ram_overcommit: f64,
    pub maintenance: bool,
    pub status: HostStatus,
    /// libvirt's words when the last probe failed.
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub checked_at: Option<String>,
    #[serde(default)]
    pub facts: Option<HostFacts>,
    pub capacity: HostCapacity,
    pub vps_count: u64,
}

/// A new host, or the full new settings of an existing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostSettings {
    pub name: String,
    pub uri: String,
    pub storage_dir: String,
    pub cpu_overcommit: f64,
    pub ram_overcommit: f64,
    #[serde(default)]
    pub maintenance: bool,
}

impl HostSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name, "Host name")?;
        validate_libvirt_uri(&self.uri)?;
        validate_abs_path("storage_dir", &self.storage_dir)?;
        if !(1.0..=16.0).contains(&self.cpu_overcommit) {
            return Err(ApiError::invalid("cpu_overcommit", "CPU overcommit must be between 1 and 16 (vCPUs per core)."));
        }
        if !(1.0..=4.0).contains(&self.ram_overcommit) {
            return Err(ApiError::invalid("ram_overcommit", "Memory overcommit must be between 1 and 4."));
        }
        Ok(())
    }
}

/// Lower-case letters, digits and `-`, 1–63 characters, starting with a letter or digit (a DNS
/// label: safe in file names, domain names and URLs).
pub fn validate_slug(field: &str, value: &str, what: &str) -> Result<(), ApiError> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(field, format!("{what}: 1–63 lower-case letters, digits and '-', not starting or ending with '-'.")))
    }
}

/// The libvirt URIs Pier connects to: the local QEMU system instance, QEMU over SSH or TLS, and
/// the test driver. Only plain characters: the URI reaches libvirt, which may hand it to ssh.
pub fn validate_libvirt_uri(uri: &str) -> Result<(), ApiError> {
    let err = |m: &str| Err(ApiError::invalid("uri", m));
    if uri.is_empty() || uri.len() > 512 {
        return err("Enter a libvirt URI such as qemu:///system or qemu+ssh://root@host/system.");
    }
    if !uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-._~:/@?=&%[]".contains(&b)) {
        return err("The URI contains characters libvirt URIs do not use (spaces, quotes, ';', ...).");
    }
    let allowed = ["qemu:///system", "test:///default"];
    if allowed.contains(&uri) {
        return Ok(());
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        return err("A libvirt URI looks like qemu:///system, qemu+ssh://user@host/system or qemu+tls://host/system.");
    };
    if !matches!(scheme, "qemu+ssh" | "qemu+tls" | "qemu+tcp") {
        return err("Supported: qemu:///system (this machine), qemu+ssh://…/system, qemu+tls://…/system, test:///default.");
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if authority.is_empty() || authority.starts_with('-') || path != "system" {
        return err("A remote URI needs a host and ends with /system, e.g. qemu+ssh://root@10.0.0.5/system.");
    }
    // The user, host and port reach ssh as arguments: none may look like an option.
    let Some((user, host, port)) = split_authority(authority) else {
        return err("The host part is user@host:port, each part plain (no '%', no leading '-').");
    };
    if user.is_some_and(|u| u.is_empty() || u.starts_with('-')) || host.is_empty() || host.starts_with('-') || port == Some(0) {
        return err("The host part is user@host:port, each part plain (no '%', no leading '-').");
    }
    // Parameters that only point libvirt at key material; `netcat=`, `command=`, `socket=` and
    // friends would choose programs or sockets and are refused.
    const PARAMS: [&str; 5] = ["keyfile", "known_hosts", "no_verify", "pkipath", "sshauth"];
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split_once('=').map(|(k, _)| k).unwrap_or(pair);
        if !PARAMS.contains(&key) {
            return Err(ApiError::invalid("uri", format!("The URI parameter {key:?} is not allowed; allowed: {}.", PARAMS.join(", "))));
        }
    }
    Ok(())
}

/// `[user@]host[:port]` (IPv6 hosts in brackets) → its parts; `None` when the port is not a
/// number or a '%' appears (no escapes: what is written is what ssh gets).
fn split_authority(authority: &str) -> Option<(Option<&str>, &str, Option<u16>)> {
    if authority.contains('%') {
        return None;
    }
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (h, tail) = rest.split_once(']')?;
        (h, tail.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = port.map(|p| p.parse::<u16>()).transpose().ok()?;
    Some((user, host, port))
}

/// How to reach a `qemu+ssh://` host with ssh, as libvirt itself does: the graphical console
/// of its VPSs goes through such a tunnel, since their VNC servers listen on that host's
/// loopback only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshEndpoint {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// `keyfile=` of the URI.
    pub keyfile: Option<String>,
    /// `known_hosts=` of the URI.
    pub known_hosts: Option<String>,
    /// `no_verify=1`: the host key is not checked.
    pub no_verify: bool,
}

/// The ssh endpoint of a valid `qemu+ssh://` URI (`None` for any other URI).
pub fn ssh_endpoint(uri: &str) -> Option<SshEndpoint> {
    validate_libvirt_uri(uri).ok()?;
    let rest = uri.strip_prefix("qemu+ssh://")?;
    let (authority, path) = rest.split_once('/')?;
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    let (user, host, port) = split_authority(authority)?;
    let param = |key: &str| query.split('&').find_map(|p| p.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()));
    Some(SshEndpoint {
        user: user.map(str::to_string),
        host: host.to_string(),
        port,
        keyfile: param("keyfile"),
        known_hosts: param("known_hosts"),
        no_verify: param("no_verify").is_some_and(|v| v == "1"),
    })
}

/// An absolute path of plain characters, without `..`.
pub fn validate_abs_path(field: &str, path: &str) -> Result<(), ApiError> {
    let ok = path.starts_with('/')
        && path.len() <= 512
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
        && !path.split('/').any(|part| part == "..");
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(field, "Use an absolute path of letters, digits, '/', '.', '_' and '-' (no '..')."))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: i64,
    pub name: String,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk_gb: u64,
    #[serde(default)]
    pub traffic_gb: Option<u64>,
    pub snapshot_limit: u32,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSettings {
    pub name: String,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk_gb: u64,
    #[serde(default)]
    pub traffic_gb: Option<u64>,
    pub snapshot_limit: u32,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl PlanSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        crate::security::validate_label("name", &self.name)?;
        if !(1..=64).contains(&self.vcpus) {
            return Err(ApiError::invalid("vcpus", "vCPUs: 1 to 64."));
        }
        if !(128..=1_048_576).contains(&self.memory_mib) {
            return Err(ApiError::invalid("memory_mib", "Memory: 128 MiB to 1 TiB."));
        }
        if !(1..=16_384).contains(&self.disk_gb) {
            return Err(ApiError::invalid("disk_gb", "Disk: 1 to 16384 GB."));
        }
        if self.traffic_gb == Some(0) {
            return Err(ApiError::invalid("traffic_gb", "Traffic quota: leave empty for none, or at least 1 GB."));
        }
        if self.snapshot_limit > 50 {
            return Err(ApiError::invalid("snapshot_limit", "Snapshots: 0 to 50."));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpPoolView {
    pub id: i64,
    pub host_id: i64,
    pub name: String,
    pub cidr: String,
    pub gateway: String,
    pub range_start: String,
    pub range_end: String,
    pub size: u32,
    pub allocated: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIpPool {
    pub host_id: i64,
    pub name: String,
    /// `203.0.113.0/24`
    pub cidr: String,
    pub gateway: String,
    pub range_start: String,
    pub range_end: String,
}

/// A parsed IPv4 network: address, prefix length.
pub fn parse_cidr(cidr: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = cidr.trim().split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    (len <= 32).then_some((addr, len))
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

impl NewIpPool {
    /// Checks the network and returns the usable range as integers (start, end).
    pub fn validate(&self) -> Result<(u32, u32), ApiError> {
        validate_slug("name", &self.name, "Pool name")?;
        let Some((net, len)) = parse_cidr(&self.cidr) else {
            return Err(ApiError::invalid("cidr", "Write the network as address/prefix, e.g. 203.0.113.0/24."));
        };
        if !(8..=30).contains(&len) {
            return Err(ApiError::invalid("cidr", "The prefix must be between /8 and /30."));
        }
        let m = mask(len);
        let net = u32::from(net);
        if net & !m != 0 {
            return Err(ApiError::invalid("cidr", format!("That is not a network address; did you mean {}/{len}?", Ipv4Addr::from(net & m))));
        }
        let broadcast = net | !m;
        let inside = |field: &str, s: &str| -> Result<u32, ApiError> {
            let ip: Ipv4Addr = s.trim().parse().map_err(|_| ApiError::invalid(field, "Enter an IPv4 address like 203.0.113.10."))?;
            let v = u32::from(ip);
            if v & m != net || v == net || v == broadcast {
                return Err(ApiError::invalid(field, format!("{ip} is not a usable address in {}.", self.cidr.trim())));
            }
            Ok(v)
        };
        let gateway = inside("gateway", &self.gateway)?;
        let start = inside("range_start", &self.range_start)?;
        let end = inside("range_end", &self.range_end)?;
        if start > end {
            return Err(ApiError::invalid("range_end", "The range must end at or after its start."));
        }
        if (start..=end).contains(&gateway) {
            return Err(ApiError::invalid("gateway", "The gateway must be outside the range handed to VPSs."));
        }
        Ok((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_uris() {
        for ok in ["qemu:///system", "test:///default", "qemu+ssh://root@10.0.0.5/system", "qemu+tls://kvm1.example.com/system", "qemu+ssh://u@h/system?keyfile=/root/.ssh/id_ed25519"] {
            assert!(validate_libvirt_uri(ok).is_ok(), "{ok}");
        }
        for bad in ["", "qemu:///session", "xen:///system", "qemu+ssh://root@h/system; rm -rf /", "qemu+ssh://-oProxyCommand=x/system", "qemu+ssh://h/session", "qemu+ext://h/system?command=/bin/sh", "qemu+ssh:///system", "qemu+ssh://h/system?netcat=/tmp/x", "qemu+ssh://u@-oProxyCommand=x/system", "qemu+ssh://-u@h/system", "qemu+ssh://h:port/system", "qemu+ssh://h%2d/system", "qemu+ssh://@h/system"] {
            assert_eq!(validate_libvirt_uri(bad).unwrap_err().field.as_deref(), Some("uri"), "{bad}");
        }
    }

    #[test]
    fn ssh_endpoints_come_from_qemu_ssh_uris_only() {
        let e = ssh_endpoint("qemu+ssh://root@10.0.0.5:2222/system?keyfile=/root/.ssh/k&no_verify=1").unwrap();
        assert_eq!(e, SshEndpoint { user: Some("root".into()), host: "10.0.0.5".into(), port: Some(2222), keyfile: Some("/root/.ssh/k".into()), known_hosts: None, no_verify: true });
        let e = ssh_endpoint("qemu+ssh://[::1]/system?known_hosts=/k").unwrap();
        assert_eq!((e.user, e.host.as_str(), e.port, e.known_hosts.as_deref(), e.no_verify), (None, "::1", None, Some("/k"), false));
        for other in ["qemu:///system", "qemu+tls://h/system", "qemu+tcp://h:16509/system", "qemu+ssh://u@-x/system"] {
            assert_eq!(ssh_endpoint(other), None, "{other}");
        }
    }

    #[test]
    fn names_and_paths() {
        assert!(validate_slug("name", "kvm-1", "Host").is_ok());
        for bad in ["", "-a", "a-", "Kvm", "a_b", "a.b", &"a".repeat(64)] {
            assert!(validate_slug("name", bad, "Host").is_err(), "{bad}");
        }
        assert!(validate_abs_path("p", "/var/lib/pier/vms").is_ok());
        for bad in ["var/lib", "/var/../etc", "/var/lib pier", "/a;b", ""] {
            assert!(validate_abs_path("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_pools() {
        let pool = |cidr: &str, gw: &str, a: &str, b: &str| NewIpPool {
            host_id: 1,
            name: "public".into(),
            cidr: cidr.into(),
            gateway: gw.into(),
            range_start: a.into(),
            range_end: b.into(),
        };
        let (s, e) = pool("203.0.113.0/24", "203.0.113.1", "203.0.113.10", "203.0.113.20").validate().unwrap();
        assert_eq!(e - s + 1, 11);
        let field = |p: NewIpPool| p.validate().unwrap_err().field.unwrap();
        assert_eq!(field(pool("203.0.113.5/24", "203.0.113.1", "203.0.113.10", "203.0.113.20")), "cidr");
        assert_eq!(field(pool("203.0.113.0/31", "203.0.113.1", "203.0.113.10", "203.0.113.20")), "cidr");
        assert_eq!(field(pool("203.0.113.0/24", "198.51.100.1", "203.0.113.10", "203.0.113.20")), "gateway");
        assert_eq!(field(pool("203.0.113.0/24", "203.0.113.15", "203.0.113.10", "203.0.113.20")), "gateway");
        assert_eq!(field(pool("203.0.113.0/24", "203.0.113.1", "203.0.113.0", "203.0.113.20")), "range_start");
        assert_eq!(field(pool("203.0.113.0/24", "203.0.113.1", "203.0.113.30", "203.0.113.20")), "range_end");
        assert_eq!(field(pool("203.0.113.0/24", "203.0.113.1", "203.0.113.10", "203.0.113.255")), "range_end");
    }

    #[test]
    fn plans() {
        let p = PlanSettings { name: "small".into(), vcpus: 1, memory_mib: 1024, disk_gb: 20, traffic_gb: None, snapshot_limit: 3, active: true };
        assert!(p.validate().is_ok());
        assert_eq!(PlanSettings { vcpus: 0, ..p.clone() }.validate().unwrap_err().field.as_deref(), Some("vcpus"));
        assert_eq!(PlanSettings { memory_mib: 64, ..p.clone() }.validate().unwrap_err().field.as_deref(), Some("memory_mib"));
        assert_eq!(PlanSettings { traffic_gb: Some(0), ..p }.validate().unwrap_err().field.as_deref(), Some("traffic_gb"));
    }
}

pub const OS_FAMILIES: [&str; 8] = ["debian", "ubuntu", "almalinux", "rocky", "fedora", "centos", "alpine", "other"];
pub const KIND_IMAGE_INSPECT: &str = "image.inspect";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// Being inspected and checksummed (a job).
    Checking,
    Ready,
    /// Refused; `error` says why.
    Failed,
}

impl ImageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Checking => "checking",
            ImageStatus::Ready => "ready",
            ImageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> ImageStatus {
        match s {
            "ready" => ImageStatus::Ready,
            "failed" => ImageStatus::Failed,
            _ => ImageStatus::Checking,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub id: i64,
    pub name: String,
    pub os_family: String,
    pub os_version: String,
    pub default_user: String,
    pub path: String,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub virtual_size: Option<u64>,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub sha256: Option<String>,
    pub min_disk_gb: u32,
    pub public: bool,
    /// Private images: the users who may use them (ids; staff only see this list filled).
    #[serde(default)]
    pub users: Vec<i64>,
    pub status: ImageStatus,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: String,
}

/// Registering an image file that is already on the panel's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewImage {
    pub name: String,
    pub path: String,
    pub os_family: String,
    pub os_version: String,
    pub default_user: String,
    pub min_disk_gb: u32,
    #[serde(default = "yes")]
    pub public: bool,
    /// When given, the file's SHA-256 must match (a download that went wrong is refused).
    #[serde(default)]
    pub expected_sha256: Option<String>,
    /// Private images: the users who may use them.
    #[serde(default)]
    pub users: Vec<i64>,
}

impl NewImage {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name, "Image name")?;
        validate_abs_path("path", &self.path)?;
        if !OS_FAMILIES.contains(&self.os_family.as_str()) {
            return Err(ApiError::invalid("os_family", format!("OS family: one of {}.", OS_FAMILIES.join(", "))));
        }
        let plain = |s: &str| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plain(&self.os_version) {
            return Err(ApiError::invalid("os_version", "OS version: 1–32 letters, digits, '.', '_' or '-' (e.g. 12 or 24.04)."));
        }
        crate::accounts::validate_username(&self.default_user)
            .map_err(|_| ApiError::invalid("default_user", "Default login user: 3–32 lower-case letters, digits, '.', '_', '-' (e.g. debian)."))?;
        if !(1..=2048).contains(&self.min_disk_gb) {
            return Err(ApiError::invalid("min_disk_gb", "Minimum disk: 1 to 2048 GB."));
        }
        if let Some(sum) = &self.expected_sha256 {
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::invalid("expected_sha256", "A SHA-256 checksum is 64 hexadecimal digits."));
            }
        }
        Ok(())
    }
}
