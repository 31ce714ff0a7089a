//! VPSs on the wire: the create request with its validators, the view, states and expiry.

use crate::compute::validate_slug;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};

pub const KIND_VPS_CREATE: &str = "vps.create";
/// Cloud-init user-data larger than this is refused (the seed image is small by design).
pub const USER_DATA_MAX: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VpsState {
    Provisioning,
    Running,
    Stopped,
    Paused,
    /// Creation or an action failed; `last_error` says why.
    Error,
    Deleting,
}

impl VpsState {
    pub fn as_str(self) -> &'static str {
        match self {
            VpsState::Provisioning => "provisioning",
            VpsState::Running => "running",
            VpsState::Stopped => "stopped",
            VpsState::Paused => "paused",
            VpsState::Error => "error",
            VpsState::Deleting => "deleting",
        }
    }

    pub fn parse(s: &str) -> VpsState {
        match s {
            "running" => VpsState::Running,
            "stopped" => VpsState::Stopped,
            "paused" => VpsState::Paused,
            "error" => VpsState::Error,
            "deleting" => VpsState::Deleting,
            _ => VpsState::Provisioning,
        }
    }
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
}
