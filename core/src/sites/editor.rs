//! Creating, changing, disabling and deleting sites; their versions, diffs and restores.

use super::pipeline::{Draft, Edit, KIND_RAW, KIND_TYPED};
use super::{now, Result, Sites, SitesError};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{certificate, pool, site, site_version};
use crate::jobs::Jobs;
use pier_proto::sites::{ApplyState, CertificateBrief, DiffLine, LocationAction, SiteBody, SiteInput, SiteSpec, SiteVersion, SitesEvent, TlsMode};
use pier_proto::live::Topic;
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

/// Does a certificate for `cert_names` cover host `name` (exactly, or by one wildcard label)?
pub fn covers(cert_names: &[String], name: &str) -> bool {
    cert_names.iter().any(|c| {
        c.eq_ignore_ascii_case(name) || c.strip_prefix("*.").is_some_and(|base| name.split_once('.').is_some_and(|(first, rest)| !first.is_empty() && first != "*" && rest.eq_ignore_ascii_case(base)))
    })
}

impl Sites {
    pub(crate) fn require_admin(actor: &Actor, what: &str) -> Result<()> {
        if policy::may_manage_platform(actor) {
            Ok(())
        } else {
            Err(SitesError::Forbidden(format!("only administrators {what}")))
        }
    }

    pub(crate) fn require_staff(actor: &Actor) -> Result<()> {
        if policy::may_read_platform(actor) {
            Ok(())
        } else {
            Err(SitesError::Forbidden("sites and certificates are for administrators and support".into()))
        }
    }

    /// Refuses (and audits the refusal) when `actor` is not an administrator.
    pub(crate) async fn admin_or_audit(&self, actor: &Actor, action: &str, target: &str, ctx: &RequestContext) -> Result<()> {
        let r = Self::require_admin(actor, "change sites, pools, nginx and certificates");
        if r.is_err() {
            self.audit.record(actor, action, target, Outcome::Denied, ctx, "").await;
        }
        r
    }

    pub async fn list_sites(&self, actor: &Actor) -> Result<Vec<pier_proto::sites::SiteView>> {
        Self::require_staff(actor)?;
        let rows = site::Entity::find().order_by_asc(site::Column::Name).all(&self.db).await?;
        let certs = certificate::Entity::find().all(&self.db).await?;
        rows.into_iter().map(|r| view(r, &certs)).collect()
    }

    pub async fn get_site(&self, actor: &Actor, id: i64) -> Result<pier_proto::sites::SiteView> {
        Self::require_staff(actor)?;
        let row = self.site_row(id).await?;
        let certs = certificate::Entity::find().all(&self.db).await?;
        view(row, &certs)
    }

