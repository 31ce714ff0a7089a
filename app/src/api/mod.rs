//! Server functions: thin adapters. Each authenticates, calls ONE service method with the actor,
//! and maps the error to `ApiError`. The REST API in the server binary calls the same methods.
//! Arguments travel as JSON (not the default URL form): job parameters are nested JSON values.
//! Endpoints are named (`/api/fn/<name>`) so scripts and tests have stable URLs.

pub mod alerts;
pub mod compute;
pub mod containers;
pub mod monitoring;
pub mod sites;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
// Types are named by path: `#[server]` generates a struct named after each function
// (`start_job` -> `StartJob`), which would collide with imported wire types.
use pier_proto::accounts::UserView;
use pier_proto::jobs::{JobQuery, JobView};
use pier_proto::ApiError;

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::state::{RequestAuth, ServerState};
    use leptos::prelude::use_context;
    use pier_core::actor::Actor;
    use pier_core::audit::RequestContext;
    use pier_core::Core;
    use pier_proto::accounts::UserView;
    use pier_proto::{ApiError, ErrorCode};

    pub fn core() -> Result<Core, ApiError> {
        use_context::<ServerState>()
            .map(|s| s.core)
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "server state missing"))
    }

    pub fn auth() -> RequestAuth {
        use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<RequestAuth>().cloned())
            .unwrap_or_default()
    }

    /// The signed-in actor, or `unauthenticated`.
    pub fn actor() -> Result<(Actor, RequestContext), ApiError> {
        let auth = auth();
        match auth.actor() {
            Some(actor) => Ok((actor, auth.ctx)),
            None => Err(ApiError::new(ErrorCode::Unauthenticated, "Please log in.")),
        }
    }

    pub async fn session() -> Result<tower_sessions::Session, ApiError> {
        leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("session layer missing: {e}")))
    }

    /// The signed-in person: actor, user id, and the handle of this request's session.
    pub async fn me() -> Result<(Actor, i64, Option<String>), ApiError> {
        let (actor, _) = actor()?;
        let Actor::Person { user_id, .. } = actor else {
            return Err(ApiError::new(ErrorCode::Unauthenticated, "Please log in."));
        };
        let handle = session().await?.id().map(|id| pier_core::sessions::DbSessionStore::handle_of(&id));
        Ok((actor, user_id, handle))
    }

    fn session_error(e: tower_sessions::session::Error) -> ApiError {
        ApiError::new(ErrorCode::Internal, format!("session: {e}"))
    }

    /// A right password with 2FA on: the session remembers who is half-way signed in (not
    /// signed in: the auth layer only trusts `KEY_USER_ID`) for a few minutes.
    pub const KEY_PENDING_2FA: &str = "pending_2fa";
    pub const PENDING_2FA_SECONDS: i64 = 300;

    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Pending2fa {
        pub user_id: i64,
        pub at: i64,
        pub remember: bool,
    }

    pub async fn hold_for_second_factor(user_id: i64, remember: bool) -> Result<(), ApiError> {
        let session = session().await?;
        session.cycle_id().await.map_err(session_error)?;
        let at = time::OffsetDateTime::now_utc().unix_timestamp();
        session.insert(KEY_PENDING_2FA, Pending2fa { user_id, at, remember }).await.map_err(session_error)
    }

    /// Who is waiting for the second step, if they are still within the time allowed.
    pub async fn pending_second_factor() -> Result<Pending2fa, ApiError> {
        let session = session().await?;
        let pending = session.get::<Pending2fa>(KEY_PENDING_2FA).await.ok().flatten();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        pending
            .filter(|p| now - p.at <= PENDING_2FA_SECONDS)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "Sign-in took too long or was not started; enter your password again."))
    }

    /// Starts a signed-in session for `user`: a NEW session id (no fixation), the user and where
    /// they signed in from, and how long it lasts.
    pub async fn start_session(user: &UserView, ctx: &RequestContext, remember: bool) -> Result<(), ApiError> {
        use pier_core::sessions::{KEY_IP, KEY_USER_AGENT, KEY_USER_ID};
        use tower_sessions::Expiry;
        let session = session().await?;
        let fail = session_error;
        session.cycle_id().await.map_err(fail)?;
        let _ = session.remove_value(KEY_PENDING_2FA).await;
        session.insert(KEY_USER_ID, user.id).await.map_err(fail)?;
        session.insert(KEY_IP, ctx.ip.clone()).await.map_err(fail)?;
        session.insert(KEY_USER_AGENT, ctx.user_agent.clone()).await.map_err(fail)?;
        let expiry = if remember { time::Duration::days(30) } else { time::Duration::hours(12) };
        session.set_expiry(Some(Expiry::OnInactivity(expiry)));
        Ok(())
    }
}

