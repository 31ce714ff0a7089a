//! The one way a configuration reaches nginx: every site and pool as the database has them,
//! with one edit applied in memory, rendered and handed to `pier-web` to test, swap and reload.
//! The edit is written to the database only after nginx took it, so a refused change leaves
//! both the database and what serves as they were. Callers hold `apply_lock` across the apply
//! and their database write.

use super::{Result, Sites, SitesError};
use super::access_lists::{htpasswd, parse_users, AccessUser};
use crate::entity::{access_list, certificate, pool, site};
use pier_proto::sites::{PoolSpec, SiteSpec, TlsFiles, TlsMode};
use pier_web::render::{render_pool, render_site};
use pier_web::{Applied, SiteFiles};
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::HashMap;

pub const KIND_TYPED: &str = "typed";
pub const KIND_RAW: &str = "raw";

/// A site as the pipeline renders it.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub id: Option<i64>,
    pub name: String,
    pub kind: String,
    /// `SiteSpec` JSON (typed) or configuration text (raw).
    pub body: String,
    pub enabled: bool,
    pub certificate_id: Option<i64>,
}

impl From<site::Model> for Draft {
    fn from(m: site::Model) -> Self {
        Draft { id: Some(m.id), name: m.name, kind: m.kind, body: m.body, enabled: m.enabled, certificate_id: m.certificate_id }
    }
}

/// The change an apply carries.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    /// Re-render what the database holds (a certificate renewed, a member went down).
    Nothing,
    PutSite(Draft),
    DropSite(i64),
    PutPool { id: Option<i64>, spec: PoolSpec },
    DropPool(i64),
    PutAccessList { id: Option<i64>, name: String, users: Vec<AccessUser> },
    DropAccessList(i64),
}

/// What an apply produced: the live version and each site's rendered text.
pub(crate) struct Outcome {
    pub applied: Applied,
    pub rendered: HashMap<String, String>,
}

impl Sites {
    /// Renders everything with `edit` and puts it live (see the module comment).
    pub(crate) async fn apply_with(&self, edit: &Edit) -> Result<Outcome> {
        let nginx = self.nginx()?.clone();
        tokio::fs::create_dir_all(self.acme_root().join(".well-known/acme-challenge")).await.map_err(|e| SitesError::Unavailable(format!("the ACME challenge folder: {e}")))?;
        let (files, rendered) = self.render_all(edit).await?;
        let applied = nginx.apply(&files).await?;
        Ok(Outcome { applied, rendered })
    }

    /// Every site and pool as text, with `edit` applied.
    pub(crate) async fn render_all(&self, edit: &Edit) -> Result<(SiteFiles, HashMap<String, String>)> {
        let mut sites: Vec<Draft> = site::Entity::find().order_by_asc(site::Column::Name).all(&self.db).await?.into_iter().map(Draft::from).collect();
        let mut pools: Vec<(Option<i64>, PoolSpec)> = Vec::new();
        for p in pool::Entity::find().order_by_asc(pool::Column::Name).all(&self.db).await? {
            pools.push((Some(p.id), serde_json::from_str(&p.spec).map_err(|e| SitesError::Unavailable(format!("pool {} is unreadable: {e}", p.name)))?));
        }
        let mut lists: Vec<(Option<i64>, String, Vec<AccessUser>)> = Vec::new();
        for l in access_list::Entity::find().order_by_asc(access_list::Column::Name).all(&self.db).await? {
            lists.push((Some(l.id), l.name.clone(), parse_users(&l)?));
        }
        match edit {
            Edit::Nothing => {}
            Edit::PutAccessList { id, name, users } => {
                lists.retain(|(lid, _, _)| lid.is_none() || lid != id);
                lists.push((*id, name.clone(), users.clone()));
            }
            Edit::DropAccessList(id) => lists.retain(|(lid, _, _)| *lid != Some(*id)),
            Edit::PutSite(d) => {
                sites.retain(|s| s.id.is_none() || s.id != d.id);
                sites.push(d.clone());
            }
            Edit::DropSite(id) => sites.retain(|s| s.id != Some(*id)),
            Edit::PutPool { id, spec } => {
                pools.retain(|(pid, _)| pid.is_none() || pid != id);
                pools.push((*id, spec.clone()));
            }
            Edit::DropPool(id) => pools.retain(|(pid, _)| *pid != Some(*id)),
        }
        let certs = self.usable_certificates().await?;
        let options = self.render_options();
        let mut files = SiteFiles::default();
        let mut rendered = HashMap::new();
        let list_names: Vec<&str> = lists.iter().map(|(_, n, _)| n.as_str()).collect();
        for d in &sites {
            let text = self.render_draft(d, &certs, &list_names, &options)?;
            rendered.insert(d.name.clone(), text.clone());
            files.sites.push((d.name.clone(), text));
        }
        let down = self.members_down();
        for (id, mut spec) in pools {
            if let Some(out) = id.and_then(|id| down.get(&id)) {
                for m in &mut spec.members {
                    m.down = out.contains(&format!("{}:{}", m.host, m.port));
                }
            }
            files.pools.push((spec.name.clone(), render_pool(&spec)?));
        }
        files.auth = lists.iter().map(|(_, name, users)| (name.clone(), htpasswd(users))).collect();
        Ok((files, rendered))
    }

    /// One site's text; `lists` are the access lists that exist (a site protected by a list
    /// that is gone, say in a restored version, is refused rather than left open or broken).
    pub(crate) fn render_draft(&self, d: &Draft, certs: &UsableCerts, lists: &[&str], options: &pier_web::render::RenderOptions) -> Result<String> {
        if d.kind == KIND_RAW {
            let head = format!("# Site {} (raw text kept by Pier; edit it in the panel).\n", d.name);
            return Ok(if d.enabled { format!("{head}{}\n", d.body) } else { format!("{head}# Disabled.\n") });
        }
        let mut spec: SiteSpec = serde_json::from_str(&d.body).map_err(|e| SitesError::Unavailable(format!("site {} is unreadable: {e}", d.name)))?;
        spec.enabled = d.enabled;
        if let Some(list) = spec.access_list.as_deref().filter(|l| !lists.contains(l)) {
            return Err(SitesError::Invalid(pier_proto::ApiError::invalid("access_list", format!("Site {} is protected by access list {list:?}, which does not exist; create it first.", d.name))));
        }
        spec.tls = match spec.tls_mode {
            TlsMode::None => None,
            TlsMode::Wildcard => certs.default.and_then(|id| certs.files.get(&id).cloned()),
            TlsMode::Acme | TlsMode::Certificate { .. } => d.certificate_id.and_then(|id| certs.files.get(&id).cloned()),
        };
        Ok(render_site(&spec, options)?)
    }

    /// Certificates nginx can be pointed at: valid, with both files present.
    pub(crate) async fn usable_certificates(&self) -> Result<UsableCerts> {
        let mut out = UsableCerts::default();
        for c in certificate::Entity::find().all(&self.db).await? {
            let dir = self.certificate_dir(c.id);
            let (chain, key) = (dir.join("fullchain.pem"), dir.join("key.pem"));
            if c.status == "valid" && chain.exists() && key.exists() {
                out.files.insert(c.id, TlsFiles { certificate: chain.display().to_string(), key: key.display().to_string() });
                if c.is_default && out.default.is_none() {
                    out.default = Some(c.id);
                }
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Default)]
pub(crate) struct UsableCerts {
    pub files: HashMap<i64, TlsFiles>,
    pub default: Option<i64>,
}
