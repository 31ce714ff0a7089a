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
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// New engines get a follower within this.
const RESCAN: Duration = Duration::from_secs(15);
/// Rescans between two scheduled reconciles (20 × 15 s = 5 minutes).
const RECONCILE_EVERY: u32 = 20;

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
            match self.reconcile(&e).await {
                Ok(()) => backoff = Duration::from_secs(1),
                Err(err) => {
                    tracing::debug!(engine = e.name, error = %err, "containers: engine not reachable");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    continue;
                }
            }
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(ev) => self.apply(&e, &ev).await,
                    Err(err) => {
                        tracing::warn!(engine = e.name, error = %err, "containers: event stream ended");
                        break;
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
        if ev.action == "die" && ev.exit_code.is_some_and(|c| c != 0) {
            tracing::info!(engine = e.name, container = ev.name, exit_code = ?ev.exit_code, "container died");
        }
        if ev.action == "destroy" {
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
