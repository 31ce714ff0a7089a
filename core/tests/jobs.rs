//! The job system against a real SQLite database file: workers, progress events, cancellation,
//! idempotency, visibility, and recovery of jobs whose process died.

use async_trait::async_trait;
use pier_core::actor::{Actor, Role};
use pier_core::config::Config;
use pier_core::events::EventBus;
use pier_core::jobs::{JobContext, JobFailure, JobHandler, Jobs, NewJob, Registry};
use pier_proto::jobs::{JobQuery, JobState, JobView, StartJob, KIND_WORKER_TEST};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

struct Db {
    _dir: tempfile::TempDir,
    conn: DatabaseConnection,
}

async fn database() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.data_dir = dir.path().to_owned();
    let conn = pier_core::db::connect(&config).await.unwrap();
    pier_core::db::migrate(&conn).await.unwrap();
    Db { _dir: dir, conn }
}

/// Sleeps in steps; resumable or not as configured.
struct Stepper {
    kind: &'static str,
    resumable: bool,
}

#[async_trait]
impl JobHandler for Stepper {
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn title(&self) -> &'static str {
        "Stepper"
    }
    fn resumable(&self) -> bool {
        self.resumable
    }
    async fn run(&self, ctx: &JobContext) -> Result<String, JobFailure> {
        let steps: u64 = ctx.params.get("steps").and_then(|v| v.as_u64()).unwrap_or(4);
        let ms: u64 = ctx.params.get("ms").and_then(|v| v.as_u64()).unwrap_or(20);
        for i in 1..=steps {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ctx.progress((i * 100 / steps) as u8, format!("step {i}")).await?;
        }
        Ok(format!("done on attempt {}", ctx.attempt))
    }
}

fn jobs_on(db: &DatabaseConnection, bus: EventBus, lease: Duration, single_node: bool) -> Jobs {
    let mut registry = Registry::new();
    registry.register(Arc::new(pier_core::jobs::kinds::WorkerTest));
    registry.register(Arc::new(Stepper { kind: "test.resumable", resumable: true }));
    registry.register(Arc::new(Stepper { kind: "test.once", resumable: false }));
    Jobs::new(db.clone(), bus, registry, lease, single_node)
}

fn new_job(kind: &'static str, params: serde_json::Value) -> NewJob {
    NewJob { kind, target: String::new(), params, idempotency_key: None, max_attempts: 3 }
}

fn ctx() -> pier_core::audit::RequestContext {
    pier_core::audit::RequestContext::default()
}

fn admin() -> Actor {
    Actor::Person { user_id: 1, username: "admin".into(), role: Role::Admin }
}

async fn wait_for(jobs: &Jobs, id: i64, pred: impl Fn(&JobView) -> bool) -> JobView {
    for _ in 0..400 {
        let v = jobs.get(&Actor::System, id).await.unwrap();
        if pred(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {id} never reached the expected state: {:?}", jobs.get(&Actor::System, id).await.unwrap());
}

#[tokio::test]
async fn a_job_runs_to_success_and_publishes_its_progress() {
    let db = database().await;
    let bus = EventBus::new();
    let mut events = bus.subscribe();
    let jobs = jobs_on(&db.conn, bus.clone(), Duration::from_secs(5), true);
    let (_stop, stop_rx) = watch::channel(false);
    jobs.spawn_workers(2, stop_rx);

    let job = jobs.enqueue(&admin(), new_job("test.resumable", serde_json::json!({"steps": 4}))).await.unwrap();
    // The returned row is read back after the insert: a fast worker may already have claimed it.
    assert!(matches!(job.state, JobState::Queued | JobState::Running), "{job:?}");
    let done = wait_for(&jobs, job.id, |v| v.state.is_final()).await;
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.progress, 100);
    assert_eq!(done.message, "done on attempt 1");
    assert!(done.finished_at.is_some());

    // Every change went out on the bus, on both the list topic and the job's own topic.
    let mut seen = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if ev.topic.as_str() == "jobs" {
            let v: JobView = serde_json::from_value((*ev.data).clone()).unwrap();
            seen.push((v.state, v.progress));
        }
    }
    // Each event is a snapshot of the row when it was published, so a fast worker may already
    // show the first one as running; what is guaranteed is the order of what follows.
    assert!(matches!(seen.first(), Some((JobState::Queued | JobState::Running, 0))), "{seen:?}");
    assert!(seen.contains(&(JobState::Running, 50)), "{seen:?}");
    assert_eq!(seen.last(), Some(&(JobState::Succeeded, 100)));
    let progress: Vec<u8> = seen.iter().filter(|(s, _)| *s == JobState::Running).map(|(_, p)| *p).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {progress:?}");
}

