//! The job kinds the foundation ships: platform diagnostics an operator can start by hand.
//! Later capabilities (VPS, containers, certificates, backups) register their own kinds.

use super::handler::{JobContext, JobFailure, JobHandler};
use crate::health::{HealthChecker, COMPONENTS};
use async_trait::async_trait;
use pier_proto::health::CheckStatus;
use pier_proto::jobs::{WorkerTestParams, KIND_SYSTEM_CHECK, KIND_WORKER_TEST};
use std::time::Duration;

/// Checks every component, one step per component.
pub struct SystemCheck {
    pub checker: HealthChecker,
}

#[async_trait]
impl JobHandler for SystemCheck {
    fn kind(&self) -> &'static str {
        KIND_SYSTEM_CHECK
    }
    fn title(&self) -> &'static str {
        "Health check"
    }
    fn resumable(&self) -> bool {
        true // read-only
    }
    async fn run(&self, ctx: &JobContext) -> Result<String, JobFailure> {
        let mut failing = Vec::new();
        for (i, component) in COMPONENTS.iter().enumerate() {
            let check = self.checker.check(component).await;
            if check.status == CheckStatus::Fail {
                failing.push(format!("{component} ({})", check.detail));
            }
            let percent = ((i + 1) * 100 / COMPONENTS.len()) as u8;
            ctx.progress(percent, format!("{component}: {}", check.status.label())).await?;
        }
        if failing.is_empty() {
            Ok(format!("All {} components are ok or not configured.", COMPONENTS.len()))
        } else {
            Err(JobFailure::Failed(format!("Failing: {}", failing.join("; "))))
        }
    }
}

/// Walks through a number of timed steps, so an operator can watch the job pipeline (queue,
/// worker, progress events, recovery) work end to end without touching any resource.
pub struct WorkerTest;

#[async_trait]
impl JobHandler for WorkerTest {
    fn kind(&self) -> &'static str {
        KIND_WORKER_TEST
    }
    fn title(&self) -> &'static str {
        "Worker self-test"
    }
    fn resumable(&self) -> bool {
        true // touches nothing
    }
    async fn run(&self, ctx: &JobContext) -> Result<String, JobFailure> {
        let p: WorkerTestParams = ctx.params()?;
        p.validate().map_err(|e| JobFailure::Failed(e.message))?;
        let step = Duration::from_millis(u64::from(p.seconds) * 1000 / u64::from(p.steps));
        for i in 1..=p.steps {
            tokio::time::sleep(step).await;
            ctx.progress((i * 100 / p.steps) as u8, format!("Step {i} of {}", p.steps)).await?;
        }
        Ok(format!("Completed {} steps in {} s (attempt {}).", p.steps, p.seconds, ctx.attempt))
    }
}
