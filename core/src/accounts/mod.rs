//! Accounts: users, passwords, login with lockout, and the first-admin setup token.

pub mod api_tokens;
pub mod password;
pub mod resets;
pub mod ssh_keys;
pub mod throttle;
pub mod two_factor;

use crate::actor::{policy, Actor};
use crate::audit::{Audit, Outcome, RequestContext};
use crate::entity::{setup_token, user};
use crate::secrets::SecretBox;
use crate::settings::Settings;
use pier_proto::accounts::{validate_email, NewUser, Role, UserPage, UserQuery, UserStatus, UserUpdate, UserView};
use pier_proto::security::SecurityPolicy;
use pier_proto::{ApiError, ErrorCode};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Failed passwords in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How long a printed setup link works.
pub const SETUP_TOKEN_TTL: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(ApiError),
    #[error("{message}")]
    Taken { field: &'static str, message: String },
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins from this address")]
    Throttled { seconds: u64 },
    #[error("account locked for {minutes} more minutes")]
    Locked { minutes: i64 },
    #[error("account is {0}")]
    Disabled(&'static str),
    #[error("user {0} not found")]
    NotFound(i64),
    #[error("{0}")]
    Conflict(String),
    #[error("the setup link is invalid, used or expired")]
    SetupClosed,
    #[error("the password-reset link is invalid, used or expired")]
    ResetClosed,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(api) => api,
            AccountError::Taken { field, message } => ApiError { code: ErrorCode::Conflict, message, field: Some(field.into()) },
            AccountError::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, m),
            AccountError::NotFound(id) => ApiError::not_found(format!("User {id}")),
            AccountError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            AccountError::BadCredentials => ApiError::new(ErrorCode::Unauthenticated, "Wrong username or password."),
            AccountError::Throttled { seconds } => ApiError::new(
                ErrorCode::Unauthenticated,
                format!("Too many failed sign-ins from your address. Try again in {} minute(s).", seconds.div_ceil(60)),
            ),
            AccountError::Locked { minutes } => ApiError::new(
                ErrorCode::Unauthenticated,
                format!("Too many failed attempts: this account is locked for {minutes} more minute(s). Try again later or ask an administrator."),
            ),
            AccountError::Disabled(status) => ApiError::new(
                ErrorCode::Forbidden,
                format!("This account is {status}. Ask an administrator if you think this is a mistake."),
            ),
            AccountError::SetupClosed => ApiError::new(
                ErrorCode::Forbidden,
                "This setup link is invalid, already used, or expired. Restart the panel for a new one, or run `pier admin create`.",
            ),
            AccountError::ResetClosed => ApiError::new(
                ErrorCode::Forbidden,
                "This password-reset link is invalid, already used, or expired (links last 24 hours). Ask an administrator for a new one.",
            ),
            AccountError::Unauthenticated(m) => ApiError::new(ErrorCode::Unauthenticated, m),
            AccountError::Hash(m) | AccountError::Db(DbErr::Custom(m)) => {
                tracing::error!(error = %m, "accounts failure");
                ApiError::new(ErrorCode::Internal, "Something went wrong on the server; it has been logged.")
            }
            AccountError::Db(e) => {
                tracing::error!(error = %e, "accounts database failure");
                ApiError::new(ErrorCode::Unavailable, "The database did not answer; try again.")
            }
        }
    }
}

type Result<T> = std::result::Result<T, AccountError>;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// What the password step led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChecked {
    SignedIn(UserView),
    /// The password was right and a second factor is enabled: ask for the code.
    SecondFactorNeeded { user_id: i64 },
}

fn view_with(m: &user::Model, policy: &SecurityPolicy) -> UserView {
    let role = Role::parse(&m.role).unwrap_or(Role::User);
    UserView {
        id: m.id,
        username: m.username.clone(),
        email: m.email.clone(),
        role,
        status: UserStatus::parse(&m.status).unwrap_or(UserStatus::Suspended),
        created_at: m.created_at.format(&Rfc3339).unwrap_or_default(),
        last_login_at: m.last_login_at.and_then(|t| t.format(&Rfc3339).ok()),
        two_factor: m.totp_enabled,
        two_factor_required: policy.require_2fa.contains(&role),
    }
}

