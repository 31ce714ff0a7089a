//! The HTTP surface: Leptos pages and server functions, REST `/api/v1`, the live socket,
//! `/healthz` and `/metrics`, wrapped in request ids, tracing, metrics and security layers.

mod auth;
mod console;
mod page;
mod container_exec;
mod container_files;
mod container_logs;
mod guard;
mod live;
mod metrics;
mod rest;
mod rest_containers;
mod rest_alerts;
mod rest_monitoring;
mod rest_sites;
mod rest_vps;

use app::state::ServerState;
use axum::routing::get;
use axum::Router;
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use pier_core::Core;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use metrics::Metrics;

pub fn router(core: Core, leptos: LeptosOptions) -> Router {
    let metrics = Arc::new(Metrics::new(core.monitoring.requests()));
    let behind_tls = core.config.behind_tls();
    let sessions = auth::session_layer(core.sessions.clone(), behind_tls);
    let state = ServerState { core, leptos };
    let routes = generate_route_list(app::App);

    let state_for_auth = state.clone();
    let api = rest::routes().route("/live", get(live::upgrade)).route("/console", get(console::upgrade)).with_state(state.clone());

    Router::new()
        .route("/healthz", get(rest::healthz))
        .route("/metrics", get(metrics::scrape))
        .route("/vps/{id}/console", get(console::page))
        .route("/containers/{id}/logs", get(container_logs::page))
        .route("/containers/{id}/terminal", get(container_exec::page))
        .route("/containers/{id}/files", get(container_files::page))
        .leptos_routes(&state, routes, {
            let leptos = state.leptos.clone();
            move || app::shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(app::shell))
        .with_state(state.clone())
        .nest("/api/v1", api)
        .layer(axum::Extension(metrics.clone()))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(guard::request_span).on_response(guard::log_response).on_failure(()))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(CatchPanicLayer::custom(guard::panic_response))
                .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
                .layer(axum::middleware::from_fn_with_state(guard::Security { hsts: behind_tls }, guard::security_headers))
                .layer(axum::middleware::from_fn(guard::same_origin))
                .layer(axum::middleware::from_fn(guard::server_fn_status))
                .layer(sessions)
                .layer(axum::middleware::from_fn_with_state(state_for_auth, auth::authenticate)),
        )
}