/// The signed-in user, if any (the shell asks on every page).
#[server(prefix = "/api/fn", endpoint = "whoami", input = Json)]
pub async fn whoami() -> Result<Option<UserView>, ApiError> {
    Ok(ssr::auth().user)
}

/// The password step. With 2FA on, the answer asks for the code (`login_second_factor`).
#[server(prefix = "/api/fn", endpoint = "login", input = Json)]
pub async fn login(username: String, password: String, remember: bool) -> Result<pier_proto::security::LoginStep, ApiError> {
    use pier_core::accounts::PasswordChecked;
    use pier_proto::security::LoginStep;
    let core = ssr::core()?;
    let ctx = ssr::auth().ctx;
    match core.accounts.authenticate(&username, &password, &ctx).await? {
        PasswordChecked::SignedIn(user) => {
            ssr::start_session(&user, &ctx, remember).await?;
            Ok(LoginStep::SignedIn { user })
        }
        PasswordChecked::SecondFactorNeeded { user_id } => {
            ssr::hold_for_second_factor(user_id, remember).await?;
            Ok(LoginStep::SecondFactor)
        }
    }
}

/// The second step: a code from the authenticator app, or a recovery code.
#[server(prefix = "/api/fn", endpoint = "login_second_factor", input = Json)]
pub async fn login_second_factor(code: String) -> Result<UserView, ApiError> {
    let core = ssr::core()?;
    let ctx = ssr::auth().ctx;
    let pending = ssr::pending_second_factor().await?;
    let user = core.accounts.verify_second_factor(pending.user_id, &code, &ctx).await?;
    ssr::start_session(&user, &ctx, pending.remember).await?;
    Ok(user)
}

#[server(prefix = "/api/fn", endpoint = "logout", input = Json)]
pub async fn logout() -> Result<(), ApiError> {
    let core = ssr::core()?;
    let auth = ssr::auth();
    if let Some(actor) = auth.actor() {
        core.audit.record(&actor, "auth.logout", &actor.key(), pier_core::audit::Outcome::Success, &auth.ctx, "").await;
    }
    // Deletes the session server-side and expires the cookie.
    ssr::session()
        .await?
        .flush()
        .await
        .map_err(|e| ApiError::new(pier_proto::ErrorCode::Internal, format!("session: {e}")))
}

/// Whether `token` is a live first-admin setup token (the setup page asks before showing its form).
#[server(prefix = "/api/fn", endpoint = "setup_state", input = Json)]
pub async fn setup_state(token: String) -> Result<bool, ApiError> {
    Ok(ssr::core()?.accounts.setup_token_valid(&token).await?)
}

/// Creates the first administrator with the one-time setup token, and signs them in.
#[server(prefix = "/api/fn", endpoint = "setup", input = Json)]
pub async fn setup(token: String, account: pier_proto::accounts::NewUser) -> Result<UserView, ApiError> {
    let core = ssr::core()?;
    let ctx = ssr::auth().ctx;
    let user = core.accounts.setup_first_admin(&token, account, &ctx).await?;
    ssr::start_session(&user, &ctx, false).await?;
    Ok(user)
}

#[server(prefix = "/api/fn", endpoint = "list_jobs", input = Json)]
pub async fn list_jobs(query: JobQuery) -> Result<Vec<JobView>, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    Ok(core.jobs.list(&actor, &query).await?)
}

