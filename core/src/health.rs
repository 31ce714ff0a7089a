//! Component checks for `pier doctor`, `GET /healthz`, the System page and the `system.check` job.
//! Each check is bounded in time and says, when something is wrong, how to fix it.

use crate::config::{smtp_address, Config};
use pier_proto::health::{Check, CheckStatus, HealthReport};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;

/// Longest a single check may take before it is reported as failing.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

pub const COMPONENTS: [&str; 6] = ["database", "data_dir", "libvirt", "docker", "nginx", "smtp"];

/// How long a report is reused by pages and `/healthz`: page views and load-balancer probes
/// must not each run every check (one writes a probe file). `report_fresh` skips the cache.
const CACHE_FOR: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct HealthChecker {
    config: Config,
    db: Option<DatabaseConnection>,
    cache: std::sync::Arc<tokio::sync::Mutex<Option<(Instant, HealthReport)>>>,
}

/// The outcome of one check before timing is added.
struct Finding {
    status: CheckStatus,
    detail: String,
    fix: Option<String>,
}

impl Finding {
    fn ok(detail: impl Into<String>) -> Self {
        Self { status: CheckStatus::Ok, detail: detail.into(), fix: None }
    }
    fn fail(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { status: CheckStatus::Fail, detail: detail.into(), fix: Some(fix.into()) }
    }
    fn warn(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { status: CheckStatus::Warn, detail: detail.into(), fix: Some(fix.into()) }
    }
    fn off(detail: impl Into<String>) -> Self {
        Self { status: CheckStatus::NotConfigured, detail: detail.into(), fix: None }
    }
}

impl HealthChecker {
    /// `db` is `None` when the database could not be opened at all (`pier doctor` still reports).
    pub fn new(config: Config, db: Option<DatabaseConnection>) -> Self {
        Self { config, db, cache: Default::default() }
    }

    /// A report at most a few seconds old. Concurrent callers share one run of the checks.
    pub async fn report(&self) -> HealthReport {
        let mut cache = self.cache.lock().await;
        if let Some((at, report)) = cache.as_ref() {
            if at.elapsed() < CACHE_FOR {
                return report.clone();
            }
        }
        let report = self.report_fresh().await;
        *cache = Some((Instant::now(), report.clone()));
        report
    }

    /// Runs every check now.
    pub async fn report_fresh(&self) -> HealthReport {
        let mut checks = Vec::with_capacity(COMPONENTS.len());
        for component in COMPONENTS {
            checks.push(self.check(component).await);
        }
        HealthReport::from_checks(env!("CARGO_PKG_VERSION"), checks)
    }

