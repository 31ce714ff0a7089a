//! Access lists: named lists of people that password-protected sites ask to sign in (HTTP
//! basic authentication). Passwords are kept only as SHA-512 crypt hashes, which nginx checks
//! with the system's crypt(); the hashes reach nginx as one password file per list inside each
//! configuration version, so a list change goes live (and is rolled back) with its version.

use super::pipeline::Edit;
use super::{now, Result, Sites, SitesError};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use crate::entity::{access_list, site};
use pier_proto::sites::{AccessListInput, AccessListView, SiteSpec};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};

/// One person on a list as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccessUser {
    pub username: String,
    pub hash: String,
}

/// A list's password file: `name:hash` lines (names and hashes hold no ':' or line breaks).
pub(crate) fn htpasswd(users: &[AccessUser]) -> String {
    users.iter().map(|u| format!("{}:{}\n", u.username, u.hash)).collect()
}

pub(crate) fn parse_users(row: &access_list::Model) -> Result<Vec<AccessUser>> {
    serde_json::from_str(&row.users).map_err(|e| SitesError::Unavailable(format!("access list {} is unreadable: {e}", row.name)))
}

fn hash_password(password: &str) -> Result<String> {
    let params = sha_crypt::Sha512Params::new(sha_crypt::ROUNDS_DEFAULT).expect("default rounds are valid");
    sha_crypt::sha512_simple(password, &params).map_err(|_| SitesError::Unavailable("hashing a password failed".into()))
}

impl Sites {
    /// Audits a refused change and returns the refusal.
    async fn refused<T>(&self, actor: &Actor, action: &str, target: &str, ctx: &RequestContext, e: SitesError) -> Result<T> {
        self.audit.record(actor, action, target, Outcome::Failure, ctx, &e.to_string()).await;
        Err(e)
    }

    pub(crate) async fn access_list_names(&self) -> Result<Vec<String>> {
        Ok(access_list::Entity::find().all(&self.db).await?.into_iter().map(|l| l.name).collect())
    }

