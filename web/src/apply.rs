//! Putting a configuration live without ever breaking the running one:
//!
//! 1. the whole configuration (main file, pools, sites) is written as a new version directory
//!    under `<prefix>/versions/`;
//! 2. `nginx -t` tests that version as a whole; a refusal leaves everything live untouched and
//!    keeps the version (renamed `rejected-…`) for inspection, with nginx's message mapped to
//!    the site file and line;
//! 3. the `<prefix>/live` link is switched to it atomically (a new link renamed over the old);
//! 4. nginx is reloaded (or started) and the reload is checked in the error log: a version that
//!    passed the test but cannot be loaded (a port already in use) is rolled back — the link
//!    goes back and nginx reloads the previous version, which keeps serving.
//!
//! nginx runs under its own prefix with absolute include paths (a relative include would be
//! resolved against the conf dir and silently match nothing, design.md §5).

use crate::error::WebError;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// The rendered files of one configuration: `(name, text)` for pools and sites, and the
/// password files of access lists (`(name, htpasswd lines)`).
#[derive(Debug, Clone, Default)]
pub struct SiteFiles {
    pub pools: Vec<(String, String)>,
    pub sites: Vec<(String, String)>,
    pub auth: Vec<(String, String)>,
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The version directory's name now live.
    pub version: String,
    /// True when nginx was not running and was started.
    pub started: bool,
}

/// Versions kept besides the live one (older ones are removed after a successful apply).
const KEEP_VERSIONS: usize = 10;
/// How long a reload may take to show up in the error log before it counts as failed.
const RELOAD_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Nginx {
    binary: String,
    prefix: PathBuf,
    /// The panel's own folder the prefix lives in (its data dir): folders from there down to the
    /// prefix are opened to nginx's workers' group (see `allow_traversal`).
    private_root: Option<PathBuf>,
}

impl Nginx {
    /// `prefix` must be absolute (it is written into the configuration).
    pub fn new(binary: impl Into<String>, prefix: impl Into<PathBuf>) -> Self {
        Self { binary: binary.into(), prefix: prefix.into(), private_root: None }
    }

    /// Names the panel's folder that holds the prefix (see `allow_traversal`).
    pub fn within(mut self, root: impl Into<PathBuf>) -> Self {
        self.private_root = Some(root.into());
        self
    }

    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    fn live(&self) -> PathBuf {
        self.prefix.join("live")
    }

    fn error_log(&self) -> PathBuf {
        self.prefix.join("logs/error.log")
    }

    /// The unix socket of nginx's `stub_status` (connections and requests counters).
    pub fn status_socket(&self) -> PathBuf {
        self.prefix.join("run/status.sock")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.prefix.join("logs")
    }

    fn pid_file(&self) -> PathBuf {
        self.prefix.join("run/nginx.pid")
    }

