//! A worker: claim a job, run it while renewing its lease, write the outcome.

use super::handler::{JobContext, JobFailure};
use super::store::JobStore;
use pier_proto::jobs::JobState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How often an idle worker looks for work that another process queued (local enqueues wake it
/// at once through `wake`).
const IDLE_POLL: Duration = Duration::from_secs(1);

pub(super) async fn run_worker(n: usize, store: Arc<JobStore>, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    tracing::debug!(worker = n, "job worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        match store.claim_next().await {
            Ok(Some(job)) => run_one(&store, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
            Err(e) => {
                tracing::error!(worker = n, error = %e, "could not claim a job");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
    tracing::debug!(worker = n, "job worker stopped");
}

async fn run_one(store: &Arc<JobStore>, job: crate::entity::job::Model) {
    let Some(handler) = store.registry.get(&job.kind).cloned() else {
        // claim_next only takes known kinds; this is a safety net.
        let _ = store.finish(job.id, JobState::Failed, "No handler for this job kind.").await;
        return;
    };
    let params = serde_json::from_str(&job.params).unwrap_or(serde_json::Value::Null);
    let ctx = JobContext { id: job.id, attempt: job.attempts, params, store: store.clone() };
    let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
    tracing::info!(parent: &span, "job started");
    let started = std::time::Instant::now();

    // The handler runs while a heartbeat keeps the lease; if the lease is lost the handler is
    // dropped (stopped at its next await) because another process now owns the job.
    let heartbeat = async {
        let mut tick = tokio::time::interval(store.lease / 3);
        tick.tick().await;
        loop {
            tick.tick().await;
            match store.renew_lease(job.id).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(job = job.id, error = %e, "lease renewal failed"),
            }
        }
    };
    let outcome = tokio::select! {
        r = handler.run(&ctx) => r,
        _ = heartbeat => Err(JobFailure::LeaseLost),
    };

    let elapsed_ms = started.elapsed().as_millis() as u64;
    let write = match &outcome {
        Ok(message) => store.finish(job.id, JobState::Succeeded, message).await,
        Err(JobFailure::Failed(message)) => store.finish(job.id, JobState::Failed, message).await,
        Err(JobFailure::Cancelled) => store.finish(job.id, JobState::Cancelled, "Cancelled at a person's request.").await,
        Err(JobFailure::LeaseLost) => Ok(()),
    };
    match &outcome {
        Ok(_) => tracing::info!(parent: &span, elapsed_ms, "job succeeded"),
        Err(e) => tracing::warn!(parent: &span, elapsed_ms, outcome = %e, "job did not succeed"),
    }
    if let Err(e) = write {
        tracing::error!(parent: &span, error = %e, "could not record the job's outcome");
    }
}
