//! The ACME side of certificates: Pier's account at the directory (credentials sealed at
//! rest), and the `certificate.issue` job that orders, proves control of the names (HTTP-01
//! through nginx, or DNS-01 records a person created), stores the issued chain and puts it live.

use super::certificates::PendingOrder;
use super::{now, Result, Sites, SitesError};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{acme_account, certificate};
use crate::jobs::handler::{failed, JobContext, JobFailure, JobHandler};
use crate::jobs::Jobs;
use async_trait::async_trait;
use pier_proto::certificates::{AcmeAccountInput, AcmeAccountView, KIND_ISSUE};
use pier_proto::sites::DnsCheck;
use pier_proto::ApiError;
use pier_web::acme::{self, AcmeError, Trust};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};

const SEAL_AAD: &str = "acme-account";

impl From<AcmeError> for SitesError {
    fn from(e: AcmeError) -> Self {
        match e {
            e @ AcmeError::Unreachable(_) => SitesError::Unavailable(e.to_string()),
            e => SitesError::Invalid(ApiError::new(pier_proto::ErrorCode::InvalidInput, e.to_string())),
        }
    }
}

impl Sites {
    fn trust(&self) -> Trust {
        Trust { ca_file: self.config.acme_ca_file.clone() }
    }

    /// The account in use: the newest one saved.
    pub(crate) async fn acme_account_row(&self) -> Result<Option<acme_account::Model>> {
        Ok(acme_account::Entity::find().order_by_desc(acme_account::Column::Id).one(&self.db).await?)
    }

    pub async fn acme_account(&self, actor: &Actor) -> Result<AcmeAccountView> {
        Self::require_staff(actor)?;
        let row = self.acme_account_row().await?;
        Ok(AcmeAccountView {
            directory_url: row.as_ref().map(|r| r.directory_url.clone()).unwrap_or_else(|| self.config.acme_directory.clone()),
            email: row.as_ref().map(|r| r.email.clone()),
            registered: row.is_some(),
            renew_days_before: self.config.renew_days_before,
        })
    }

    /// Registers an account at the directory and keeps it (replacing the previous one).
    pub async fn set_acme_account(&self, actor: &Actor, input: AcmeAccountInput, ctx: &RequestContext) -> Result<AcmeAccountView> {
        self.admin_or_audit(actor, "acme.account", &input.directory_url, ctx).await?;
        input.validate().map_err(SitesError::Invalid)?;
        let creds = match acme::register(&self.trust(), &input.directory_url, &input.email).await {
            Ok(c) => c,
            Err(e) => {
                self.audit.record(actor, "acme.account", &input.directory_url, Outcome::Failure, ctx, &e.to_string()).await;
                return Err(e.into());
            }
        };
        let sealed = self.secrets.seal(creds.as_bytes(), SEAL_AAD);
        acme_account::Entity::delete_many().exec(&self.db).await?;
        acme_account::ActiveModel { directory_url: Set(input.directory_url.clone()), email: Set(input.email.clone()), credentials: Set(sealed), created_at: Set(now()), ..Default::default() }.insert(&self.db).await?;
        self.audit.record(actor, "acme.account", &input.directory_url, Outcome::Success, ctx, &input.email).await;
        self.acme_account(actor).await
    }

    async fn open_account(&self) -> std::result::Result<pier_web::AcmeAccount, String> {
        let row = self.acme_account_row().await.map_err(|e| e.to_string())?.ok_or_else(|| super::certificates::no_account().to_string())?;
        let creds = self.secrets.open(&row.credentials, SEAL_AAD).map_err(|e| format!("the stored ACME account cannot be opened: {e}"))?;
        acme::open(&self.trust(), &String::from_utf8_lossy(&creds)).await.map_err(|e| e.to_string())
    }