#[server(prefix = "/api/fn", endpoint = "start_job", input = Json)]
pub async fn start_job(request: pier_proto::jobs::StartJob) -> Result<JobView, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.jobs.start_by_request(&actor, &ctx, request).await?)
}

#[server(prefix = "/api/fn", endpoint = "cancel_job", input = Json)]
pub async fn cancel_job(id: i64) -> Result<JobView, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.jobs.cancel(&actor, &ctx, id).await?)
}

/// `fresh`: run every check now instead of reusing a report a few seconds old.
#[server(prefix = "/api/fn", endpoint = "health_report", input = Json)]
pub async fn health_report(fresh: bool) -> Result<pier_proto::health::HealthReport, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    if !pier_core::actor::policy::may_run_diagnostics(&actor) {
        return Err(ApiError::new(pier_proto::ErrorCode::Forbidden, "System health is for admins and support."));
    }
    Ok(if fresh { core.health.report_fresh().await } else { core.health.report().await })
}

#[server(prefix = "/api/fn", endpoint = "list_users", input = Json)]
pub async fn list_users(query: pier_proto::accounts::UserQuery) -> Result<pier_proto::accounts::UserPage, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    Ok(core.accounts.list_users(&actor, &query).await?)
}

#[server(prefix = "/api/fn", endpoint = "create_user", input = Json)]
pub async fn create_user(account: pier_proto::accounts::NewUser) -> Result<UserView, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.create_user(&actor, account, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "update_user", input = Json)]
pub async fn update_user(id: i64, change: pier_proto::accounts::UserUpdate) -> Result<UserView, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.update_user(&actor, id, change, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_user", input = Json)]
pub async fn delete_user(id: i64, confirm: String) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.delete_user(&actor, id, &confirm, &ctx).await?)
}

/// The signed-in person's sessions; `current` marks the one making this request.
#[server(prefix = "/api/fn", endpoint = "my_sessions", input = Json)]
pub async fn my_sessions() -> Result<Vec<(pier_proto::accounts::SessionView, bool)>, ApiError> {
    let core = ssr::core()?;
    let (_, user_id, current) = ssr::me().await?;
    let list = core.sessions.list_for_user(user_id).await.map_err(|e| ApiError::new(pier_proto::ErrorCode::Unavailable, e.to_string()))?;
    Ok(list.into_iter().map(|s| {
        let is_current = Some(&s.handle) == current.as_ref();
        (s, is_current)
    }).collect())
}

#[server(prefix = "/api/fn", endpoint = "revoke_session", input = Json)]
pub async fn revoke_session(handle: String) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, user_id, _) = ssr::me().await?;
    let ctx = ssr::auth().ctx;
    let ended = core.sessions.revoke(user_id, &handle).await.map_err(|e| ApiError::new(pier_proto::ErrorCode::Unavailable, e.to_string()))?;
    let outcome = if ended { pier_core::audit::Outcome::Success } else { pier_core::audit::Outcome::Failure };
    core.audit.record(&actor, "session.revoke", &format!("user:{user_id}"), outcome, &ctx, "").await;
    if ended { Ok(()) } else { Err(ApiError::not_found("Session")) }
}

#[server(prefix = "/api/fn", endpoint = "change_password", input = Json)]
pub async fn change_password(current: String, new_password: String) -> Result<u64, ApiError> {
    let core = ssr::core()?;
    let (actor, _, handle) = ssr::me().await?;
    let ctx = ssr::auth().ctx;
    Ok(core.accounts.change_password(&actor, &current, &new_password, &handle.unwrap_or_default(), &ctx).await?)
}

/// The audit log: staff read everything; everyone else their own entries.
#[server(prefix = "/api/fn", endpoint = "list_audit", input = Json)]
pub async fn list_audit(query: pier_proto::audit::AuditQuery) -> Result<Vec<pier_proto::audit::AuditView>, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    core.audit.list(&actor, &query).await
}

/// Whether a password-reset link is live, and for whom (the reset page shows the username).
#[server(prefix = "/api/fn", endpoint = "reset_state", input = Json)]
pub async fn reset_state(token: String) -> Result<Option<String>, ApiError> {
    Ok(ssr::core()?.accounts.password_reset_username(&token).await?)
}

