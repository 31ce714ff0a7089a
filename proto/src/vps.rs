//! VPSs on the wire: the create request with its validators, the view, states and expiry.

use crate::compute::validate_slug;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

pub const KIND_VPS_CREATE: &str = "vps.create";
pub const KIND_VPS_POWER: &str = "vps.power";
pub const KIND_VPS_DELETE: &str = "vps.delete";
pub const KIND_VPS_REINSTALL: &str = "vps.reinstall";
pub const KIND_VPS_SNAPSHOT: &str = "vps.snapshot";
/// Snapshots allowed on a VPS made with a custom size (plans set their own limit).
pub const CUSTOM_SNAPSHOT_LIMIT: u32 = 5;
/// Cloud-init user-data larger than this is refused (the seed image is small by design).
pub const USER_DATA_MAX: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VpsState {
    Provisioning,
    Running,
    Stopped,
    Paused,
    /// The guest crashed (libvirt saw it die); it can be started again.
    Crashed,
    /// Creation failed; `last_error` says why. Only delete (or reinstall) helps.
    Error,
    Deleting,
    /// Being rebuilt from an image (reinstall).
    Reinstalling,
}

impl VpsState {
    pub fn as_str(self) -> &'static str {
        match self {
            VpsState::Provisioning => "provisioning",
            VpsState::Running => "running",
            VpsState::Stopped => "stopped",
            VpsState::Paused => "paused",
            VpsState::Crashed => "crashed",
            VpsState::Error => "error",
            VpsState::Deleting => "deleting",
            VpsState::Reinstalling => "reinstalling",
        }
    }

    pub fn parse(s: &str) -> VpsState {
        match s {
            "running" => VpsState::Running,
            "stopped" => VpsState::Stopped,
            "paused" => VpsState::Paused,
            "crashed" => VpsState::Crashed,
            "error" => VpsState::Error,
            "deleting" => VpsState::Deleting,
            "reinstalling" => VpsState::Reinstalling,
            _ => VpsState::Provisioning,
        }
    }
}

impl VpsState {
    /// A job owns the VPS (creating, deleting, reinstalling): no other action is accepted.
    pub fn is_busy(self) -> bool {
        matches!(self, VpsState::Provisioning | VpsState::Deleting | VpsState::Reinstalling)
    }
}

/// The power buttons. Each is valid only from some states; the UI disables the others and the
/// server refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerAction {
    Start,
    /// ACPI power button: the guest shuts itself down.
    Shutdown,
    /// Pull the plug.
    ForceOff,
    /// ACPI reboot request.
    Reboot,
    /// Hard reset.
    Reset,
    Suspend,
    Resume,
}

impl PowerAction {
    pub const ALL: [PowerAction; 7] =
        [PowerAction::Start, PowerAction::Shutdown, PowerAction::Reboot, PowerAction::Suspend, PowerAction::Resume, PowerAction::Reset, PowerAction::ForceOff];

    pub fn allowed_from(self, state: VpsState) -> bool {
        use VpsState::*;
        match self {
            PowerAction::Start => matches!(state, Stopped | Crashed),
            PowerAction::Shutdown | PowerAction::Reboot | PowerAction::Reset | PowerAction::Suspend => state == Running,
            PowerAction::ForceOff => matches!(state, Running | Paused | Crashed),
            PowerAction::Resume => state == Paused,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Shutdown => "shutdown",
            PowerAction::ForceOff => "force_off",
            PowerAction::Reboot => "reboot",
            PowerAction::Reset => "reset",
            PowerAction::Suspend => "suspend",
            PowerAction::Resume => "resume",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PowerAction::Start => "Start",
            PowerAction::Shutdown => "Shut down",
            PowerAction::ForceOff => "Force off",
            PowerAction::Reboot => "Reboot",
            PowerAction::Reset => "Reset",
            PowerAction::Suspend => "Suspend",
            PowerAction::Resume => "Resume",
        }
    }

    /// Pulling the plug or resetting can lose the guest's unsaved data: the UI asks first.
    pub fn is_destructive(self) -> bool {
        matches!(self, PowerAction::ForceOff | PowerAction::Reset)
    }
}

/// A snapshot as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotView {
    pub name: String,
    pub description: String,
    pub created_at: String,
    /// The VPS's state when it was taken (`running` snapshots include memory).
    pub vm_state: String,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSnapshot {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl NewSnapshot {
    pub fn validate(&self) -> Result<(), ApiError> {
        let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        if self.name.is_empty() || self.name.len() > 63 || !self.name.bytes().all(ok) || self.name.starts_with('.') {
            return Err(ApiError::invalid("name", "Snapshot name: 1–63 letters, digits, '-', '_' or '.', not starting with '.'."));
        }
        if self.description.chars().count() > 500 || self.description.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ApiError::invalid("description", "Description: up to 500 characters, no control characters."));
        }
        Ok(())
    }
}

