//! Alerts and notifications: rules over metrics, alerts about events, their lifecycle
//! (pending → firing → resolved, acknowledged by a person), and where people are told.

use crate::ApiError;
use serde::{Deserialize, Serialize};

/// What a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// The panel's machine.
    Host,
    /// Pier itself.
    Pier,
    /// Every VPS.
    AllVps,
    /// Every VPS of one person.
    UserVps { user_id: i64 },
    Vps { id: i64 },
    /// A container by its id (the first 12 characters or more).
    Container { id: String },
    Site { name: String },
}

impl Scope {
    /// Whether `target` (`host`, `vps:12`, …) owned by `owner` is in this scope.
    pub fn covers(&self, target: &str, owner: Option<i64>) -> bool {
        match (self, target.split_once(':')) {
            (Scope::Host, None) => target == "host",
            (Scope::Pier, None) => target == "pier",
            (Scope::AllVps, Some(("vps", _))) => true,
            (Scope::UserVps { user_id }, Some(("vps", _))) => owner == Some(*user_id),
            (Scope::Vps { id }, Some(("vps", t))) => t.parse() == Ok(*id),
            (Scope::Container { id }, Some(("container", t))) => id.starts_with(t) || t.starts_with(id.as_str()),
            (Scope::Site { name }, Some(("site", t))) => t == name,
            _ => false,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Scope::Host => "this machine".into(),
            Scope::Pier => "Pier".into(),
            Scope::AllVps => "every VPS".into(),
            Scope::UserVps { user_id } => format!("the VPSs of user #{user_id}"),
            Scope::Vps { id } => format!("VPS #{id}"),
            Scope::Container { id } => format!("container {}", &id[..id.len().min(12)]),
            Scope::Site { name } => format!("site {name}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Above,
    Below,
}

impl Condition {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Condition::Above => value > threshold,
            Condition::Below => value < threshold,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "info" => Severity::Info,
            "critical" => Severity::Critical,
            _ => Severity::Warning,
        }
    }
}

/// Where people hear of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Email,
    Webhook,
}

/// An alert rule as a person writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub metric: String,
    pub scope: Scope,
    pub condition: Condition,
    pub threshold: f64,
    /// How long the condition must hold before the alert fires (0: at once).
    pub for_s: i64,
    #[serde(default)]
    pub severity: Severity,
    pub channels: Vec<Channel>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl RuleInput {
    pub fn validate(&self) -> Result<(), ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 80 || name.chars().any(char::is_control) {
            return Err(ApiError::invalid("name", "A name of 1–80 printable characters."));
        }
        crate::monitoring::validate_metric(&self.metric)?;
        if !self.threshold.is_finite() {
            return Err(ApiError::invalid("threshold", "The threshold is a number."));
        }
        if !(0..=7 * 86_400).contains(&self.for_s) {
            return Err(ApiError::invalid("for_s", "\"For\" is 0 seconds to 7 days."));
        }
        if self.channels.is_empty() {
            return Err(ApiError::invalid("channels", "Choose at least one channel."));
        }
        match &self.scope {
            Scope::Container { id } if id.len() < 12 || !id.chars().all(|c| c.is_ascii_hexdigit()) => Err(ApiError::invalid("scope", "A container is named by its id (12 hex digits or more).")),
            Scope::Site { name } => crate::sites::validate_slug("scope", name),
            Scope::Vps { id } | Scope::UserVps { user_id: id } if *id <= 0 => Err(ApiError::invalid("scope", "Choose a VPS or a user.")),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: i64,
    #[serde(flatten)]
    pub rule: RuleInput,
    /// One of the rules Pier made on its first start (CPU, memory, disk).
    pub is_default: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Pending,
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => AlertState::Pending,
            "firing" => AlertState::Firing,
            _ => AlertState::Resolved,
        }
    }
}

/// One alert: a rule's condition on one target, or an event (a host unreachable, a
/// certificate expiring, a job failed…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: i64,
    pub rule_id: Option<i64>,
    /// `metric` or the event's kind (`host_unreachable`, `certificate_expiring`, …).
    pub kind: String,
    pub target: String,
    pub title: String,
    pub severity: Severity,
    pub state: AlertState,
    pub value: Option<f64>,
    pub started_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    #[serde(default)]
    pub state: Option<AlertState>,
    /// At most 500; default 100.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A delivery as the person sees it in their log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub alert_id: Option<i64>,
    pub url: String,
    /// `pending` (being tried), `delivered`, `failed` (every attempt failed).
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// An entry of a person's notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    pub alert_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub created_at: i64,
    pub read: bool,
}

/// A person's own channels: email to their address, a webhook of theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChannelSettings {
    pub email: bool,
    pub webhook_url: Option<String>,
    /// Set to change the signing secret; never sent back (`webhook_secret_set` says whether one is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    #[serde(default)]
    pub webhook_secret_set: bool,
}

impl ChannelSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        if let Some(url) = &self.webhook_url {
            let ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 2048 && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(ApiError::invalid("webhook_url", "An http:// or https:// address."));
            }
        }
        if let Some(s) = &self.webhook_secret {
            if s.len() < 16 || s.len() > 256 {
                return Err(ApiError::invalid("webhook_secret", "A secret of 16–256 characters."));
            }
        }
        Ok(())
    }
}

/// How the panel sends mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on this machine).
    None,
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Set to change it; never sent back (`password_set` says whether one is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default)]
    pub password_set: bool,
    /// The sender address.
    pub from: String,
}

impl SmtpSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        let host_ok = !self.host.is_empty() && self.host.len() <= 253 && self.host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if !host_ok {
            return Err(ApiError::invalid("host", "A host name or address."));
        }
        if self.port == 0 {
            return Err(ApiError::invalid("port", "A port of 1–65535."));
        }
        crate::accounts::validate_email(&self.from).map_err(|_| ApiError::invalid("from", "The sender is an email address."))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_conditions_and_rules() {
        assert!(Scope::Host.covers("host", None) && !Scope::Host.covers("vps:1", None));
        assert!(Scope::AllVps.covers("vps:3", Some(9)));
        assert!(Scope::UserVps { user_id: 9 }.covers("vps:3", Some(9)) && !Scope::UserVps { user_id: 9 }.covers("vps:3", Some(8)));
        assert!(Scope::Vps { id: 3 }.covers("vps:3", None) && !Scope::Vps { id: 3 }.covers("vps:31", None));
        assert!(Scope::Container { id: "0123456789abcdef".into() }.covers("container:0123456789ab", None));
        assert!(Condition::Above.holds(91.0, 90.0) && !Condition::Above.holds(90.0, 90.0) && Condition::Below.holds(1.0, 2.0));
        let rule = RuleInput { name: "CPU".into(), metric: "cpu".into(), scope: Scope::Host, condition: Condition::Above, threshold: 90.0, for_s: 300, severity: Severity::Warning, channels: vec![Channel::InApp], enabled: true };
        assert!(rule.validate().is_ok());
        assert_eq!(RuleInput { for_s: -1, ..rule.clone() }.validate().unwrap_err().field.as_deref(), Some("for_s"));
        assert_eq!(RuleInput { channels: vec![], ..rule.clone() }.validate().unwrap_err().field.as_deref(), Some("channels"));
        assert_eq!(RuleInput { threshold: f64::NAN, ..rule }.validate().unwrap_err().field.as_deref(), Some("threshold"));
        assert!(ChannelSettings { webhook_url: Some("ftp://x".into()), ..Default::default() }.validate().is_err());
    }
}