    /// Runs one component's check by id (see `COMPONENTS`).
    pub async fn check(&self, component: &str) -> Check {
        let started = Instant::now();
        let finding = match component {
            "database" => bounded(self.database()).await,
            "data_dir" => bounded(self.data_dir()).await,
            "libvirt" => bounded(self.libvirt()).await,
            "docker" => bounded(self.docker()).await,
            "nginx" => bounded(self.nginx()).await,
            "smtp" => bounded(self.smtp()).await,
            other => Finding::fail(format!("unknown component {other:?}"), "report this as a bug"),
        };
        Check {
            component: component.to_string(),
            status: finding.status,
            detail: finding.detail,
            fix: finding.fix,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn database(&self) -> Finding {
        let url = crate::db::redact(&self.config.database_url());
        let Some(db) = &self.db else {
            return Finding::fail(format!("cannot open {url}"), "check database.url / PIER_DATABASE_URL and that the data dir is writable");
        };
        let backend = db.get_database_backend();
        if let Err(e) = db.execute(Statement::from_string(backend, "SELECT 1")).await {
            return Finding::fail(format!("{url} does not answer: {e}"), "check that the database server is running and reachable");
        }
        match crate::db::pending_migrations(db).await {
            Ok(0) => Finding::ok(format!("{backend:?} at {url}, schema up to date")),
            Ok(n) => Finding::warn(format!("{n} migration(s) not applied yet"), "run `pier migrate` (or start `pier serve`, which migrates)"),
            Err(e) => Finding::fail(e.to_string(), "run `pier migrate` and read its error"),
        }
    }

    async fn data_dir(&self) -> Finding {
        let dir = self.config.data_dir();
        match ensure_writable_dir(&dir) {
            Ok(()) => Finding::ok(format!("{} is writable", dir.display())),
            Err(e) => Finding::fail(e, format!("create {} and make it writable by the user running pier, or set PIER_DATA", dir.display())),
        }
    }

    async fn libvirt(&self) -> Finding {
        if !self.config.libvirt.enabled {
            return Finding::off("libvirt is disabled (libvirt.enabled = false)");
        }
        let uri = self.config.libvirt.uri.clone();
        let probe = tokio::task::spawn_blocking(move || -> Result<(String, bool), String> {
            // libvirt prints every error to stderr by default; we report errors ourselves.
            virt::error::clear_error_callback();
            let conn = virt::connect::Connect::open(Some(&uri)).map_err(|e| e.to_string())?;
            let lib = conn.lib_version().map_err(|e| e.to_string())?;
            let driver = conn.driver_type().unwrap_or_else(|_| "?".into());
            Ok(match conn.hyp_version() {
                Ok(hyp) if hyp > 0 => (format!("{uri}: libvirt {}, {driver} {}", version_word(lib), version_word(hyp)), true),
                _ => (format!("{uri}: libvirt {}, but no {driver} hypervisor binary was found", version_word(lib)), false),
            })
        });
        match probe.await {
            Ok(Ok((detail, true))) => Finding::ok(detail),
            Ok(Ok((detail, false))) => Finding::warn(detail, "install qemu-system-x86 (from bookworm-backports on Debian 12) to run virtual machines"),
            Ok(Err(e)) => Finding::fail(
                format!("cannot connect to {}: {}", self.config.libvirt.uri, e.trim()),
                "install and start libvirtd (scripts/deps.sh does both), or set libvirt.uri / PIER_LIBVIRT_URI",
            ),
            Err(e) => Finding::fail(format!("libvirt probe crashed: {e}"), "report this as a bug"),
        }
    }

    async fn docker(&self) -> Finding {
        if !self.config.docker.enabled {
            return Finding::off("Docker is disabled (docker.enabled = false)");
        }
        let host = &self.config.docker.host;
        let client = if host.starts_with("unix://") {
            bollard::Docker::connect_with_unix(host, 5, bollard::API_DEFAULT_VERSION)
        } else {
            bollard::Docker::connect_with_http(host, 5, bollard::API_DEFAULT_VERSION)
        };
        let fix = "start dockerd (scripts/deps.sh does), or set docker.host / PIER_DOCKER_HOST";
        let client = match client {
            Ok(c) => c,
            Err(e) => return Finding::fail(format!("cannot reach {host}: {e}"), fix),
        };
        match client.version().await {
            Ok(v) => Finding::ok(format!(
                "{host}: Docker {} (API {})",
                v.version.unwrap_or_default(),
                v.api_version.unwrap_or_default()
            )),
            Err(e) => Finding::fail(format!("{host} does not answer: {e}"), fix),
        }
    }

    async fn nginx(&self) -> Finding {
        if !self.config.nginx.enabled {
            return Finding::off("nginx is disabled (nginx.enabled = false)");
        }
        let binary = &self.config.nginx.binary;
        // The binary comes from the operator's configuration and is run directly, never through a shell.
        let out = tokio::process::Command::new(binary).arg("-v").output().await;
        let version = match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stderr).trim().replace("nginx version: ", ""),
            Ok(o) => return Finding::fail(format!("`{binary} -v` failed: {}", String::from_utf8_lossy(&o.stderr).trim()), "reinstall nginx"),
            Err(e) => return Finding::fail(format!("cannot run {binary:?}: {e}"), "apt-get install nginx, or set nginx.binary / PIER_NGINX_BIN"),
        };
        let prefix = self.config.nginx_prefix();
        if prefix.is_dir() {
            Finding::ok(format!("{version}, prefix {}", prefix.display()))
        } else {
            Finding::warn(
                format!("{version}; prefix {} does not exist yet", prefix.display()),
                "it is created when the first site is applied; set nginx.prefix to use another directory",
            )
        }
    }

    async fn smtp(&self) -> Finding {
        let Some(url) = &self.config.smtp.url else {
            return Finding::off("mail is not configured (set smtp.url or PIER_SMTP_URL)");
        };
        let addr = match smtp_address(url) {
            Ok(a) => a,
            Err(e) => return Finding::fail(e, "fix smtp.url"),
        };
        let fix = "start the mail server or fix smtp.url";
        let stream = match tokio::net::TcpStream::connect(&addr).await {
            Ok(s) => s,
            Err(e) => return Finding::fail(format!("cannot connect to {addr}: {e}"), fix),
        };
        let mut greeting = String::new();
        let mut reader = tokio::io::BufReader::new(stream);
        match reader.read_line(&mut greeting).await {
            Ok(_) if greeting.starts_with("220") => Finding::ok(format!("{addr}: {}", greeting.trim())),
            Ok(_) => Finding::fail(format!("{addr} did not greet like an SMTP server: {:?}", greeting.trim()), fix),
            Err(e) => Finding::fail(format!("{addr}: {e}"), fix),
        }
    }
}

async fn bounded(f: impl Future<Output = Finding>) -> Finding {
    match tokio::time::timeout(CHECK_TIMEOUT, f).await {
        Ok(finding) => finding,
        Err(_) => Finding::fail(format!("no answer within {} s", CHECK_TIMEOUT.as_secs()), "check that the component is running and not overloaded"),
    }
}

