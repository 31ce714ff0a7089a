//! Sites on nginx: the typed model people edit, and the rules every value must meet before it
//! may reach a configuration file. Values are never pasted into the config as they come: each
//! is checked here against what its directive accepts (so `;`, `{`, `}`, quotes, newlines and
//! `$` cannot start a new directive or a variable), and the renderer quotes what it writes.

use crate::ApiError;
use serde::{Deserialize, Serialize};

/// A site: the names it answers for, how it listens, and what each path does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSpec {
    /// Pier's name for it (also its file name): lowercase letters, digits and '-'.
    pub name: String,
    /// `example.com`, `www.example.com`, `*.example.com`.
    pub server_names: Vec<String>,
    /// Plain HTTP port (80 in production; tests use high loopback ports).
    pub http_port: u16,
    /// The TLS port when the site has a certificate.
    pub https_port: Option<u16>,
    /// The certificate and key files (set by Pier from the chosen certificate, never typed).
    #[serde(default)]
    pub tls: Option<TlsFiles>,
    #[serde(default)]
    pub force_https: bool,
    #[serde(default)]
    pub hsts: bool,
    #[serde(default)]
    pub http2: bool,
    /// Largest request body, MiB (nginx's default is 1).
    #[serde(default)]
    pub max_body_mib: Option<u32>,
    pub locations: Vec<Location>,
    /// Only these addresses or networks may connect (empty: everyone), then `deny`.
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFiles {
    pub certificate: String,
    pub key: String,
}

/// What a path does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// A prefix (`/`, `/api/`) or an exact match written `= /health`.
    pub path: String,
    pub action: LocationAction,
    /// Pass websocket upgrades through (proxy only).
    #[serde(default)]
    pub websocket: bool,
    /// Response headers added here (`X-Frame-Options: DENY`).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocationAction {
    /// To a pool of upstream servers (by the pool's name).
    Proxy { pool: String },
    /// Files from a folder on this machine.
    Static { root: String },
    /// `301`/`302`/`307`/`308` to a URL.
    Redirect { to: String, code: u16 },
    /// A fixed status (e.g. 404, 410, 503) with an optional short text body.
    Status { code: u16, body: Option<String> },
}

/// A pool of upstream servers a location proxies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSpec {
    pub name: String,
    pub method: BalanceMethod,
    pub members: Vec<PoolMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BalanceMethod {
    RoundRobin,
    LeastConn,
    IpHash,
    /// `hash <key> consistent` — the key is a variable name such as `request_uri`.
    Hash { key: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMember {
    /// An IP address or host name.
    pub host: String,
    pub port: u16,
    #[serde(default = "one")]
    pub weight: u16,
    #[serde(default)]
    pub backup: bool,
    #[serde(default = "one")]
    pub max_fails: u16,
    #[serde(default = "ten")]
    pub fail_timeout_s: u16,
    /// Taken out by a failed health check (rendered as `down`).
    #[serde(default)]
    pub down: bool,
}

fn one() -> u16 {
    1
}

fn ten() -> u16 {
    10
}

/// Site and pool names: they become file and upstream names.
pub fn validate_slug(field: &str, s: &str) -> Result<(), ApiError> {
    let ok = (1..=63).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !s.starts_with('-') && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(field, "1–63 lowercase letters, digits or '-', not starting or ending with '-'."))
    }
}

/// A DNS name for `server_name`: labels of letters, digits and '-', optionally `*.` first.
pub fn validate_server_name(s: &str) -> Result<(), ApiError> {
    let bare = s.strip_prefix("*.").unwrap_or(s);
    let label_ok = |l: &str| (1..=63).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !l.starts_with('-') && !l.ends_with('-');
    let ok = !bare.is_empty() && s.len() <= 253 && bare.split('.').all(label_ok);
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("server_names", format!("{s:?} is not a host name (like example.com or *.example.com).")))
    }
}

/// Characters a location path may hold: enough for real paths, none that nginx's parser or a
/// regex would read as syntax.
fn path_ok(p: &str) -> bool {
    p.starts_with('/') && p.len() <= 512 && p.chars().all(|c| c.is_ascii_alphanumeric() || "/-._~%+@!,:=".contains(c))
}

/// A value that will be written inside double quotes: printable, no quote, backslash or `$`
/// (nginx would read `$` as a variable; there is no escape for it inside a string).
pub fn quotable(s: &str) -> bool {
    s.chars().all(|c| (' '..='~').contains(&c) && !matches!(c, '"' | '\\' | '$' | '{' | '}' | ';'))
}