/// The actor a signed-in user acts as.
pub fn actor_of(u: &UserView) -> Actor {
    Actor::Person { user_id: u.id, username: u.username.clone(), role: u.role }
}

/// A random secret token (256 bits, hex) and its SHA-256 (what is stored).
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Clone)]
pub struct Accounts {
    db: DatabaseConnection,
    audit: Audit,
    sessions: crate::sessions::DbSessionStore,
    throttle: std::sync::Arc<throttle::Throttle>,
    secrets: SecretBox,
    settings: Settings,
}

impl Accounts {
    pub fn new(db: DatabaseConnection, audit: Audit, sessions: crate::sessions::DbSessionStore, secrets: SecretBox, settings: Settings) -> Self {
        Self { db, audit, sessions, throttle: Default::default(), secrets, settings }
    }

    /// The signed-in person's id; profile-level actions (keys, tokens, 2FA) are a person's own.
    fn person(actor: &Actor) -> Result<i64> {
        actor.user_id().ok_or_else(|| AccountError::Forbidden("only a signed-in person can do this".into()))
    }

    pub fn view(&self, m: &user::Model) -> UserView {
        view_with(m, &self.settings.security())
    }

    pub fn security_policy(&self) -> SecurityPolicy {
        self.settings.security()
    }

    /// Which roles must use 2FA (admins). Takes effect on the next request of each member.
    pub async fn set_security_policy(&self, actor: &Actor, mut policy: SecurityPolicy, ctx: &RequestContext) -> Result<SecurityPolicy> {
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "settings.security", "settings:security", Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators change security settings".into()));
        }
        policy.require_2fa.sort_by_key(|r| r.as_str());
        policy.require_2fa.dedup();
        self.settings.store_security(policy.clone()).await?;
        let roles: Vec<&str> = policy.require_2fa.iter().map(|r| r.as_str()).collect();
        self.audit.record(actor, "settings.security", "settings:security", Outcome::Success, ctx, &format!("require_2fa={}", roles.join(","))).await;
        Ok(policy)
    }

    /// Newest first, filtered by a search over username and email.
    pub async fn list_users(&self, actor: &Actor, q: &UserQuery) -> Result<UserPage> {
        if !policy::may_read_users(actor) {
            return Err(AccountError::Forbidden("the account list is for staff".into()));
        }
        let per_page = q.per_page.unwrap_or(25).clamp(1, 100);
        let mut query = user::Entity::find().order_by_desc(user::Column::Id);
        let search = q.search.trim().to_lowercase();
        if !search.is_empty() {
            let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let like = |col: user::Column| {
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(col))).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
            };
            query = query.filter(sea_orm::Condition::any().add(like(user::Column::Username)).add(like(user::Column::Email)));
        }
        let paginator = query.paginate(&self.db, per_page as u64);
        let total = paginator.num_items().await?;
        let users = paginator.fetch_page(q.page as u64).await?.iter().map(|m| self.view(m)).collect();
        Ok(UserPage { users, total, page: q.page, per_page })
    }

    /// One account: staff who read the account list see any; everyone sees themselves;
    /// anyone else's id is "not found".
    pub async fn get_user(&self, actor: &Actor, id: i64) -> Result<UserView> {
        if !policy::may_read_users(actor) && actor.key() != format!("user:{id}") {
            return Err(AccountError::NotFound(id));
        }
        Ok(self.view(&self.target(id).await?))
    }

    async fn target(&self, id: i64) -> Result<user::Model> {
        user::Entity::find_by_id(id).one(&self.db).await?.ok_or(AccountError::NotFound(id))
    }

    /// True when `id` is the only active administrator (who must not be demoted, suspended or
    /// deleted: nobody could administer the panel afterwards).
    async fn is_last_admin(&self, id: i64) -> Result<bool> {
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
            .all(&self.db)
            .await?;
        Ok(admins.len() == 1 && admins[0].id == id)
    }

    /// Changes email, role and/or status. Suspending or banning ends the user's sessions.
    pub async fn update_user(&self, actor: &Actor, id: i64, change: UserUpdate, ctx: &RequestContext) -> Result<UserView> {
        let target = format!("user:{id}");
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "user.update", &target, Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators change accounts".into()));
        }
        let result = self.apply_update(actor, id, &change).await;
        let (outcome, detail) = match &result {
            Ok(_) => (Outcome::Success, serde_json::to_string(&change).unwrap_or_default()),
            Err(e) => (Outcome::Failure, e.to_string()),
        };
        self.audit.record(actor, "user.update", &target, outcome, ctx, &detail).await;
        result
    }

    async fn apply_update(&self, actor: &Actor, id: i64, change: &UserUpdate) -> Result<UserView> {
        let u = self.target(id).await?;
        let demoting = change.role.is_some_and(|r| r != Role::Admin) && u.role == Role::Admin.as_str();
        let disabling = change.status.is_some_and(|s| s != UserStatus::Active);
        if disabling && actor.key() == format!("user:{id}") {
            return Err(AccountError::Conflict("You cannot suspend or ban your own account.".into()));
        }
        if (demoting || disabling) && self.is_last_admin(id).await? {
            return Err(AccountError::Conflict("This is the last active administrator; make another administrator first.".into()));
        }
        let mut row: user::ActiveModel = u.clone().into();
        if let Some(email) = &change.email {
            let email = email.trim().to_string();
            validate_email(&email).map_err(AccountError::Invalid)?;
            let taken = user::Entity::find()
                .filter(Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(user::Column::Email))).eq(email.to_lowercase()))
                .filter(user::Column::Id.ne(id))
                .one(&self.db)
                .await?
                .is_some();
            if taken {
                return Err(AccountError::Taken { field: "email", message: "Another account uses this email address.".into() });
            }
            row.email = Set(email);
        }
        if let Some(role) = change.role {
            row.role = Set(role.as_str().into());
        }
        if let Some(status) = change.status {
            row.status = Set(status.as_str().into());
        }
        row.updated_at = Set(now());
        let updated = row.update(&self.db).await?;
        if disabling {
            let ended = self.sessions.revoke_all(id).await?;
            tracing::info!(user = id, sessions = ended, "account disabled; sessions ended");
        }
        Ok(self.view(&updated))
    }

    /// A signed-in person changes their own password; the current one is required. Their other
    /// sessions end (`keep_session` is the handle of the one making the change).
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new_password: &str,
        keep_session: &str,
        ctx: &RequestContext,
    ) -> Result<u64> {
        let Actor::Person { user_id, .. } = actor else {
            return Err(AccountError::Forbidden("only people have passwords".into()));
        };
        Self::session_only(ctx, "Changing the password")?;
        let u = self.target(*user_id).await?;
        if !password::verify(current.to_string(), u.password_hash.clone()).await {
            self.audit.record(actor, "user.password", &format!("user:{}", u.id), Outcome::Failure, ctx, "wrong current password").await;
            return Err(AccountError::Invalid(ApiError::invalid("current", "The current password is wrong.")));
        }
        pier_proto::accounts::validate_password(new_password, &u.username).map_err(AccountError::Invalid)?;
        if new_password == current {
            return Err(AccountError::Invalid(ApiError::invalid("password", "The new password must differ from the current one.")));
        }
        let hash = password::hash(new_password.to_string()).await.map_err(AccountError::Hash)?;
        let mut row: user::ActiveModel = u.clone().into();
        row.password_hash = Set(hash);
        row.updated_at = Set(now());
        row.update(&self.db).await?;
        let ended = self.sessions.revoke_others(u.id, keep_session).await?;
        self.audit
            .record(actor, "user.password", &format!("user:{}", u.id), Outcome::Success, ctx, &format!("{ended} other session(s) ended"))
            .await;
        Ok(ended)
    }

    /// Deletes an account. `confirm` must repeat the username (typed confirmation, checked here
    /// too so no client can skip it). Refused while the user owns VPSs. The user's sessions end;
    /// their jobs and audit entries stay in the history; their keys, tokens and 2FA go with them.
    pub async fn delete_user(&self, actor: &Actor, id: i64, confirm: &str, ctx: &RequestContext) -> Result<()> {
        let target = format!("user:{id}");
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "user.delete", &target, Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators delete accounts".into()));
        }
        let u = self.target(id).await?;
        if confirm != u.username {
            return Err(AccountError::Invalid(ApiError::invalid("confirm", "Type the username exactly to confirm.")));
        }
        if actor.key() == target {
            return Err(AccountError::Conflict("You cannot delete your own account.".into()));
        }
        if u.role == Role::Admin.as_str() && self.is_last_admin(id).await? {
            return Err(AccountError::Conflict("This is the last active administrator; make another administrator first.".into()));
        }
        // Resources are never deleted as a side effect: the account goes only once it owns none.
        let owned = crate::entity::vps::Entity::find().filter(crate::entity::vps::Column::OwnerId.eq(id)).count(&self.db).await?;
        if owned > 0 {
            return Err(AccountError::Conflict(format!("{} owns {owned} VPS(s); delete them (or suspend the account) first.", u.username)));
        }
        self.sessions.revoke_all(id).await?;
        user::Entity::delete_by_id(id).exec(&self.db).await?;
        self.audit.record(actor, "user.delete", &target, Outcome::Success, ctx, &format!("username={}", u.username)).await;
        Ok(())
    }

    pub async fn user_count(&self) -> Result<u64> {
        Ok(user::Entity::find().count(&self.db).await?)
    }

    pub async fn find(&self, id: i64) -> Result<Option<UserView>> {
        Ok(user::Entity::find_by_id(id).one(&self.db).await?.map(|m| self.view(&m)))
    }

    /// Validates, checks uniqueness, hashes and inserts. No authorization: callers decide.
    async fn insert_user(&self, new: &NewUser) -> Result<user::Model> {
        let new = NewUser { username: new.username.trim().to_string(), email: new.email.trim().to_string(), ..new.clone() };
        new.validate().map_err(AccountError::Invalid)?;
        if user::Entity::find().filter(user::Column::Username.eq(new.username.clone())).one(&self.db).await?.is_some() {
            return Err(AccountError::Taken { field: "username", message: format!("The username {:?} is taken.", new.username) });
        }
        let email_taken = user::Entity::find()
            .filter(Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(user::Column::Email))).eq(new.email.to_lowercase()))
            .one(&self.db)
            .await?
            .is_some();
        if email_taken {
            return Err(AccountError::Taken { field: "email", message: "Another account uses this email address.".into() });
        }
        let hash = password::hash(new.password.clone()).await.map_err(AccountError::Hash)?;
        let t = now();
        let row = user::ActiveModel {
            username: Set(new.username.clone()),
            email: Set(new.email.clone()),
            password_hash: Set(hash),
            role: Set(new.role.as_str().into()),
            status: Set(UserStatus::Active.as_str().into()),
            failed_logins: Set(0),
            locked_until: Set(None),
            created_at: Set(t),
            updated_at: Set(t),
            last_login_at: Set(None),
            ..Default::default()
        };
        // The unique index is the final word if two requests race past the checks above.
        row.insert(&self.db).await.map_err(|e| match e {
            e if crate::db::is_unique_violation(&e) => {
                AccountError::Taken { field: "username", message: "The username or email is taken.".into() }
            }
            other => AccountError::Db(other),
        })
    }

    /// An administrator creates an account.
    pub async fn create_user(&self, actor: &Actor, new: NewUser, ctx: &RequestContext) -> Result<UserView> {
        if !policy::may_manage_users(actor) {
            self.audit.record(actor, "user.create", &new.username, Outcome::Denied, ctx, "").await;
            return Err(AccountError::Forbidden("only administrators create accounts".into()));
        }
        let created = self.insert_user(&new).await;
        let outcome = if created.is_ok() { Outcome::Success } else { Outcome::Failure };
        let target = created.as_ref().map(|m| format!("user:{}", m.id)).unwrap_or_else(|_| new.username.clone());
        let detail = match &created {
            Ok(m) => format!("username={} role={}", m.username, m.role),
            Err(e) => e.to_string(),
        };
        self.audit.record(actor, "user.create", &target, outcome, ctx, &detail).await;
        Ok(self.view(&created?))
    }

    /// `pier admin create`: whoever runs the binary on the panel's machine owns it.
    pub async fn create_admin_from_cli(&self, new: NewUser) -> Result<UserView> {
        let new = NewUser { role: Role::Admin, ..new };
        let created = self.insert_user(&new).await?;
        let ctx = RequestContext::local_cli();
        self.audit
            .record(&Actor::System, "user.create", &format!("user:{}", created.id), Outcome::Success, &ctx, &format!("admin {} created from the command line", created.username))
            .await;
        Ok(self.view(&created))
    }

    /// A one-time link to create the first admin, while there are no users. `None` once there are.
    pub async fn issue_setup_token(&self) -> Result<Option<String>> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        let (token, hash) = new_token();
        let t = now();
        setup_token::ActiveModel {
            token_hash: Set(hash),
            expires_at: Set(t + SETUP_TOKEN_TTL),
            used_at: Set(None),
            created_at: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(Some(token))
    }

    /// Whether `token` is a live setup token (the setup page checks before showing the form).
    pub async fn setup_token_valid(&self, token: &str) -> Result<bool> {
        Ok(self.live_setup_token(token).await?.is_some() && self.user_count().await? == 0)
    }

    async fn live_setup_token(&self, token: &str) -> Result<Option<setup_token::Model>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        Ok(setup_token::Entity::find()
            .filter(setup_token::Column::TokenHash.eq(token_hash(token)))
            .filter(setup_token::Column::UsedAt.is_null())
            .filter(setup_token::Column::ExpiresAt.gt(now()))
            .one(&self.db)
            .await?)
    }

    /// Creates the first admin with a setup token; the token is spent in the same transaction,
    /// so two browsers racing with one link create one admin.
    pub async fn setup_first_admin(&self, token: &str, new: NewUser, ctx: &RequestContext) -> Result<UserView> {
        let Some(found) = self.live_setup_token(token).await? else {
            self.audit.record_as("anonymous", &new.username, "setup.first_admin", "setup", Outcome::Denied, ctx, "invalid or expired token").await;
            return Err(AccountError::SetupClosed);
        };
        let new = NewUser { role: Role::Admin, ..new };
        new.validate().map_err(AccountError::Invalid)?;
        let txn = self.db.begin().await?;
        let spent = setup_token::Entity::update_many()
            .col_expr(setup_token::Column::UsedAt, Expr::value(now()))
            .filter(setup_token::Column::Id.eq(found.id))
            .filter(setup_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 || user::Entity::find().count(&txn).await? > 0 {
            txn.rollback().await?;
            return Err(AccountError::SetupClosed);
        }
        txn.commit().await?;
        let created = self.insert_user(&new).await?;
        let actor = actor_of(&self.view(&created));
        self.audit.record(&actor, "setup.first_admin", &format!("user:{}", created.id), Outcome::Success, ctx, "").await;
        Ok(self.view(&created))
    }

    /// Checks a username and password. Locks the account after `MAX_FAILED_LOGINS` failures in
    /// a row; refuses suspended and banned accounts (after the password, so a wrong password
    /// learns nothing about the account). Every attempt is audited. With 2FA on, a right password
    /// only leads to the second step (`verify_second_factor`).
    pub async fn authenticate(&self, username: &str, password: &str, ctx: &RequestContext) -> Result<PasswordChecked> {
        let ip = ctx.ip.clone().unwrap_or_default();
        if let Some(seconds) = self.throttle.refused_for(&ip, std::time::Instant::now()) {
            self.audit
                .record_as("anonymous", username.trim(), "auth.login", &format!("ip:{ip}"), Outcome::Denied, ctx, "address throttled")
                .await;
            return Err(AccountError::Throttled { seconds });
        }
        let result = self.check_credentials(username, password, ctx).await;
        match &result {
            Ok(PasswordChecked::SignedIn(_)) => self.throttle.record_success(&ip),
            Ok(PasswordChecked::SecondFactorNeeded { .. }) => {}
            Err(AccountError::BadCredentials | AccountError::Locked { .. }) => self.throttle.record_failure(&ip, std::time::Instant::now()),
            Err(_) => {}
        }
        result
    }

    /// Counts a failed attempt (password or second factor); true when it locked the account.
    async fn count_failure(&self, u: &user::Model) -> Result<bool> {
        let failures = u.failed_logins + 1;
        let mut row: user::ActiveModel = u.clone().into();
        let locks = failures >= MAX_FAILED_LOGINS;
        if locks {
            row.failed_logins = Set(0);
            row.locked_until = Set(Some(now() + LOCKOUT));
        } else {
            row.failed_logins = Set(failures);
        }
        row.update(&self.db).await?;
        Ok(locks)
    }

    /// Every check passed: clear the failure count, note the time, audit.
    async fn signed_in(&self, u: user::Model, ctx: &RequestContext, detail: &str) -> Result<UserView> {
        let mut row: user::ActiveModel = u.into();
        row.failed_logins = Set(0);
        row.locked_until = Set(None);
        row.last_login_at = Set(Some(now()));
        let u = row.update(&self.db).await?;
        let v = self.view(&u);
        self.audit.record(&actor_of(&v), "auth.login", &format!("user:{}", u.id), Outcome::Success, ctx, detail).await;
        Ok(v)
    }

    async fn check_credentials(&self, username: &str, password: &str, ctx: &RequestContext) -> Result<PasswordChecked> {
        let username = username.trim().to_lowercase();
        let audit_fail = |detail: &'static str| {
            let username = username.clone();
            async move {
                self.audit.record_as("anonymous", &username, "auth.login", &format!("username:{username}"), Outcome::Failure, ctx, detail).await;
            }
        };
        if username.is_empty() || password.is_empty() || password.len() > 1024 {
            audit_fail("empty or oversized input").await;
            return Err(AccountError::BadCredentials);
        }
        let Some(u) = user::Entity::find().filter(user::Column::Username.eq(username.clone())).one(&self.db).await? else {
            // Spend the same time as a real check.
            password::verify(password.to_string(), password::decoy().to_string()).await;
            audit_fail("unknown username").await;
            return Err(AccountError::BadCredentials);
        };
        let t = now();
        if let Some(until) = u.locked_until.filter(|until| *until > t) {
            audit_fail("account locked").await;
            return Err(AccountError::Locked { minutes: ((until - t).whole_seconds() + 59) / 60 });
        }
        if !password::verify(password.to_string(), u.password_hash.clone()).await {
            if self.count_failure(&u).await? {
                audit_fail("wrong password; account locked").await;
                return Err(AccountError::Locked { minutes: LOCKOUT.whole_minutes() });
            }
            audit_fail("wrong password").await;
            return Err(AccountError::BadCredentials);
        }
        let status = UserStatus::parse(&u.status).unwrap_or(UserStatus::Suspended);
        let actor = actor_of(&self.view(&u));
        if status != UserStatus::Active {
            self.audit.record(&actor, "auth.login", &format!("user:{}", u.id), Outcome::Denied, ctx, status.as_str()).await;
            return Err(AccountError::Disabled(status.as_str()));
        }
        if u.totp_enabled {
            // The failure count is NOT cleared here: wrong codes after a right password must
            // still lead to the lockout.
            self.audit.record(&actor, "auth.password", &format!("user:{}", u.id), Outcome::Success, ctx, "second factor required").await;
            return Ok(PasswordChecked::SecondFactorNeeded { user_id: u.id });
        }
        Ok(PasswordChecked::SignedIn(self.signed_in(u, ctx, "").await?))
    }
}
