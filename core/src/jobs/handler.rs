//! What a job kind implements, and the context it runs in.

use super::store::JobStore;
use async_trait::async_trait;
use std::sync::Arc;

/// Why a job run ended without success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobFailure {
    /// The job failed; the message is shown to people as the outcome.
    #[error("{0}")]
    Failed(String),
    /// A person asked to cancel it and the handler stopped at a safe point.
    #[error("cancelled")]
    Cancelled,
    /// Another process took the job over (our lease ran out): stop without touching the row.
    #[error("lease lost")]
    LeaseLost,
}

/// A failure whose message is `e` (handlers map their errors with `.map_err(failed)`).
pub fn failed(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::Failed(e.to_string())
}

#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// Machine kind, e.g. `system.check`.
    fn kind(&self) -> &'static str;
    /// Shown in lists: "Health check".
    fn title(&self) -> &'static str;
    /// True when running the job again from the start after a crash is safe (idempotent work).
    /// A job that is not resumable is marked failed with a reason when its process dies.
    fn resumable(&self) -> bool;
    /// Does the work, reporting progress through `ctx`. Returns the outcome message.
    async fn run(&self, ctx: &JobContext) -> Result<String, JobFailure>;
}

/// Handed to a running handler.
pub struct JobContext {
    pub id: i64,
    pub attempt: i32,
    pub params: serde_json::Value,
    pub(super) store: Arc<JobStore>,
}

impl JobContext {
    /// Records progress (0–100) and a message, publishes it live, and renews the lease.
    /// Returns `Cancelled` when a person asked to cancel: the handler should stop there.
    pub async fn progress(&self, percent: u8, message: impl Into<String>) -> Result<(), JobFailure> {
        self.store.report_progress(self.id, percent.min(100), &message.into()).await
    }

    /// Parses the job's parameters, failing the job with a readable message when they do not fit.
    pub fn params<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobFailure> {
        serde_json::from_value(self.params.clone()).map_err(|e| JobFailure::Failed(format!("invalid job parameters: {e}")))
    }
}
