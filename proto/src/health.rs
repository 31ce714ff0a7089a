//! Component checks, as shown by `pier doctor`, `GET /healthz` and the System page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Works, but something needs attention.
    Warn,
    /// Configured and not working.
    Fail,
    /// Not configured: nothing to check (SMTP before mail is set up, say).
    NotConfigured,
}

impl CheckStatus {
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warn => "warning",
            CheckStatus::Fail => "failing",
            CheckStatus::NotConfigured => "not configured",
        }
    }
}

/// One component's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable component id: `database`, `data_dir`, `libvirt`, `docker`, `nginx`, `smtp`.
    pub component: String,
    pub status: CheckStatus,
    /// What was found, in words ("SQLite 3.45, 1 migration applied").
    pub detail: String,
    /// How to fix it, when it is not ok.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// `ok` when no check fails, `degraded` when a non-core component fails,
    /// `failing` when the database or the data dir fails (the panel cannot work).
    pub status: String,
    pub version: String,
    pub checks: Vec<Check>,
}

impl HealthReport {
    /// Components without which the panel cannot serve at all.
    pub const CORE: [&'static str; 2] = ["database", "data_dir"];

    pub fn from_checks(version: impl Into<String>, checks: Vec<Check>) -> Self {
        let failing = |c: &&Check| c.status == CheckStatus::Fail;
        let status = if checks.iter().filter(failing).any(|c| Self::CORE.contains(&c.component.as_str())) {
            "failing"
        } else if checks.iter().any(|c| c.status == CheckStatus::Fail) {
            "degraded"
        } else {
            "ok"
        };
        Self { status: status.to_string(), version: version.into(), checks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(component: &str, status: CheckStatus) -> Check {
        Check { component: component.into(), status, detail: String::new(), fix: None, elapsed_ms: 0 }
    }

    #[test]
    fn overall_status_depends_on_which_component_fails() {
        let ok = HealthReport::from_checks("v", vec![check("database", CheckStatus::Ok), check("smtp", CheckStatus::NotConfigured)]);
        assert_eq!(ok.status, "ok");
        let degraded = HealthReport::from_checks("v", vec![check("database", CheckStatus::Ok), check("docker", CheckStatus::Fail)]);
        assert_eq!(degraded.status, "degraded");
        let failing = HealthReport::from_checks("v", vec![check("database", CheckStatus::Fail), check("docker", CheckStatus::Ok)]);
        assert_eq!(failing.status, "failing");
    }
}
