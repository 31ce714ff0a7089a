//! Who is making this request: an `Authorization: Bearer` API token (scripts) or the session
//! cookie (browsers). Every request gets a `RequestAuth` extension; pages without a user redirect
//! to /login, APIs answer 401. Two more gates live here because they apply to every adapter:
//! what a token's scope allows (`app::access`), and holding a person whose role requires 2FA
//! at the enrolment step until they have set it up.

use app::access::{access_of, Access, DURING_ENROLMENT};
use app::state::{RequestAuth, ServerState};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use pier_core::actor::Actor;
use pier_core::audit::RequestContext;
use pier_core::sessions::{DbSessionStore, KEY_USER_ID};
use pier_proto::accounts::UserStatus;
use pier_proto::security::TokenScope;
use pier_proto::{ApiError, ErrorCode};
use std::net::SocketAddr;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// Session activity is written at most this often (seconds).
const TOUCH_EVERY: i64 = 60;
const KEY_SEEN: &str = "seen";

pub const COOKIE: &str = "pier_session";

pub fn session_layer(store: DbSessionStore, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        // Plain HTTP on loopback by default; Secure once `public_url` says people use https.
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
}

/// Paths anyone may reach: the sign-in pages and what they load, and health/metrics.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/reset" | "/healthz" | "/metrics" | "/favicon.svg")
        || path.starts_with("/pkg/")
        || server_fn_name(path).and_then(access_of) == Some(Access::Public)
}

fn server_fn_name(path: &str) -> Option<&str> {
    path.strip_prefix("/api/fn/")
}

/// Paths a person held at 2FA enrolment may use.
fn allowed_during_enrolment(path: &str) -> bool {
    is_public(path) || path == "/profile" || server_fn_name(path).is_some_and(|n| DURING_ENROLMENT.contains(&n))
}

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn refuse(status: StatusCode, error: ApiError) -> Response {
    (status, axum::Json(error)).into_response()
}

/// What a token of `scope` may call; `Err` is the refusal.
fn token_may_call(path: &str, method: &Method, scope: TokenScope) -> Result<(), (StatusCode, ApiError)> {
    let forbidden = |m: &str| Err((StatusCode::FORBIDDEN, ApiError::new(ErrorCode::Forbidden, m)));
    let read_only = scope == TokenScope::ReadOnly;
    if let Some(name) = server_fn_name(path) {
        return match access_of(name) {
            None => Err((StatusCode::NOT_FOUND, ApiError::not_found("API function"))),
            Some(Access::Read) => Ok(()),
            Some(Access::Write) if !read_only => Ok(()),
            Some(Access::Write) => forbidden("This API token is read-only; this call changes something."),
            Some(Access::Public | Access::SessionOnly) => forbidden("This call needs a signed-in browser session, not an API token."),
        };
    }
    if !path.starts_with("/api/") && path != "/metrics" {
        return forbidden("API tokens work on /api/ and /metrics only.");
    }
    if read_only && !matches!(*method, Method::GET | Method::HEAD) {
        return forbidden("This API token is read-only; this call changes something.");
    }
    Ok(())
}

fn request_context(req: &Request) -> RequestContext {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    RequestContext { ip, user_agent, token: None }
}

pub async fn authenticate(State(state): State<ServerState>, session: Session, mut req: Request, next: Next) -> Response {
    let mut ctx = request_context(&req);
    let path = req.uri().path().to_string();
    let mut user = None;
    if let Some(token) = bearer(&req) {
        // A token request ignores any cookie: it is exactly its token.
        match state.core.accounts.authenticate_token(&token).await {
            Ok((u, used)) => {
                if let Err((status, error)) = token_may_call(&path, req.method(), used.scope) {
                    return refuse(status, error);
                }
                ctx.token = Some(used);
                user = Some(u);
            }
            Err(e) => return refuse(StatusCode::UNAUTHORIZED, e.into()),
        }
    } else if let Ok(Some(user_id)) = session.get::<i64>(KEY_USER_ID).await {
        match state.core.accounts.find(user_id).await {
            Ok(Some(u)) if u.status == UserStatus::Active => user = Some(u),
            // Deleted, suspended or banned since the session began: the session ends now.
            Ok(_) => {
                let _ = session.flush().await;
            }
            Err(e) => tracing::error!(error = %e, "could not load the session's user"),
        }
        if user.is_some() {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let seen = session.get::<i64>(KEY_SEEN).await.ok().flatten().unwrap_or(0);
            if now - seen >= TOUCH_EVERY {
                let _ = session.insert(KEY_SEEN, now).await;
            }
        }
    }
    if user.as_ref().is_some_and(|u| u.must_enrol_2fa()) && !allowed_during_enrolment(&path) {
        if path.starts_with("/api/") {
            let body = ApiError::new(
                ErrorCode::TwoFactorRequired,
                "Your role must use two-factor authentication: set it up on your profile page first.",
            );
            return refuse(StatusCode::FORBIDDEN, body);
        }
        return Redirect::to("/profile?enrol=2fa").into_response();
    }
    if user.is_none() && !is_public(&path) {
        if path.starts_with("/api/") {
            let body = ApiError::new(ErrorCode::Unauthenticated, "Please log in (or use an API token).");
            return refuse(StatusCode::UNAUTHORIZED, body);
        }
        let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        return Redirect::to(&format!("/login?next={}", encode_component(next_path))).into_response();
    }
    req.extensions_mut().insert(RequestAuth { user, ctx });
    next.run(req).await
}

/// Percent-encodes everything but unreserved characters.
fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The signed-in actor, for REST handlers: `Signed(actor, ctx)`.
pub struct Signed(pub Actor, pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = super::rest::RestError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<RequestAuth>().cloned().unwrap_or_default();
        match auth.actor() {
            Some(actor) => Ok(Signed(actor, auth.ctx)),
            None => Err(super::rest::RestError(ApiError::new(ErrorCode::Unauthenticated, "Please log in (or use an API token)."))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_few() {
        for p in ["/login", "/setup", "/healthz", "/pkg/pier.wasm", "/api/fn/login", "/api/fn/login_second_factor"] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/jobs", "/api/v1/jobs", "/api/fn/start_job", "/api/v1/live", "/login/../jobs", "/api/fn/nope"] {
            assert!(!is_public(p), "{p}");
        }
        assert!(allowed_during_enrolment("/api/fn/totp_confirm") && allowed_during_enrolment("/profile"));
        assert!(!allowed_during_enrolment("/api/fn/start_job") && !allowed_during_enrolment("/users"));
        assert_eq!(encode_component("/jobs?x=1&y"), "%2Fjobs%3Fx%3D1%26y");
    }

    #[test]
    fn token_scopes_gate_calls() {
        let ok = |p: &str, m: Method, s| token_may_call(p, &m, s).is_ok();
        assert!(ok("/api/fn/list_jobs", Method::POST, TokenScope::ReadOnly));
        assert!(!ok("/api/fn/start_job", Method::POST, TokenScope::ReadOnly));
        assert!(ok("/api/fn/start_job", Method::POST, TokenScope::Full));
        assert!(!ok("/api/fn/create_api_token", Method::POST, TokenScope::Full));
        assert!(!ok("/api/fn/login", Method::POST, TokenScope::Full));
        assert!(ok("/api/v1/jobs", Method::GET, TokenScope::ReadOnly));
        assert!(!ok("/api/v1/jobs", Method::POST, TokenScope::ReadOnly));
        assert!(!ok("/users", Method::GET, TokenScope::Full));
    }
}
