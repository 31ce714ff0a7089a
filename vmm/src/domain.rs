//! Domain lifecycle on one host: define from a `DomainSpec`, list, start, stop, pause, remove.
//! Each action checks the current state first, so "start a running VM" is a clear refusal
//! instead of libvirt's generic error.

use crate::error::VmmError;
use crate::host::Hypervisor;
use crate::xml::DomainSpec;
use virt::domain::Domain;
use virt::sys;

/// The states Pier shows. libvirt's `blocked` and `nostate` count as running (the guest exists
/// and is scheduled); `pmsuspended` as paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    Running,
    Paused,
    /// Shutting down (ACPI request in progress).
    Stopping,
    Stopped,
    Crashed,
}

impl DomainState {
    fn from_libvirt(s: virt::domain::DomainStateEnum) -> DomainState {
        use virt::domain::DomainState as L;
        match s {
            virt::enumutil::Enum::Known(L::Running | L::Blocked | L::NoState) => DomainState::Running,
            virt::enumutil::Enum::Known(L::Paused | L::PMSuspended) => DomainState::Paused,
            virt::enumutil::Enum::Known(L::Shutdown) => DomainState::Stopping,
            virt::enumutil::Enum::Known(L::Crashed) => DomainState::Crashed,
            _ => DomainState::Stopped,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DomainState::Running => "running",
            DomainState::Paused => "paused",
            DomainState::Stopping => "stopping",
            DomainState::Stopped => "stopped",
            DomainState::Crashed => "crashed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DomainSummary {
    pub name: String,
    pub uuid: String,
    pub state: DomainState,
    pub vcpus: u32,
    pub memory_kib: u64,
}

/// The power actions are the panel's own (with the states each fits); the engine checks them
/// against libvirt's state before acting.
pub use pier_proto::vps::PowerAction;

impl DomainState {
    /// The panel's state for this libvirt state (a guest shutting down still runs).
    pub fn vps_state(self) -> pier_proto::vps::VpsState {
        use pier_proto::vps::VpsState;
        match self {
            DomainState::Running | DomainState::Stopping => VpsState::Running,
            DomainState::Paused => VpsState::Paused,
            DomainState::Crashed => VpsState::Crashed,
            DomainState::Stopped => VpsState::Stopped,
        }
    }
}

fn summary(d: &Domain) -> Result<DomainSummary, VmmError> {
    let e = VmmError::libvirt;
    let info = d.info().map_err(e)?;
    Ok(DomainSummary {
        name: d.name().map_err(e)?,
        uuid: d.uuid_string().map_err(e)?,
        state: DomainState::from_libvirt(info.state),
        vcpus: info.nr_virt_cpu,
        memory_kib: info.max_mem,
    })
}

impl Hypervisor {
    pub(crate) fn lookup(&self, name: &str) -> Result<Domain, VmmError> {
        self.conn.lookup_domain_by_name(name).map_err(|_| VmmError::NoDomain(name.to_string()))
    }

    /// Every domain on the host, running or not.
    pub fn list_domains(&self) -> Result<Vec<DomainSummary>, VmmError> {
        let flags = sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE | sys::VIR_CONNECT_LIST_DOMAINS_INACTIVE;
        let domains = self.conn.list_all_domains(flags).map_err(VmmError::libvirt)?;
        let mut out: Vec<DomainSummary> = domains.iter().map(summary).collect::<Result<_, _>>()?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn domain(&self, name: &str) -> Result<DomainSummary, VmmError> {
        summary(&self.lookup(name)?)
    }

    /// Defines (creates or updates) a persistent domain from `spec`.
    pub fn define(&self, spec: &DomainSpec) -> Result<DomainSummary, VmmError> {
        let xml = spec.to_xml()?;
        let d = self.conn.define_domain_xml(&xml).map_err(VmmError::libvirt)?;
        summary(&d)
    }

    pub fn power(&self, name: &str, action: PowerAction) -> Result<DomainSummary, VmmError> {
        let d = self.lookup(name)?;
        let state = summary(&d)?.state;
        if !action.allowed_from(state.vps_state()) {
            return Err(VmmError::InvalidState(format!("cannot {} a VM that is {}", action.as_str().replace('_', " "), state.as_str())));
        }
        let e = VmmError::libvirt;
        match action {
            PowerAction::Start => d.create().map(|_| ()).map_err(e)?,
            PowerAction::Shutdown => d.shutdown().map(|_| ()).map_err(e)?,
            PowerAction::ForceOff => d.destroy().map(|_| ()).map_err(e)?,
            PowerAction::Reboot => d.reboot(0).map(|_| ()).map_err(e)?,
            PowerAction::Reset => d.reset().map(|_| ()).map_err(e)?,
            PowerAction::Suspend => d.suspend().map(|_| ()).map_err(e)?,
            PowerAction::Resume => d.resume().map(|_| ()).map_err(e)?,
        }
        summary(&d)
    }

    /// Sets `user`'s password inside the guest through the QEMU guest agent. Without a running
    /// agent this is `NoGuestAgent` (the guest must have qemu-guest-agent installed and running).
    pub fn set_user_password(&self, name: &str, user: &str, password: &str) -> Result<(), VmmError> {
        let d = self.lookup(name)?;
        d.set_user_password(user, password, 0).map_err(|e| {
            let msg = e.message().trim().to_string();
            if msg.contains("agent") { VmmError::NoGuestAgent(msg) } else { VmmError::Libvirt(msg) }
        })
    }

    /// Stops (if needed) and undefines, with its snapshot metadata and managed save. Disk files
    /// are the caller's to remove (they live in Pier's storage directory). Pier's domains boot
    /// with SeaBIOS, so there is no NVRAM to remove.
    pub fn remove(&self, name: &str) -> Result<(), VmmError> {
        let d = self.lookup(name)?;
        if d.is_active().map_err(VmmError::libvirt)? {
            d.destroy().map_err(VmmError::libvirt)?;
        }
        let flags = sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
        d.undefine_flags(flags).map_err(VmmError::libvirt)
    }
}
