//! Follows each engine's Docker `/events` stream (no polling): every container change is pushed
//! on the `containers` live topic (to its owner and staff; unmanaged ones to staff), a container
//! that dies unexpectedly is logged at once, and Pier's records of containers removed outside
//! Pier are dropped (and the audit log says so). On every (re)connect the records are reconciled
//! with what the engine lists, so nothing missed while disconnected stays wrong.

use super::{Containers, Result};
use crate::actor::{Actor, Audience};
use crate::audit::{Outcome, RequestContext};
use crate::entity::{container, engine};
use futures::StreamExt;
use pier_docker::events::ContainerEvent;
use pier_proto::live::Topic;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a followed engine is pinged, and how long it has to answer.
pub const PING_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A reconcile (listing the engine's containers) that takes longer counts as no answer.
const RECONCILE_TIMEOUT: Duration = Duration::from_secs(10);

/// The words for an engine that did not answer in time (followers and the engines view).
pub(super) fn no_answer(within: Duration) -> String {
    format!("no answer within {} seconds", within.as_secs())
}

/// New engines get a follower within this.
const RESCAN: Duration = Duration::from_secs(15);
/// Rescans between two scheduled reconciles (20 × 15 s = 5 minutes).
const RECONCILE_EVERY: u32 = 20;

/// A `die` within this of a `kill` event was asked for: every stop, restart, kill and forced
/// removal begins with one (a stop's SIGKILL after its timeout is a second `kill`).
const ASKED_WITHIN: Duration = Duration::from_secs(60);

/// A death nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    pub exit_code: Option<i64>,
    pub oom: bool,
}

/// Tells a container death that was asked for from one that was not, from the order of
/// Docker's events: `kill` (a signal Docker sent) and `oom` come before the `die` they cause.
/// A process that ends by itself with exit code 0 finished its work: not a crash.
#[derive(Debug, Default)]
pub struct DeathWatch {
    /// Per container id: when Docker last signalled it, and whether it ran out of memory since.
    seen: Mutex<HashMap<String, (Option<Instant>, bool)>>,
}

impl DeathWatch {
    pub fn signalled(&self, id: &str, at: Instant) {
        self.seen.lock().expect("not poisoned").entry(id.to_string()).or_default().0 = Some(at);
    }

    pub fn out_of_memory(&self, id: &str) {
        self.seen.lock().expect("not poisoned").entry(id.to_string()).or_default().1 = true;
    }

    pub fn forget(&self, id: &str) {
        self.seen.lock().expect("not poisoned").remove(id);
    }

    /// A `die` at `at`: the crash, if nobody asked for it. Forgets what it knew of `id`.
    pub fn died(&self, id: &str, exit_code: Option<i64>, at: Instant) -> Option<Crash> {
        let (signalled, oom) = self.seen.lock().expect("not poisoned").remove(id).unwrap_or_default();
        let asked = signalled.is_some_and(|s| at.saturating_duration_since(s) <= ASKED_WITHIN);
        let failed = oom || exit_code.is_some_and(|c| c != 0);
        (!asked && failed).then_some(Crash { exit_code, oom })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deaths_asked_for_are_told_from_crashes() {
        let w = DeathWatch::default();
        let t = Instant::now();
        // docker stop / restart / kill: a signal first.
        w.signalled("a", t);
        assert_eq!(w.died("a", Some(143), t + Duration::from_secs(2)), None);
        // SIGTERM ignored, SIGKILL after the stop timeout: still asked for.
        w.signalled("a", t);
        w.signalled("a", t + Duration::from_secs(10));
        assert_eq!(w.died("a", Some(137), t + Duration::from_secs(10)), None);
        // The signal was forgotten with the death: the next death on its own is a crash.
        assert_eq!(w.died("a", Some(1), t + Duration::from_secs(20)), Some(Crash { exit_code: Some(1), oom: false }));
        // Ended by itself with 0: finished, not crashed.
        assert_eq!(w.died("b", Some(0), t), None);
        // Out of memory, whatever the code.
        w.out_of_memory("c");
        assert_eq!(w.died("c", Some(137), t), Some(Crash { exit_code: Some(137), oom: true }));
        // A signal long ago does not excuse a later death.
        w.signalled("d", t);
        assert_eq!(w.died("d", Some(2), t + ASKED_WITHIN + Duration::from_secs(1)), Some(Crash { exit_code: Some(2), oom: false }));
        w.signalled("e", t);
        w.forget("e");
        assert_eq!(w.died("e", Some(2), t), Some(Crash { exit_code: Some(2), oom: false }));
    }
}

/// What the browser receives on `containers`.
#[derive(Debug, Clone, serde::Serialize)]
struct Change<'a> {
    id: &'a str,
    name: &'a str,
    action: &'a str,
    exit_code: Option<i64>,
}

