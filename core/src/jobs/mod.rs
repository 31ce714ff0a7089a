//! Durable jobs (design.md §3): a row per job, run by a worker pool, progress published live,
//! and never lost across a crash (see `recover`).

pub mod handler;
pub mod kinds;
pub mod registry;
mod store;
mod worker;

pub use handler::{failed, JobContext, JobFailure, JobHandler};
pub use registry::Registry;

use crate::actor::{policy, Actor};
use crate::audit::{Outcome, RequestContext};
use crate::entity::job::{Column, Entity};
use pier_proto::jobs::{validate_idempotency_key, JobQuery, JobState, JobView, StartJob, KIND_SYSTEM_CHECK, KIND_WORKER_TEST};
use pier_proto::{ApiError, ErrorCode};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::sync::Arc;
use std::time::Duration;
use store::JobStore;
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job {0} not found")]
    NotFound(i64),
    #[error("{0}")]
    Invalid(ApiError),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound(id) => ApiError::not_found(format!("Job {id}")),
            JobError::Invalid(api) => api,
            JobError::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, m),
            JobError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            JobError::Db(e) => {
                tracing::error!(error = %e, "job store failed");
                ApiError::new(ErrorCode::Unavailable, "The database did not answer; try again.")
            }
        }
    }
}

/// A job a service asks for.
pub struct NewJob {
    pub kind: &'static str,
    pub target: String,
    pub params: serde_json::Value,
    pub idempotency_key: Option<String>,
    pub max_attempts: i32,
}

/// The jobs service.
#[derive(Clone)]
pub struct Jobs {
    store: Arc<JobStore>,
    audit: crate::audit::Audit,
    wake: Arc<Notify>,
    /// On SQLite one process owns the database, so at start-up every running job is an orphan.
    single_node: bool,
}

/// What start-up recovery did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    pub requeued: Vec<i64>,
    pub failed: Vec<i64>,
}

impl Jobs {
    pub fn new(
        db: DatabaseConnection,
        bus: crate::events::EventBus,
        registry: Registry,
        lease: Duration,
        single_node: bool,
    ) -> Self {
        let instance = format!("pier-{}", uuid::Uuid::new_v4().simple());
        let audit = crate::audit::Audit::new(db.clone());
        let store = JobStore { db, bus, registry: Arc::new(registry), instance, lease };
        Self { store: Arc::new(store), audit, wake: Arc::new(Notify::new()), single_node }
    }

    pub fn instance(&self) -> &str {
        &self.store.instance
    }

