//! Configuration: embedded defaults < TOML file (`--config` / `PIER_CONFIG`) < `PIER_*` environment.
//!
//! Unknown keys are errors, in the file and in the environment: a misspelt setting that is
//! silently ignored is worse than a refusal to start.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {key}: {message}")]
    Env { key: String, message: String },
    #[error("unknown environment variable {key}: Pier reads only these PIER_* variables: {known}")]
    UnknownEnv { key: String, known: String },
    #[error("setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the panel listens on.
    pub listen: SocketAddr,
    /// Where Pier keeps its database, logs and files.
    pub data_dir: PathBuf,
    /// The built browser assets (cargo-leptos `site-root`). Default: `../site` next to the binary.
    pub site_dir: Option<PathBuf>,
    /// The address people use to reach the panel (`https://panel.example.com`). When it is
    /// https, cookies are marked Secure and responses carry HSTS.
    pub public_url: Option<String>,
    /// Key sealing secrets at rest (64 hex digits). Default: `<data dir>/secret.key`, created on
    /// first start. Never written back out.
    #[serde(skip_serializing)]
    pub secret_key: Option<String>,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub libvirt: LibvirtConfig,
    pub docker: DockerConfig,
    pub nginx: NginxConfig,
    pub acme: AcmeConfig,
    pub smtp: SmtpConfig,
    pub monitoring: MonitoringConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Seconds between samples of the host, sites and the panel (VPS and container figures
    /// arrive from their own collectors and are kept at this pace at most).
    pub interval_s: u64,
    /// How long each tier is kept: raw samples (hours), 1-minute points (days), 10-minute
    /// points (days), 1-hour points (days).
    pub keep_raw_hours: u32,
    pub keep_1m_days: u32,
    pub keep_10m_days: u32,
    pub keep_1h_days: u32,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self { interval_s: 10, keep_raw_hours: 24, keep_1m_days: 14, keep_10m_days: 90, keep_1h_days: 730 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite:///path/pier.db` or `postgres://...`. Default: SQLite in the data dir.
    pub url: Option<String>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter: `info`, `debug`, `pier=debug,sqlx=warn`, ...
    pub level: String,
    /// Write JSON logs to `<data_dir>/logs/pier.log.<date>`.
    pub file: bool,
    /// How many daily log files to keep.
    pub keep_files: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Jobs run at once by this process.
    pub workers: usize,
    /// A running job's lease; a job whose lease runs out (its process died) is recovered.
    pub lease_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibvirtConfig {
    pub enabled: bool,
    /// The panel host's own libvirt; more hosts are added in the panel.
    pub uri: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerConfig {
    pub enabled: bool,
    /// `unix:///var/run/docker.sock`, or `tcp://host:port`.
    pub host: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NginxConfig {
    pub enabled: bool,
    /// The nginx executable (a path, or a name looked up on PATH).
    pub binary: String,
    /// nginx's prefix directory; Pier writes its sites under it. Default: `<data_dir>/nginx`.
    pub prefix: Option<PathBuf>,
    /// The address sites listen on (`127.0.0.1` keeps them on loopback); unset: every address.
    pub listen_address: Option<String>,
    /// Folders of configuration files Pier did not write (listed read-only, adoptable).
    pub foreign_dirs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcmeConfig {
    /// The directory new accounts use unless the admin picks another.
    pub directory_url: String,
    /// A PEM file of extra roots trusted when talking to the directory (a private CA such as
    /// Pebble's); the system roots are always trusted.
    pub ca_file: Option<PathBuf>,
    /// Certificates are renewed this many days before they expire.
    pub renew_days_before: u32,
    /// The DNS resolver the DNS-01 check asks (`ip:port`); unset: the system's first.
    pub dns_resolver: Option<std::net::SocketAddr>,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self { directory_url: pier_proto::certificates::LETS_ENCRYPT.into(), ca_file: None, renew_days_before: 30, dns_resolver: None }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtp://host:port`; unset means mail is not configured.
    pub url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            site_dir: None,
            public_url: None,
            secret_key: None,
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            jobs: JobsConfig::default(),
            libvirt: LibvirtConfig::default(),
            docker: DockerConfig::default(),
            nginx: NginxConfig::default(),
            acme: AcmeConfig::default(),
            smtp: SmtpConfig::default(),
            monitoring: MonitoringConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: None, max_connections: 8 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".into(), file: true, keep_files: 14 }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self { workers: 4, lease_seconds: 30 }
    }
}

impl Default for LibvirtConfig {
    fn default() -> Self {
        Self { enabled: true, uri: "qemu:///system".into() }
    }
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self { enabled: true, host: "unix:///var/run/docker.sock".into() }
    }
}

impl Default for NginxConfig {
    fn default() -> Self {
        Self { enabled: true, binary: "nginx".into(), prefix: None, listen_address: None, foreign_dirs: vec!["/etc/nginx/sites-enabled".into(), "/etc/nginx/conf.d".into()] }
    }
}

type Setter = fn(&mut Config, &str) -> Result<(), String>;

/// Every `PIER_*` variable Pier reads, with the setting it overrides. `PIER_CONFIG` (the file) is
/// read by the command line; `PIER_TEST_*` belongs to the test harness.
const ENV: &[(&str, Setter)] = &[
    ("PIER_LISTEN", |c, v| {
        c.listen = v.parse().map_err(|_| format!("{v:?} is not an address; expected IP:PORT such as 127.0.0.1:3000"))?;
        Ok(())
    }),
    ("PIER_DATA", |c, v| {
        c.data_dir = non_empty(v)?.into();
        Ok(())
    }),
    ("PIER_SITE_DIR", |c, v| {
        c.site_dir = Some(non_empty(v)?.into());
        Ok(())
    }),
    ("PIER_PUBLIC_URL", |c, v| {
        c.public_url = (!v.is_empty()).then(|| v.trim_end_matches('/').to_string());
        Ok(())
    }),
    ("PIER_SECRET_KEY", |c, v| {
        c.secret_key = Some(non_empty(v)?.to_string());
        Ok(())
    }),
    ("PIER_DATABASE_URL", |c, v| {
        c.database.url = Some(non_empty(v)?.to_string());
        Ok(())
    }),
    ("PIER_LOG", |c, v| {
        c.log.level = non_empty(v)?.to_string();
        Ok(())
    }),
    ("PIER_LOG_FILE", |c, v| {
        c.log.file = parse_bool(v)?;
        Ok(())
    }),
    ("PIER_WORKERS", |c, v| {
        c.jobs.workers = v.parse().map_err(|_| format!("{v:?} is not a whole number"))?;
        Ok(())
    }),
    ("PIER_JOB_LEASE_SECONDS", |c, v| {
        c.jobs.lease_seconds = v.parse().map_err(|_| format!("{v:?} is not a whole number"))?;
        Ok(())
    }),
    ("PIER_LIBVIRT_URI", |c, v| {
        c.libvirt.uri = v.to_string();
        c.libvirt.enabled = !v.is_empty();
        Ok(())
    }),
    ("PIER_DOCKER_HOST", |c, v| {
        c.docker.host = v.to_string();
        c.docker.enabled = !v.is_empty();
        Ok(())
    }),
    ("PIER_NGINX_BIN", |c, v| {
        c.nginx.binary = v.to_string();
        c.nginx.enabled = !v.is_empty();
        Ok(())
    }),
    ("PIER_NGINX_PREFIX", |c, v| {
        c.nginx.prefix = Some(non_empty(v)?.into());
        Ok(())
    }),
    ("PIER_NGINX_LISTEN", |c, v| {
        c.nginx.listen_address = (!v.is_empty()).then(|| v.to_string());
        Ok(())
    }),
    ("PIER_NGINX_FOREIGN_DIRS", |c, v| {
        c.nginx.foreign_dirs = v.split(':').filter(|p| !p.is_empty()).map(PathBuf::from).collect();
        Ok(())
    }),
    ("PIER_ACME_DIRECTORY", |c, v| {
        c.acme.directory_url = non_empty(v)?.to_string();
        Ok(())
    }),
    ("PIER_ACME_CA_FILE", |c, v| {
        c.acme.ca_file = (!v.is_empty()).then(|| PathBuf::from(v));
        Ok(())
    }),
    ("PIER_ACME_DNS_RESOLVER", |c, v| {
        c.acme.dns_resolver = if v.is_empty() { None } else { Some(v.parse().map_err(|_| format!("{v:?} is not IP:PORT"))?) };
        Ok(())
    }),
    ("PIER_MONITOR_INTERVAL", |c, v| {
        c.monitoring.interval_s = v.parse().ok().filter(|s| (1..=3600).contains(s)).ok_or_else(|| format!("{v:?} is not 1–3600 seconds"))?;
        Ok(())
    }),
    ("PIER_SMTP_URL", |c, v| {
        c.smtp.url = (!v.is_empty()).then(|| v.to_string());
        Ok(())
    }),
];

fn non_empty(v: &str) -> Result<&str, String> {
    if v.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(v)
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{v:?} is not a boolean; use true or false")),
    }
}

impl Config {
    /// Loads the configuration: defaults, then `file` if given, then the environment `vars`
    /// (passed in so tests need not touch the process environment).
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })?
            }
            None => Config::default(),
        };
        config.apply_env(vars)?;
        config.validate()?;
        Ok(config)
    }

    fn from_toml(text: &str) -> Result<Config, String> {
        // toml's message names the unknown key and its line: "unknown field `listn`, expected ...".
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    fn apply_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
        for (key, value) in vars {
            if !key.starts_with("PIER_") || key == "PIER_CONFIG" || key.starts_with("PIER_TEST_") {
                continue;
            }
            let Some((_, set)) = ENV.iter().find(|(name, _)| *name == key) else {
                let known = ENV.iter().map(|(n, _)| *n).chain(["PIER_CONFIG"]).collect::<Vec<_>>().join(", ");
                return Err(ConfigError::UnknownEnv { key, known });
            };
            set(self, &value).map_err(|message| ConfigError::Env { key: key.clone(), message })?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=64).contains(&self.jobs.workers) {
            return Err(ConfigError::Invalid { key: "jobs.workers", message: "must be between 1 and 64".into() });
        }
        if !(5..=3600).contains(&self.jobs.lease_seconds) {
            return Err(ConfigError::Invalid { key: "jobs.lease_seconds", message: "must be between 5 and 3600".into() });
        }
        if !(1..=256).contains(&self.database.max_connections) {
            return Err(ConfigError::Invalid { key: "database.max_connections", message: "must be between 1 and 256".into() });
        }
        if let Some(url) = &self.database.url {
            if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid {
                    key: "database.url",
                    message: "must start with sqlite: or postgres://".into(),
                });
            }
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
                return Err(ConfigError::Invalid { key: "public_url", message: "must be an http:// or https:// address".into() });
            }
        }
        if let Some(key) = &self.secret_key {
            if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError::Invalid { key: "secret_key", message: "must be 64 hexadecimal digits (32 bytes), e.g. from `openssl rand -hex 32`".into() });
            }
        }
        if let Some(url) = &self.smtp.url {
            smtp_address(url).map_err(|message| ConfigError::Invalid { key: "smtp.url", message })?;
        }
        Ok(())
    }

    /// Whether people reach the panel over TLS (a proxy in front terminates it).
    pub fn behind_tls(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The data dir as an absolute path (relative paths are taken from the working directory).
    pub fn data_dir(&self) -> PathBuf {
        absolute(&self.data_dir)
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir().join("pier.db").display()),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    pub fn nginx_prefix(&self) -> PathBuf {
        self.nginx.prefix.clone().map(|p| absolute(&p)).unwrap_or_else(|| self.data_dir().join("nginx"))
    }
}

