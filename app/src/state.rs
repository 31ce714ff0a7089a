//! The router state handed to server functions (server side only).

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use pier_core::Core;

#[derive(Clone)]
pub struct ServerState {
    pub core: Core,
    pub leptos: LeptosOptions,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos.clone()
    }
}

/// Who made the request and from where; put in the request extensions by the server's auth
/// layer, read by server functions and REST handlers.
#[derive(Clone, Debug, Default)]
pub struct RequestAuth {
    pub user: Option<pier_proto::accounts::UserView>,
    pub ctx: pier_core::audit::RequestContext,
}

impl RequestAuth {
    pub fn actor(&self) -> Option<pier_core::actor::Actor> {
        self.user.as_ref().map(pier_core::accounts::actor_of)
    }
}

/// The Content-Security-Policy nonce of this response: made by the server's security layer,
/// put on the inline scripts by the shell, and named in the CSP header.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);