/// What to do with a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotOp {
    Create,
    Revert,
    Delete,
}

/// Live figures of a running VPS, computed from two samples of libvirt's counters.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct VpsStats {
    pub id: i64,
    /// Of the VPS's vCPUs together: 100 = all busy.
    pub cpu_percent: f64,
    pub memory_used_mib: u64,
    pub memory_mib: u64,
    pub disk_read_bps: u64,
    pub disk_write_bps: u64,
    pub net_rx_bps: u64,
    pub net_tx_bps: u64,
    /// Seconds since it last started, when known.
    #[serde(default)]
    pub uptime_s: Option<u64>,
}

/// Billing/admin change of a VPS's expiry: `extend` adds its length to the current expiry (or to
/// now, when it already passed or there was none) and sets the action; `None` removes the expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryChange {
    #[serde(default)]
    pub extend: Option<Expiry>,
}

/// Reinstall: a new disk from `image_id`; id, name, address and owner stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reinstall {
    pub image_id: i64,
    /// The VPS's name typed again.
    pub confirm: String,
    /// A new root password set through cloud-init at first boot (hashed before it is stored).
    #[serde(default)]
    pub root_password: Option<String>,
}

/// Which console a ticket opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleKind {
    /// The serial console (text), for xterm.js.
    Serial,
    /// The graphical console (VNC/RFB), for noVNC.
    Vnc,
}