/// libvirt encodes versions as major * 1_000_000 + minor * 1000 + release.
fn version_word(v: u32) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1000) % 1000, v % 1000)
}

/// Creates `dir` if needed and proves it is writable by writing and removing a probe file.
pub fn ensure_writable_dir(dir: &std::path::Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} exists but is not a directory", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(".pier-write-probe");
    std::fs::write(&probe, b"ok").map_err(|e| format!("{} is not writable: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libvirt_versions_read_as_words() {
        assert_eq!(version_word(9_000_000), "9.0.0");
        assert_eq!(version_word(10_000_002), "10.0.2");
    }

    #[test]
    fn a_file_is_not_a_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(ensure_writable_dir(&file).unwrap_err().contains("not a directory"));
        assert!(ensure_writable_dir(&dir.path().join("a/b")).is_ok());
    }

    #[tokio::test]
    async fn disabled_and_unconfigured_components_are_not_failures() {
        let mut config = Config::load(None, Vec::new()).unwrap();
        config.libvirt.enabled = false;
        config.docker.enabled = false;
        config.nginx.enabled = false;
        let dir = tempfile::tempdir().unwrap();
        config.data_dir = dir.path().to_owned();
        let checker = HealthChecker::new(config, None);
        for c in ["libvirt", "docker", "nginx", "smtp"] {
            assert_eq!(checker.check(c).await.status, CheckStatus::NotConfigured, "{c}");
        }
        assert_eq!(checker.check("data_dir").await.status, CheckStatus::Ok);
        let db = checker.check("database").await;
        assert_eq!(db.status, CheckStatus::Fail);
        assert!(db.fix.is_some());
    }

    #[tokio::test]
    async fn reports_are_reused_briefly_and_fresh_on_demand() {
        let mut config = Config::load(None, Vec::new()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        config.data_dir = data.clone();
        let checker = HealthChecker::new(config, None);
        let data_dir = |r: &HealthReport| r.checks.iter().find(|c| c.component == "data_dir").unwrap().status;
        assert_eq!(data_dir(&checker.report().await), CheckStatus::Ok);
        // The data dir turns into a file: the cached report does not notice, a fresh one does.
        std::fs::remove_dir_all(&data).unwrap();
        std::fs::write(&data, "x").unwrap();
        assert_eq!(data_dir(&checker.report().await), CheckStatus::Ok);
        assert_eq!(data_dir(&checker.report_fresh().await), CheckStatus::Fail);
    }

    #[tokio::test]
    async fn libvirt_check_talks_to_a_real_driver() {
        let mut config = Config::load(None, Vec::new()).unwrap();
        config.libvirt.uri = "test:///default".into();
        let check = HealthChecker::new(config.clone(), None).check("libvirt").await;
        assert_eq!(check.status, CheckStatus::Ok, "{check:?}");
        assert!(check.detail.contains("libvirt"), "{}", check.detail);
        config.libvirt.uri = "qemu+unix:///system?socket=/nonexistent/sock".into();
        let check = HealthChecker::new(config, None).check("libvirt").await;
        assert_eq!(check.status, CheckStatus::Fail, "{check:?}");
        assert!(check.fix.unwrap().contains("libvirtd"));
    }

    /// The real daemons `scripts/deps.sh runtime` starts. CI sets PIER_TEST_REQUIRE_ALL=1, so a
    /// missing daemon fails the suite there instead of being skipped.
    #[tokio::test]
    async fn installed_daemons_answer() {
        if std::env::var("PIER_TEST_REQUIRE_ALL").is_err() {
            eprintln!("PIER_TEST_REQUIRE_ALL unset: not requiring local libvirtd and dockerd");
            return;
        }
        let config = Config::load(None, Vec::new()).unwrap();
        let checker = HealthChecker::new(config, None);
        for component in ["libvirt", "docker"] {
            // Up to three tries: the suite boots QEMU guests (TCG) alongside, and a daemon
            // that is slow for 5 s once under that load still answers.
            let mut check = checker.check(component).await;
            for _ in 0..2 {
                if check.status != CheckStatus::Fail {
                    break;
                }
                check = checker.check(component).await;
            }
            assert_ne!(check.status, CheckStatus::Fail, "{check:?}");
        }
    }

    #[tokio::test]
    async fn smtp_check_talks_to_a_real_listener() {
        // A real TCP peer that greets like an SMTP server, and one that does not.
        for (greeting, want) in [("220 sink ESMTP\r\n", CheckStatus::Ok), ("HTTP/1.1 400\r\n", CheckStatus::Fail)] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let (mut s, _) = listener.accept().await.unwrap();
                s.write_all(greeting.as_bytes()).await.unwrap();
            });
            let mut config = Config::load(None, Vec::new()).unwrap();
            config.smtp.url = Some(format!("smtp://{addr}"));
            assert_eq!(HealthChecker::new(config, None).check("smtp").await.status, want);
        }
    }
}