#[tokio::test]
async fn a_double_click_starts_one_job() {
    let db = database().await;
    let jobs = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(5), true);
    let req = || StartJob {
        kind: KIND_WORKER_TEST.into(),
        params: serde_json::json!({"seconds": 1, "steps": 1}),
        idempotency_key: Some("click-1".into()),
    };
    let a = jobs.start_by_request(&admin(), &ctx(), req()).await.unwrap();
    let b = jobs.start_by_request(&admin(), &ctx(), req()).await.unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(jobs.list(&admin(), &JobQuery::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_field_named() {
    let db = database().await;
    let jobs = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(5), true);
    let err = |kind: &str, params: serde_json::Value| {
        let jobs = jobs.clone();
        let req = StartJob { kind: kind.into(), params, idempotency_key: None };
        async move { pier_proto::ApiError::from(jobs.start_by_request(&admin(), &ctx(), req).await.unwrap_err()) }
    };
    assert_eq!(err("vps.create", serde_json::json!({})).await.field.as_deref(), Some("kind"));
    assert_eq!(err(KIND_WORKER_TEST, serde_json::json!({"seconds": 0, "steps": 1})).await.field.as_deref(), Some("seconds"));
    assert_eq!(err(KIND_WORKER_TEST, serde_json::json!({"seconds": "x"})).await.field.as_deref(), Some("params"));
    let user = Actor::Person { user_id: 9, username: "u".into(), role: Role::User };
    let forbidden = jobs
        .start_by_request(&user, &ctx(), StartJob { kind: KIND_WORKER_TEST.into(), params: serde_json::Value::Null, idempotency_key: None })
        .await
        .unwrap_err();
    assert_eq!(pier_proto::ApiError::from(forbidden).code, pier_proto::ErrorCode::Forbidden);
    assert!(jobs.list(&admin(), &JobQuery::default()).await.unwrap().is_empty(), "nothing half-written");
}

#[tokio::test]
async fn cancelling_stops_queued_and_running_jobs() {
    let db = database().await;
    let jobs = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(5), true);
    // No workers yet: the job stays queued and is cancelled at once.
    let queued = jobs.enqueue(&admin(), new_job("test.resumable", serde_json::json!({}))).await.unwrap();
    let cancelled = jobs.cancel(&admin(), &ctx(), queued.id).await.unwrap();
    assert_eq!(cancelled.state, JobState::Cancelled);
    let again = pier_proto::ApiError::from(jobs.cancel(&admin(), &ctx(), queued.id).await.unwrap_err());
    assert_eq!(again.code, pier_proto::ErrorCode::Conflict);

    let (_stop, stop_rx) = watch::channel(false);
    jobs.spawn_workers(1, stop_rx);
    let long = jobs.enqueue(&admin(), new_job("test.resumable", serde_json::json!({"steps": 100, "ms": 30}))).await.unwrap();
    wait_for(&jobs, long.id, |v| v.state == JobState::Running && v.progress > 0).await;
    jobs.cancel(&admin(), &ctx(), long.id).await.unwrap();
    let end = wait_for(&jobs, long.id, |v| v.state.is_final()).await;
    assert_eq!(end.state, JobState::Cancelled);
    assert!(end.progress < 100);
}