    pub(crate) async fn site_row(&self, id: i64) -> Result<site::Model> {
        site::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| SitesError::NotFound(format!("Site {id}")))
    }

    /// Creates (`id` = None) or changes a site; it is live when this returns. A configuration
    /// nginx refuses changes nothing live; the refused version is kept in the site's history.
    pub async fn save_site(&self, jobs: &Jobs, actor: &Actor, id: Option<i64>, input: SiteInput, ctx: &RequestContext) -> Result<pier_proto::sites::SiteView> {
        let target = id.map(|i| format!("site:{i}")).unwrap_or_else(|| format!("site:{}", input.name));
        let action = if id.is_some() { "site.update" } else { "site.create" };
        self.admin_or_audit(actor, action, &target, ctx).await?;
        input.validate().map_err(SitesError::Invalid)?;
        let existing = match id {
            Some(id) => Some(self.site_row(id).await?),
            None => None,
        };
        if let Some(other) = site::Entity::find().filter(site::Column::Name.eq(&input.name)).one(&self.db).await? {
            if Some(other.id) != id {
                return Err(SitesError::Invalid(ApiError { code: ErrorCode::Conflict, message: format!("A site named {:?} exists.", input.name), field: Some("name".into()) }));
            }
        }
        let (kind, body, enabled, certificate_id) = match &input.body {
            SiteBody::Raw { text } => (KIND_RAW, text.clone(), existing.as_ref().is_none_or(|e| e.enabled), None),
            SiteBody::Typed { spec } => {
                let mut spec = spec.clone();
                spec.tls = None; // resolved from the TLS mode when rendering, never taken from a client
                let cert = self.check_typed(&spec, existing.as_ref()).await?;
                (KIND_TYPED, serde_json::to_string(&spec).expect("serialisable"), spec.enabled, cert)
            }
        };
        let draft = Draft { id, name: input.name.clone(), kind: kind.into(), body, enabled, certificate_id };
        let row = self.apply_site(actor, draft, existing, ctx, action).await?;
        let row = self.ensure_acme_certificate(jobs, actor, row, ctx).await?;
        let certs = certificate::Entity::find().all(&self.db).await?;
        view(row, &certs)
    }

    /// Pools the site proxies to and its access list must exist; a chosen certificate must exist and cover the
    /// site's names. Returns the certificate id the site keeps.
    async fn check_typed(&self, spec: &SiteSpec, existing: Option<&site::Model>) -> Result<Option<i64>> {
        let pools: Vec<String> = pool::Entity::find().all(&self.db).await?.into_iter().map(|p| p.name).collect();
        for l in &spec.locations {
            if let LocationAction::Proxy { pool } = &l.action {
                if !pools.contains(pool) {
                    return Err(SitesError::Invalid(ApiError::invalid("locations", format!("{} proxies to pool {pool:?}, which does not exist; create the pool first.", l.path))));
                }
            }
        }
        if let Some(list) = &spec.access_list {
            if !self.access_list_names().await?.contains(list) {
                return Err(SitesError::Invalid(ApiError::invalid("access_list", format!("Access list {list:?} does not exist; create it first."))));
            }
        }
        let uncovered = |names: &[String]| spec.server_names.iter().find(|n| !covers(names, n)).cloned();
        match spec.tls_mode {
            TlsMode::None => Ok(None),
            TlsMode::Certificate { id } => {
                let c = certificate::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| SitesError::Invalid(ApiError::invalid("tls_mode", format!("Certificate {id} does not exist."))))?;
                let names: Vec<String> = serde_json::from_str(&c.names).unwrap_or_default();
                if let Some(n) = uncovered(&names) {
                    return Err(SitesError::Invalid(ApiError::invalid("tls_mode", format!("Certificate {:?} does not cover {n}.", c.name))));
                }
                Ok(Some(id))
            }
            TlsMode::Wildcard => {
                let Some(c) = certificate::Entity::find().filter(certificate::Column::IsDefault.eq(true)).one(&self.db).await? else {
                    return Err(SitesError::Invalid(ApiError::invalid("tls_mode", "No default wildcard certificate is set: upload or issue one and mark it as the default.")));
                };
                let names: Vec<String> = serde_json::from_str(&c.names).unwrap_or_default();
                if let Some(n) = uncovered(&names) {
                    return Err(SitesError::Invalid(ApiError::invalid("tls_mode", format!("The default certificate {:?} does not cover {n}.", c.name))));
                }
                Ok(None)
            }
            // Keeps the certificate it was issued unless the names changed beyond it.
            TlsMode::Acme => {
                if spec.server_names.iter().any(|n| n.starts_with("*.")) {
                    return Err(SitesError::Invalid(ApiError::invalid("tls_mode", "Wildcard names need a DNS-01 certificate: request one on the certificates page and choose it here.")));
                }
                Ok(existing.and_then(|e| e.certificate_id))
            }
        }
    }

    /// Applies `draft` and records it: on success the site row and a `live` version; on a
    /// refusal a `rejected` version (for an existing site) and the site's state says why.
    pub(crate) async fn apply_site(&self, actor: &Actor, draft: Draft, existing: Option<site::Model>, ctx: &RequestContext, action: &str) -> Result<site::Model> {
        let _guard = self.apply_lock.lock().await;
        let target = existing.as_ref().map(|e| format!("site:{}", e.id)).unwrap_or_else(|| format!("site:{}", draft.name));
        match self.apply_with(&Edit::PutSite(draft.clone())).await {
            Ok(out) => {
                let rendered = out.rendered.get(&draft.name).cloned().unwrap_or_default();
                let txn = self.db.begin().await?;
                let t = now();
                let row = match existing {
                    Some(e) => {
                        let mut a: site::ActiveModel = e.into();
                        a.name = Set(draft.name.clone());
                        a.kind = Set(draft.kind.clone());
                        a.body = Set(draft.body.clone());
                        a.enabled = Set(draft.enabled);
                        a.certificate_id = Set(draft.certificate_id);
                        a.updated_at = Set(t);
                        a.update(&txn).await?
                    }
                    None => {
                        site::ActiveModel {
                            name: Set(draft.name.clone()),
                            kind: Set(draft.kind.clone()),
                            body: Set(draft.body.clone()),
                            enabled: Set(draft.enabled),
                            state: Set("live".into()),
                            certificate_id: Set(draft.certificate_id),
                            created_at: Set(t),
                            updated_at: Set(t),
                            ..Default::default()
                        }
                        .insert(&txn)
                        .await?
                    }
                };
                site_version::Entity::update_many()
                    .col_expr(site_version::Column::State, sea_orm::sea_query::Expr::value("superseded"))
                    .filter(site_version::Column::SiteId.eq(row.id))
                    .filter(site_version::Column::State.eq("live"))
                    .exec(&txn)
                    .await?;
                let number = next_number(&txn, row.id).await?;
                insert_version(&txn, row.id, number, &draft, &rendered, "live", None, actor).await?;
                let mut a: site::ActiveModel = row.into();
                a.state = Set(if draft.enabled { "live" } else { "disabled" }.into());
                a.state_message = Set(None);
                a.state_line = Set(None);
                a.live_version = Set(Some(number));
                let row = a.update(&txn).await?;
                txn.commit().await?;
                self.audit.record(actor, action, &format!("site:{}", row.id), Outcome::Success, ctx, &format!("{} version {number} live ({})", row.name, out.applied.version)).await;
                self.bus.publish(&[Topic::new("sites").expect("topic")], crate::actor::Audience::Staff, serde_json::to_value(SitesEvent::Applied { version: out.applied.version }).expect("json"));
                Ok(row)
            }
            Err(e) => {
                let message = e.to_string();
                if let Some(row) = existing {
                    let lists = self.access_list_names().await?;
                    let lists: Vec<&str> = lists.iter().map(String::as_str).collect();
                    let rendered = self.render_draft(&draft, &self.usable_certificates().await?, &lists, &self.render_options()).unwrap_or_default();
                    let number = next_number(&self.db, row.id).await?;
                    insert_version(&self.db, row.id, number, &draft, &rendered, "rejected", Some(&message), actor).await?;
                    let mut a: site::ActiveModel = row.into();
                    a.state = Set("rejected".into());
                    a.state_message = Set(Some(message.clone()));
                    a.state_line = Set(line_of(&message));
                    a.update(&self.db).await?;
                }
                self.audit.record(actor, action, &target, Outcome::Failure, ctx, &message).await;
                Err(e)
            }
        }
    }

    pub async fn set_site_enabled(&self, actor: &Actor, id: i64, enabled: bool, ctx: &RequestContext) -> Result<pier_proto::sites::SiteView> {
        let action = if enabled { "site.enable" } else { "site.disable" };
        self.admin_or_audit(actor, action, &format!("site:{id}"), ctx).await?;
        let row = self.site_row(id).await?;
        let mut draft = Draft::from(row.clone());
        draft.enabled = enabled;
        if draft.kind == KIND_TYPED {
            let mut spec: SiteSpec = serde_json::from_str(&draft.body).map_err(|e| SitesError::Unavailable(e.to_string()))?;
            spec.enabled = enabled;
            draft.body = serde_json::to_string(&spec).expect("serialisable");
        }
        let row = self.apply_site(actor, draft, Some(row), ctx, action).await?;
        view(row, &certificate::Entity::find().all(&self.db).await?)
    }

    /// Deletes a site (`confirm` is its name typed again); it stops being served at once.
    pub async fn delete_site(&self, actor: &Actor, id: i64, confirm: &str, ctx: &RequestContext) -> Result<()> {
        self.admin_or_audit(actor, "site.delete", &format!("site:{id}"), ctx).await?;
        let row = self.site_row(id).await?;
        if confirm != row.name {
            return Err(SitesError::Invalid(ApiError::invalid("confirm", format!("Type {} to delete it.", row.name))));
        }
        let _guard = self.apply_lock.lock().await;
        let out = self.apply_with(&Edit::DropSite(id)).await;
        if let Err(e) = out {
            self.audit.record(actor, "site.delete", &format!("site:{id}"), Outcome::Failure, ctx, &e.to_string()).await;
            return Err(e);
        }
        site::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "site.delete", &format!("site:{id}"), Outcome::Success, ctx, &row.name).await;
        Ok(())
    }

    /// The site's versions, newest first.
    pub async fn site_versions(&self, actor: &Actor, id: i64) -> Result<Vec<SiteVersion>> {
        Self::require_staff(actor)?;
        self.site_row(id).await?;
        let rows = site_version::Entity::find().filter(site_version::Column::SiteId.eq(id)).order_by_desc(site_version::Column::Number).all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|v| SiteVersion { id: v.id, number: v.number, state: v.state, message: v.message, actor: v.actor, created_at: v.created_at.unix_timestamp(), rendered: v.rendered })
            .collect())
    }

    async fn version_row(&self, site_id: i64, number: i64) -> Result<site_version::Model> {
        site_version::Entity::find()
            .filter(site_version::Column::SiteId.eq(site_id))
            .filter(site_version::Column::Number.eq(number))
            .one(&self.db)
            .await?
            .ok_or_else(|| SitesError::NotFound(format!("Version {number} of site {site_id}")))
    }

    /// What changed from version `from` to version `to` (rendered text, line by line).
    pub async fn diff_versions(&self, actor: &Actor, id: i64, from: i64, to: i64) -> Result<Vec<DiffLine>> {
        Self::require_staff(actor)?;
        let (a, b) = (self.version_row(id, from).await?, self.version_row(id, to).await?);
        Ok(super::diff::lines(&a.rendered, &b.rendered))
    }

    /// Puts version `number` live again, as a new version.
    pub async fn restore_version(&self, actor: &Actor, id: i64, number: i64, ctx: &RequestContext) -> Result<pier_proto::sites::SiteView> {
        self.admin_or_audit(actor, "site.restore", &format!("site:{id}"), ctx).await?;
        let row = self.site_row(id).await?;
        let v = self.version_row(id, number).await?;
        let mut draft = Draft::from(row.clone());
        draft.kind = v.kind.clone();
        draft.body = v.body.clone();
        if draft.kind == KIND_TYPED {
            let spec: SiteSpec = serde_json::from_str(&v.body).map_err(|e| SitesError::Unavailable(e.to_string()))?;
            draft.enabled = spec.enabled;
        }
        let row = self.apply_site(actor, draft, Some(row), ctx, "site.restore").await?;
        view(row, &certificate::Entity::find().all(&self.db).await?)
    }
}