#[server(prefix = "/api/fn", endpoint = "reset_password", input = Json)]
pub async fn reset_password(token: String, new_password: String) -> Result<(), ApiError> {
    let core = ssr::core()?;
    Ok(core.accounts.reset_password(&token, &new_password, &ssr::auth().ctx).await?)
}

/// An administrator makes a one-time password-reset link for a user.
#[server(prefix = "/api/fn", endpoint = "make_reset_link", input = Json)]
pub async fn make_reset_link(id: i64) -> Result<pier_proto::security::PasswordResetLink, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.create_password_reset(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "reset_user_2fa", input = Json)]
pub async fn reset_user_2fa(id: i64) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.reset_two_factor(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "security_policy", input = Json)]
pub async fn security_policy() -> Result<pier_proto::security::SecurityPolicy, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    if !pier_core::actor::policy::may_read_users(&actor) {
        return Err(ApiError::new(pier_proto::ErrorCode::Forbidden, "Security settings are for staff."));
    }
    Ok(core.accounts.security_policy())
}

#[server(prefix = "/api/fn", endpoint = "set_security_policy", input = Json)]
pub async fn set_security_policy(policy: pier_proto::security::SecurityPolicy) -> Result<pier_proto::security::SecurityPolicy, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.set_security_policy(&actor, policy, &ctx).await?)
}

/// Whether 2FA is on for the signed-in person, and how many recovery codes are left.
#[server(prefix = "/api/fn", endpoint = "two_factor_status", input = Json)]
pub async fn two_factor_status() -> Result<(bool, u64), ApiError> {
    let core = ssr::core()?;
    let (_, user_id, _) = ssr::me().await?;
    let on = core.accounts.find(user_id).await?.is_some_and(|u| u.two_factor);
    Ok((on, core.accounts.recovery_codes_left(user_id).await?))
}

#[server(prefix = "/api/fn", endpoint = "totp_begin", input = Json)]
pub async fn totp_begin() -> Result<pier_proto::security::TotpEnrolment, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.totp_begin(&actor, &ctx).await?)
}

/// Turns 2FA on with a code from the app; answers the recovery codes (shown once).
#[server(prefix = "/api/fn", endpoint = "totp_confirm", input = Json)]
pub async fn totp_confirm(code: String) -> Result<Vec<String>, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.totp_confirm(&actor, &code, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "totp_disable", input = Json)]
pub async fn totp_disable(password: String) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.totp_disable(&actor, &password, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "new_recovery_codes", input = Json)]
pub async fn new_recovery_codes(password: String) -> Result<Vec<String>, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.regenerate_recovery_codes(&actor, &password, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_ssh_keys", input = Json)]
pub async fn list_ssh_keys() -> Result<Vec<pier_proto::security::SshKeyView>, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    Ok(core.accounts.list_ssh_keys(&actor).await?)
}

#[server(prefix = "/api/fn", endpoint = "add_ssh_key", input = Json)]
pub async fn add_ssh_key(key: pier_proto::security::NewSshKey) -> Result<pier_proto::security::SshKeyView, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.add_ssh_key(&actor, key, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_ssh_key", input = Json)]
pub async fn delete_ssh_key(id: i64) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.delete_ssh_key(&actor, id, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "list_api_tokens", input = Json)]
pub async fn list_api_tokens() -> Result<Vec<pier_proto::security::ApiTokenView>, ApiError> {
    let core = ssr::core()?;
    let (actor, _) = ssr::actor()?;
    Ok(core.accounts.list_api_tokens(&actor).await?)
}

/// A new token; the answer holds the token itself, shown this once.
#[server(prefix = "/api/fn", endpoint = "create_api_token", input = Json)]
pub async fn create_api_token(token: pier_proto::security::NewApiToken) -> Result<pier_proto::security::CreatedApiToken, ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.create_api_token(&actor, token, &ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(id: i64) -> Result<(), ApiError> {
    let core = ssr::core()?;
    let (actor, ctx) = ssr::actor()?;
    Ok(core.accounts.revoke_api_token(&actor, id, &ctx).await?)
}
