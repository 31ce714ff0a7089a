//! Personal API tokens: `Authorization: Bearer pier_...`. The token is shown once; only its
//! SHA-256 is stored (it is 256 random bits, so a slow hash adds nothing, and lookups by hash
//! leak no timing about the token). A token acts as its owner with the same policy; a read-only
//! token is refused every state-changing call (the HTTP layer knows which calls those are).
//! Credentials (password, 2FA, tokens) can only be managed from a signed-in browser session.

use super::{AccountError, Accounts, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext, TokenUse};
use crate::entity::{api_token, user};
use pier_proto::accounts::{UserStatus, UserView};
use pier_proto::security::{ApiTokenView, CreatedApiToken, NewApiToken, TokenScope};
use pier_proto::ApiError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

pub const TOKEN_PREFIX: &str = "pier_";
pub const MAX_TOKENS_PER_USER: u64 = 50;
/// `last_used_at` is written at most this often per token.
const LAST_USED_EVERY: Duration = Duration::seconds(60);

fn token_view(m: &api_token::Model, now: OffsetDateTime) -> ApiTokenView {
    ApiTokenView {
        id: m.id,
        name: m.name.clone(),
        prefix: m.prefix.clone(),
        scope: TokenScope::parse(&m.scope).unwrap_or(TokenScope::ReadOnly),
        expires_at: m.expires_at.and_then(|t| t.format(&Rfc3339).ok()),
        last_used_at: m.last_used_at.and_then(|t| t.format(&Rfc3339).ok()),
        created_at: m.created_at.format(&Rfc3339).unwrap_or_default(),
        expired: m.expires_at.is_some_and(|t| t <= now),
    }
}

/// Why a bearer token was refused (all answer 401; the message says which).
fn refused(message: &str) -> AccountError {
    AccountError::Unauthenticated(message.to_string())
}

impl Accounts {
    /// Refuses credential management through an API token.
    pub(super) fn session_only(ctx: &RequestContext, what: &str) -> Result<()> {
        match ctx.token {
            None => Ok(()),
            Some(_) => Err(AccountError::Forbidden(format!("{what} needs a signed-in browser session, not an API token"))),
        }
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenView>> {
        let id = Self::person(actor)?;
        let now = super::now();
        let rows = api_token::Entity::find().filter(api_token::Column::UserId.eq(id)).order_by_desc(api_token::Column::Id).all(&self.db).await?;
        Ok(rows.iter().map(|m| token_view(m, now)).collect())
    }

    pub async fn create_api_token(&self, actor: &Actor, new: NewApiToken, ctx: &RequestContext) -> Result<CreatedApiToken> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Creating API tokens")?;
        new.validate().map_err(AccountError::Invalid)?;
        let count = api_token::Entity::find().filter(api_token::Column::UserId.eq(id)).count(&self.db).await?;
        if count >= MAX_TOKENS_PER_USER {
            return Err(AccountError::Conflict(format!("You already have {MAX_TOKENS_PER_USER} tokens; revoke one first.")));
        }
        let (secret, _) = super::new_token();
        let token = format!("{TOKEN_PREFIX}{secret}");
        let now = super::now();
        let row = api_token::ActiveModel {
            user_id: Set(id),
            name: Set(new.name.trim().to_string()),
            token_hash: Set(super::token_hash(&token)),
            prefix: Set(token[..TOKEN_PREFIX.len() + 6].to_string()),
            scope: Set(new.scope.as_str().into()),
            expires_at: Set(new.expires_in_days.map(|d| now + Duration::days(d as i64))),
            last_used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let detail = format!("token #{} {:?} scope={} expires={}", row.id, row.name, row.scope, row.expires_at.map(|t| t.date().to_string()).unwrap_or_else(|| "never".into()));
        self.audit.record(actor, "api_token.create", &format!("user:{id}"), Outcome::Success, ctx, &detail).await;
        Ok(CreatedApiToken { token, view: token_view(&row, now) })
    }

    pub async fn revoke_api_token(&self, actor: &Actor, token_id: i64, ctx: &RequestContext) -> Result<()> {
        let id = Self::person(actor)?;
        Self::session_only(ctx, "Revoking API tokens")?;
        let found = api_token::Entity::find_by_id(token_id).filter(api_token::Column::UserId.eq(id)).one(&self.db).await?;
        let Some(t) = found else {
            return Err(AccountError::Invalid(ApiError::not_found("API token")));
        };
        api_token::Entity::delete_by_id(t.id).exec(&self.db).await?;
        self.audit.record(actor, "api_token.revoke", &format!("user:{id}"), Outcome::Success, ctx, &format!("token #{} {:?}", t.id, t.name)).await;
        Ok(())
    }

    /// Resolves a bearer token to its active owner. Expired, revoked, malformed and forged
    /// tokens are refused with a message that says which.
    pub async fn authenticate_token(&self, token: &str) -> Result<(UserView, TokenUse)> {
        let token = token.trim();
        let well_formed = token.strip_prefix(TOKEN_PREFIX).is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(refused("This is not a Pier API token (they start with pier_)."));
        }
        let Some(t) = api_token::Entity::find().filter(api_token::Column::TokenHash.eq(super::token_hash(token))).one(&self.db).await? else {
            return Err(refused("This API token is unknown or was revoked."));
        };
        let now = super::now();
        if let Some(expiry) = t.expires_at.filter(|e| *e <= now) {
            return Err(refused(&format!("This API token expired on {}.", expiry.date())));
        }
        let u = user::Entity::find_by_id(t.user_id).one(&self.db).await?.ok_or_else(|| refused("This API token's account no longer exists."))?;
        if u.status != UserStatus::Active.as_str() {
            return Err(refused(&format!("This API token's account is {}.", u.status)));
        }
        if t.last_used_at.is_none_or(|used| now - used >= LAST_USED_EVERY) {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(t.id))
                .exec(&self.db)
                .await?;
        }
        let scope = TokenScope::parse(&t.scope).unwrap_or(TokenScope::ReadOnly);
        Ok((self.view(&u), TokenUse { id: t.id, name: t.name, scope }))
    }
}
