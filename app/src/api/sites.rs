//! Server functions for sites, pools, nginx and certificates: thin adapters over `Core::sites`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
// Named by path: `#[server]` makes a struct per function.
use pier_proto::certificates as cert;
use pier_proto::sites as wire;
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
use super::ssr;

#[server(prefix = "/api/fn", endpoint = "list_sites", input = Json)]
pub async fn list_sites() -> Result<Vec<wire::SiteView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.list_sites(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "get_site", input = Json)]
pub async fn get_site(id: i64) -> Result<wire::SiteView, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.get_site(&actor, id).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_site", input = Json)]
pub async fn save_site(id: Option<i64>, site: wire::SiteInput) -> Result<wire::SiteView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.sites.save_site(&core.jobs, &actor, id, site, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "set_site_enabled", input = Json)]
pub async fn set_site_enabled(id: i64, enabled: bool) -> Result<wire::SiteView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.set_site_enabled(&actor, id, enabled, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_site", input = Json)]
pub async fn delete_site(id: i64, confirm: String) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.delete_site(&actor, id, &confirm, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "site_versions", input = Json)]
pub async fn site_versions(id: i64) -> Result<Vec<wire::SiteVersion>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.site_versions(&actor, id).await?)
}

#[server(prefix = "/api/fn", endpoint = "site_version_diff", input = Json)]
pub async fn site_version_diff(id: i64, from: i64, to: i64) -> Result<Vec<wire::DiffLine>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.diff_versions(&actor, id, from, to).await?)
}

#[server(prefix = "/api/fn", endpoint = "restore_site_version", input = Json)]
pub async fn restore_site_version(id: i64, number: i64) -> Result<wire::SiteView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.restore_version(&actor, id, number, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "site_log", input = Json)]
pub async fn site_log(id: i64, kind: wire::LogKind, lines: usize) -> Result<Vec<String>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.site_log(&actor, id, kind, lines).await?)
}

#[server(prefix = "/api/fn", endpoint = "site_metrics", input = Json)]
pub async fn site_metrics(id: i64, window_s: u32) -> Result<wire::SiteMetrics, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.site_metrics(&actor, id, window_s).await?)
}

#[server(prefix = "/api/fn", endpoint = "foreign_configs", input = Json)]
pub async fn foreign_configs() -> Result<Vec<wire::ForeignConfig>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.foreign_configs(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "adopt_config", input = Json)]
pub async fn adopt_config(path: String, name: String) -> Result<wire::SiteView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.adopt_config(&actor, &path, &name, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_pools", input = Json)]
pub async fn list_pools() -> Result<Vec<wire::PoolView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.list_pools(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_pool", input = Json)]
pub async fn save_pool(id: Option<i64>, pool: wire::PoolInput) -> Result<wire::PoolView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.save_pool(&actor, id, pool, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_pool", input = Json)]
pub async fn delete_pool(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.delete_pool(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_access_lists", input = Json)]
pub async fn list_access_lists() -> Result<Vec<wire::AccessListView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.list_access_lists(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "save_access_list", input = Json)]
pub async fn save_access_list(id: Option<i64>, list: wire::AccessListInput) -> Result<wire::AccessListView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.save_access_list(&actor, id, list, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_access_list", input = Json)]
pub async fn delete_access_list(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.delete_access_list(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "pool_health_history", input = Json)]
pub async fn pool_health_history(id: i64) -> Result<Vec<wire::HealthChange>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.pool_health_history(&actor, id, 100).await?)
}

#[server(prefix = "/api/fn", endpoint = "nginx_status", input = Json)]
pub async fn nginx_status() -> Result<wire::NginxStatus, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.nginx_status(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "nginx_action", input = Json)]
pub async fn nginx_action(action: wire::NginxAction) -> Result<String, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.nginx_action(&actor, action, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_certificates", input = Json)]
pub async fn list_certificates() -> Result<Vec<cert::CertificateView>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.list_certificates(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "certificate_detail", input = Json)]
pub async fn certificate_detail(id: i64) -> Result<cert::CertificateDetail, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.certificate_detail(&actor, id).await?)
}

#[server(prefix = "/api/fn", endpoint = "upload_certificate", input = Json)]
pub async fn upload_certificate(upload: cert::CertificateUpload) -> Result<cert::CertificateView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.upload_certificate(&actor, upload, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "request_certificate", input = Json)]
pub async fn request_certificate(request: cert::CertificateRequest) -> Result<(cert::CertificateView, i64), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.sites.request_certificate(&core.jobs, &actor, request, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "renew_certificate", input = Json)]
pub async fn renew_certificate(id: i64) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.sites.renew_certificate(&core.jobs, &actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_certificate", input = Json)]
pub async fn delete_certificate(id: i64) -> Result<(), ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.delete_certificate(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "set_default_certificate", input = Json)]
pub async fn set_default_certificate(id: i64, default: bool) -> Result<cert::CertificateView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.set_default_certificate(&actor, id, default, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "set_certificate_auto_renew", input = Json)]
pub async fn set_certificate_auto_renew(id: i64, on: bool) -> Result<cert::CertificateView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.set_auto_renew(&actor, id, on, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "acme_account", input = Json)]
pub async fn acme_account() -> Result<cert::AcmeAccountView, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.acme_account(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "set_acme_account", input = Json)]
pub async fn set_acme_account(account: cert::AcmeAccountInput) -> Result<cert::AcmeAccountView, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    Ok(ssr::core()?.sites.set_acme_account(&actor, account, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "dns_check", input = Json)]
pub async fn dns_check(id: i64) -> Result<Vec<wire::DnsCheck>, ApiError> {
    let (actor, _) = ssr::actor()?;
    Ok(ssr::core()?.sites.dns_check(&actor, id).await?)
}

#[server(prefix = "/api/fn", endpoint = "dns_finish", input = Json)]
pub async fn dns_finish(id: i64) -> Result<i64, ApiError> {
    let (actor, ctx) = ssr::actor()?;
    let core = ssr::core()?;
    Ok(core.sites.dns_finish(&core.jobs, &actor, id, &ctx).await?)
}
