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
