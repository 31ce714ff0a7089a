//! Sites on nginx: the sites and pools people define, their version history, the health of
//! pool members, and nginx itself. Every change goes through one pipeline (`pipeline.rs`): the
//! whole configuration is rendered with the change, `pier-web` tests it as a whole, swaps it in
//! and reloads; a refusal changes nothing that serves. Admins change sites; support reads them.

use crate::audit::Audit;
use crate::events::EventBus;
use pier_proto::{ApiError, ErrorCode};
use pier_web::render::RenderOptions;
use pier_web::{Nginx, WebError};
use sea_orm::{DatabaseConnection, EntityTrait};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub mod access_lists;
pub mod acme;
pub mod certificates;
pub mod control;
pub mod diff;
pub mod dns_providers;
pub mod editor;
pub mod health;
pub mod pipeline;
pub mod pools;

pub use crate::service_error::ServiceError as SitesError;
pub type Result<T> = std::result::Result<T, SitesError>;

impl From<WebError> for SitesError {
    fn from(e: WebError) -> Self {
        match e {
            WebError::Rejected { site, line, message, .. } => {
                let at = match (site, line) {
                    (Some(s), Some(l)) => format!(" (site {s}, line {l})"),
                    (Some(s), None) => format!(" (site {s})"),
                    _ => String::new(),
                };
                SitesError::Invalid(ApiError::new(ErrorCode::InvalidInput, format!("nginx refused the configuration{at}: {message}. Nothing live changed.")))
            }
            e @ WebError::ReloadFailed { .. } => SitesError::Conflict(e.to_string()),
            WebError::Unsafe(v) => SitesError::Invalid(ApiError::new(ErrorCode::InvalidInput, format!("{v:?} cannot be written into the configuration."))),
            e @ (WebError::Binary { .. } | WebError::Io(_)) => SitesError::Unavailable(e.to_string()),
        }
    }
}

/// Where the sites service keeps things, from the configuration.
#[derive(Debug, Clone)]
pub struct SitesConfig {
    pub nginx_binary: Option<String>,
    pub prefix: PathBuf,
    pub listen_address: Option<String>,
    pub foreign_dirs: Vec<PathBuf>,
    /// `<data_dir>/certs`: one folder per certificate id.
    pub certs_dir: PathBuf,
    pub acme_directory: String,
    pub acme_ca_file: Option<PathBuf>,
    pub renew_days_before: u32,
    /// The resolver the DNS-01 check asks (`None`: the first of /etc/resolv.conf).
    pub dns_resolver: Option<std::net::SocketAddr>,
}

impl SitesConfig {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            nginx_binary: c.nginx.enabled.then(|| c.nginx.binary.clone()),
            prefix: c.nginx_prefix(),
            listen_address: c.nginx.listen_address.clone(),
            foreign_dirs: c.nginx.foreign_dirs.clone(),
            certs_dir: c.data_dir().join("certs"),
            acme_directory: c.acme.directory_url.clone(),
            acme_ca_file: c.acme.ca_file.clone(),
            renew_days_before: c.acme.renew_days_before,
            dns_resolver: c.acme.dns_resolver,
        }
    }
}

#[derive(Clone)]
pub struct Sites {
    pub(crate) db: DatabaseConnection,
    pub(crate) audit: Audit,
    pub(crate) bus: EventBus,
    pub(crate) config: Arc<SitesConfig>,
    pub(crate) secrets: crate::secrets::SecretBox,
    nginx: Option<Nginx>,
    /// One apply at a time: each renders from the database as it is after the previous one.
    pub(crate) apply_lock: Arc<tokio::sync::Mutex<()>>,
    /// Members taken out by health checks, per pool id (`host:port`), and their counters.
    pub(crate) health: Arc<Mutex<HashMap<i64, HashMap<String, health::MemberState>>>>,
    pub(crate) checkers: Arc<Mutex<HashMap<i64, tokio::task::AbortHandle>>>,
}

impl Sites {
    pub fn new(db: DatabaseConnection, audit: Audit, bus: EventBus, secrets: crate::secrets::SecretBox, config: SitesConfig) -> Self {
        // The data dir (where certificates live) is the panel's folder around the prefix.
        let data_dir = config.certs_dir.parent().map(std::path::Path::to_path_buf);
        let nginx = config.nginx_binary.as_ref().map(|b| {
            let n = Nginx::new(b.clone(), config.prefix.clone());
            match &data_dir {
                Some(d) => n.within(d.clone()),
                None => n,
            }
        });
        Self { db, audit, bus, config: Arc::new(config), secrets, nginx, apply_lock: Default::default(), health: Default::default(), checkers: Default::default() }
    }

    pub(crate) fn nginx(&self) -> Result<&Nginx> {
        self.nginx.as_ref().ok_or_else(|| SitesError::Unavailable("nginx is disabled in the configuration (nginx.enabled = false).".into()))
    }

    /// Whether nginx runs under Pier's prefix (`None` when Pier does not manage nginx).
    pub fn nginx_running(&self) -> Option<bool> {
        self.nginx.as_ref().map(|n| n.running_pid().is_some())
    }

    /// The folder ACME HTTP-01 challenge files go to (served by every site's plain server).
    pub fn acme_root(&self) -> PathBuf {
        self.config.prefix.join("acme")
    }

    pub(crate) fn render_options(&self) -> RenderOptions {
        RenderOptions {
            listen_address: self.config.listen_address.clone(),
            acme_root: Some(self.acme_root().display().to_string()),
            log_dir: Some(self.config.prefix.join("logs").display().to_string()),
            auth_dir: Some(self.config.prefix.join("live/auth").display().to_string()),
        }
    }

    /// The files of certificate `id`.
    pub fn certificate_dir(&self, id: i64) -> PathBuf {
        self.config.certs_dir.join(id.to_string())
    }
}

/// How often certificates are checked for renewal.
pub const RENEW_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

impl Sites {
    /// At start: when sites exist and nginx is not running under Pier's prefix, put the
    /// configuration live again (a failure is logged; the admin page shows nginx stopped).
    pub async fn resume(&self) {
        let Ok(nginx) = self.nginx() else { return };
        if nginx.running_pid().is_some() {
            return;
        }
        match crate::entity::site::Entity::find().one(&self.db).await {
            Ok(Some(_)) => {
                let _guard = self.apply_lock.lock().await;
                if let Err(e) = self.apply_with(&pipeline::Edit::Nothing).await {
                    tracing::warn!(error = %e, "nginx could not be started on the sites' configuration");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "sites not resumed"),
        }
    }
}

pub(crate) fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
