//! nginx control for admins (status, test, reload, restart), the logs and request figures of
//! each site, and configuration files Pier did not write (listed read-only, adoptable as raw
//! sites).

use super::pipeline::{Draft, KIND_RAW};
use super::{Result, Sites, SitesError};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use pier_proto::sites::{validate_config_text, ForeignConfig, LogKind, NginxAction, NginxStatus, SiteMetrics, RAW_SITE_MAX};
use pier_proto::ApiError;
use sea_orm::EntityTrait;
use std::io::{Read, Seek, SeekFrom};

/// At most this much of a log's end is returned by a tail.
const TAIL_MAX: u64 = 256 * 1024;

impl Sites {
    pub async fn nginx_status(&self, actor: &Actor) -> Result<NginxStatus> {
        Self::require_staff(actor)?;
        Ok(self.nginx()?.status().await)
    }

    /// Tests, reloads or restarts nginx; returns nginx's words.
    pub async fn nginx_action(&self, actor: &Actor, action: NginxAction, ctx: &RequestContext) -> Result<String> {
        let name = format!("nginx.{}", serde_json::to_value(action).expect("json").as_str().unwrap_or_default());
        self.admin_or_audit(actor, &name, "nginx", ctx).await?;
        let nginx = self.nginx()?;
        let _guard = self.apply_lock.lock().await;
        let result = match action {
            NginxAction::Test => nginx.test_live().await,
            NginxAction::Reload => nginx.reload().await.map(|started| if started { "nginx was not running and has been started.".into() } else { "nginx reloaded.".into() }),
            NginxAction::Restart => nginx.restart().await.map(|_| "nginx restarted.".into()),
        };
        match result {
            Ok(text) => {
                self.audit.record(actor, &name, "nginx", Outcome::Success, ctx, &text).await;
                Ok(if text.is_empty() { "The configuration is fine.".into() } else { text })
            }
            Err(e) => {
                self.audit.record(actor, &name, "nginx", Outcome::Failure, ctx, &e.to_string()).await;
                Err(e.into())
            }
        }
    }

    fn log_path(&self, site: &str, kind: LogKind) -> std::path::PathBuf {
        let suffix = match kind {
            LogKind::Access => "access",
            LogKind::Error => "error",
        };
        self.config.prefix.join("logs").join(format!("site-{site}.{suffix}.log"))
    }

    /// The last `lines` lines of a site's log (staff).
    pub async fn site_log(&self, actor: &Actor, id: i64, kind: LogKind, lines: usize) -> Result<Vec<String>> {
        Self::require_staff(actor)?;
        let row = self.site_row(id).await?;
        let path = self.log_path(&row.name, kind);
        tokio::task::spawn_blocking(move || tail(&path, lines.clamp(1, 5000))).await.map_err(|e| SitesError::Unavailable(e.to_string()))?
    }

    /// Request figures of a site over the last `window_s` seconds, from its access log.
    pub async fn site_metrics(&self, actor: &Actor, id: i64, window_s: u32) -> Result<SiteMetrics> {
        Self::require_staff(actor)?;
        let row = self.site_row(id).await?;
        self.metrics_of(&row.name, window_s.clamp(1, 86_400)).await
    }

    /// The collector's entry point (the monitoring service asks every site).
    pub async fn metrics_of(&self, site: &str, window_s: u32) -> Result<SiteMetrics> {
        let path = self.log_path(site, LogKind::Access);
        let site = site.to_string();
        tokio::task::spawn_blocking(move || pier_web::metrics::site_metrics(&site, &path, window_s, time::OffsetDateTime::now_utc()))
            .await
            .map_err(|e| SitesError::Unavailable(e.to_string()))?
            .map_err(|e| SitesError::Unavailable(format!("the access log: {e}")))
    }

    /// `.conf` files (and files of `sites-enabled`) in the configured foreign folders.
    pub async fn foreign_configs(&self, actor: &Actor) -> Result<Vec<ForeignConfig>> {
        Self::require_staff(actor)?;
        let mut out = Vec::new();
        for dir in &self.config.foreign_dirs {
            let Ok(mut rd) = tokio::fs::read_dir(dir).await else { continue };
            let mut paths = Vec::new();
            while let Ok(Some(e)) = rd.next_entry().await {
                paths.push(e.path());
            }
            paths.sort();
            for p in paths {
                let meta = match tokio::fs::metadata(&p).await {
                    Ok(m) if m.is_file() && m.len() <= RAW_SITE_MAX as u64 => m,
                    _ => continue,
                };
                let _ = meta;
                let Ok(text) = tokio::fs::read_to_string(&p).await else { continue };
                if text.contains("(written by Pier") {
                    continue;
                }
                let stem = p.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
                let mut suggested: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
                suggested = suggested.trim_matches('-').chars().take(63).collect();
                if suggested.is_empty() {
                    suggested = "adopted".into();
                }
                out.push(ForeignConfig { path: p.display().to_string(), text, suggested_name: suggested });
            }
        }
        Ok(out)
    }

    /// Adopts a foreign file as a raw site named `name` (the file itself is left in place:
    /// whatever else loads it keeps doing so).
    pub async fn adopt_config(&self, actor: &Actor, path: &str, name: &str, ctx: &RequestContext) -> Result<pier_proto::sites::SiteView> {
        self.admin_or_audit(actor, "site.adopt", &format!("site:{name}"), ctx).await?;
        pier_proto::sites::validate_slug("name", name).map_err(SitesError::Invalid)?;
        let found = self.foreign_configs(actor).await?.into_iter().find(|f| f.path == path).ok_or_else(|| SitesError::NotFound(format!("Configuration file {path}")))?;
        validate_config_text("raw", &found.text, RAW_SITE_MAX).map_err(SitesError::Invalid)?;
        if crate::entity::site::Entity::find().all(&self.db).await?.iter().any(|s| s.name == name) {
            return Err(SitesError::Invalid(ApiError::invalid("name", format!("A site named {name:?} exists."))));
        }
        let draft = Draft { id: None, name: name.to_string(), kind: KIND_RAW.into(), body: found.text.trim_end().to_string(), enabled: true, certificate_id: None };
        let row = self.apply_site(actor, draft, None, ctx, "site.adopt").await?;
        super::editor::view(row, &crate::entity::certificate::Entity::find().all(&self.db).await?)
    }
}

fn tail(path: &std::path::Path, lines: usize) -> Result<Vec<String>> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SitesError::Unavailable(format!("{}: {e}", path.display()))),
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(TAIL_MAX);
    f.seek(SeekFrom::Start(start)).map_err(|e| SitesError::Unavailable(e.to_string()))?;
    let mut buf = Vec::new();
    f.take(TAIL_MAX).read_to_end(&mut buf).map_err(|e| SitesError::Unavailable(e.to_string()))?;
    let text = String::from_utf8_lossy(&buf);
    let mut all: Vec<&str> = text.lines().collect();
    if start > 0 && !all.is_empty() {
        all.remove(0); // a partial first line
    }
    Ok(all[all.len().saturating_sub(lines)..].iter().map(|s| s.to_string()).collect())
}