#[tokio::test]
async fn other_users_jobs_are_not_found() {
    let db = database().await;
    let jobs = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(5), true);
    let alice = Actor::Person { user_id: 1, username: "alice".into(), role: Role::User };
    let bob = Actor::Person { user_id: 2, username: "bob".into(), role: Role::User };
    let job = jobs.enqueue(&alice, new_job("test.resumable", serde_json::json!({}))).await.unwrap();
    assert!(jobs.get(&alice, job.id).await.is_ok());
    let err = pier_proto::ApiError::from(jobs.get(&bob, job.id).await.unwrap_err());
    assert_eq!(err.code, pier_proto::ErrorCode::NotFound);
    assert!(jobs.cancel(&bob, &ctx(), job.id).await.is_err());
    assert!(jobs.list(&bob, &JobQuery::default()).await.unwrap().is_empty());
    assert_eq!(jobs.list(&alice, &JobQuery::default()).await.unwrap().len(), 1);
    assert_eq!(jobs.list(&admin(), &JobQuery::default()).await.unwrap().len(), 1, "staff see every job");
}

/// A process dies mid-job (its tasks vanish without writing anything). The next process
/// requeues the resumable job, which then completes, and fails the other with a reason.
#[tokio::test]
async fn a_restart_resumes_or_fails_interrupted_jobs_never_leaving_them_running() {
    let db = database().await;
    let first = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(30), true);
    let (_stop, stop_rx) = watch::channel(false);
    let handles = first.spawn_workers(2, stop_rx);
    let slow = serde_json::json!({"steps": 1000, "ms": 50});
    let resumable = first.enqueue(&admin(), new_job("test.resumable", slow.clone())).await.unwrap();
    let once = first.enqueue(&admin(), new_job("test.once", slow)).await.unwrap();
    wait_for(&first, resumable.id, |v| v.state == JobState::Running && v.progress > 0).await;
    wait_for(&first, once.id, |v| v.state == JobState::Running && v.progress > 0).await;
    // "kill -9": the tasks stop at once; nothing runs the finishing code.
    for h in handles {
        h.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(first.get(&admin(), resumable.id).await.unwrap().state, JobState::Running);

    let second = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(30), true);
    let report = second.recover(true).await.unwrap();
    assert_eq!(report.requeued, vec![resumable.id]);
    assert_eq!(report.failed, vec![once.id]);
    let failed = second.get(&admin(), once.id).await.unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.message.contains("not safe to repeat"), "{}", failed.message);
    let requeued = second.get(&admin(), resumable.id).await.unwrap();
    assert_eq!(requeued.state, JobState::Queued);
    assert!(requeued.message.contains("attempt 2 of 3"), "{}", requeued.message);

    // The second process finishes it (quickly this time: cancel the slow one, run a short one).
    let (_stop2, stop_rx2) = watch::channel(false);
    second.spawn_workers(1, stop_rx2);
    wait_for(&second, resumable.id, |v| v.state == JobState::Running && v.attempts == 2).await;
    second.cancel(&admin(), &ctx(), resumable.id).await.unwrap();
    assert_eq!(wait_for(&second, resumable.id, |v| v.state.is_final()).await.state, JobState::Cancelled);
}

/// With several processes on one database (Postgres), a job is taken over only once its
/// lease has run out, and a live lease is left alone.
#[tokio::test]
async fn leases_protect_running_jobs_until_they_expire() {
    let db = database().await;
    let owner = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(1), false);
    let (_stop, stop_rx) = watch::channel(false);
    let handles = owner.spawn_workers(1, stop_rx);
    let job = owner.enqueue(&admin(), new_job("test.resumable", serde_json::json!({"steps": 1000, "ms": 50}))).await.unwrap();
    wait_for(&owner, job.id, |v| v.state == JobState::Running).await;

    let other = jobs_on(&db.conn, EventBus::new(), Duration::from_secs(1), false);
    // The owner is alive and renews its lease: nothing to recover, even well past one lease.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(other.recover(true).await.unwrap(), Default::default());

    for h in handles {
        h.abort();
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let report = other.recover(false).await.unwrap();
    assert_eq!(report.requeued, vec![job.id]);
}