/// `smtp://host:port` → `host:port`.
pub fn smtp_address(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| format!("{url:?} must look like smtp://host:port"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("{url:?} has no port; use smtp://host:port"))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("{url:?} must look like smtp://host:port"));
    }
    Ok(format!("{host}:{port}"))
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn load_str(toml: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pier.toml");
        std::fs::write(&path, toml).unwrap();
        Config::load(Some(&path), env(vars))
    }

    #[test]
    fn defaults_are_embedded() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert!(c.database_url().starts_with("sqlite://"));
        assert!(c.database_url().ends_with("pier.db?mode=rwc"));
        assert!(c.is_sqlite());
        assert_eq!(c.smtp.url, None);
    }

    #[test]
    fn env_overrides_file_which_overrides_defaults() {
        let c = load_str("listen = \"127.0.0.1:4000\"\n[jobs]\nworkers = 2\n", &[("PIER_LISTEN", "127.0.0.1:5000")]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:5000");
        assert_eq!(c.jobs.workers, 2);
        assert_eq!(c.jobs.lease_seconds, 30, "untouched keys keep their default");
    }

    #[test]
    fn unknown_file_key_is_named() {
        let err = load_str("listn = \"127.0.0.1:1\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");
        let err = load_str("[jobs]\nworker = 1\n", &[]).unwrap_err().to_string();
        assert!(err.contains("worker"), "{err}");
    }

    #[test]
    fn unknown_and_malformed_env_are_named() {
        let err = Config::load(None, env(&[("PIER_LISTNE", "x")])).unwrap_err().to_string();
        assert!(err.contains("PIER_LISTNE") && err.contains("PIER_LISTEN"), "{err}");
        let err = Config::load(None, env(&[("PIER_LISTEN", "localhost")])).unwrap_err().to_string();
        assert!(err.contains("PIER_LISTEN") && err.contains("IP:PORT"), "{err}");
        let err = Config::load(None, env(&[("PIER_WORKERS", "many")])).unwrap_err().to_string();
        assert!(err.contains("PIER_WORKERS"), "{err}");
        let err = Config::load(None, env(&[("PIER_WORKERS", "0")])).unwrap_err().to_string();
        assert!(err.contains("jobs.workers"), "{err}");
    }

    #[test]
    fn foreign_and_test_variables_are_ignored() {
        assert!(Config::load(None, env(&[("HOME", "/root"), ("PIER_TEST_REQUIRE_ALL", "1"), ("PIER_CONFIG", "x")])).is_ok());
    }

    #[test]
    fn empty_component_setting_disables_it() {
        let c = Config::load(None, env(&[("PIER_DOCKER_HOST", ""), ("PIER_SMTP_URL", "smtp://127.0.0.1:2525")])).unwrap();
        assert!(!c.docker.enabled);
        assert_eq!(smtp_address(c.smtp.url.as_deref().unwrap()).unwrap(), "127.0.0.1:2525");
        assert!(Config::load(None, env(&[("PIER_SMTP_URL", "mail.example")])).is_err());
        assert!(Config::load(None, env(&[("PIER_DATABASE_URL", "mysql://x")])).is_err());
    }
}