async fn next_number(db: &impl sea_orm::ConnectionTrait, site_id: i64) -> Result<i64> {
    let last = site_version::Entity::find().filter(site_version::Column::SiteId.eq(site_id)).order_by_desc(site_version::Column::Number).one(db).await?;
    Ok(last.map_or(1, |v| v.number + 1))
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(db: &impl sea_orm::ConnectionTrait, site_id: i64, number: i64, d: &Draft, rendered: &str, state: &str, message: Option<&str>, actor: &Actor) -> Result<()> {
    site_version::ActiveModel {
        site_id: Set(site_id),
        number: Set(number),
        kind: Set(d.kind.clone()),
        body: Set(d.body.clone()),
        rendered: Set(rendered.to_string()),
        state: Set(state.into()),
        message: Set(message.map(str::to_string)),
        actor: Set(actor.display()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// `… line 12) …` in a mapped nginx message.
fn line_of(message: &str) -> Option<i32> {
    let at = message.find(", line ")? + 7;
    message[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

pub(crate) fn view(row: site::Model, certs: &[certificate::Model]) -> Result<pier_proto::sites::SiteView> {
    let body = if row.kind == KIND_RAW {
        SiteBody::Raw { text: row.body.clone() }
    } else {
        SiteBody::Typed { spec: serde_json::from_str(&row.body).map_err(|e| SitesError::Unavailable(format!("site {} is unreadable: {e}", row.name)))? }
    };
    let server_names = match &body {
        SiteBody::Typed { spec } => spec.server_names.clone(),
        SiteBody::Raw { text } => raw_server_names(text),
    };
    let state = match row.state.as_str() {
        "rejected" => ApplyState::Rejected { message: row.state_message.clone().unwrap_or_default(), line: row.state_line.map(|l| l as u32) },
        _ if !row.enabled => ApplyState::Disabled,
        _ => ApplyState::Live,
    };
    let uses_default = matches!(&body, SiteBody::Typed { spec } if spec.tls_mode == TlsMode::Wildcard);
    let certificate = certs
        .iter()
        .find(|c| Some(c.id) == row.certificate_id || (uses_default && c.is_default))
        .map(|c| CertificateBrief { id: c.id, name: c.name.clone(), not_after: c.not_after.map(|t| t.unix_timestamp()) });
    Ok(pier_proto::sites::SiteView { id: row.id, name: row.name, body, server_names, enabled: row.enabled, state, live_version: row.live_version, certificate, updated_at: row.updated_at.unix_timestamp() })
}

/// The names a raw site's `server_name` lines give (for the list).
pub(crate) fn raw_server_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("server_name"))
        .flat_map(|rest| rest.trim_end_matches(';').split_whitespace().map(|n| n.trim_end_matches(';').to_string()).collect::<Vec<_>>())
        .filter(|n| !n.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        let names = vec!["*.example.test".to_string(), "example.test".to_string()];
        assert!(covers(&names, "shop.example.test"));
        assert!(covers(&names, "example.test"));
        assert!(!covers(&names, "a.b.example.test"));
        assert!(!covers(&names, "other.test"));
        assert!(covers(&["*.example.test".into()], "*.example.test"));
    }

    #[test]
    fn raw_names_and_lines_are_read() {
        assert_eq!(raw_server_names("server {\n  server_name a.test b.test;\n}\n"), vec!["a.test", "b.test"]);
        assert_eq!(line_of("nginx refused the configuration (site shop, line 12): x"), Some(12));
    }
}