/// Validates a root password: 8–128 characters, no control characters.
pub fn validate_root_password(p: &str) -> Result<(), ApiError> {
    let n = p.chars().count();
    if !(8..=128).contains(&n) || p.chars().any(char::is_control) {
        return Err(ApiError::invalid("root_password", "Root password: 8–128 characters, no control characters."));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// An address from the host's IP pool.
    Public,
    /// NAT on the host's default network only.
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryUnit {
    Minutes,
    Hours,
    Days,
    Months,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryAction {
    Delete,
    Shutdown,
    Notify,
}

impl ExpiryAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryAction::Delete => "delete",
            ExpiryAction::Shutdown => "shutdown",
            ExpiryAction::Notify => "notify",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    pub amount: u32,
    pub unit: ExpiryUnit,
    pub action: ExpiryAction,
}

impl Expiry {
    /// The length in seconds (a month counts 30 days).
    pub fn seconds(&self) -> i64 {
        let unit = match self.unit {
            ExpiryUnit::Minutes => 60,
            ExpiryUnit::Hours => 3600,
            ExpiryUnit::Days => 86_400,
            ExpiryUnit::Months => 30 * 86_400,
        };
        i64::from(self.amount) * unit
    }
}

/// A custom size (administrators only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomSize {
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk_gb: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVps {
    pub name: String,
    pub hostname: String,
    #[serde(default)]
    pub plan_id: Option<i64>,
    /// Administrators: a size outside the plans.
    #[serde(default)]
    pub custom: Option<CustomSize>,
    /// Administrators: a host; otherwise placement picks the one with the most free memory.
    #[serde(default)]
    pub host_id: Option<i64>,
    /// Administrators: create for another user.
    #[serde(default)]
    pub owner_id: Option<i64>,
    pub image_id: i64,
    #[serde(default)]
    pub ssh_key_ids: Vec<i64>,
    /// Cloud-init user-data (`#cloud-config` YAML), merged with what Pier sets.
    #[serde(default)]
    pub user_data: Option<String>,
    pub network: NetworkKind,
    #[serde(default = "yes")]
    pub start: bool,
    #[serde(default)]
    pub expiry: Option<Expiry>,
    /// Root's password, set by cloud-init at first boot (optional; SSH keys are the better way).
    #[serde(default)]
    pub root_password: Option<String>,
}

fn yes() -> bool {
    true
}

/// A DNS host name: dot-separated labels of letters, digits and `-`, at most 253 characters.
pub fn validate_hostname(name: &str) -> Result<(), ApiError> {
    let err = || Err(ApiError::invalid("hostname", "Host name: labels of letters, digits and '-' separated by dots (e.g. web-1.example.com)."));
    if name.is_empty() || name.len() > 253 {
        return err();
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return err();
        }
    }
    Ok(())
}

impl NewVps {
    /// Checks what needs no database: names, sizes, user-data length, expiry bounds.
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_slug("name", &self.name, "VPS name")?;
        validate_hostname(&self.hostname)?;
        match (&self.plan_id, &self.custom) {
            (None, None) => return Err(ApiError::invalid("plan_id", "Choose a plan.")),
            (Some(_), Some(_)) => return Err(ApiError::invalid("plan_id", "Choose a plan or a custom size, not both.")),
            (None, Some(c)) => {
                if !(1..=64).contains(&c.vcpus) || !(128..=1_048_576).contains(&c.memory_mib) || !(1..=16_384).contains(&c.disk_gb) {
                    return Err(ApiError::invalid("custom", "Custom size: 1–64 vCPUs, 128 MiB–1 TiB memory, 1–16384 GB disk."));
                }
            }
            (Some(_), None) => {}
        }
        if let Some(ud) = &self.user_data {
            if ud.len() > USER_DATA_MAX {
                return Err(ApiError::invalid("user_data", "User-data is limited to 64 KiB."));
            }
        }
        if self.ssh_key_ids.len() > 50 {
            return Err(ApiError::invalid("ssh_key_ids", "At most 50 keys."));
        }
        if let Some(p) = &self.root_password {
            validate_root_password(p)?;
        }
        if let Some(e) = &self.expiry {
            if e.amount == 0 || e.seconds() > 10 * 365 * 86_400 {
                return Err(ApiError::invalid("expiry", "Expiry: from 1 minute to 10 years."));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpsView {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub hostname: String,
    pub owner_id: i64,
    pub owner: String,
    pub host_id: i64,
    pub host: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disk_gb: u64,
    pub network: NetworkKind,
    #[serde(default)]
    pub ip_address: Option<String>,
    pub state: VpsState,
    #[serde(default)]
    pub expires_at: Option<String>,
    pub expiry_action: ExpiryAction,
    #[serde(default)]
    pub last_error: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub started_at: Option<String>,
    pub snapshot_limit: u32,
}

/// A change of state pushed on the `vps` and `vps:<id>` topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpsStateEvent {
    pub id: i64,
    pub state: VpsState,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    /// True when the VPS is gone (deleted).
    #[serde(default)]
    pub removed: bool,
}

/// What the live socket carries for VPSs: a state change or a stats sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VpsLive {
    State(VpsStateEvent),
    Stats(VpsStats),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, hostname: &str) -> NewVps {
        NewVps {
            name: name.into(),
            hostname: hostname.into(),
            plan_id: Some(1),
            custom: None,
            host_id: None,
            owner_id: None,
            image_id: 1,
            ssh_key_ids: vec![],
            user_data: None,
            network: NetworkKind::Private,
            start: true,
            expiry: None,
            root_password: None,
        }
    }

    #[test]
    fn names_hostnames_and_sizes() {
        assert!(new("web-1", "web-1.example.com").validate().is_ok());
        let field = |v: NewVps| v.validate().unwrap_err().field.unwrap();
        assert_eq!(field(new("Web 1", "web")), "name");
        for bad in ["", "-a", "a..b", "a_b", "a;b", &"a".repeat(64), "web.-x"] {
            assert_eq!(field(new("web", bad)), "hostname", "{bad:?}");
        }
        assert_eq!(field(NewVps { plan_id: None, ..new("web", "web") }), "plan_id");
        let huge = CustomSize { vcpus: 1, memory_mib: 64, disk_gb: 1 };
        assert_eq!(field(NewVps { plan_id: None, custom: Some(huge), ..new("web", "web") }), "custom");
        assert_eq!(field(NewVps { user_data: Some("x".repeat(USER_DATA_MAX + 1)), ..new("web", "web") }), "user_data");
        let never = Expiry { amount: 0, unit: ExpiryUnit::Days, action: ExpiryAction::Delete };
        assert_eq!(field(NewVps { expiry: Some(never), ..new("web", "web") }), "expiry");
        assert_eq!(Expiry { amount: 2, unit: ExpiryUnit::Hours, action: ExpiryAction::Notify }.seconds(), 7200);
    }

    #[test]
    fn power_actions_fit_states() {
        use PowerAction::*;
        assert!(Start.allowed_from(VpsState::Stopped) && Start.allowed_from(VpsState::Crashed));
        assert!(!Start.allowed_from(VpsState::Running) && !Start.allowed_from(VpsState::Provisioning));
        assert!(Resume.allowed_from(VpsState::Paused) && !Suspend.allowed_from(VpsState::Paused));
        for busy in [VpsState::Provisioning, VpsState::Deleting, VpsState::Reinstalling, VpsState::Error] {
            assert!(PowerAction::ALL.iter().all(|a| !a.allowed_from(busy)), "{busy:?}");
        }
    }

    #[test]
    fn snapshot_names_and_passwords() {
        let snap = |n: &str| NewSnapshot { name: n.into(), description: String::new() }.validate();
        assert!(snap("before-upgrade_2.1").is_ok());
        for bad in ["", ".hidden", "a b", "a/b", "a;b", &"x".repeat(64)] {
            assert_eq!(snap(bad).unwrap_err().field.as_deref(), Some("name"), "{bad:?}");
        }
        assert!(NewSnapshot { name: "a".into(), description: "bad\u{7}".into() }.validate().is_err());
        assert!(validate_root_password("correct horse").is_ok());
        assert!(validate_root_password("short").is_err() && validate_root_password("new\nline-here").is_err());
    }
}