    async fn access_list_row(&self, id: i64) -> Result<access_list::Model> {
        access_list::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| SitesError::NotFound(format!("Access list {id}")))
    }

    /// Typed sites protected by list `name`.
    async fn sites_protected_by(&self, name: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for s in site::Entity::find().filter(site::Column::Kind.eq(super::pipeline::KIND_TYPED)).order_by_asc(site::Column::Name).all(&self.db).await? {
            if serde_json::from_str::<SiteSpec>(&s.body).is_ok_and(|spec| spec.access_list.as_deref() == Some(name)) {
                out.push(s.name);
            }
        }
        Ok(out)
    }

    async fn access_list_view(&self, row: access_list::Model) -> Result<AccessListView> {
        let users = parse_users(&row)?.into_iter().map(|u| u.username).collect();
        Ok(AccessListView { id: row.id, used_by: self.sites_protected_by(&row.name).await?, name: row.name, users })
    }

    pub async fn list_access_lists(&self, actor: &Actor) -> Result<Vec<AccessListView>> {
        Self::require_staff(actor)?;
        let mut out = Vec::new();
        for row in access_list::Entity::find().order_by_asc(access_list::Column::Name).all(&self.db).await? {
            out.push(self.access_list_view(row).await?);
        }
        Ok(out)
    }

    /// Creates (`id` = None) or changes a list; live when this returns. A user sent without a
    /// password keeps the one they have (a new user must be given one); users left out are
    /// removed.
    pub async fn save_access_list(&self, actor: &Actor, id: Option<i64>, input: AccessListInput, ctx: &RequestContext) -> Result<AccessListView> {
        let action = if id.is_some() { "access_list.update" } else { "access_list.create" };
        let target = id.map(|i| format!("access_list:{i}")).unwrap_or_else(|| format!("access_list:{}", input.name));
        self.admin_or_audit(actor, action, &target, ctx).await?;
        let refuse = |e: SitesError| self.refused(actor, action, &target, ctx, e);
        if let Err(e) = input.validate() {
            return refuse(SitesError::Invalid(e)).await;
        }
        let existing = match id {
            Some(id) => Some(self.access_list_row(id).await?),
            None => None,
        };
        if let Some(other) = access_list::Entity::find().filter(access_list::Column::Name.eq(&input.name)).one(&self.db).await? {
            if Some(other.id) != id {
                return refuse(SitesError::Invalid(ApiError { code: ErrorCode::Conflict, message: format!("An access list named {:?} exists.", input.name), field: Some("name".into()) })).await;
            }
        }
        if let Some(e) = &existing {
            if e.name != input.name && !self.sites_protected_by(&e.name).await?.is_empty() {
                return refuse(SitesError::Conflict(format!("Sites are protected by {}; a list in use keeps its name.", e.name))).await;
            }
        }
        let old = existing.as_ref().map(parse_users).transpose()?.unwrap_or_default();
        let mut users = Vec::with_capacity(input.users.len());
        for u in &input.users {
            let hash = match (&u.password, old.iter().find(|o| o.username == u.username)) {
                (Some(p), _) => {
                    let p = p.clone();
                    tokio::task::spawn_blocking(move || hash_password(&p)).await.map_err(|e| SitesError::Unavailable(e.to_string()))??
                }
                (None, Some(o)) => o.hash.clone(),
                (None, None) => return refuse(SitesError::Invalid(ApiError::invalid("users", format!("{} is new: give them a password.", u.username)))).await,
            };
            users.push(AccessUser { username: u.username.clone(), hash });
        }
        let _guard = self.apply_lock.lock().await;
        if let Err(e) = self.apply_with(&Edit::PutAccessList { id, name: input.name.clone(), users: users.clone() }).await {
            return refuse(e).await;
        }
        let t = now();
        let json = serde_json::to_string(&users).expect("json");
        let row = match existing {
            Some(e) => {
                let mut a: access_list::ActiveModel = e.into();
                a.name = Set(input.name.clone());
                a.users = Set(json);
                a.updated_at = Set(t);
                a.update(&self.db).await?
            }
            None => access_list::ActiveModel { name: Set(input.name.clone()), users: Set(json), created_at: Set(t), updated_at: Set(t), ..Default::default() }.insert(&self.db).await?,
        };
        drop(_guard);
        let changed: Vec<&str> = input.users.iter().filter(|u| u.password.is_some()).map(|u| u.username.as_str()).collect();
        let detail = format!("{} ({} users; passwords set for: {})", row.name, users.len(), if changed.is_empty() { "none".to_string() } else { changed.join(", ") });
        self.audit.record(actor, action, &format!("access_list:{}", row.id), Outcome::Success, ctx, &detail).await;
        self.access_list_view(row).await
    }

    /// Deletes a list; refused while a site is protected by it.
    pub async fn delete_access_list(&self, actor: &Actor, id: i64, ctx: &RequestContext) -> Result<()> {
        let target = format!("access_list:{id}");
        self.admin_or_audit(actor, "access_list.delete", &target, ctx).await?;
        let row = self.access_list_row(id).await?;
        let users = self.sites_protected_by(&row.name).await?;
        if !users.is_empty() {
            let e = SitesError::Conflict(format!("{} protects {}; change those sites first.", row.name, users.join(", ")));
            return self.refused(actor, "access_list.delete", &target, ctx, e).await;
        }
        let _guard = self.apply_lock.lock().await;
        self.apply_with(&Edit::DropAccessList(id)).await?;
        access_list::Entity::delete_by_id(id).exec(&self.db).await?;
        drop(_guard);
        self.audit.record(actor, "access_list.delete", &target, Outcome::Success, ctx, &row.name).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_files_hold_names_and_crypt_hashes_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$6$") && !hash.contains(':') && !hash.contains('\n'), "{hash}");
        assert!(sha_crypt::sha512_check("correct horse", &hash).is_ok());
        assert!(sha_crypt::sha512_check("wrong horse", &hash).is_err());
        let file = htpasswd(&[AccessUser { username: "ann".into(), hash: hash.clone() }, AccessUser { username: "bob".into(), hash: "$6$x$y".into() }]);
        assert_eq!(file, format!("ann:{hash}\nbob:$6$x$y\n"));
        assert!(!file.contains("correct horse"));
    }
}