fn header_name_ok(n: &str) -> bool {
    (1..=64).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// An address or network for allow/deny: IPv4/IPv6 with an optional prefix length.
fn network_ok(s: &str) -> bool {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let max = if addr.contains(':') { 128 } else { 32 };
    addr.parse::<std::net::IpAddr>().is_ok() && bits.is_none_or(|b| b.parse::<u8>().is_ok_and(|b| b <= max))
}

/// A URL to redirect to: `https://…` or `http://…` or a path, quotable.
fn url_ok(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://") || s.starts_with('/')) && s.len() <= 2048 && quotable(s) && !s.contains(' ')
}

impl SiteSpec {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name)?;
        if self.server_names.is_empty() || self.server_names.len() > 50 {
            return Err(ApiError::invalid("server_names", "Give 1–50 host names."));
        }
        for n in &self.server_names {
            validate_server_name(n)?;
        }
        if self.http_port == 0 || self.https_port == Some(0) || Some(self.http_port) == self.https_port {
            return Err(ApiError::invalid("http_port", "Ports are 1–65535, and HTTP and HTTPS need different ones."));
        }
        if self.tls.is_some() != self.https_port.is_some() {
            return Err(ApiError::invalid("https_port", "An HTTPS port goes with a certificate, and a certificate with an HTTPS port."));
        }
        if let Some(t) = &self.tls {
            for p in [&t.certificate, &t.key] {
                if !p.starts_with('/') || !quotable(p) || p.contains(' ') || p.split('/').any(|s| s == "..") {
                    return Err(ApiError::invalid("tls", "Certificate files are absolute paths Pier chose."));
                }
            }
        }
        if (self.force_https || self.hsts || self.http2) && self.tls.is_none() {
            return Err(ApiError::invalid("force_https", "Forcing HTTPS, HSTS and HTTP/2 need a certificate."));
        }
        if self.max_body_mib.is_some_and(|m| m == 0 || m > 65_536) {
            return Err(ApiError::invalid("max_body_mib", "1 MiB to 64 GiB."));
        }
        if self.locations.is_empty() || self.locations.len() > 100 {
            return Err(ApiError::invalid("locations", "Give 1–100 locations."));
        }
        let mut seen = std::collections::HashSet::new();
        for l in &self.locations {
            l.validate()?;
            if !seen.insert(l.path.as_str()) {
                return Err(ApiError::invalid("locations", format!("{} is given twice.", l.path)));
            }
        }
        for n in self.allow.iter().chain(&self.deny) {
            if !network_ok(n) {
                return Err(ApiError::invalid("allow", format!("{n:?} is not an address or network (like 10.0.0.0/8).")));
            }
        }
        Ok(())
    }
}

impl Location {
    pub fn validate(&self) -> Result<(), ApiError> {
        let bare = self.path.strip_prefix("= ").unwrap_or(&self.path);
        if !path_ok(bare) {
            return Err(ApiError::invalid("locations", format!("{:?} is not a path (it starts with / and has no spaces, quotes, braces, ';' or '$'); '= /x' matches exactly.", self.path)));
        }
        match &self.action {
            LocationAction::Proxy { pool } => validate_slug("locations", pool)?,
            LocationAction::Static { root } => {
                if !root.starts_with('/') || !quotable(root) || root.contains(' ') || root.split('/').any(|s| s == "..") {
                    return Err(ApiError::invalid("locations", format!("{root:?} is not an absolute folder path.")));
                }
            }
            LocationAction::Redirect { to, code } => {
                if !matches!(code, 301 | 302 | 307 | 308) || !url_ok(to) {
                    return Err(ApiError::invalid("locations", "A redirect is 301, 302, 307 or 308 to an http(s) URL or a path."));
                }
            }
            LocationAction::Status { code, body } => {
                if !(200..=599).contains(code) || body.as_ref().is_some_and(|b| b.len() > 1024 || !quotable(b)) {
                    return Err(ApiError::invalid("locations", "A status is 200–599; its text up to 1024 printable characters without quotes, '\\\\', '$', braces or ';'."));
                }
            }
        }
        if self.websocket && !matches!(self.action, LocationAction::Proxy { .. }) {
            return Err(ApiError::invalid("locations", "Websocket upgrades apply to proxied locations."));
        }
        if self.headers.len() > 20 {
            return Err(ApiError::invalid("headers", "At most 20 headers per location."));
        }
        for (n, v) in &self.headers {
            if !header_name_ok(n) || v.len() > 1024 || !quotable(v) {
                return Err(ApiError::invalid("headers", format!("Header {n:?}: a name of letters, digits and '-', a printable value without quotes, '\\\\', '$', braces or ';'.")));
            }
        }
        Ok(())
    }
}

impl PoolSpec {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name)?;
        if let BalanceMethod::Hash { key } = &self.method {
            if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                return Err(ApiError::invalid("method", "The hash key is an nginx variable name without '$' (like request_uri or remote_addr)."));
            }
        }
        if self.members.is_empty() || self.members.len() > 256 {
            return Err(ApiError::invalid("members", "Give 1–256 members."));
        }
        for m in &self.members {
            let host_ok = m.host.parse::<std::net::IpAddr>().is_ok() || validate_server_name(&m.host).is_ok() && !m.host.starts_with('*');
            if !host_ok || m.port == 0 || m.weight == 0 || m.weight > 1000 {
                return Err(ApiError::invalid("members", format!("{}:{} is not host:port with a weight of 1–1000.", m.host, m.port)));
            }
        }
        if matches!(self.method, BalanceMethod::IpHash | BalanceMethod::Hash { .. }) && self.members.iter().any(|m| m.backup) {
            return Err(ApiError::invalid("members", "nginx does not allow backup members with ip_hash or hash."));
        }
        Ok(())
    }
}
