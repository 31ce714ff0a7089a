//! Request-wide protections and observability: request spans, panic → 500, security headers,
//! and the Origin check on state-changing requests.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use pier_proto::{ApiError, ErrorCode};
use std::time::Duration;
use tracing::Span;

pub fn request_span(req: &Request<Body>) -> Span {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

pub fn log_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1000.0, "response");
}

/// A panic in a handler is a bug: answer 500 with a stable error, never drop the connection.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    let body = ApiError::new(ErrorCode::Internal, "Something went wrong on the server; it has been logged.");
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

/// What the security headers depend on.
#[derive(Clone, Copy)]
pub struct Security {
    /// People reach the panel over https (`public_url`): send HSTS.
    pub hsts: bool,
}

/// The page policy: scripts only from the panel and the inline ones carrying this response's
/// nonce (the hydration loader and the theme boot), WebAssembly compilation allowed, no plugins,
/// no framing, forms and connections (the live socket) to the panel only. Inline `style`
/// attributes are allowed (progress bars set their width); style sheets come from the panel.
fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; style-src-attr 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn security_headers(axum::extract::State(security): axum::extract::State<Security>, mut req: Request, next: Next) -> Response<Body> {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    req.extensions_mut().insert(app::state::CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let is_html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    let mut set = |name: header::HeaderName, value: HeaderValue| {
        h.entry(name).or_insert(value);
    };
    set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let csp = if is_html { page_policy(&nonce) } else { "default-src 'none'; frame-ancestors 'none'".to_string() };
    if let Ok(v) = HeaderValue::from_str(&csp) {
        set(header::CONTENT_SECURITY_POLICY, v);
    }
    if security.hsts {
        set(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}

/// True when the request's Origin (if any) is this server. Requests without Origin (curl, API
/// clients) pass; browsers always send it on cross-site state-changing requests and WebSockets.
pub fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    origin_host.eq_ignore_ascii_case(host)
}

pub async fn same_origin(req: Request, next: Next) -> Response<Body> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let is_upgrade = req.headers().contains_key(header::UPGRADE);
    if (!safe || is_upgrade) && !origin_allowed(req.headers()) {
        let body = ApiError::new(ErrorCode::Forbidden, "Cross-site request refused (Origin does not match this panel).");
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(req).await
}

/// Leptos answers every server-function error with 500. Our errors carry a stable code, so the
/// status is restored from it here, in one place: a wrong password is a 401, not a server fault.
pub async fn server_fn_status(req: Request, next: Next) -> Response<Body> {
    let is_server_fn = req.uri().path().starts_with("/api/fn/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status = StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;
    use axum::http::{header, HeaderMap, HeaderValue};

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origin_must_match_host() {
        assert!(origin_allowed(&headers(None, "127.0.0.1:3000")));
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000")));
        assert!(!origin_allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000")));
        assert!(!origin_allowed(&headers(Some("null"), "127.0.0.1:3000")));
    }
}
