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
    /// Where the certificate comes from. The HTTPS server is written once a certificate exists.
    #[serde(default)]
    pub tls_mode: TlsMode,
    /// The certificate and key files (set by Pier from the chosen certificate, never typed:
    /// whatever a client sends here is replaced).
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
    /// Advanced: nginx directives added inside the site's server blocks as written (admins).
    /// Braces and quotes must balance so the text stays inside its block; `nginx -t` judges
    /// the rest, and a refusal leaves the live configuration untouched.
    #[serde(default)]
    pub snippet: Option<String>,
    /// Password protection: the name of an access list whose users must sign in (HTTP basic
    /// authentication), or none.
    #[serde(default)]
    pub access_list: Option<String>,
    /// With both an allow list and an access list: `true` lets in an allowed address *or* a
    /// person with a password (nginx `satisfy any`); `false` asks for both.
    #[serde(default)]
    pub satisfy_any: bool,
}

/// Where a site's certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain HTTP only.
    #[default]
    None,
    /// Issued (and renewed) by Pier from the ACME directory for the site's names.
    Acme,
    /// A certificate from the list (uploaded or issued), by id.
    Certificate { id: i64 },
    /// The default wildcard certificate (for names under its domain).
    Wildcard,
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
        if (self.tls_mode != TlsMode::None) != self.https_port.is_some() {
            return Err(ApiError::invalid("https_port", "An HTTPS port goes with a certificate, and a certificate with an HTTPS port."));
        }
        if let Some(t) = &self.tls {
            for p in [&t.certificate, &t.key] {
                if !p.starts_with('/') || !quotable(p) || p.contains(' ') || p.split('/').any(|s| s == "..") {
                    return Err(ApiError::invalid("tls", "Certificate files are absolute paths Pier chose."));
                }
            }
        }
        if (self.force_https || self.hsts || self.http2) && self.tls_mode == TlsMode::None {
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
        if let Some(s) = &self.snippet {
            validate_config_text("snippet", s, 16 * 1024)?;
        }
        if let Some(list) = &self.access_list {
            validate_slug("access_list", list)?;
        }
        if self.satisfy_any && (self.allow.is_empty() || self.access_list.is_none()) {
            return Err(ApiError::invalid("satisfy_any", "\"Address or password\" needs both an allow list and an access list."));
        }
        Ok(())
    }
}

/// A list of people who may open password-protected sites (HTTP basic authentication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessListInput {
    /// Its name (sites refer to it by name; the browser's sign-in prompt shows it):
    /// lowercase letters, digits and '-'.
    pub name: String,
    pub users: Vec<AccessUserInput>,
}

/// One person on an access list. The password is sent only when it is set or changed: an
/// existing user without one keeps the password they have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessUserInput {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// An access list as shown: never its password hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessListView {
    pub id: i64,
    pub name: String,
    pub users: Vec<String>,
    /// Sites protected by it.
    pub used_by: Vec<String>,
}

/// Basic-auth user names: they are written as `name:hash` lines, so no ':' and nothing that
/// could start a new line.
pub fn validate_access_username(s: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("users", format!("{s:?}: a user name is 1–64 letters, digits, '.', '_', '-' or '@'.")))
    }
}

/// Passwords of access-list users: 8–128 printable characters (they are hashed, never written
/// as they are).
pub fn validate_access_password(s: &str) -> Result<(), ApiError> {
    if (8..=128).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ApiError::invalid("users", "A password is 8–128 printable characters."))
    }
}

impl AccessListInput {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name)?;
        if self.users.is_empty() || self.users.len() > 500 {
            return Err(ApiError::invalid("users", "Give 1–500 users."));
        }
        let mut seen = std::collections::HashSet::new();
        for u in &self.users {
            validate_access_username(&u.username)?;
            if let Some(p) = &u.password {
                validate_access_password(p)?;
            }
            if !seen.insert(u.username.as_str()) {
                return Err(ApiError::invalid("users", format!("{} is given twice.", u.username)));
            }
        }
        Ok(())
    }
}

/// Free configuration text (a snippet, a raw site): bounded, printable, and with its braces
/// and quotes balanced outside comments, so it cannot close the block it is written into.
pub fn validate_config_text(field: &str, text: &str, max: usize) -> Result<(), ApiError> {
    if text.len() > max {
        return Err(ApiError::invalid(field, format!("At most {} KiB.", max / 1024)));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ApiError::invalid(field, "Only printable text, tabs and line breaks."));
    }
    let mut depth = 0i32;
    for (n, line) in text.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for c in line.chars() {
            match (quote, c) {
                (_, _) if escaped => escaped = false,
                (_, '\\') => escaped = true,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '#') => break,
                (None, '"' | '\'') => quote = Some(c),
                (None, '{') => depth += 1,
                (None, '}') => {
                    depth -= 1;
                    if depth < 0 {
                        return Err(ApiError::invalid(field, format!("Line {}: this '}}' closes a block the text did not open.", n + 1)));
                    }
                }
                _ => {}
            }
        }
        if quote.is_some() {
            return Err(ApiError::invalid(field, format!("Line {}: a quote is not closed.", n + 1)));
        }
    }
    if depth != 0 {
        return Err(ApiError::invalid(field, "A '{' is not closed."));
    }
    Ok(())
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

