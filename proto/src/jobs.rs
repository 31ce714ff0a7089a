//! Jobs as clients see them, and the parameters of the job kinds a client may start directly.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] =
        [JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A finished job never changes state again.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }
}

/// A job row as shown in lists, progress bars and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i64,
    /// Machine kind, e.g. `system.check`.
    pub kind: String,
    /// Human title, e.g. "Health check".
    pub title: String,
    /// What the job works on, e.g. `vps:12`; empty for platform jobs.
    pub target: String,
    pub state: JobState,
    /// 0–100.
    pub progress: u8,
    /// The latest progress message, or the outcome once final.
    pub message: String,
    pub attempts: i32,
    pub cancel_requested: bool,
    /// RFC 3339 timestamps.
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// Job kinds a person may start by hand from the Jobs page or the REST API. Other kinds are
/// started by the services that own them (create a VPS, order a certificate, ...).
pub const KIND_SYSTEM_CHECK: &str = "system.check";
pub const KIND_WORKER_TEST: &str = "system.worker_test";

/// Parameters of the worker self-test: it walks through `steps` steps over `seconds` seconds,
/// reporting progress at each, so an operator can see the job pipeline work end to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTestParams {
    pub seconds: u32,
    pub steps: u32,
}

impl WorkerTestParams {
    pub const MAX_SECONDS: u32 = 3600;
    pub const MAX_STEPS: u32 = 100;

    /// Shared by the form and the server, so both say the same thing.
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.seconds == 0 || self.seconds > Self::MAX_SECONDS {
            return Err(ApiError::invalid(
                "seconds",
                format!("Duration must be between 1 and {} seconds.", Self::MAX_SECONDS),
            ));
        }
        if self.steps == 0 || self.steps > Self::MAX_STEPS {
            return Err(ApiError::invalid("steps", format!("Steps must be between 1 and {}.", Self::MAX_STEPS)));
        }
        Ok(())
    }
}

impl Default for WorkerTestParams {
    fn default() -> Self {
        Self { seconds: 5, steps: 10 }
    }
}

/// Body of `POST /api/v1/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartJob {
    pub kind: String,
    #[serde(default)]
    pub params: serde_json::Value,
    /// Repeating a request with the same key returns the first job instead of starting another
    /// (a double-click, or a client retrying after a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// Filters for job lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// At most 200; defaults to 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

pub fn validate_idempotency_key(key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("idempotency_key", "Idempotency key must be 1–64 letters, digits, '-' or '_'."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_knows_finality() {
        for st in JobState::ALL {
            assert_eq!(JobState::parse(st.as_str()), Some(st));
        }
        assert_eq!(JobState::parse("done"), None);
        assert!(!JobState::Running.is_final());
        assert!(JobState::Cancelled.is_final());
    }

    #[test]
    fn worker_test_bounds() {
        assert!(WorkerTestParams::default().validate().is_ok());
        assert_eq!(WorkerTestParams { seconds: 0, steps: 1 }.validate().unwrap_err().field.as_deref(), Some("seconds"));
        assert_eq!(WorkerTestParams { seconds: 1, steps: 101 }.validate().unwrap_err().field.as_deref(), Some("steps"));
    }

    #[test]
    fn idempotency_keys_are_restricted() {
        assert!(validate_idempotency_key("a1-B_2").is_ok());
        assert!(validate_idempotency_key("").is_err());
        assert!(validate_idempotency_key("x y").is_err());
        assert!(validate_idempotency_key(&"k".repeat(65)).is_err());
    }
}