    /// Which of a DNS-01 order's TXT records the resolver sees yet.
    pub async fn dns_check(&self, actor: &Actor, id: i64) -> Result<Vec<DnsCheck>> {
        Self::require_staff(actor)?;
        let c = self.certificate_row(id).await?;
        let pending: PendingOrder = c.pending.as_deref().and_then(|p| serde_json::from_str(p).ok()).ok_or_else(|| SitesError::Conflict(format!("{} has no DNS order waiting.", c.name)))?;
        let resolver = match self.config.dns_resolver {
            Some(r) => r,
            None => system_resolver().ok_or_else(|| SitesError::Unavailable("No DNS resolver is configured (acme.dns_resolver) and /etc/resolv.conf names none.".into()))?,
        };
        let mut out = Vec::new();
        for r in pending.records {
            let found = pier_web::dns::txt(resolver, &r.record, std::time::Duration::from_secs(3)).await.map_err(SitesError::Unavailable)?;
            out.push(DnsCheck { ok: found.contains(&r.value), record: r.record, expected: r.value, found });
        }
        Ok(out)
    }

    /// The records are in place: the job tells the directory and finishes the order.
    pub async fn dns_finish(&self, jobs: &Jobs, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<i64> {
        self.admin_or_audit(actor, "certificate.dns_finish", &format!("certificate:{id}"), ctx).await?;
        let c = self.certificate_row(id).await?;
        if c.pending.is_none() {
            return Err(SitesError::Conflict(format!("{} has no DNS order waiting.", c.name)));
        }
        let job = self.enqueue_issue(jobs, actor, id, "dns-finish").await?;
        self.audit.record(actor, "certificate.dns_finish", &format!("certificate:{id}"), Outcome::Success, ctx, &format!("job #{job}")).await;
        Ok(job)
    }

    async fn fail_certificate(&self, id: i64, message: &str) {
        if let Ok(Some(c)) = certificate::Entity::find_by_id(id).one(&self.db).await {
            let valid_before = c.status == "valid";
            let mut a: certificate::ActiveModel = c.into();
            // A renewal that fails leaves the certificate in use valid; its error is shown.
            if !valid_before {
                a.status = Set("failed".into());
            }
            a.last_error = Set(Some(message.to_string()));
            a.updated_at = Set(now());
            let _ = a.update(&self.db).await;
        }
    }

    async fn issue(&self, ctx: &JobContext, id: i64) -> std::result::Result<String, JobFailure> {
        let c = self.certificate_row(id).await.map_err(failed)?;
        let names: Vec<String> = serde_json::from_str(&c.names).map_err(failed)?;
        ctx.progress(5, "Opening the ACME account").await?;
        let account = self.open_account().await.map_err(JobFailure::Failed)?;
        let (key_pem, csr) = pier_web::certs::new_key_and_csr(&names).map_err(failed)?;
        let dns = super::dns_providers::provider_for(&c.challenge);
        let published: Vec<pier_proto::certificates::DnsChallenge>;
        let mut order = if let Some(provider) = &dns {
            let pending = match c.pending.as_deref().and_then(|p| serde_json::from_str::<PendingOrder>(p).ok()) {
                Some(p) => p,
                None => {
                    ctx.progress(30, "Ordering; the DNS records come next").await?;
                    let (order_url, records) = acme::order_dns01(&account, &names).await.map_err(failed)?;
                    let pending = PendingOrder { order_url, records };
                    let mut a: certificate::ActiveModel = c.clone().into();
                    a.pending = Set(Some(serde_json::to_string(&pending).expect("json")));
                    a.last_error = Set(None);
                    a.updated_at = Set(now());
                    a.update(&self.db).await.map_err(failed)?;
                    if !provider.publish(&pending.records).await.map_err(failed)? {
                        return Ok(format!("Create the {} TXT record(s) shown on the certificate, then press Check and finish.", pending.records.len()));
                    }
                    pending
                }
            };
            ctx.progress(40, "Telling the directory the DNS records are in place").await?;
            published = pending.records.clone();
            let confirmed = acme::confirm_dns01(&account, &pending.order_url).await;
            if confirmed.is_err() {
                provider.clean_up(&pending.records).await;
            }
            confirmed.map_err(failed)?
        } else {
            ctx.progress(20, format!("Ordering a certificate for {}", names.join(", "))).await?;
            self.ensure_challenges_served().await.map_err(failed)?;
            let root = self.acme_root();
            let served = std::sync::Mutex::new(Vec::new());
            let order = acme::order_http01(&account, &names, |token, body| {
                served.lock().expect("not poisoned").push(token.to_string());
                acme::write_challenge(&root, token, body)
            })
            .await;
            ctx.progress(50, "The directory is checking the challenge files").await?;
            let order = order.map_err(failed)?;
            // The answers are removed once the directory has looked (below, in either case).
            let tokens = served.into_inner().expect("not poisoned");
            let mut order = order;
            let chain = acme::finish(&mut order, &csr).await;
            for t in tokens {
                let _ = std::fs::remove_file(root.join(".well-known/acme-challenge").join(t));
            }
            return self.store_issued(ctx, c, chain.map_err(failed)?, &key_pem).await;
        };
        ctx.progress(60, "The directory is checking the DNS records").await?;
        let chain = acme::finish(&mut order, &csr).await;
        if let Some(provider) = &dns {
            provider.clean_up(&published).await;
        }
        self.store_issued(ctx, c, chain.map_err(failed)?, &key_pem).await
    }

    /// nginx must be running with the challenge location before the directory looks.
    async fn ensure_challenges_served(&self) -> Result<()> {
        let nginx = self.nginx()?;
        if nginx.running_pid().is_none() || nginx.live_version().is_none() {
            let _guard = self.apply_lock.lock().await;
            self.apply_with(&super::pipeline::Edit::Nothing).await?;
        }
        Ok(())
    }

    async fn store_issued(&self, ctx: &JobContext, c: certificate::Model, chain: String, key_pem: &str) -> std::result::Result<String, JobFailure> {
        ctx.progress(80, "Storing the certificate").await?;
        let info = pier_web::certs::inspect_chain(&chain).map_err(failed)?;
        self.install_files(c.id, &info, key_pem).await.map_err(failed)?;
        let row = self.mark_valid(c, &info).await.map_err(failed)?;
        ctx.progress(90, "Putting it live").await?;
        self.reapply().await.map_err(|e| failed(format!("The certificate was issued and stored, but nginx did not take it: {e}")))?;
        let days = (info.not_after - now().unix_timestamp()) / 86_400;
        Ok(format!("Issued {} for {} by {}; valid for {days} more days.", row.name, info.names.join(", "), info.issuer))
    }
}

/// The first `nameserver` of /etc/resolv.conf, port 53.
fn system_resolver() -> Option<std::net::SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines().filter_map(|l| l.trim().strip_prefix("nameserver")).find_map(|a| a.trim().parse::<std::net::IpAddr>().ok()).map(|ip| std::net::SocketAddr::new(ip, 53))
}

/// `certificate.issue`: see the module comment. Not resumable: an order half done is placed
/// again by a person (Renew), never silently twice.
pub struct IssueCertificate {
    pub sites: Sites,
}

#[derive(serde::Deserialize)]
struct IssueParams {
    certificate_id: i64,
}

#[async_trait]
impl JobHandler for IssueCertificate {
    fn kind(&self) -> &'static str {
        KIND_ISSUE
    }

    fn title(&self) -> &'static str {
        "Issue a certificate"
    }

    fn resumable(&self) -> bool {
        false
    }

    async fn run(&self, ctx: &JobContext) -> std::result::Result<String, JobFailure> {
        let p: IssueParams = ctx.params()?;
        match self.sites.issue(ctx, p.certificate_id).await {
            Ok(m) => Ok(m),
            Err(JobFailure::Failed(m)) => {
                self.sites.fail_certificate(p.certificate_id, &m).await;
                Err(JobFailure::Failed(m))
            }
            Err(other) => Err(other),
        }
    }
}
