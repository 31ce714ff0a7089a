//! Who is making this request: the session cookie (browsers). Every request gets a
//! `RequestAuth` extension; pages without a user redirect to /login, APIs answer 401.

use app::state::{RequestAuth, ServerState};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use pier_core::actor::Actor;
use pier_core::audit::RequestContext;
use pier_core::sessions::{DbSessionStore, KEY_USER_ID};
use pier_proto::accounts::UserStatus;
use pier_proto::{ApiError, ErrorCode};
use std::net::SocketAddr;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// Session activity is written at most this often (seconds).
const TOUCH_EVERY: i64 = 60;
const KEY_SEEN: &str = "seen";

pub const COOKIE: &str = "pier_session";

pub fn session_layer(store: DbSessionStore) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        // The panel serves plain HTTP on loopback by default; TLS termination (and Secure
        // cookies with it) comes with the sites work.
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
}

/// Paths anyone may reach: the sign-in pages and what they load, and health/metrics.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/healthz" | "/metrics" | "/favicon.svg")
        || path.starts_with("/pkg/")
        || matches!(path, "/api/fn/login" | "/api/fn/setup" | "/api/fn/setup_state" | "/api/fn/whoami" | "/api/fn/logout")
}

fn request_context(req: &Request) -> RequestContext {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    RequestContext { ip, user_agent }
}

pub async fn authenticate(State(state): State<ServerState>, session: Session, mut req: Request, next: Next) -> Response {
    let ctx = request_context(&req);
    let mut user = None;
    if let Ok(Some(user_id)) = session.get::<i64>(KEY_USER_ID).await {
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
    let path = req.uri().path().to_string();
    if user.is_none() && !is_public(&path) {
        if path.starts_with("/api/") {
            let body = ApiError::new(ErrorCode::Unauthenticated, "Please log in (or use an API token).");
            return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
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
        for p in ["/login", "/setup", "/healthz", "/pkg/pier.wasm", "/api/fn/login"] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/jobs", "/api/v1/jobs", "/api/fn/start_job", "/api/v1/live", "/login/../jobs"] {
            assert!(!is_public(p), "{p}");
        }
        assert_eq!(encode_component("/jobs?x=1&y"), "%2Fjobs%3Fx%3D1%26y");
    }
}