/// An active health check of a pool's members: `GET path` on each member every `interval_s`;
/// a member answering anything but `expected_status` (or nothing within `timeout_ms`) is taken
/// out of the pool after `fall` failures in a row and put back after `rise` successes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub path: String,
    pub interval_s: u32,
    pub expected_status: u16,
    pub timeout_ms: u32,
    #[serde(default = "one")]
    pub fall: u16,
    #[serde(default = "one")]
    pub rise: u16,
}

impl HealthCheck {
    pub fn validate(&self) -> Result<(), ApiError> {
        if !path_ok(&self.path) {
            return Err(ApiError::invalid("health", "The check path starts with / (like /health)."));
        }
        if !(1..=3600).contains(&self.interval_s) || !(100..=60_000).contains(&self.timeout_ms) || !(100..=599).contains(&self.expected_status) {
            return Err(ApiError::invalid("health", "Interval 1–3600 s, timeout 100–60000 ms, expected status 100–599."));
        }
        if !(1..=100).contains(&self.fall) || !(1..=100).contains(&self.rise) {
            return Err(ApiError::invalid("health", "Fall and rise are 1–100 checks."));
        }
        Ok(())
    }
}

/// What a person sends to create or change a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInput {
    pub spec: PoolSpec,
    #[serde(default)]
    pub health: Option<HealthCheck>,
}

impl PoolInput {
    pub fn validate(&self) -> Result<(), ApiError> {
        self.spec.validate()?;
        self.health.as_ref().map_or(Ok(()), HealthCheck::validate)
    }
}

/// A member's health as last checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberHealth {
    /// `host:port`.
    pub member: String,
    /// `None`: not checked (no health check, or none yet).
    pub up: Option<bool>,
    /// When it last changed (unix seconds).
    pub since: Option<i64>,
    /// Why it is down ("connection refused", "status 500, expected 200").
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    pub id: i64,
    pub spec: PoolSpec,
    pub health: Option<HealthCheck>,
    pub members: Vec<MemberHealth>,
    /// Sites whose locations proxy to it.
    pub used_by: Vec<String>,
}

/// One change of a member's health, kept as history and pushed live on `sites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthChange {
    pub pool: String,
    pub member: String,
    pub up: bool,
    pub at: i64,
    pub message: Option<String>,
}

/// A site is written from the typed model, or kept as raw text (an adopted file, or an
/// admin's choice) that goes through the same test-and-swap pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SiteBody {
    Typed { spec: SiteSpec },
    Raw { text: String },
}

/// What a person sends to create or change a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInput {
    pub name: String,
    pub body: SiteBody,
}

/// Raw sites: at most this much text.
pub const RAW_SITE_MAX: usize = 256 * 1024;

impl SiteInput {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name)?;
        match &self.body {
            SiteBody::Typed { spec } => {
                if spec.name != self.name {
                    return Err(ApiError::invalid("name", "The site's name and its model's name differ."));
                }
                spec.validate()
            }
            SiteBody::Raw { text } => validate_config_text("raw", text, RAW_SITE_MAX),
        }
    }
}

/// Where a site's configuration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ApplyState {
    /// Its latest version is live.
    Live,
    /// Its latest version was refused by `nginx -t` (or could not be loaded); the version
    /// before it keeps serving.
    Rejected { message: String, line: Option<u32> },
    /// Saved while disabled: nothing of it is served.
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    pub body: SiteBody,
    pub server_names: Vec<String>,
    pub enabled: bool,
    pub state: ApplyState,
    /// The live version's number (`None` before the first successful apply).
    pub live_version: Option<i64>,
    pub certificate: Option<CertificateBrief>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateBrief {
    pub id: i64,
    pub name: String,
    pub not_after: Option<i64>,
}

/// One saved version of a site: what was asked for and what nginx made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteVersion {
    pub id: i64,
    pub number: i64,
    /// `live`, `superseded`, `rejected`.
    pub state: String,
    pub message: Option<String>,
    pub actor: String,
    pub created_at: i64,
    /// The rendered configuration text of the site at this version.
    pub rendered: String,
}

/// A line diff between two versions' rendered text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `+`, `-` or ` `.
    pub change: char,
    pub text: String,
}

/// A configuration file nginx loads that Pier did not write (read-only until adopted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignConfig {
    pub path: String,
    pub text: String,
    /// The site name adopting it would give.
    pub suggested_name: String,
}

/// nginx as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NginxStatus {
    pub running: bool,
    pub pid: Option<i32>,
    pub version: Option<String>,
    pub workers: u32,
    /// From stub_status.
    pub active_connections: Option<u64>,
    pub accepts: Option<u64>,
    pub handled: Option<u64>,
    pub requests: Option<u64>,
    pub reading: Option<u64>,
    pub writing: Option<u64>,
    pub waiting: Option<u64>,
    /// The live version directory.
    pub live_version: Option<String>,
    pub error: Option<String>,
}

/// Request figures of one site over a window, parsed from its access log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SiteMetrics {
    pub site: String,
    pub window_s: u32,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Responses by class: 1xx … 5xx.
    pub status: [u64; 5],
    pub bytes_sent: u64,
    pub upstream_p50_ms: Option<f64>,
    pub upstream_p95_ms: Option<f64>,
}

/// Live events on the `sites` topic (staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SitesEvent {
    Health(HealthChange),
    Applied { version: String },
}

/// What the admin asks nginx to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NginxAction {
    Test,
    Reload,
    Restart,
}

/// Which log of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Access,
    Error,
}

/// Whether a DNS-01 TXT record is visible yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsCheck {
    pub record: String,
    pub expected: String,
    pub found: Vec<String>,
    pub ok: bool,
}