    /// The main configuration of version directory `dir`.
    fn main_conf(&self, dir: &Path) -> String {
        let p = self.prefix.display();
        let d = dir.display();
        let mime = if Path::new("/etc/nginx/mime.types").exists() { "    include /etc/nginx/mime.types;\n" } else { "" };
        let user = worker_account().map(|(group, _)| format!("user nobody {group};\n")).unwrap_or_default();
        format!(
            "# Written by Pier: the panel replaces this file on every apply.\n\
             {user}worker_processes auto;\n\
             pid {p}/run/nginx.pid;\n\
             error_log {p}/logs/error.log notice;\n\
             events {{\n    worker_connections 1024;\n}}\n\
             http {{\n{mime}    default_type application/octet-stream;\n\
             \x20   log_format {fmt} '$time_iso8601 $status $body_bytes_sent $request_time $upstream_response_time \"$request\"';\n\
             \x20   access_log {p}/logs/access.log;\n\
             \x20   server_tokens off;\n\
             \x20   client_body_temp_path {p}/tmp/body;\n    proxy_temp_path {p}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {p}/tmp/fastcgi;\n    uwsgi_temp_path {p}/tmp/uwsgi;\n    scgi_temp_path {p}/tmp/scgi;\n\
             \x20   server {{\n        listen unix:{p}/run/status.sock;\n        access_log off;\n        location = /status {{\n            stub_status;\n        }}\n    }}\n\
             \x20   include {d}/pools/*.conf;\n    include {d}/sites/*.conf;\n}}\n",
            fmt = crate::render::LOG_FORMAT
        )
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Result<std::process::Output, WebError> {
        Command::new(&self.binary)
            .arg("-p")
            .arg(&self.prefix)
            .args(args)
            .output()
            .await
            .map_err(|e| WebError::Binary { binary: self.binary.clone(), message: e.to_string() })
    }

    /// nginx's version (`nginx version: nginx/1.22.1` → `1.22.1`).
    pub async fn version(&self) -> Result<String, WebError> {
        let out = self.run(&["-v"]).await?;
        let text = String::from_utf8_lossy(&out.stderr);
        Ok(text.trim().rsplit('/').next().unwrap_or_default().to_string())
    }

    /// The master's pid when nginx runs under this prefix.
    pub fn running_pid(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(self.pid_file()).ok()?.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// Writes `files` as a new version, tests it, switches to it and reloads (or starts) nginx;
    /// rolls back when nginx cannot load it. See the module comment.
    pub async fn apply(&self, files: &SiteFiles) -> Result<Applied, WebError> {
        for d in ["versions", "logs", "run", "tmp"] {
            tokio::fs::create_dir_all(self.prefix.join(d)).await?;
        }
        allow_traversal(&self.prefix, self.private_root.as_deref())?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let version = format!("v{stamp}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let dir = self.prefix.join("versions").join(&version);
        self.write_version(&dir, files).await?;

        let conf = dir.join("nginx.conf");
        let test = self.run(&["-t", "-q", "-c", &conf.display().to_string()]).await?;
        if !test.status.success() {
            let message = String::from_utf8_lossy(&test.stderr).trim().to_string();
            let (site, line) = locate(&message, &dir);
            let rejected = self.prefix.join("versions").join(format!("rejected-{version}"));
            let _ = tokio::fs::rename(&dir, &rejected).await;
            return Err(WebError::Rejected { site, line, message: tidy(&message, &dir), version: format!("rejected-{version}") });
        }

        let previous = tokio::fs::read_link(self.live()).await.ok();
        self.point_live_at(&dir).await?;
        match self.reload_or_start().await {
            Ok(started) => {
                self.prune(&version).await;
                Ok(Applied { version, started })
            }
            Err(mut message) => {
                let rolled_back = match &previous {
                    Some(prev) => {
                        self.point_live_at(prev).await?;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        match self.reload_or_start().await {
                            Ok(_) => true,
                            Err(again) => {
                                message.push_str(&format!("; reloading the previous version failed too: {again}"));
                                false
                            }
                        }
                    }
                    None => {
                        let _ = tokio::fs::remove_file(self.live()).await;
                        false
                    }
                };
                let _ = tokio::fs::rename(&dir, self.prefix.join("versions").join(format!("rejected-{version}"))).await;
                Err(WebError::ReloadFailed { message, rolled_back })
            }
        }
    }

    async fn write_version(&self, dir: &Path, files: &SiteFiles) -> Result<(), WebError> {
        for sub in ["pools", "sites", "auth"] {
            tokio::fs::create_dir_all(dir.join(sub)).await?;
        }
        for (sub, ext, list) in [("pools", "conf", &files.pools), ("sites", "conf", &files.sites), ("auth", "htpasswd", &files.auth)] {
            for (name, text) in list {
                let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    return Err(WebError::Unsafe(name.clone()));
                }
                tokio::fs::write(dir.join(sub).join(format!("{name}.{ext}")), text).await?;
            }
        }
        restrict_password_files(&dir.join("auth")).await?;
        // The main file last: a version directory with a main file is complete.
        tokio::fs::write(dir.join("nginx.conf"), self.main_conf(dir)).await?;
        Ok(())
    }

    /// Switches `live` to `target` in one rename (readers see the old or the new link, never none).
    async fn point_live_at(&self, target: &Path) -> Result<(), WebError> {
        let tmp = self.prefix.join(format!(".live-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::symlink(target, &tmp).await?;
        tokio::fs::rename(&tmp, self.live()).await?;
        Ok(())
    }

    /// Reloads a running nginx, or starts one, on `live/nginx.conf`; checks the outcome in the
    /// error log. Returns whether it started nginx, or nginx's complaint.
    pub(crate) async fn reload_or_start(&self) -> Result<bool, String> {
        let conf = self.live().join("nginx.conf").display().to_string();
        let log_start = tokio::fs::metadata(self.error_log()).await.map(|m| m.len()).unwrap_or(0);
        if let Some(pid) = self.running_pid() {
            let out = self.run(&["-c", &conf, "-s", "reload"]).await.map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
            }
            self.await_reload(pid, log_start).await.map(|_| false)
        } else {
            // A socket file left by an nginx that did not stop cleanly would block the bind.
            let _ = tokio::fs::remove_file(self.status_socket()).await;
            let out = self.run(&["-c", &conf]).await.map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(true)
            } else {
                Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
            }
        }
    }

    /// After SIGHUP the master logs `reconfiguring`, then either starts new workers or logs an
    /// `[emerg]` and keeps the old configuration.
    async fn await_reload(&self, _pid: i32, from: u64) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + RELOAD_WAIT;
        let mut settle_by: Option<tokio::time::Instant> = None;
        loop {
            let text = tokio::fs::read(self.error_log()).await.unwrap_or_default();
            let new = String::from_utf8_lossy(text.get(from as usize..).unwrap_or_default()).into_owned();
            // Only what follows this reload's "reconfiguring": a failed earlier reload may still
            // be writing its own lines when this one starts.
            if let Some(at) = new.rfind("reconfiguring") {
                let after = &new[at..];
                if let Some(line) = after.lines().find(|l| l.contains("[emerg]") || l.contains("[alert]")) {
                    return Err(line.split_once("] ").map(|(_, m)| m).unwrap_or(line).trim().to_string());
                }
                // New workers are up; old ones stop accepting when they log this (waited for
                // briefly, so a request right after an apply meets the new configuration).
                if after.contains("start worker process") {
                    let settle = *settle_by.get_or_insert_with(|| tokio::time::Instant::now() + Duration::from_secs(1));
                    if after.contains("gracefully shutting down") || tokio::time::Instant::now() > settle {
                        return Ok(());
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err("nginx did not confirm the reload within 5 seconds".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops nginx under this prefix (tests, shutdown) and waits for it to go.
    pub async fn stop(&self) {
        if let Some(pid) = self.running_pid() {
            let _ = self.run(&["-c", &self.live().join("nginx.conf").display().to_string(), "-s", "quit"]).await;
            for _ in 0..100 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Keeps the newest KEEP_VERSIONS applied versions (and the live one).
    /// Keeps the newest `KEEP_VERSIONS` applied versions besides the live one, and as many
    /// rejected ones (their text is in the sites' history too).
    async fn prune(&self, live: &str) {
        let Ok(mut rd) = tokio::fs::read_dir(self.prefix.join("versions")).await else { return };
        let (mut applied, mut rejected) = (Vec::new(), Vec::new());
        while let Ok(Some(e)) = rd.next_entry().await {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('v') && name != live {
                applied.push(name);
            } else if name.starts_with("rejected-v") {
                rejected.push(name);
            }
        }
        for mut kind in [applied, rejected] {
            // Names hold the time in milliseconds: in name order, the oldest first.
            kind.sort();
            let excess = kind.len().saturating_sub(KEEP_VERSIONS);
            for old in &kind[..excess] {
                let _ = tokio::fs::remove_dir_all(self.prefix.join("versions").join(old)).await;
            }
        }
    }
}

/// `… in /…/versions/vX/sites/shop.conf:12` → (`shop`, 12). Some errors are found after
/// parsing and name no file (`cannot load certificate "/x.pem"`): then the site is the one whose
/// file holds the quoted value nginx names.
fn locate(message: &str, dir: &Path) -> (Option<String>, Option<u32>) {
    let sites = format!("{}/sites/", dir.display());
    let Some(at) = message.find(&sites) else { return locate_value(message, &dir.join("sites")) };
    let rest = &message[at + sites.len()..];
    let Some((name, tail)) = rest.split_once(".conf:") else { return (None, None) };
    let line = tail.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok();
    (Some(name.to_string()), line)
}

fn locate_value(message: &str, sites: &Path) -> (Option<String>, Option<u32>) {
    let Some(value) = message.split('"').nth(1).filter(|v| !v.is_empty()) else { return (None, None) };
    let needle = format!("\"{value}\"");
    let Ok(entries) = std::fs::read_dir(sites) else { return (None, None) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(site) = name.strip_suffix(".conf") else { continue };
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            if let Some(n) = text.lines().position(|l| l.contains(&needle)) {
                return (Some(site.to_string()), Some(n as u32 + 1));
            }
        }
    }
    (None, None)
}

/// nginx's message without the test's boilerplate lines and with paths shortened.
fn tidy(message: &str, dir: &Path) -> String {
    message
        .lines()
        .filter(|l| !l.contains("configuration file") || l.contains("[emerg]"))
        .map(|l| l.replace(&format!("{}/", dir.display()), "").replace("nginx: ", ""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_messages_point_at_the_site_and_line() {
        let dir = Path::new("/p/versions/v1");
        let m = "nginx: [emerg] cannot load certificate \"/x.pem\": BIO_new_file() failed in /p/versions/v1/sites/shop.conf:14\nnginx: configuration file /p/versions/v1/nginx.conf test failed";
        assert_eq!(locate(m, dir), (Some("shop".into()), Some(14)));
        assert_eq!(tidy(m, dir), "[emerg] cannot load certificate \"/x.pem\": BIO_new_file() failed in sites/shop.conf:14");
        assert_eq!(locate("nginx: [emerg] unexpected end of file", dir), (None, None));
    }
}

/// Password files hold hashes: readable by nginx's workers only (their group, mode 0640; the
/// folder 0750).
async fn restrict_password_files(dir: &Path) -> Result<(), WebError> {
    use std::os::unix::fs::PermissionsExt;
    let gid = worker_account().map(|(_, gid)| gid);
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(e) = entries.next_entry().await? {
        tokio::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o640)).await?;
        if let Some(gid) = gid {
            std::os::unix::fs::chown(e.path(), None, Some(gid))?;
        }
    }
    tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750)).await?;
    if let Some(gid) = gid {
        std::os::unix::fs::chown(dir, None, Some(gid))?;
    }
    Ok(())
}

/// nginx's workers (an unprivileged user when the panel runs as root) read the ACME challenge
/// files and the password files under the prefix, and write its temp folders: the prefix and
/// the panel's folders above it (up to the data dir, `root`) that others may not pass through
/// are given to the workers' group with the "search" bit (`g+x`: pass through, not list), so a
/// data dir made 0700 does not answer every ACME challenge with 403 — and stays closed to other
/// local users. Folders above the data dir are not touched.
fn allow_traversal(prefix: &Path, root: Option<&Path>) -> Result<(), WebError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Some((_, gid)) = worker_account() else { return Ok(()) };
    let me = std::fs::metadata("/proc/self")?.uid();
    let inside = |d: &Path| root.map_or(d == prefix, |r| d.starts_with(r));
    for dir in prefix.ancestors().filter(|d| d.parent().is_some() && inside(d)) {
        let meta = std::fs::metadata(dir)?;
        let open = meta.mode() & 0o001 != 0 || (meta.gid() == gid && meta.mode() & 0o010 != 0);
        if meta.uid() == me && !open {
            std::os::unix::fs::chown(dir, None, Some(gid))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode((meta.mode() & 0o7777) | 0o010))?;
        }
    }
    Ok(())
}

/// The group nginx's workers run as, by name and id, when the panel (and so nginx's master)
/// runs as root: the main file then says `user nobody <group>` so that it is known rather than
/// left to how nginx was built. `None` when not root: the workers run as the panel's own user.
fn worker_account() -> Option<(String, u32)> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    if std::fs::metadata("/proc/self").ok()?.uid() != 0 {
        return None;
    }
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    ["nogroup", "nobody"].iter().find_map(|want| {
        groups.lines().find_map(|l| {
            let mut f = l.split(':');
            (f.next() == Some(*want)).then(|| f.nth(1).and_then(|g| g.parse().ok()).map(|gid| (want.to_string(), gid))).flatten()
        })
    })
}