impl Containers {
    /// Starts the followers; call once per process (serve does).
    pub fn spawn_sync(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let following: Arc<Mutex<HashSet<i64>>> = Default::default();
        tokio::spawn(async move {
            let mut round = 0u32;
            loop {
                // The schedule behind the event stream: every RECONCILE_EVERY rescans, records
                // of containers that no longer exist are dropped even if an event was missed.
                round = round.wrapping_add(1);
                if round.is_multiple_of(RECONCILE_EVERY) {
                    if let Err(e) = this.reconcile_all().await {
                        tracing::debug!(error = %e, "containers: scheduled reconcile skipped an engine");
                    }
                }
                for e in engine::Entity::find().all(&this.db).await.unwrap_or_default() {
                    if following.lock().expect("not poisoned").insert(e.id) {
                        let (this, following) = (this.clone(), following.clone());
                        tokio::spawn(async move {
                            this.follow_engine(e.id).await;
                            following.lock().expect("not poisoned").remove(&e.id);
                        });
                    }
                }
                tokio::time::sleep(RESCAN).await;
            }
        })
    }

    /// Follows one engine until it is removed from Pier; reconnects with backoff.
    async fn follow_engine(&self, engine_id: i64) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let Ok(Some(e)) = engine::Entity::find_by_id(engine_id).one(&self.db).await else { return };
            let Ok(client) = self.engine(&e) else { return };
            // Subscribe first, then reconcile: a change between the two is seen by both, never by neither.
            let mut events = Box::pin(client.container_events());
            // Bounded: an engine that hangs must not hold its follower forever.
            let reconciled = match tokio::time::timeout(RECONCILE_TIMEOUT, self.reconcile(&e)).await {
                Ok(r) => r,
                Err(_) => Err(super::ContainersError::Unavailable(no_answer(RECONCILE_TIMEOUT))),
            };
            match reconciled {
                Ok(()) => {
                    backoff = Duration::from_secs(1);
                    self.record_health(&e, None).await;
                }
                Err(err) => {
                    tracing::debug!(engine = e.name, error = %err, "containers: engine not reachable");
                    self.record_health(&e, Some(&err.to_string())).await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    continue;
                }
            }
            // A stream over a connection that hangs (a remote engine whose network went away)
            // neither ends nor errs: a ping now and then finds out, and reconnecting follows.
            let mut ping = tokio::time::interval(self.ping_every);
            ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ping.tick().await;
            loop {
                tokio::select! {
                    ev = events.next() => match ev {
                        Some(Ok(ev)) => self.apply(&e, &ev).await,
                        Some(Err(err)) => {
                            tracing::warn!(engine = e.name, error = %err, "containers: event stream ended");
                            break;
                        }
                        None => break,
                    },
                    _ = ping.tick() => {
                        let answer = match tokio::time::timeout(PING_TIMEOUT, client.ping()).await {
                            Ok(r) => r.map_err(|err| err.to_string()),
                            Err(_) => Err(no_answer(PING_TIMEOUT)),
                        };
                        if let Err(why) = answer {
                            tracing::warn!(engine = e.name, error = why, "containers: engine stopped answering");
                            self.record_health(&e, Some(&why)).await;
                            break;
                        }
                    }
                }
            }
            tokio::time::sleep(backoff).await;
        }
    }

    /// Reconciles every engine (the followers do it on each connect; tests and `pier` commands
    /// call it directly).
    pub async fn reconcile_all(&self) -> Result<()> {
        // An engine that does not answer does not keep the others from being reconciled.
        let mut first_error = None;
        for e in engine::Entity::find().all(&self.db).await? {
            if let Err(err) = self.reconcile(&e).await {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Drops the records of containers the engine no longer has.
    pub async fn reconcile(&self, e: &engine::Model) -> Result<()> {
        let present: HashSet<String> = self.engine(e)?.list_containers().await?.into_iter().map(|c| c.id).collect();
        for row in container::Entity::find().filter(container::Column::EngineId.eq(e.id)).all(&self.db).await? {
            if !present.contains(&row.docker_id) {
                self.forget(&row, "it no longer exists on the engine").await?;
            }
        }
        Ok(())
    }

    async fn note_crash(&self, row: &container::Model, crash: &Crash) {
        let mut m: container::ActiveModel = row.clone().into();
        m.crashed_at = Set(Some(time::OffsetDateTime::now_utc()));
        m.crash_exit_code = Set(crash.exit_code);
        m.crash_oom = Set(crash.oom);
        if let Err(err) = m.update(&self.db).await {
            tracing::warn!(container = row.name, error = %err, "container crash not recorded");
        }
    }

    async fn note_start(&self, row: &container::Model) {
        let mut m: container::ActiveModel = row.clone().into();
        m.started_at = Set(Some(time::OffsetDateTime::now_utc()));
        if let Err(err) = m.update(&self.db).await {
            tracing::warn!(container = row.name, error = %err, "container start not recorded");
        }
    }

    async fn forget(&self, row: &container::Model, why: &str) -> Result<()> {
        container::Entity::delete_by_id(row.id).exec(&self.db).await?;
        let detail = format!("{}: record removed, {why}", row.name);
        self.audit.record(&Actor::System, "container.forget", &format!("container:{}", &row.docker_id[..row.docker_id.len().min(12)]), Outcome::Success, &RequestContext::default(), &detail).await;
        Ok(())
    }

    async fn apply(&self, e: &engine::Model, ev: &ContainerEvent) {
        // exec_* and health events are noise for the lists; lifecycle changes matter.
        if ev.action.starts_with("exec_") {
            return;
        }
        let row = container::Entity::find().filter(container::Column::EngineId.eq(e.id)).filter(container::Column::DockerId.eq(&ev.id)).one(&self.db).await.ok().flatten();
        match ev.action.as_str() {
            "kill" => self.deaths.signalled(&ev.id, Instant::now()),
            "oom" => self.deaths.out_of_memory(&ev.id),
            "die" => {
                if let Some(crash) = self.deaths.died(&ev.id, ev.exit_code, Instant::now()) {
                    tracing::info!(engine = e.name, container = ev.name, exit_code = ?crash.exit_code, oom = crash.oom, "container stopped unexpectedly");
                    if let Some(row) = &row {
                        self.note_crash(row, &crash).await;
                    }
                }
            }
            "start" => {
                if let Some(row) = &row {
                    self.note_start(row).await;
                }
            }
            _ => {}
        }
        if ev.action == "destroy" {
            self.deaths.forget(&ev.id);
            if let Some(row) = &row {
                // Pier's own delete removes the row first; only removals outside Pier get here.
                let _ = self.forget(row, "it was removed outside Pier").await;
            }
        }
        if ev.action == "start" {
            if let Some(row) = row.clone() {
                let this = self.clone();
                tokio::spawn(async move { this.run_after_start(&row).await });
            }
        }
        let audience = match row.as_ref().and_then(|r| r.owner_id) {
            Some(owner) => Audience::Owner(format!("user:{owner}")),
            None => Audience::Staff,
        };
        let change = Change { id: &ev.id, name: &ev.name, action: &ev.action, exit_code: ev.exit_code };
        self.bus.publish(&[Topic::new("containers").expect("valid")], audience, serde_json::to_value(change).unwrap_or_default());
    }
}