    /// Queues a job on behalf of a service (the service has already authorized the actor).
    pub async fn enqueue(&self, actor: &Actor, job: NewJob) -> Result<JobView, JobError> {
        if self.store.registry.get(job.kind).is_none() {
            return Err(JobError::Invalid(ApiError::invalid("kind", format!("Unknown job kind {:?}.", job.kind))));
        }
        if let Some(key) = &job.idempotency_key {
            validate_idempotency_key(key).map_err(JobError::Invalid)?;
            if let Some(existing) = self.by_idempotency_key(actor, key).await? {
                return Ok(existing);
            }
        }
        let row = JobStore::new_row(job.kind, &job.target, &job.params, actor.key(), job.idempotency_key.clone(), job.max_attempts);
        let model = match self.store.insert(row).await {
            Ok(m) => m,
            // Two identical requests raced past the look-up: the unique index let one through.
            Err(e) if job.idempotency_key.is_some() => match self.by_idempotency_key(actor, job.idempotency_key.as_deref().unwrap_or_default()).await? {
                Some(existing) => return Ok(existing),
                None => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        self.wake.notify_one();
        Ok(self.store.view(&model))
    }

    async fn by_idempotency_key(&self, actor: &Actor, key: &str) -> Result<Option<JobView>, JobError> {
        let found = Entity::find()
            .filter(Column::CreatedBy.eq(actor.key()))
            .filter(Column::IdempotencyKey.eq(key))
            .one(&self.store.db)
            .await?;
        Ok(found.map(|m| self.store.view(&m)))
    }

    /// Starts one of the kinds a person may start by hand (the Jobs page, `POST /api/v1/jobs`).
    pub async fn start_by_request(&self, actor: &Actor, ctx: &RequestContext, req: StartJob) -> Result<JobView, JobError> {
        let kind = req.kind.clone();
        let result = self.start_checked(actor, req).await;
        let (target, outcome, detail) = match &result {
            Ok(job) => (format!("job:{}", job.id), Outcome::Success, String::new()),
            Err(JobError::Forbidden(m)) => (kind.clone(), Outcome::Denied, m.clone()),
            Err(e) => (kind.clone(), Outcome::Failure, e.to_string()),
        };
        self.audit.record(actor, &format!("job.start:{kind}"), &target, outcome, ctx, &detail).await;
        result
    }

    async fn start_checked(&self, actor: &Actor, req: StartJob) -> Result<JobView, JobError> {
        let kind = match req.kind.as_str() {
            KIND_SYSTEM_CHECK => KIND_SYSTEM_CHECK,
            KIND_WORKER_TEST => KIND_WORKER_TEST,
            other => {
                return Err(JobError::Invalid(ApiError::invalid(
                    "kind",
                    format!("{other:?} cannot be started by hand; use {KIND_SYSTEM_CHECK} or {KIND_WORKER_TEST}."),
                )))
            }
        };
        if !policy::may_run_diagnostics(actor) {
            return Err(JobError::Forbidden("platform diagnostics are for admins and support".into()));
        }
        let params = if kind == KIND_WORKER_TEST {
            let p: pier_proto::jobs::WorkerTestParams = if req.params.is_null() {
                Default::default()
            } else {
                serde_json::from_value(req.params.clone())
                    .map_err(|e| JobError::Invalid(ApiError::invalid("params", format!("Invalid parameters: {e}"))))?
            };
            p.validate().map_err(JobError::Invalid)?;
            serde_json::to_value(p).unwrap_or_default()
        } else {
            serde_json::json!({})
        };
        self.enqueue(actor, NewJob { kind, target: String::new(), params, idempotency_key: req.idempotency_key, max_attempts: 3 }).await
    }

    /// A job the actor may see; another owner's job is "not found", not "forbidden".
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<JobView, JobError> {
        match self.store.find(id).await? {
            Some(m) if policy::may_see(actor, &JobStore::audience(&m)) => Ok(self.store.view(&m)),
            _ => Err(JobError::NotFound(id)),
        }
    }

    /// Newest first.
    pub async fn list(&self, actor: &Actor, query: &JobQuery) -> Result<Vec<JobView>, JobError> {
        let limit = query.limit.unwrap_or(50).clamp(1, 200) as u64;
        let mut q = Entity::find().order_by_desc(Column::Id);
        if let Some(state) = query.state {
            q = q.filter(Column::State.eq(state.as_str()));
        }
        if let Some(kind) = &query.kind {
            q = q.filter(Column::Kind.eq(kind.clone()));
        }
        if !policy::may_see(actor, &crate::actor::Audience::Staff) {
            q = q.filter(Column::CreatedBy.eq(actor.key()));
        }
        let rows = q.limit(limit).all(&self.store.db).await?;
        Ok(rows.iter().map(|m| self.store.view(m)).collect())
    }

    /// Jobs waiting for a worker (queue depth, for metrics and the dashboard).
    pub async fn queued_count(&self) -> Result<u64, JobError> {
        Ok(Entity::find().filter(Column::State.eq(JobState::Queued.as_str())).count(&self.store.db).await?)
    }

    pub async fn cancel(&self, actor: &Actor, ctx: &RequestContext, id: i64) -> Result<JobView, JobError> {
        let result = self.cancel_checked(actor, id).await;
        let outcome = if result.is_ok() { Outcome::Success } else { Outcome::Failure };
        let detail = result.as_ref().err().map(|e| e.to_string()).unwrap_or_default();
        self.audit.record(actor, "job.cancel", &format!("job:{id}"), outcome, ctx, &detail).await;
        result
    }

    async fn cancel_checked(&self, actor: &Actor, id: i64) -> Result<JobView, JobError> {
        let m = match self.store.find(id).await? {
            Some(m) if policy::may_see(actor, &JobStore::audience(&m)) => m,
            _ => return Err(JobError::NotFound(id)),
        };
        let state = JobState::parse(&m.state).unwrap_or(JobState::Failed);
        if state.is_final() {
            return Err(JobError::Conflict(format!("Job {id} has already {}.", state.as_str())));
        }
        self.store.request_cancel(&m).await?;
        self.get(actor, id).await
    }

    /// Finds running jobs whose process is gone and either queues them again (resumable kinds,
    /// attempts left) or fails them with the reason. Run at start-up (`startup = true`) and
    /// periodically for expired leases.
    pub async fn recover(&self, startup: bool) -> Result<Recovery, JobError> {
        let mut report = Recovery::default();
        for m in self.store.orphaned(startup && self.single_node).await? {
            let handler = self.store.registry.get(&m.kind);
            let (state, message) = match handler {
                Some(h) if h.resumable() && m.attempts < m.max_attempts => (
                    JobState::Queued,
                    format!("The panel stopped while this job ran; it will run again (attempt {} of {}).", m.attempts + 1, m.max_attempts),
                ),
                Some(h) if h.resumable() => (
                    JobState::Failed,
                    format!("Interrupted: the panel stopped while this job ran, and all {} attempts are used.", m.max_attempts),
                ),
                Some(_) => (
                    JobState::Failed,
                    "Interrupted: the panel stopped while this job ran. It is not safe to repeat automatically; check the target and start it again.".to_string(),
                ),
                None => (JobState::Failed, format!("Interrupted, and this version of Pier cannot run {:?} jobs.", m.kind)),
            };
            if self.store.take_over(&m, state, &message).await? {
                tracing::warn!(job = m.id, kind = %m.kind, new_state = state.as_str(), "recovered an orphaned job");
                if state == JobState::Queued {
                    report.requeued.push(m.id);
                } else {
                    report.failed.push(m.id);
                }
            }
        }
        if !report.requeued.is_empty() {
            self.wake.notify_waiters();
        }
        Ok(report)
    }

    /// Starts `workers` workers and the lease sweeper; they stop when `shutdown` fires.
    pub fn spawn_workers(&self, workers: usize, shutdown: tokio::sync::watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut handles: Vec<_> = (0..workers)
            .map(|n| tokio::spawn(worker::run_worker(n, self.store.clone(), self.wake.clone(), shutdown.clone())))
            .collect();
        let this = self.clone();
        let mut stop = shutdown;
        handles.push(tokio::spawn(async move {
            let period = this.store.lease / 2;
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(period) => {
                        if let Err(e) = this.recover(false).await {
                            tracing::error!(error = %e, "lease sweep failed");
                        }
                    }
                }
            }
        }));
        handles
    }
}
