//! Pages of their own outside the Leptos app (consoles, container logs, terminal, files): plain
//! HTML with one module script, served with a CSP that allows only that script (by nonce) and
//! framing by the panel itself.

use app::state::CspNonce;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

/// `html` with its security headers. `inline_styles`: xterm.js and noVNC set styles inline.
pub fn standalone(html: String, nonce: &CspNonce, inline_styles: bool) -> Response {
    let styles = if inline_styles { "'self' 'unsafe-inline'" } else { "'self'" };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}'; style-src {styles}; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
        nonce.0
    );
    let mut res = Html(html).into_response();
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&policy).expect("ascii"));
    res.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    res
}
