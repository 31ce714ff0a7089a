//! The VPS platform: libvirt hosts (with a monitor that marks them unreachable and back),
//! plans, and IP pools with allocation that never hands out an address twice.
//! Talking to libvirt is `pier-vmm`'s job; this layer decides, persists and audits.

pub mod cloud_init;
pub mod connections;
pub mod console;
pub mod expiry;
pub mod power;
pub mod removal;
pub mod snapshots;
pub mod state_sync;
pub mod stats;
pub mod hosts;
pub mod image_upload;
pub mod images;
pub mod ip_pools;
pub mod plans;
pub mod vps;
mod volumes;

use crate::audit::Audit;
use crate::events::EventBus;

use sea_orm::DatabaseConnection;

/// The platform services' error (shared with containers: same kinds, same mapping to the wire).
pub use crate::service_error::ServiceError as ComputeError;

pub type Result<T> = std::result::Result<T, ComputeError>;

use crate::db::is_unique_violation;

#[derive(Clone)]
pub struct Compute {
    db: DatabaseConnection,
    audit: Audit,
    bus: EventBus,
    conns: connections::Connections,
    stats: stats::StatsStore,
    tickets: console::Tickets,
}

impl Compute {
    pub fn new(db: DatabaseConnection, audit: Audit, bus: EventBus) -> Self {
        Self { db, audit, bus, conns: Default::default(), stats: Default::default(), tickets: Default::default() }
    }
}

impl Compute {
    /// Runs `round` every `every` for as long as the process runs (a round that overruns delays
    /// the next instead of piling up); a failed round is logged and the next one tries again.
    pub(crate) fn spawn_every<F, Fut>(&self, what: &'static str, every: std::time::Duration, round: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn(Compute) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<()>> + Send,
    {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = round(this.clone()).await {
                    tracing::warn!(error = %e, "{what}: round failed");
                }
            }
        })
    }
}

impl From<pier_vmm::VmmError> for ComputeError {
    fn from(e: pier_vmm::VmmError) -> Self {
        match e {
            pier_vmm::VmmError::InvalidState(m) => ComputeError::Conflict(m),
            pier_vmm::VmmError::NoSnapshot(n) => ComputeError::NotFound(format!("Snapshot {n:?}")),
            pier_vmm::VmmError::NoGuestAgent(_) => ComputeError::Conflict(
                "The QEMU guest agent is not running in this VPS, so its password cannot be set from here. Install and start qemu-guest-agent in the guest, or set a new password with Reinstall (cloud-init sets it at first boot).".into(),
            ),
            other => ComputeError::Unavailable(other.to_string()),
        }
    }
}
