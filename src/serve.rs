//! `pier serve`: open the core, recover interrupted jobs, start workers, serve HTTP until a
//! signal, then stop the workers.

use leptos::prelude::LeptosOptions;
use pier_core::config::Config;
use pier_core::Core;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error(transparent)]
    Start(#[from] pier_core::StartError),
    #[error("start-up failed: {0}")]
    Recovery(String),
    #[error("server stopped: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn serve(config: Config) -> Result<(), ServeError> {
    let addr = config.listen;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| ServeError::Bind {
        addr,
        reason: match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the address is already in use (is another pier running?); choose another with PIER_LISTEN or `listen` in the config".into()
            }
            std::io::ErrorKind::PermissionDenied => "permission denied (ports below 1024 need root)".into(),
            _ => e.to_string(),
        },
    })?;
    let site_dir = site_dir(&config);
    let workers = config.jobs.workers;
    let core = Core::open(config).await?;

    let recovery = core.jobs.recover(true).await.map_err(|e| ServeError::Recovery(e.to_string()))?;
    if !(recovery.requeued.is_empty() && recovery.failed.is_empty()) {
        tracing::warn!(requeued = ?recovery.requeued, failed = ?recovery.failed, "recovered jobs interrupted by the last stop");
    }
    let setup_token = core.accounts.issue_setup_token().await.map_err(|e| ServeError::Recovery(format!("setup token: {e}")))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker_handles = core.jobs.spawn_workers(workers, stop_rx);
    // Ends with the process (it only reads libvirt and writes host status).
    let _host_monitor = core.compute.spawn_host_monitor(pier_core::compute::hosts::PROBE_EVERY);
    // VPS state from libvirt events, live stats, and the expiry schedule: also for the process's life.
    let _state_sync = core.compute.spawn_state_sync();
    let _stats = core.compute.spawn_stats_collector(pier_core::compute::stats::EVERY);
    let _expiry = core.compute.spawn_expiry_schedule(core.jobs.clone(), pier_core::compute::expiry::CHECK_EVERY);
    // Container changes from each engine's Docker event stream, records reconciled on reconnect.
    let _container_sync = core.containers.spawn_sync();
    let _container_stats = core.containers.spawn_stats_collector(pier_core::containers::stats::EVERY);
    // Sites keep serving across panel restarts: nginx is started on the live version if it is
    // not running; pool health checks and certificate renewals run for the process's life.
    core.sites.resume().await;
    core.sites.start_health_checks().await;
    let _renewals = core.sites.spawn_renewal_schedule(core.jobs.clone(), pier_core::sites::RENEW_CHECK_EVERY);
    // Monitoring: the collectors, the history flush and its retention.
    let _monitoring = pier_core::monitoring::collectors::spawn(&core.monitoring, &core);
    let monitoring = core.monitoring.clone();
    // Alert rules and events every 10 s, and the notifications they send.
    let _alerts = core.alerts.spawn(core.monitoring.clone(), core.sites.clone());

    if !site_dir.join("pkg").is_dir() {
        tracing::warn!(site = %site_dir.display(), "browser assets not found: build them with `cargo leptos build --release` or set PIER_SITE_DIR");
    }
    let leptos = LeptosOptions::builder()
        .output_name("pier")
        .site_root(site_dir.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let router = crate::http::router(core, leptos);

    tracing::info!(%addr, "Pier is listening");
    println!("Pier is running at http://{addr}/");
    if let Some(token) = setup_token {
        // Printed, never logged: the link is a credential until it is used (one hour, once).
        println!("No accounts yet. Create the first administrator within one hour at:");
        println!("  http://{addr}/setup?token={token}");
        println!("or from a shell: pier admin create --username NAME --email EMAIL --password-stdin");
    }
    // Leptos streams pages in several writes; without TCP_NODELAY the second write waits for the
    // client's delayed ACK (~40 ms per page view on Linux).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;

    // The history's open chunks: what the last flush did not write yet.
    if let Err(e) = monitoring.store().flush().await {
        tracing::warn!(error = %e, "metric history not written at shutdown");
    }
    tracing::info!("stopping job workers");
    let _ = stop_tx.send(true);
    // Running jobs get a moment to reach a progress point; those that do not are recovered
    // (requeued or failed) at the next start.
    let _ = tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(worker_handles)).await;
    Ok(())
}

/// Where the browser assets are: the configured dir, or `site/` next to the binary's target
/// dir (cargo-leptos puts the binary in target/<profile>/ and the site in target/site/).
fn site_dir(config: &Config) -> PathBuf {
    if let Some(dir) = &config.site_dir {
        return dir.clone();
    }
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(|p| p.parent()).map(|t| t.join("site")));
    match beside_binary {
        Some(dir) if dir.is_dir() => dir,
        _ => PathBuf::from("target/site"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested");
}
