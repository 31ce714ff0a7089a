//! Password-reset links: an administrator makes a one-time link (24 h) and hands it to the
//! person, who chooses a new password with it. Using it clears a lockout and ends every session
//! of the account. (Sending it by email comes with the notifications work.)

use super::{password, AccountError, Accounts, Result};
use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{password_reset, user};
use pier_proto::security::PasswordResetLink;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use time::format_description::well_known::Rfc3339;
use time::Duration;

pub const RESET_TTL: Duration = Duration::hours(24);

impl Accounts {
    pub async fn create_password_reset(&self, actor: &Actor, user_id: i64, ctx: &RequestContext) -> Result<PasswordResetLink> {
        let target = format!("user:{user_id}");
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "user.password_reset_link", &target, Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators make password-reset links".into()));
        }
        let u = self.target(user_id).await?;
        let (token, hash) = super::new_token();
        let now = super::now();
        let txn = self.db.begin().await?;
        // One live link per account: a new one replaces the old.
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(user_id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let row = password_reset::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(hash),
            expires_at: Set(now + RESET_TTL),
            used_at: Set(None),
            created_by: Set(actor.key()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.audit.record(actor, "user.password_reset_link", &target, Outcome::Success, ctx, &format!("username={}", u.username)).await;
        Ok(PasswordResetLink { path: format!("/reset?token={token}"), expires_at: row.expires_at.format(&Rfc3339).unwrap_or_default() })
    }

    async fn live_reset(&self, token: &str) -> Result<Option<password_reset::Model>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        Ok(password_reset::Entity::find()
            .filter(password_reset::Column::TokenHash.eq(super::token_hash(token)))
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(super::now()))
            .one(&self.db)
            .await?)
    }

    /// The username a live reset link is for (the reset page shows it), or `None`.
    pub async fn password_reset_username(&self, token: &str) -> Result<Option<String>> {
        let Some(r) = self.live_reset(token).await? else { return Ok(None) };
        Ok(user::Entity::find_by_id(r.user_id).one(&self.db).await?.map(|u| u.username))
    }

    /// Sets a new password with a reset link. The link is spent in the same transaction as the
    /// password change, so it works once even when two browsers race.
    pub async fn reset_password(&self, token: &str, new_password: &str, ctx: &RequestContext) -> Result<()> {
        let Some(r) = self.live_reset(token).await? else {
            self.audit.record_as("anonymous", "anonymous", "user.password_reset", "reset", Outcome::Denied, ctx, "invalid or expired link").await;
            return Err(AccountError::ResetClosed);
        };
        let u = self.target(r.user_id).await?;
        pier_proto::accounts::validate_password(new_password, &u.username).map_err(AccountError::Invalid)?;
        let hash = password::hash(new_password.to_string()).await.map_err(AccountError::Hash)?;
        let txn = self.db.begin().await?;
        let spent = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(super::now()))
            .filter(password_reset::Column::Id.eq(r.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            txn.rollback().await?;
            return Err(AccountError::ResetClosed);
        }
        let mut row: user::ActiveModel = u.clone().into();
        row.password_hash = Set(hash);
        row.failed_logins = Set(0);
        row.locked_until = Set(None);
        row.updated_at = Set(super::now());
        row.update(&txn).await?;
        txn.commit().await?;
        let ended = self.sessions.revoke_all(u.id).await?;
        let actor = super::actor_of(&self.view(&u));
        self.audit.record(&actor, "user.password_reset", &format!("user:{}", u.id), Outcome::Success, ctx, &format!("{ended} session(s) ended")).await;
        Ok(())
    }
}
