//! Certificates: the list (decoded once when the files are written), uploads checked before
//! use, the default wildcard certificate, deletion refused while a site uses one, and the link
//! between a site in ACME mode and the certificate issued for it. Private keys stay in
//! `<data_dir>/certs/<id>/key.pem` (0600) and never leave the server.

use super::pipeline::{Edit, KIND_TYPED};
use super::{now, Result, Sites, SitesError};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{certificate, site};
use crate::jobs::{Jobs, NewJob};
use pier_proto::certificates::{CertificateDetail, CertificateRequest, CertificateUpload, CertificateView, ChallengeKind, DnsChallenge, KIND_ISSUE};
use pier_proto::sites::{SiteSpec, TlsMode};
use pier_proto::{ApiError, ErrorCode};
use pier_web::certs::{self, CertInfo};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// A DNS-01 order waiting for a person's TXT records.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct PendingOrder {
    pub order_url: String,
    pub records: Vec<DnsChallenge>,
}

impl Sites {
    pub(crate) async fn certificate_row(&self, id: i64) -> Result<certificate::Model> {
        certificate::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| SitesError::NotFound(format!("Certificate {id}")))
    }

    /// Sites that use certificate `c` (directly, by ACME, or as the default wildcard).
    async fn sites_with(&self, c: &certificate::Model) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for s in site::Entity::find().order_by_asc(site::Column::Name).all(&self.db).await? {
            let wildcard = s.kind == KIND_TYPED && serde_json::from_str::<SiteSpec>(&s.body).is_ok_and(|sp| sp.tls_mode == TlsMode::Wildcard);
            if s.certificate_id == Some(c.id) || (wildcard && c.is_default) {
                out.push(s.name);
            }
        }
        Ok(out)
    }

    async fn certificate_view(&self, c: certificate::Model) -> Result<CertificateView> {
        let sites = self.sites_with(&c).await?;
        let now = now().unix_timestamp();
        let pending: Option<PendingOrder> = c.pending.as_deref().and_then(|p| serde_json::from_str(p).ok());
        Ok(CertificateView {
            id: c.id,
            name: c.name,
            source: c.source,
            names: serde_json::from_str(&c.names).unwrap_or_default(),
            issuer: c.issuer,
            not_before: c.not_before.map(|t| t.unix_timestamp()),
            not_after: c.not_after.map(|t| t.unix_timestamp()),
            days_left: c.not_after.map(|t| (t.unix_timestamp() - now).div_euclid(86_400)),
            key_type: c.key_type,
            status: c.status,
            last_error: c.last_error,
            auto_renew: c.auto_renew,
            is_default: c.is_default,
            sites,
            dns_challenges: pending.map(|p| p.records).unwrap_or_default(),
        })
    }

    pub async fn list_certificates(&self, actor: &Actor) -> Result<Vec<CertificateView>> {
        Self::require_staff(actor)?;
        let mut out = Vec::new();
        for c in certificate::Entity::find().order_by_asc(certificate::Column::Name).all(&self.db).await? {
            out.push(self.certificate_view(c).await?);
        }
        Ok(out)
    }

    pub async fn get_certificate(&self, actor: &Actor, id: i64) -> Result<CertificateView> {
        Self::require_staff(actor)?;
        let c = self.certificate_row(id).await?;
        self.certificate_view(c).await
    }

    /// The decoded certificate and its public PEM (never the key).
    pub async fn certificate_detail(&self, actor: &Actor, id: i64) -> Result<CertificateDetail> {
        Self::require_staff(actor)?;
        let c = self.certificate_row(id).await?;
        let chain = tokio::fs::read_to_string(self.certificate_dir(id).join("fullchain.pem")).await.unwrap_or_default();
        let text = if chain.is_empty() { String::new() } else { certs::decoded_text(&chain).unwrap_or_else(|e| e.to_string()) };
        Ok(CertificateDetail { view: self.certificate_view(c).await?, text, chain_pem: chain })
    }

    async fn name_free(&self, name: &str) -> Result<()> {
        if certificate::Entity::find().filter(certificate::Column::Name.eq(name)).one(&self.db).await?.is_some() {
            return Err(SitesError::Invalid(ApiError { code: ErrorCode::Conflict, message: format!("A certificate named {name:?} exists."), field: Some("name".into()) }));
        }
        Ok(())
    }

    /// Uploads a certificate with its key and chain after checking them (see `pier_web::certs`).
    pub async fn upload_certificate(&self, actor: &Actor, up: CertificateUpload, ctx: &RequestContext) -> Result<CertificateView> {
        self.admin_or_audit(actor, "certificate.upload", &format!("certificate:{}", up.name), ctx).await?;
        up.validate().map_err(SitesError::Invalid)?;
        self.name_free(&up.name).await?;
        let info = certs::inspect_upload(&up.certificate_pem, &up.key_pem, &up.chain_pem, now().unix_timestamp()).map_err(|e| SitesError::Invalid(ApiError::invalid("certificate_pem", e.to_string())))?;
        let t = now();
        let row = certificate::ActiveModel {
            name: Set(up.name.clone()),
            source: Set("uploaded".into()),
            names: Set(serde_json::to_string(&info.names).expect("json")),
            challenge: Set("none".into()),
            status: Set("pending".into()),
            auto_renew: Set(false),
            is_default: Set(false),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        if let Err(e) = self.install_files(row.id, &info, &up.key_pem).await {
            certificate::Entity::delete_by_id(row.id).exec(&self.db).await?;
            return Err(e);
        }
        let row = self.mark_valid(row, &info).await?;
        if up.is_default {
            self.make_default(row.id).await?;
        }
        self.audit.record(actor, "certificate.upload", &format!("certificate:{}", row.id), Outcome::Success, ctx, &format!("{} for {}", row.name, info.names.join(", "))).await;
        self.get_certificate(actor, row.id).await
    }

    pub(crate) async fn install_files(&self, id: i64, info: &CertInfo, key_pem: &str) -> Result<()> {
        let dir = self.certificate_dir(id);
        let (chain, key) = (info.fullchain_pem.clone(), key_pem.to_string());
        tokio::task::spawn_blocking(move || certs::store(&dir, &chain, &key))
            .await
            .map_err(|e| SitesError::Unavailable(e.to_string()))?
            .map_err(|e| SitesError::Unavailable(format!("writing the certificate files: {e}")))
    }

    /// Records what the files hold and marks the certificate usable.
    pub(crate) async fn mark_valid(&self, row: certificate::Model, info: &CertInfo) -> Result<certificate::Model> {
        let mut a: certificate::ActiveModel = row.into();
        a.names = Set(serde_json::to_string(&info.names).expect("json"));
        a.issuer = Set(Some(info.issuer.clone()));
        a.not_before = Set(time::OffsetDateTime::from_unix_timestamp(info.not_before).ok());
        a.not_after = Set(time::OffsetDateTime::from_unix_timestamp(info.not_after).ok());
        a.key_type = Set(Some(info.key_type.clone()));
        a.status = Set("valid".into());
        a.last_error = Set(None);
        a.pending = Set(None);
        a.updated_at = Set(now());
        Ok(a.update(&self.db).await?)
    }

    async fn make_default(&self, id: i64) -> Result<()> {
        certificate::Entity::update_many().col_expr(certificate::Column::IsDefault, sea_orm::sea_query::Expr::value(false)).exec(&self.db).await?;
        certificate::Entity::update_many().col_expr(certificate::Column::IsDefault, sea_orm::sea_query::Expr::value(true)).filter(certificate::Column::Id.eq(id)).exec(&self.db).await?;
        self.reapply().await
    }

    /// Re-renders everything (a certificate changed under the sites that use it).
    pub(crate) async fn reapply(&self) -> Result<()> {
        if site::Entity::find().one(&self.db).await?.is_none() {
            return Ok(()); // nothing uses it yet; nginx need not run
        }
        let _guard = self.apply_lock.lock().await;
        self.apply_with(&Edit::Nothing).await.map(|_| ())
    }

    /// Makes certificate `id` the default wildcard certificate (or no longer the default).
    pub async fn set_default_certificate(&self, actor: &Actor, id: i64, default: bool, ctx: &RequestContext) -> Result<CertificateView> {
        self.admin_or_audit(actor, "certificate.default", &format!("certificate:{id}"), ctx).await?;
        let c = self.certificate_row(id).await?;
        if default {
            self.make_default(id).await?;
        } else {
            if !self.sites_with(&c).await?.is_empty() && c.is_default {
                return Err(SitesError::Conflict("Sites use the default certificate; choose another default first.".into()));
            }
            certificate::Entity::update_many().col_expr(certificate::Column::IsDefault, sea_orm::sea_query::Expr::value(false)).filter(certificate::Column::Id.eq(id)).exec(&self.db).await?;
        }
        self.audit.record(actor, "certificate.default", &format!("certificate:{id}"), Outcome::Success, ctx, &format!("{} default={default}", c.name)).await;
        self.get_certificate(actor, id).await
    }

    pub async fn set_auto_renew(&self, actor: &Actor, id: i64, on: bool, ctx: &RequestContext) -> Result<CertificateView> {
        self.admin_or_audit(actor, "certificate.auto_renew", &format!("certificate:{id}"), ctx).await?;
        let c = self.certificate_row(id).await?;
        if c.source != "acme" && on {
            return Err(SitesError::Invalid(ApiError::invalid("auto_renew", "Only certificates Pier issues can renew themselves.")));
        }
        let mut a: certificate::ActiveModel = c.into();
        a.auto_renew = Set(on);
        a.update(&self.db).await?;
        self.audit.record(actor, "certificate.auto_renew", &format!("certificate:{id}"), Outcome::Success, ctx, &format!("auto_renew={on}")).await;
        self.get_certificate(actor, id).await
    }

    /// Deletes a certificate and its files; refused while a site uses it.
    pub async fn delete_certificate(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        self.admin_or_audit(actor, "certificate.delete", &format!("certificate:{id}"), ctx).await?;
        let c = self.certificate_row(id).await?;
        let users = self.sites_with(&c).await?;
        if !users.is_empty() {
            return Err(SitesError::Conflict(format!("{} is used by {}; give those sites another certificate first.", c.name, users.join(", "))));
        }
        certificate::Entity::delete_by_id(id).exec(&self.db).await?;
        let _ = tokio::fs::remove_dir_all(self.certificate_dir(id)).await;
        self.audit.record(actor, "certificate.delete", &format!("certificate:{id}"), Outcome::Success, ctx, &c.name).await;
        Ok(())
    }

    /// Asks the ACME directory for a certificate: the record now, the order as a job. Returns
    /// the certificate and the job id.
    pub async fn request_certificate(&self, jobs: &Jobs, actor: &Actor, req: CertificateRequest, ctx: &RequestContext) -> Result<(CertificateView, i64)> {
        self.admin_or_audit(actor, "certificate.request", &format!("certificate:{}", req.name), ctx).await?;
        req.validate().map_err(SitesError::Invalid)?;
        self.name_free(&req.name).await?;
        self.acme_account_row().await?.ok_or_else(no_account)?;
        let t = now();
        let row = certificate::ActiveModel {
            name: Set(req.name.clone()),
            source: Set("acme".into()),
            names: Set(serde_json::to_string(&req.names).expect("json")),
            challenge: Set(match req.challenge {
                ChallengeKind::Http01 => "http01",
                ChallengeKind::Dns01Manual => "dns01_manual",
            }
            .into()),
            status: Set("pending".into()),
            auto_renew: Set(req.challenge == ChallengeKind::Http01),
            is_default: Set(req.is_default),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let job = self.enqueue_issue(jobs, actor, row.id, "request").await?;
        self.audit.record(actor, "certificate.request", &format!("certificate:{}", row.id), Outcome::Success, ctx, &format!("{} for {} (job #{job})", row.name, req.names.join(", "))).await;
        Ok((self.get_certificate(actor, row.id).await?, job))
    }

    /// Renews an ACME certificate now (a job); for DNS-01 this starts a new order whose
    /// records are shown again.
    pub async fn renew_certificate(&self, jobs: &Jobs, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<i64> {
        self.admin_or_audit(actor, "certificate.renew", &format!("certificate:{id}"), ctx).await?;
        let c = self.certificate_row(id).await?;
        if c.source != "acme" {
            return Err(SitesError::Invalid(ApiError::invalid("id", "An uploaded certificate is renewed by uploading its successor.")));
        }
        let job = self.enqueue_issue(jobs, actor, id, "renew").await?;
        self.audit.record(actor, "certificate.renew", &format!("certificate:{id}"), Outcome::Success, ctx, &format!("{} (job #{job})", c.name)).await;
        Ok(job)
    }

    pub(crate) async fn enqueue_issue(&self, jobs: &Jobs, actor: &Actor, id: i64, why: &str) -> Result<i64> {
        // One order per certificate at a time: a second click (or the schedule) finds the job
        // that is already queued or running.
        let target = format!("certificate:{id}");
        let active = crate::entity::job::Entity::find()
            .filter(crate::entity::job::Column::Target.eq(&target))
            .filter(crate::entity::job::Column::State.is_in(["queued", "running"]))
            .one(&self.db)
            .await?;
        if let Some(j) = active {
            return Ok(j.id);
        }
        let params = serde_json::json!({ "certificate_id": id, "why": why });
        let job = jobs.enqueue(actor, NewJob { kind: KIND_ISSUE, target, params, idempotency_key: None, max_attempts: 1 }).await;
        Ok(job.map_err(|e| SitesError::Unavailable(e.to_string()))?.id)
    }

    /// A site in ACME mode gets its certificate: created for its names and ordered at once
    /// when an ACME account exists (otherwise it waits, and the certificate says why).
    pub(crate) async fn ensure_acme_certificate(&self, jobs: &Jobs, actor: &Actor, row: site::Model, ctx: &RequestContext) -> Result<site::Model> {
        if row.kind != KIND_TYPED {
            return Ok(row);
        }
        let spec: SiteSpec = serde_json::from_str(&row.body).map_err(|e| SitesError::Unavailable(e.to_string()))?;
        if spec.tls_mode != TlsMode::Acme {
            return Ok(row);
        }
        if let Some(id) = row.certificate_id {
            if let Some(c) = certificate::Entity::find_by_id(id).one(&self.db).await? {
                let names: Vec<String> = serde_json::from_str(&c.names).unwrap_or_default();
                if spec.server_names.iter().all(|n| super::editor::covers(&names, n)) {
                    return Ok(row);
                }
            }
        }
        let name = format!("site {}", row.name);
        let existing = certificate::Entity::find().filter(certificate::Column::Name.eq(&name)).one(&self.db).await?;
        let t = now();
        let cert = match existing {
            Some(c) => {
                let mut a: certificate::ActiveModel = c.into();
                a.names = Set(serde_json::to_string(&spec.server_names).expect("json"));
                a.updated_at = Set(t);
                a.update(&self.db).await?
            }
            None => {
                certificate::ActiveModel {
                    name: Set(name),
                    source: Set("acme".into()),
                    names: Set(serde_json::to_string(&spec.server_names).expect("json")),
                    challenge: Set("http01".into()),
                    status: Set("pending".into()),
                    auto_renew: Set(true),
                    is_default: Set(false),
                    created_at: Set(t),
                    updated_at: Set(t),
                    ..Default::default()
                }
                .insert(&self.db)
                .await?
            }
        };
        let mut a: site::ActiveModel = row.into();
        a.certificate_id = Set(Some(cert.id));
        let row = a.update(&self.db).await?;
        if self.acme_account_row().await?.is_some() {
            let job = self.enqueue_issue(jobs, actor, cert.id, "site").await?;
            self.audit.record(actor, "certificate.request", &format!("certificate:{}", cert.id), Outcome::Success, ctx, &format!("for site {} (job #{job})", row.name)).await;
        } else {
            let mut a: certificate::ActiveModel = cert.into();
            a.last_error = Set(Some(no_account().to_string()));
            a.update(&self.db).await?;
        }
        Ok(row)
    }

    /// Queues renewals of ACME certificates that expire within `renew_days_before` (the
    /// schedule; idempotent within the hour).
    pub async fn renew_due(&self, jobs: &Jobs) -> Result<usize> {
        let horizon = now() + time::Duration::days(self.config.renew_days_before as i64);
        let due = certificate::Entity::find()
            .filter(certificate::Column::Source.eq("acme"))
            .filter(certificate::Column::AutoRenew.eq(true))
            .filter(certificate::Column::Status.eq("valid"))
            .filter(certificate::Column::NotAfter.lt(horizon))
            .all(&self.db)
            .await?;
        for c in &due {
            self.enqueue_issue(jobs, &Actor::System, c.id, "auto-renew").await?;
        }
        Ok(due.len())
    }

    /// Runs `renew_due` now and then every `every`, for the process's life.
    pub fn spawn_renewal_schedule(&self, jobs: Jobs, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                match me.renew_due(&jobs).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(certificates = n, "certificate renewals queued"),
                    Err(e) => tracing::warn!(error = %e, "the renewal check failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

pub(crate) fn no_account() -> SitesError {
    SitesError::Invalid(ApiError::invalid("acme", "No ACME account yet: set the account's email on the certificates page first."))
}
